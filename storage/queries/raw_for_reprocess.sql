-- Raw pages to clean again, oldest first; both filters optional (NULL = all).
SELECT r.url, r.source, r.fetched_at, r.status, r.headers, r.encoding, r.body_gzip, r.listed_title, r.listed_date,
       r.listed_date_kind, p.final_url, p.listed_in
FROM raw_pages r
LEFT JOIN pages p USING (url)
WHERE (?::TIMESTAMPTZ IS NULL OR r.fetched_at >= ?::TIMESTAMPTZ)
  AND (?::VARCHAR IS NULL OR r.source = ?::VARCHAR)
ORDER BY r.fetched_at, r.url
