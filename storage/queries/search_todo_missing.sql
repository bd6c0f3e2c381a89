-- Every relevant stored article the index lacks (a file from before the index): scans the texts once.
CREATE OR REPLACE TEMP TABLE search_todo AS
SELECT article_id, coalesce(language, '') AS language, tw_tokens(title) AS title_toks, tw_tokens(text) AS text_toks
FROM article_store
WHERE relevant AND article_id NOT IN (SELECT article_id FROM search_docs)
