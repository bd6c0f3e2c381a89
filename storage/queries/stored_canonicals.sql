-- Which of the given canonical URLs (the view given_values) are stored already: under which URL, and the stored
-- text and exact key, to tell a variant of that story (the same page) from another story naming it (a template's
-- canonical).
SELECT canonical_url, url, exact_key, text FROM article_store WHERE canonical_url IN (SELECT value FROM given_values)
