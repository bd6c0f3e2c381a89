-- The duplicate groups of the given articles.
SELECT DISTINCT group_id FROM article_store WHERE article_id IN (SELECT unnest(?))
