SELECT source, poll_minutes, next_poll_at FROM source_state
