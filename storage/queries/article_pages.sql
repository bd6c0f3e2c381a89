-- The pages the given articles were loaded from (outcome 'loaded'): after a reprocess, what such a page holds now is
-- what the pages that named its article (its URL variants) name.
SELECT article_id, url FROM pages WHERE article_id IN (SELECT unnest(?)) AND outcome = 'loaded'
