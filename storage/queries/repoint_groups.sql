-- In every group touched by a load (temp table touched_groups), the original is the earliest published member,
-- then the earliest seen; every other member points at it. A date known only to the day (stored as midnight
-- UTC, a placeholder) comes after the members timed on that same day: it could be any time of it, and as
-- midnight it made a day-only copy the original of the agency story it copied. A later, earlier-dated copy re-points the group.
-- In the same UPDATE: the stored groups a new copy bridged join one group (temp table group_merges), and a stored
-- article a new one matched keeps how it matched (temp table stored_marks; its kind stays unless it had one), for
-- when the new one turns out to be the original. One statement, so no row is updated twice in a transaction.
UPDATE article_store AS a
SET group_id = u.group_id,
    duplicate_of = CASE WHEN u.original_id = a.article_id THEN NULL ELSE u.original_id END,
    duplicate_kind = CASE WHEN u.original_id = a.article_id THEN NULL
                          ELSE coalesce(a.duplicate_kind, u.mark_kind, 'near') END,
    similarity = CASE WHEN a.duplicate_kind IS NULL AND u.mark_kind IS NOT NULL THEN u.mark_similarity
                      ELSE a.similarity END
FROM (
    SELECT article_id, group_id, mark_kind, mark_similarity,
           first_value(article_id) OVER (
               PARTITION BY group_id
               ORDER BY CAST(timezone('UTC', published_at) AS DATE) ASC NULLS LAST,
                        published_precision = 'day' ASC, published_at ASC, first_seen_at ASC, article_id ASC
           ) AS original_id
    FROM (
        SELECT s.article_id, coalesce(g.into_group, s.group_id) AS group_id, s.published_at,
               s.published_precision, s.first_seen_at,
               k.kind AS mark_kind, k.similarity AS mark_similarity
        FROM article_store s
        LEFT JOIN group_merges g ON g.from_group = s.group_id
        LEFT JOIN stored_marks k ON k.article_id = s.article_id
    )
    WHERE group_id IN (SELECT group_id FROM touched_groups)
) AS u
WHERE a.article_id = u.article_id
