-- The poll state of one source after its crawl. MERGE: no keys on DuckLake.
MERGE INTO source_state
USING (
    SELECT ?::VARCHAR AS source, ?::DOUBLE AS poll_minutes, ?::TIMESTAMPTZ AS next_poll_at,
           ?::TIMESTAMPTZ AS last_crawled_at, ?::INTEGER AS last_new, ?::INTEGER AS last_copies,
           ?::BOOLEAN AS last_failed, ?::VARCHAR AS run_id
) AS s
ON source_state.source = s.source
WHEN MATCHED THEN UPDATE SET
    poll_minutes = s.poll_minutes, next_poll_at = s.next_poll_at, last_crawled_at = s.last_crawled_at,
    last_new = s.last_new, last_copies = s.last_copies, last_failed = s.last_failed, run_id = s.run_id
WHEN NOT MATCHED THEN INSERT (source, poll_minutes, next_poll_at, last_crawled_at, last_new, last_copies,
                              last_failed, run_id)
VALUES (s.source, s.poll_minutes, s.next_poll_at, s.last_crawled_at, s.last_new, s.last_copies, s.last_failed,
        s.run_id)
