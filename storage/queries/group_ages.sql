-- When each given duplicate group was first stored: the earliest first_seen_at of its members (kept through
-- `reprocess`). Of stored groups a new copy bridges, the oldest keeps its id.
SELECT group_id, min(first_seen_at) AS first_stored FROM article_store
WHERE group_id IN (SELECT unnest(?)) GROUP BY group_id
