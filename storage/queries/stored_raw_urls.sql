-- Which of the given page URLs (the view given_values) have their raw bytes stored already (a page fetched again):
-- those rows are updated, the others inserted.
SELECT url FROM raw_pages WHERE url IN (SELECT value FROM given_values)
