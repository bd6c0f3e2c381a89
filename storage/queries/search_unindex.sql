-- Articles about to be re-derived leave the search index with them (they come back through search_index).
DELETE FROM search_terms WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
DELETE FROM search_docs WHERE article_id IN (SELECT unnest(?::VARCHAR[]))
