-- Which of the given ids (the view given_values) a stored duplicate group has: a group given a new id must not take
-- one of them, or two groups would share it.
SELECT DISTINCT group_id FROM article_store WHERE group_id IN (SELECT value FROM given_values)
