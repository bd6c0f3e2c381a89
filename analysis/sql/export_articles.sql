-- The rows of `talkwatch export`: every column of the public `articles` view, the outlet's side (`group`,
-- `country`: NULL for a source without configuration) and `month`, the UTC 'YYYY-MM' the article counts in (its
-- publication month, or the month talkwatch first saw it when undated): the parquet export's partition key.
SELECT a.*,
       s."group",
       s.country,
       strftime(timezone('UTC', coalesce(a.published_at, a.first_seen_at)), '%Y-%m') AS month
FROM articles a
LEFT JOIN sources s USING (source)
ORDER BY a.published_at NULLS LAST, a.article_id
