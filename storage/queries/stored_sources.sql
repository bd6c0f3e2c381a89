-- The sources that have stored raw pages: what `reprocess --source` may name.
SELECT DISTINCT source FROM raw_pages ORDER BY source
