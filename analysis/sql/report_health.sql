-- Crawl state: each source's health now (the view `source_health`), with its group from `sources`.
SELECT h.source, s."group", h.last_success_at, h.last_error_at, h.last_error, h.articles_24h,
       h.next_poll_at, h.poll_minutes
FROM source_health h
LEFT JOIN sources s USING (source)
ORDER BY h.source;
