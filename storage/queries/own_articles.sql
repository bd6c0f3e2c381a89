-- The stored articles the given page URLs hold themselves: each page's own article (outcome 'loaded'), not the
-- article a page stored as "the same page as" another one points at. Only these may a reprocess of those pages
-- take out and re-derive; an article whose own page is not among them stays as it is.
SELECT p.url, p.article_id
FROM pages p
JOIN article_store s ON s.article_id = p.article_id
WHERE p.url IN (SELECT unnest(?)) AND p.outcome = 'loaded'
