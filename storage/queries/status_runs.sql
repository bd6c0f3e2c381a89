-- The last runs for `talkwatch status`. new_articles is a crawl run's count; a reprocess creates no articles (it
-- re-derives stored ones: its rows before this column's fix said every one of them was new), so it shows NULL
-- there and says in `changed` how many articles its re-derivation changed (NULL for a crawl run).
SELECT run_id, trigger, status, started_at, ended_at,
       CASE WHEN trigger IS DISTINCT FROM 'reprocess' THEN json_extract(counts, '$.load.articles_new')::INTEGER END AS new_articles,
       json_array_length(errors) AS errors,
       json_extract(counts, '$.load.changed')::INTEGER AS changed
FROM runs
ORDER BY started_at DESC
LIMIT ?
