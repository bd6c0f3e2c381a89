-- Publication hour (UTC) per group, from the articles dated to the minute only (published_precision = 'time'):
-- a day-only date is midnight by convention and would pile up at 0 h. Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT "group", CAST(hour(timezone('UTC', published_at)) AS INTEGER) AS hour, count(*) AS articles
FROM article_sides CROSS JOIN period p
WHERE published_precision = 'time'
  AND (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until)
GROUP BY ALL
ORDER BY "group", hour;
