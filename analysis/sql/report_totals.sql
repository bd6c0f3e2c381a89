-- The report header: what the period holds (articles, originals, copies, outlets, languages) and how well it is
-- dated and tagged, so the "What is missing" box can say what a chart lacks. Parameters: since, until (DATE or NULL).
WITH period AS (SELECT CAST(? AS DATE) AS since, CAST(? AS DATE) AS until)
SELECT count(*)                                                    AS articles,
       count(*) FILTER (WHERE duplicate_of IS NULL)                AS originals,
       count(*) FILTER (WHERE duplicate_of IS NOT NULL)            AS copies,
       count(DISTINCT source)                                      AS outlets,
       count(DISTINCT language)                                    AS languages,
       count(*) FILTER (WHERE published_precision = 'time')        AS timed,
       count(*) FILTER (WHERE day_from = 'first_seen')             AS undated,
       count(*) FILTER (WHERE len(coalesce(topic_terms, [])) > 0)  AS with_concepts,
       min(day)                                                    AS first_day,
       max(day)                                                    AS last_day
FROM article_sides CROSS JOIN period p
WHERE (p.since IS NULL OR day >= p.since) AND (p.until IS NULL OR day <= p.until);
