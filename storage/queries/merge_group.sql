-- A new copy bridged two stored groups: the second joins the first.
UPDATE article_store SET group_id = ? WHERE group_id = ?
