-- Publication hour (UTC) from the articles dated to the minute only (published_precision = 'time': a day-only date
-- is midnight by convention and would pile up at 0 h), once per group, once per language, once per country (the
-- `dimension` column says which). Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until),
timed AS (
    SELECT "group", coalesce(language, 'unknown') AS language, country,
           CAST(hour(timezone('UTC', published_at)) AS INTEGER) AS hour
    FROM article_sides CROSS JOIN period p
    WHERE published_precision = 'time'
      AND (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until)
)
SELECT 'group' AS dimension, "group" AS value, hour, count(*) AS articles FROM timed GROUP BY ALL
UNION ALL
SELECT 'language', language, hour, count(*) FROM timed GROUP BY ALL
UNION ALL
SELECT 'country', country, hour, count(*) FROM timed GROUP BY ALL
ORDER BY dimension, value, hour;
