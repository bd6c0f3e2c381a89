-- Crawl state: every page talkwatch fetched or refused, by its latest outcome (the whole database, not the period:
-- a page is fetched when it is crawled, not when it was published).
SELECT outcome, count(*) AS pages
FROM pages
GROUP BY outcome
ORDER BY pages DESC, outcome;
