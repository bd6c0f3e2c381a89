-- Originals only (copies point at them), oldest first; undated ones after the dated, by first sight.
SELECT title, published_local, published_precision, date_source, text, url, content_hash
FROM articles
WHERE duplicate_of IS NULL
ORDER BY published_at ASC NULLS LAST, first_seen_at, article_id
