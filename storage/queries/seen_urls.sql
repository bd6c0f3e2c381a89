-- URLs the spiders must not fetch again: every stored article (its URL and canonical form) and every page whose
-- outcome is final. Failed pages are tried again (a 5xx, a timeout) up to 3 attempts; 404 and 410 are final.
SELECT url FROM pages WHERE outcome <> 'failed' OR attempts >= 3 OR status IN (404, 410)
UNION SELECT canonical_url FROM pages
WHERE canonical_url IS NOT NULL AND (outcome <> 'failed' OR attempts >= 3 OR status IN (404, 410))
UNION SELECT url FROM article_store
UNION SELECT canonical_url FROM article_store
