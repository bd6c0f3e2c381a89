-- Which of the given canonical URLs (the view given_values) are stored already, and under which URL.
SELECT canonical_url, url FROM article_store WHERE canonical_url IN (SELECT value FROM given_values)
