-- The poll state of every source crawled in a run, in one statement, from the staged table incoming_source_state
-- (one row per source). MERGE: no keys on DuckLake.
MERGE INTO source_state
USING (
    SELECT source::VARCHAR AS source, poll_minutes::DOUBLE AS poll_minutes, next_poll_at::TIMESTAMPTZ AS next_poll_at,
           last_crawled_at::TIMESTAMPTZ AS last_crawled_at, last_new::INTEGER AS last_new,
           last_copies::INTEGER AS last_copies, last_failed::BOOLEAN AS last_failed, run_id::VARCHAR AS run_id
    FROM incoming_source_state
) AS s
ON source_state.source = s.source
WHEN MATCHED THEN UPDATE SET
    poll_minutes = s.poll_minutes, next_poll_at = s.next_poll_at, last_crawled_at = s.last_crawled_at,
    last_new = s.last_new, last_copies = s.last_copies, last_failed = s.last_failed, run_id = s.run_id
WHEN NOT MATCHED THEN INSERT (source, poll_minutes, next_poll_at, last_crawled_at, last_new, last_copies,
                              last_failed, run_id)
VALUES (s.source, s.poll_minutes, s.next_poll_at, s.last_crawled_at, s.last_new, s.last_copies, s.last_failed,
        s.run_id)
