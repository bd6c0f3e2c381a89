-- Crawl state: failed pages by reason and source (the whole database), the 15 most frequent reasons.
WITH failed AS (
    SELECT coalesce(reason, 'no reason recorded') AS reason, source FROM pages WHERE outcome = 'failed'
), top AS (
    SELECT reason FROM failed GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 15
)
SELECT reason, source, count(*) AS pages
FROM failed WHERE reason IN (SELECT reason FROM top)
GROUP BY reason, source
ORDER BY reason, source;
