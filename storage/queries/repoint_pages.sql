-- After a reprocess, the pages outside its batch (temp table rederived_pages holds the batch's URLs, which the load
-- wrote itself) that name an article it took out and did not put back under that id: they name what that
-- article's own page holds now (temp table article_moves: old_id -> new_id, NULL when that page holds no article
-- any more). A page naming no stored article at all (left so by a reprocess before this fix) names the article
-- stored under its canonical URL, else none. A partial reprocess used to leave a URL variant's page naming an
-- article id that no longer existed.
UPDATE pages AS p
SET article_id = f.article_id
FROM (
    SELECT q.url, CASE WHEN m.old_id IS NOT NULL THEN m.new_id ELSE s.article_id END AS article_id
    FROM pages q
    LEFT JOIN article_moves m ON m.old_id = q.article_id
    LEFT JOIN article_store s ON s.canonical_url = q.canonical_url
    WHERE q.article_id IS NOT NULL
      AND q.url NOT IN (SELECT url FROM rederived_pages)
      AND (m.old_id IS NOT NULL OR q.article_id NOT IN (SELECT article_id FROM article_store))
) AS f
WHERE p.url = f.url
