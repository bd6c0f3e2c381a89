INSERT INTO source_config (source, language, country, "group", enabled, timezone, feeds, sitemaps, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (source) DO UPDATE SET
    language = excluded.language, country = excluded.country, "group" = excluded."group",
    enabled = excluded.enabled, timezone = excluded.timezone, feeds = excluded.feeds, sitemaps = excluded.sitemaps,
    updated_at = excluded.updated_at
