-- Exact copies (same normalised text) among stored articles for the new ones (temp table new_articles).
SELECT n.article_id AS new_id, s.article_id AS other_id
FROM new_articles n
JOIN article_store s ON s.exact_key = n.exact_key
