-- The names `talkwatch search --source` and `--group` can match: every configured or stored source, every group.
-- A name outside these is a typo to point out, not a search to run and answer with "no article matches".
SELECT 'source' AS kind, source AS name FROM sources
UNION
SELECT 'source', source FROM articles
UNION
SELECT 'group', "group" FROM sources WHERE "group" IS NOT NULL
ORDER BY kind, name
