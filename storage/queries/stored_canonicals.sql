-- Which of the given canonical URLs are stored already, and under which URL.
SELECT canonical_url, url FROM article_store WHERE canonical_url IN (SELECT unnest(?))
