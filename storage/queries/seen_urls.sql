-- The URL keys (canonical forms) the spiders must not fetch again: every stored article and every page whose
-- outcome is final. Failed pages are tried again (a 5xx, a timeout) up to 3 attempts; 404 and 410 are final.
WITH final AS (
    SELECT url_key, canonical_url FROM pages
    WHERE outcome <> 'failed' OR attempts >= 3 OR status IN (404, 410)
)
SELECT url_key FROM final WHERE url_key IS NOT NULL
UNION SELECT canonical_url FROM final WHERE canonical_url IS NOT NULL
UNION SELECT canonical_url FROM article_store
