-- Pages of a load (temp table incoming_pages, one row per URL). A URL seen again keeps its first_seen_at and
-- counts the attempt.
INSERT INTO pages (url, url_key, canonical_url, final_url, source, status, outcome, reason, fetched_at, run_id,
                   article_id, listed_in, attempts, first_seen_at)
SELECT url, url_key, canonical_url, final_url, source, status, outcome, reason, fetched_at, run_id, article_id,
       listed_in, 1, fetched_at
FROM incoming_pages
ON CONFLICT (url) DO UPDATE SET
    url_key       = coalesce(excluded.url_key, pages.url_key),
    canonical_url = coalesce(excluded.canonical_url, pages.canonical_url),
    final_url     = coalesce(excluded.final_url, pages.final_url),
    status        = excluded.status,
    outcome       = excluded.outcome,
    reason        = excluded.reason,
    fetched_at    = excluded.fetched_at,
    run_id        = excluded.run_id,
    article_id    = coalesce(excluded.article_id, pages.article_id),
    listed_in     = coalesce(excluded.listed_in, pages.listed_in),
    attempts      = pages.attempts + 1
