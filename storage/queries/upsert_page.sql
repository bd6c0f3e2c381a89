-- Pages of a load (temp table incoming_pages, one row per URL). A URL seen again keeps its first_seen_at and
-- counts the attempt. MERGE rather than INSERT ... ON CONFLICT: DuckLake has no keys to conflict on.
-- A run's page that brings no article keeps the one stored; a reprocessed page (s.rederived) names what it holds
-- now, none when it is no longer an article (it used to keep naming the article the reprocess took out).
MERGE INTO pages
USING incoming_pages AS s
ON pages.url = s.url
WHEN MATCHED THEN UPDATE SET
    url_key       = coalesce(s.url_key, pages.url_key),
    canonical_url = coalesce(s.canonical_url, pages.canonical_url),
    final_url     = coalesce(s.final_url, pages.final_url),
    status        = s.status,
    outcome       = s.outcome,
    reason        = s.reason,
    fetched_at    = s.fetched_at,
    run_id        = s.run_id,
    article_id    = CASE WHEN s.rederived THEN s.article_id ELSE coalesce(s.article_id, pages.article_id) END,
    listed_in     = coalesce(s.listed_in, pages.listed_in),
    attempts      = pages.attempts + 1
WHEN NOT MATCHED THEN INSERT (url, url_key, canonical_url, final_url, source, status, outcome, reason, fetched_at,
                              run_id, article_id, listed_in, attempts, first_seen_at)
VALUES (s.url, s.url_key, s.canonical_url, s.final_url, s.source, s.status, s.outcome, s.reason, s.fetched_at,
        s.run_id, s.article_id, s.listed_in, 1, s.fetched_at)
