-- Index the articles of temp table search_todo (made by search_todo_new.sql or search_todo_missing.sql).
-- Distinct words are stemmed once per language, not once per occurrence.
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
