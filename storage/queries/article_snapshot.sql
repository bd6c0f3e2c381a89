-- What re-processing may change, for every article derived from the given page URLs.
SELECT p.url, s.article_id, s.title, s.text, s.published_at, s.language, s.duplicate_of, s.first_seen_at
FROM pages p
JOIN article_store s ON s.article_id = p.article_id
WHERE p.url IN (SELECT unnest(?))
