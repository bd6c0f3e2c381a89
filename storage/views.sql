-- The public SQL contract (documented in the README). Recreated every time the database is opened for writing,
-- so a new version of talkwatch brings its views along without a migration.

CREATE OR REPLACE VIEW articles AS
SELECT
    article_id,
    url,
    source,
    title,
    published_at,                 -- TIMESTAMPTZ, the instant; shown in UTC by talkwatch (SET TimeZone = 'UTC')
    published_offset,             -- the page's own offset, e.g. '+03:00'
    published_local,              -- as the evidence gave it: '2025-05-29T20:36:00+03:00', or '2025-05-29' for day-only
    published_precision,          -- time | day | none
    date_source,
    date_confidence,
    date_evidence,                -- JSON list: every candidate date seen (kind, raw text, value, note: why chosen/rejected)
    modified_at,
    language,
    authors,
    text,
    word_count,
    duplicate_of,                 -- NULL for an original, else the article_id of its original
    duplicate_kind,
    group_id,
    first_seen_at,
    fetched_at,
    canonical_url,
    relevance_score,
    matched_terms,
    content_hash
FROM article_store
WHERE relevant;

CREATE OR REPLACE VIEW duplicate_groups AS
SELECT
    group_id,
    article_id,
    source,
    published_at,
    duplicate_of IS NULL AS is_original,
    duplicate_of,
    duplicate_kind,
    similarity,
    first_seen_at
FROM article_store
WHERE relevant;

CREATE OR REPLACE VIEW syndication AS
SELECT
    o.article_id                                  AS original_id,
    o.source                                      AS original_source,
    o.title,
    o.published_at,
    count(c.article_id)                           AS copies,
    list(DISTINCT c.source ORDER BY c.source)     AS outlets,
    min(c.published_at - o.published_at)          AS first_copy_delay,
    max(c.published_at - o.published_at)          AS last_copy_delay
FROM article_store o
JOIN article_store c ON c.duplicate_of = o.article_id AND c.relevant
WHERE o.duplicate_of IS NULL AND o.relevant
GROUP BY ALL;

CREATE OR REPLACE VIEW source_health AS
WITH last_ok AS (
    SELECT source, max(last_success_at) AS last_success_at FROM listings GROUP BY source
), last_err AS (
    SELECT source, arg_max(last_reason, last_fetched_at) AS last_error, max(last_fetched_at) AS last_error_at
    FROM listings WHERE last_outcome = 'failed' GROUP BY source
), recent AS (
    SELECT source, count(*) AS articles_24h FROM article_store
    WHERE relevant AND first_seen_at >= now() - INTERVAL 24 HOUR GROUP BY source
), names AS (
    SELECT source FROM listings UNION SELECT source FROM pages UNION SELECT source FROM source_state
)
SELECT n.source, l.last_success_at, e.last_error_at, e.last_error, coalesce(r.articles_24h, 0) AS articles_24h,
       st.next_poll_at, st.poll_minutes
FROM names n
LEFT JOIN last_ok l USING (source)
LEFT JOIN last_err e USING (source)
LEFT JOIN recent r USING (source)
LEFT JOIN source_state st USING (source);
