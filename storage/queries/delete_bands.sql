DELETE FROM article_bands WHERE article_id IN (SELECT unnest(?))
