-- Coverage over time: original articles and syndicated copies per UTC day, once by the outlets' group, once by
-- language, once by country (the `dimension` column says which). Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until),
span AS (
    SELECT d.* FROM daily_coverage d CROSS JOIN period p
    WHERE (p.since IS NULL OR d.day >= p.since) AND (p.until IS NULL OR d.day <= p.until)
)
SELECT 'group' AS dimension, "group" AS value, day,
       sum(originals) AS originals, sum(copies) AS copies, sum(undated) AS undated
FROM span GROUP BY ALL
UNION ALL
SELECT 'language', coalesce(language, 'unknown'), day, sum(originals), sum(copies), sum(undated)
FROM span GROUP BY ALL
UNION ALL
SELECT 'country', country, day, sum(originals), sum(copies), sum(undated)
FROM span GROUP BY ALL
ORDER BY dimension, value, day;
