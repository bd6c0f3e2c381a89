DELETE FROM article_store WHERE article_id IN (SELECT unnest(?))
