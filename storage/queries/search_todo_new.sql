-- The relevant articles of this load (temp table incoming_articles), to index: read from the staged rows, so
-- no stored text is scanned.
CREATE OR REPLACE TEMP TABLE search_todo AS
SELECT article_id, coalesce(language, '') AS language, tw_tokens(title) AS title_toks, tw_tokens(text) AS text_toks
FROM incoming_articles
WHERE relevant
