-- The URL keys (canonical forms) the spiders must not fetch again: every stored article and every page whose
-- outcome is final. Failed pages are tried again (a 5xx, a timeout) up to 3 attempts; 404 and 410 are final.
-- A page's declared canonical counts only when its article was stored (loaded, or the same page as a stored
-- one): an off-topic or not-article page naming another story as its canonical (a CMS bug) made that story
-- unfetchable for good, while its own URL key is all a skip needs.
WITH final AS (
    SELECT url_key, canonical_url, outcome FROM pages
    WHERE outcome <> 'failed' OR attempts >= 3 OR status IN (404, 410)
)
SELECT url_key FROM final WHERE url_key IS NOT NULL
UNION SELECT canonical_url FROM final WHERE canonical_url IS NOT NULL AND outcome IN ('loaded', 'duplicate')
UNION SELECT canonical_url FROM article_store
