-- Every member of the duplicate groups of the given articles, and when it was first seen: read by a reprocess before
-- it takes those articles out, so the groups it re-derives keep the ids they were stored under (load._settle_ids).
SELECT article_id, group_id, first_seen_at FROM article_store
WHERE group_id IN (SELECT group_id FROM article_store WHERE article_id IN (SELECT unnest(?)))
