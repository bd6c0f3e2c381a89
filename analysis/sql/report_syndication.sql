-- Who copies whom over the period: the view `syndication_pairs`, restricted to copies whose day falls in the period
-- (with both parameters NULL the rows equal `syndication_pairs`). Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT o.source AS original_source, c.source AS copying_source, count(*) AS copies,
       median(epoch(c.published_at - o.published_at) / 60.0) AS median_delay_minutes
FROM article_sides c
JOIN articles o ON o.article_id = c.duplicate_of
CROSS JOIN period p
WHERE o.source <> c.source
  AND (p.since IS NULL OR c.day >= p.since) AND (p.until IS NULL OR c.day <= p.until)
GROUP BY o.source, c.source
ORDER BY copies DESC, original_source, copying_source;
