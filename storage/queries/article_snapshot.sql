-- What re-processing may change, for every article derived from the given page URLs (the duplicate kind too: a
-- reprocess that turned copies from "near" into "exact" said "0 articles changed").
SELECT p.url, s.article_id, s.title, s.text, s.published_at, s.language, s.duplicate_of, s.duplicate_kind,
       s.first_seen_at
FROM pages p
JOIN article_store s ON s.article_id = p.article_id
WHERE p.url IN (SELECT unnest(?))
