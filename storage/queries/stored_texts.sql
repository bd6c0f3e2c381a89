-- Texts and groups of candidate originals, for confirming near-duplicates.
SELECT article_id, group_id, text FROM article_store WHERE article_id IN (SELECT unnest(?))
