-- Date precision per group: how many articles are dated to the minute ('time'), to the day ('day') or not at all
-- ('none'). Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT "group", coalesce(published_precision, 'none') AS precision, count(*) AS articles
FROM article_sides CROSS JOIN period p
WHERE (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until)
GROUP BY ALL
ORDER BY "group", precision;
