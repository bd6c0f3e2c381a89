-- The latest articles of the period, newest publication first (undated ones last, newest seen first).
-- Parameters: since, until (DATE or NULL), then the row limit.
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT published_at, published_precision, day, day_from, title, url, source, "group", language,
       duplicate_of IS NOT NULL AS is_copy
FROM article_sides CROSS JOIN period p
WHERE (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until)
ORDER BY published_at DESC NULLS LAST, first_seen_at DESC, article_id
LIMIT ?;
