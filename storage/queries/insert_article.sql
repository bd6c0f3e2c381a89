-- New articles of a load (temp table incoming_articles); duplicate_of is set afterwards by repoint_groups.
INSERT INTO article_store (
    article_id, url, canonical_url, source, title, published_at, published_offset, published_local,
    published_precision, date_source, date_confidence, modified_at, date_evidence, language, authors, text,
    word_count, description, listed_title, relevance_score, matched_terms, topic_terms, relevant, exact_key, content_hash,
    group_id, duplicate_of, duplicate_kind, similarity, fetched_at, first_seen_at, run_id, updated_at
)
SELECT
    article_id, url, canonical_url, source, title, published_at, published_offset, published_local,
    published_precision, date_source, date_confidence, modified_at, date_evidence::JSON, language, authors, text,
    word_count, description, listed_title, relevance_score, matched_terms, topic_terms, relevant, exact_key, content_hash,
    group_id, NULL, duplicate_kind, similarity, fetched_at, first_seen_at, run_id, updated_at
FROM incoming_articles
