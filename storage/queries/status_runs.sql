SELECT run_id, trigger, status, started_at, ended_at,
       json_extract(counts, '$.load.articles_new')::INTEGER AS new_articles,
       json_array_length(errors) AS errors
FROM runs
ORDER BY started_at DESC
LIMIT ?
