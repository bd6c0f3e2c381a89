-- The pages that failed with tries left (a 5xx, a timeout, a reset: not 404 or 410), for the spider to ask for
-- again once its listings are read, whether or not a listing lists them again (a listing that did not change is
-- not read at all). The newest first; as many as a run could fetch.
SELECT url, source, listed_in FROM pages
WHERE outcome = 'failed' AND attempts < 3 AND coalesce(status, 0) NOT IN (404, 410)
ORDER BY fetched_at DESC
LIMIT 10000
