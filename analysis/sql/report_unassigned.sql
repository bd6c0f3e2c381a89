-- Outlets with articles in the period whose configuration gives no group or no country: the analysis views count
-- them under 'unknown'. Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT s.source, s."group", s.country, s.configured
FROM sources s
WHERE (s."group" IS NULL OR s.country IS NULL)
  AND s.source IN (SELECT a.source FROM article_sides a CROSS JOIN period p
                   WHERE (p.since IS NULL OR a.day >= p.since) AND (p.until IS NULL OR a.day <= p.until))
ORDER BY s.source;
