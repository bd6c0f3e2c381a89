-- New originals and copies per source among the articles of this load (temp table new_articles).
SELECT s.source,
       count(*) FILTER (WHERE s.duplicate_of IS NULL)     AS originals,
       count(*) FILTER (WHERE s.duplicate_of IS NOT NULL) AS copies
FROM article_store s
WHERE s.article_id IN (SELECT article_id FROM new_articles)
GROUP BY s.source
