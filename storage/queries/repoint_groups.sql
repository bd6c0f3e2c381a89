-- In every group touched by a load (temp table touched_groups), the original is the earliest published member,
-- then the earliest seen; every other member points at it. A later, earlier-dated copy re-points the group.
UPDATE article_store AS a
SET duplicate_of = CASE WHEN o.original_id = a.article_id THEN NULL ELSE o.original_id END,
    duplicate_kind = CASE WHEN o.original_id = a.article_id THEN NULL ELSE coalesce(a.duplicate_kind, 'near') END
FROM (
    SELECT DISTINCT group_id,
           first_value(article_id) OVER (
               PARTITION BY group_id
               ORDER BY published_at ASC NULLS LAST, first_seen_at ASC, article_id ASC
           ) AS original_id
    FROM article_store
    WHERE group_id IN (SELECT group_id FROM touched_groups)
) AS o
WHERE a.group_id = o.group_id
