-- Per outlet over the period: the columns of the view `outlet_stats`, computed the same way but only over the
-- articles whose day falls in the period (with both parameters NULL the rows equal `outlet_stats`), plus `copies`
-- (every copy, including an outlet's copies of its own articles). Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT c.source, c."group", c.country,
       count(*) AS articles,
       count(*) FILTER (WHERE c.duplicate_of IS NULL) AS originals,
       count(*) FILTER (WHERE c.duplicate_of IS NOT NULL) AS copies,
       count(*) FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) AS copies_of_others,
       round(count(*) FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) / count(*), 4) AS copy_share,
       median(epoch(c.published_at - o.published_at) / 60.0)
           FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) AS median_copy_delay_minutes
FROM article_sides c
CROSS JOIN period p
LEFT JOIN articles o ON o.article_id = c.duplicate_of
WHERE (p.since IS NULL OR c.day >= p.since) AND (p.until IS NULL OR c.day <= p.until)
GROUP BY c.source, c."group", c.country
ORDER BY articles DESC, c.source;
