INSERT INTO source_state (source, poll_minutes, next_poll_at, last_crawled_at, last_new, last_copies, last_failed,
                          run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET
    poll_minutes = excluded.poll_minutes, next_poll_at = excluded.next_poll_at,
    last_crawled_at = excluded.last_crawled_at, last_new = excluded.last_new, last_copies = excluded.last_copies,
    last_failed = excluded.last_failed, run_id = excluded.run_id
