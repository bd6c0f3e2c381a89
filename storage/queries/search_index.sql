-- Index every relevant article the search index lacks: the new ones of a load, or all of a file an older
-- talkwatch wrote. Distinct words are stemmed once per language, not once per occurrence.
CREATE OR REPLACE TEMP TABLE search_todo AS
SELECT article_id, coalesce(language, '') AS language, tw_tokens(title) AS title_toks, tw_tokens(text) AS text_toks
FROM article_store
WHERE relevant AND article_id NOT IN (SELECT article_id FROM search_docs);

INSERT INTO search_docs
SELECT article_id, language, len(title_toks), len(text_toks) FROM search_todo;

INSERT INTO search_terms
WITH occurrence AS (
    SELECT article_id, language, 1 AS field, unnest(title_toks) AS tok FROM search_todo
    UNION ALL
    SELECT article_id, language, 0 AS field, unnest(text_toks) AS tok FROM search_todo
), counted AS (
    SELECT article_id, language, field, tok, count(*) AS tf FROM occurrence GROUP BY ALL
), vocabulary AS (
    SELECT language, tok, tw_term(tok, language) AS term
    FROM (SELECT DISTINCT language, tok FROM counted)
    WHERE NOT tw_is_stop(tok, language)
)
SELECT c.article_id, c.field, v.term, sum(c.tf)::INTEGER
FROM counted c JOIN vocabulary v ON v.language = c.language AND v.tok = c.tok
GROUP BY c.article_id, c.field, v.term;

DROP TABLE search_todo;
