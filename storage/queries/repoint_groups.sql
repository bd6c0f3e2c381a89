-- In every group touched by a load (temp table touched_groups), the original is the earliest published member,
-- then the earliest seen; every other member points at it. A date known only to the day (stored as midnight
-- UTC, a placeholder) comes after the members timed on that same day: it could be any time of it, and as
-- midnight it made a day-only copy the original of the agency story it copied. A later, earlier-dated copy re-points the group.
-- In the same UPDATE: the stored rows of a group take the id that group has after this load (temp table
-- group_merges: a group a new copy bridged joins the oldest one; a reprocess may give a group it split another
-- id), the rows this load inserted (temp table load_articles) having theirs already, and a stored article a new
-- one matched brings how it matched (temp table stored_marks), for when it is or becomes a copy.
-- One statement, so no row is updated twice in a transaction.
-- What a member says about its original does not depend on the order the members arrived in:
--   duplicate_kind: NULL for the original; 'exact' when its text is the original's (same exact_key), else 'near'
--     (it used to be how it matched whichever member it met first, so a copy of a copy was 'exact' in one
--     load order and 'near' in another);
--   similarity: NULL for the original (it is the original's own); 1.0 for an exact copy; for a near copy the
--     highest similarity measured between it and a member (a new row brings its best from the load, a stored
--     one keeps its own and a mark can raise it). A stored row's kind says what its similarity is: an original
--     or an exact copy has none of a near pair, so only the mark's counts.
UPDATE article_store AS a
SET group_id = u.group_id,
    duplicate_of = CASE WHEN u.original_id = a.article_id THEN NULL ELSE u.original_id END,
    duplicate_kind = CASE WHEN u.original_id = a.article_id THEN NULL
                          WHEN a.exact_key = u.original_key THEN 'exact'
                          ELSE 'near' END,
    similarity = CASE WHEN u.original_id = a.article_id THEN NULL
                      WHEN a.exact_key = u.original_key THEN 1.0
                      ELSE greatest(CASE WHEN a.duplicate_kind = 'near' THEN a.similarity END,
                                    CASE WHEN u.mark_kind = 'near' THEN u.mark_similarity END) END
FROM (
    SELECT article_id, group_id, mark_kind, mark_similarity,
           first_value(article_id) OVER original_first AS original_id,
           first_value(exact_key) OVER original_first AS original_key
    FROM (
        SELECT s.article_id,
               CASE WHEN s.article_id IN (SELECT article_id FROM load_articles) THEN s.group_id
                    ELSE coalesce(g.into_group, s.group_id) END AS group_id, s.published_at,
               s.published_precision, s.first_seen_at, s.exact_key,
               k.kind AS mark_kind, k.similarity AS mark_similarity
        FROM article_store s
        LEFT JOIN group_merges g ON g.from_group = s.group_id
        LEFT JOIN stored_marks k ON k.article_id = s.article_id
    )
    WHERE group_id IN (SELECT group_id FROM touched_groups)
    WINDOW original_first AS (
        PARTITION BY group_id
        ORDER BY CAST(timezone('UTC', published_at) AS DATE) ASC NULLS LAST,
                 published_precision = 'day' ASC, published_at ASC, first_seen_at ASC, article_id ASC
    )
) AS u
WHERE a.article_id = u.article_id
