-- The listing fetches of a run in one statement, from the staged table incoming_listings (one row per URL; a URL
-- fetched twice in a run is merged again for each later fetch, in order: storage/load.py `_upsert`). Validators
-- survive a 304 or a failure: only a fresh 200 replaces them. A "partial" read (the page budget left entries for
-- the next run) clears them and keeps the last success, so the next run reads the listing whole again.
-- MERGE: no keys on DuckLake.
MERGE INTO listings
USING (
    SELECT url::VARCHAR AS url, source::VARCHAR AS source, listing_type::VARCHAR AS listing_type,
           last_outcome::VARCHAR AS last_outcome, last_status::INTEGER AS last_status,
           last_reason::VARCHAR AS last_reason, last_fetched_at::TIMESTAMPTZ AS last_fetched_at,
           CASE WHEN last_outcome IN ('ok', 'not-modified') THEN last_fetched_at::TIMESTAMPTZ END AS last_success_at,
           etag::VARCHAR AS etag, last_modified::VARCHAR AS last_modified, entries::INTEGER AS entries,
           new_entries::INTEGER AS new_entries, run_id::VARCHAR AS run_id
    FROM incoming_listings
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
    etag            = CASE WHEN s.last_outcome IN ('ok', 'partial') THEN s.etag ELSE listings.etag END,
    last_modified   = CASE WHEN s.last_outcome IN ('ok', 'partial') THEN s.last_modified
                           ELSE listings.last_modified END,
    entries         = s.entries,
    new_entries     = s.new_entries,
    run_id          = s.run_id
WHEN NOT MATCHED THEN INSERT (url, source, listing_type, last_outcome, last_status, last_reason, last_fetched_at,
                              last_success_at, etag, last_modified, entries, new_entries, run_id)
VALUES (s.url, s.source, s.listing_type, s.last_outcome, s.last_status, s.last_reason, s.last_fetched_at,
        s.last_success_at, s.etag, s.last_modified, s.entries, s.new_entries, s.run_id)
