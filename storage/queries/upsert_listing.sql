-- Validators survive a 304 or a failure: only a fresh 200 replaces them. MERGE: no keys on DuckLake.
MERGE INTO listings
USING (
    SELECT ?::VARCHAR AS url, ?::VARCHAR AS source, ?::VARCHAR AS listing_type, ?::VARCHAR AS last_outcome,
           ?::INTEGER AS last_status, ?::VARCHAR AS last_reason, ?::TIMESTAMPTZ AS last_fetched_at,
           CASE WHEN ? IN ('ok', 'not-modified') THEN ?::TIMESTAMPTZ END AS last_success_at,
           ?::VARCHAR AS etag, ?::VARCHAR AS last_modified, ?::INTEGER AS entries, ?::INTEGER AS new_entries,
           ?::VARCHAR AS run_id
) AS s
ON listings.url = s.url
WHEN MATCHED THEN UPDATE SET
    source          = s.source,
    listing_type    = s.listing_type,
    last_outcome    = s.last_outcome,
    last_status     = s.last_status,
    last_reason     = s.last_reason,
    last_fetched_at = s.last_fetched_at,
    last_success_at = coalesce(s.last_success_at, listings.last_success_at),
    etag            = CASE WHEN s.last_outcome = 'ok' THEN s.etag ELSE listings.etag END,
    last_modified   = CASE WHEN s.last_outcome = 'ok' THEN s.last_modified ELSE listings.last_modified END,
    entries         = s.entries,
    new_entries     = s.new_entries,
    run_id          = s.run_id
WHEN NOT MATCHED THEN INSERT (url, source, listing_type, last_outcome, last_status, last_reason, last_fetched_at,
                              last_success_at, etag, last_modified, entries, new_entries, run_id)
VALUES (s.url, s.source, s.listing_type, s.last_outcome, s.last_status, s.last_reason, s.last_fetched_at,
        s.last_success_at, s.etag, s.last_modified, s.entries, s.new_entries, s.run_id)
