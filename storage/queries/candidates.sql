-- Near-duplicate candidates for the new articles of a load (temp table new_bands): stored articles sharing at least
-- one LSH band key, and other new articles doing the same. Confirmed in Python by a real similarity.
-- A bucket (band, key) of at most 100 articles gives every pair of a new article with another member. A bigger one
-- (thousands of consent or paywall stubs, one wire text everywhere) gave millions of pairs, all held and judged in
-- Python (11 GB and rising at 6,500 alike pages): there each new member is paired with the bucket's first new
-- article only, and that one with its first stored article, enough to put them all in one group.
WITH members AS (
    SELECT band, key, article_id, TRUE AS is_new FROM new_bands
    UNION ALL
    SELECT b.band, b.key, b.article_id, FALSE
    FROM article_bands b SEMI JOIN new_bands n ON b.band = n.band AND b.key = n.key
),
sized AS (
    SELECT band, key, article_id, is_new,
           count(*) OVER bucket AS size,
           min(article_id) FILTER (WHERE is_new) OVER bucket AS first_new,
           min(article_id) FILTER (WHERE NOT is_new) OVER bucket AS first_stored
    FROM members
    WINDOW bucket AS (PARTITION BY band, key)
)
SELECT DISTINCT n.article_id AS new_id, o.article_id AS other_id
FROM sized n JOIN sized o ON o.band = n.band AND o.key = n.key AND o.article_id <> n.article_id
WHERE n.is_new AND n.size <= 100
UNION
SELECT article_id, first_new FROM sized WHERE is_new AND size > 100 AND article_id <> first_new
UNION
SELECT first_new, first_stored FROM sized WHERE size > 100 AND first_stored IS NOT NULL
