-- Framing: per time bucket ('day' or 'week', from date_trunc) and side, how many of the side's articles (copies
-- included, as in `term_usage`) used each topic concept, out of all its articles in that bucket (`daily_coverage`).
-- A side is a group, a language or a country (the `dimension` column says which). A bucket where a side wrote but
-- never used a concept gets 0, so lines do not skip it. Parameters: since, until (DATE or NULL), unit.
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until, CAST(? AS VARCHAR) AS unit),
coverage AS (
    SELECT CAST(date_trunc(p.unit, d.day) AS DATE) AS bucket, d."group", coalesce(d.language, 'unknown') AS language,
           d.country, d.originals + d.copies AS articles
    FROM daily_coverage d CROSS JOIN period p
    WHERE (p.since IS NULL OR d.day >= p.since) AND (p.until IS NULL OR d.day <= p.until)
), usage AS (
    SELECT CAST(date_trunc(p.unit, t.day) AS DATE) AS bucket, t."group", coalesce(t.language, 'unknown') AS language,
           t.country, t.term, t.articles AS mentions
    FROM term_usage t CROSS JOIN period p
    WHERE (p.since IS NULL OR t.day >= p.since) AND (p.until IS NULL OR t.day <= p.until)
), volume AS (
    SELECT 'group' AS dimension, "group" AS value, bucket, sum(articles) AS articles FROM coverage GROUP BY ALL
    UNION ALL SELECT 'language', language, bucket, sum(articles) FROM coverage GROUP BY ALL
    UNION ALL SELECT 'country', country, bucket, sum(articles) FROM coverage GROUP BY ALL
), mentions AS (
    SELECT 'group' AS dimension, "group" AS value, bucket, term, sum(mentions) AS mentions FROM usage GROUP BY ALL
    UNION ALL SELECT 'language', language, bucket, term, sum(mentions) FROM usage GROUP BY ALL
    UNION ALL SELECT 'country', country, bucket, term, sum(mentions) FROM usage GROUP BY ALL
), terms AS (
    SELECT DISTINCT term FROM mentions
)
SELECT v.dimension, v.value, v.bucket, t.term, coalesce(m.mentions, 0) AS mentions, v.articles,
       round(coalesce(m.mentions, 0) / v.articles, 4) AS share
FROM volume v
CROSS JOIN terms t
LEFT JOIN mentions m ON m.dimension = v.dimension AND m.value = v.value AND m.bucket = v.bucket AND m.term = t.term
ORDER BY t.term, v.dimension, v.value, v.bucket;
