-- Date confidence in tenths (0.0 = [0, 0.1), ..., 0.9 = [0.9, 1.0]), per date precision. Parameters: since, until.
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT CAST(least(floor(coalesce(date_confidence, 0) * 10), 9) AS INTEGER) AS tenth,
       coalesce(published_precision, 'none') AS precision,
       count(*) AS articles
FROM article_sides CROSS JOIN period p
WHERE (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until)
GROUP BY ALL
ORDER BY tenth, precision;
