-- Validators survive a 304 or a failure: only a fresh 200 replaces them.
INSERT INTO listings (url, source, listing_type, last_outcome, last_status, last_reason, last_fetched_at,
                      last_success_at, etag, last_modified, entries, new_entries, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ? IN ('ok', 'not-modified') THEN ?::TIMESTAMPTZ END, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET
    source          = excluded.source,
    listing_type    = excluded.listing_type,
    last_outcome    = excluded.last_outcome,
    last_status     = excluded.last_status,
    last_reason     = excluded.last_reason,
    last_fetched_at = excluded.last_fetched_at,
    last_success_at = coalesce(excluded.last_success_at, listings.last_success_at),
    etag            = CASE WHEN excluded.last_outcome = 'ok' THEN excluded.etag ELSE listings.etag END,
    last_modified   = CASE WHEN excluded.last_outcome = 'ok' THEN excluded.last_modified ELSE listings.last_modified END,
    entries         = excluded.entries,
    new_entries     = excluded.new_entries,
    run_id          = excluded.run_id
