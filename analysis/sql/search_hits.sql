-- `talkwatch search`: the ranked hits of search_articles (storage/search.sql) with their outlet's side, filtered.
-- Parameters: query, match_any, language, source, group, since, until, originals_only, limit.
SELECT s.score, s.published_at, s.source, src."group", s.language, s.title, s.snippet, s.url,
       s.duplicate_of IS NULL AS original, s.article_id
FROM search_articles(?, match_any := ?) s
LEFT JOIN sources src USING (source)
WHERE (?::VARCHAR IS NULL OR s.language = ?)
  AND (?::VARCHAR IS NULL OR s.source = ?)
  AND (?::VARCHAR IS NULL OR src."group" = ?)
  AND (?::TIMESTAMPTZ IS NULL OR s.published_at >= ?)
  AND (?::TIMESTAMPTZ IS NULL OR s.published_at < ?)
  AND (NOT ? OR s.duplicate_of IS NULL)
ORDER BY s.score DESC, s.published_at DESC NULLS LAST, s.article_id
LIMIT ?
