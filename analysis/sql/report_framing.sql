-- Framing: per time bucket ('day' or 'week', from date_trunc) and group, how many of the group's articles (copies
-- included, as in `term_usage`) used each topic concept, out of all its articles in that bucket (`daily_coverage`).
-- A bucket where a group wrote but never used a concept gets 0, so lines do not skip it.
-- Parameters: since, until (DATE or NULL), unit ('day' or 'week').
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until, CAST(? AS VARCHAR) AS unit),
volume AS (
    SELECT CAST(date_trunc(p.unit, d.day) AS DATE) AS bucket, d."group", sum(d.originals + d.copies) AS articles
    FROM daily_coverage d CROSS JOIN period p
    WHERE (p.since IS NULL OR d.day >= p.since) AND (p.until IS NULL OR d.day <= p.until)
    GROUP BY ALL
), mentions AS (
    SELECT CAST(date_trunc(p.unit, t.day) AS DATE) AS bucket, t."group", t.term, sum(t.articles) AS mentions
    FROM term_usage t CROSS JOIN period p
    WHERE (p.since IS NULL OR t.day >= p.since) AND (p.until IS NULL OR t.day <= p.until)
    GROUP BY ALL
), terms AS (
    SELECT DISTINCT term FROM mentions
)
SELECT v.bucket, v."group", t.term, coalesce(m.mentions, 0) AS mentions, v.articles,
       round(coalesce(m.mentions, 0) / v.articles, 4) AS share
FROM volume v
CROSS JOIN terms t
LEFT JOIN mentions m ON m.bucket = v.bucket AND m."group" = v."group" AND m.term = t.term
ORDER BY t.term, v."group", v.bucket;
