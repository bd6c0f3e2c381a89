SELECT source, last_success_at, last_error_at, last_error, articles_24h
FROM source_health
ORDER BY source
