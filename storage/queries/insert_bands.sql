INSERT INTO article_bands SELECT article_id, band, key FROM new_bands
