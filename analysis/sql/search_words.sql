-- The words of a query that are not a stop word of any language with a list: none left, nothing to search.
SELECT count(*) FROM unnest(tw_tokens(replace(?, '"', ' '))) AS t(tok)
WHERE NOT list_contains(tw_stopwords('en') || tw_stopwords('ru') || tw_stopwords('uk') || tw_stopwords('tr'), tok)
