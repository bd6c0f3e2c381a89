-- Near-duplicate candidates for the new articles of a load (temp table new_bands): stored articles sharing at least
-- one LSH band key, and other new articles doing the same. Confirmed in Python by a real similarity.
SELECT DISTINCT n.article_id AS new_id, b.article_id AS other_id
FROM new_bands n
JOIN article_bands b ON b.band = n.band AND b.key = n.key
UNION
SELECT DISTINCT n.article_id, m.article_id
FROM new_bands n
JOIN new_bands m ON m.band = n.band AND m.key = n.key AND m.article_id <> n.article_id
