-- How a stored article matched a new one, kept for when the new one turns out to be the original.
UPDATE article_store SET duplicate_kind = ?, similarity = ? WHERE article_id = ? AND duplicate_kind IS NULL
