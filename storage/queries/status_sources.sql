SELECT source, last_success_at, last_error_at, last_error, articles_24h, next_poll_at, round(poll_minutes) AS poll_minutes
FROM source_health
ORDER BY source
