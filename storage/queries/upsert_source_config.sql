-- The configuration of one outlet, last one wins. MERGE: no keys on DuckLake.
MERGE INTO source_config
USING (
    SELECT ?::VARCHAR AS source, ?::VARCHAR AS language, ?::VARCHAR AS country, ?::VARCHAR AS "group",
           ?::BOOLEAN AS enabled, ?::VARCHAR AS timezone, ?::VARCHAR[] AS feeds, ?::VARCHAR[] AS sitemaps,
           ?::TIMESTAMPTZ AS updated_at
) AS s
ON source_config.source = s.source
WHEN MATCHED THEN UPDATE SET
    language = s.language, country = s.country, "group" = s."group", enabled = s.enabled, timezone = s.timezone,
    feeds = s.feeds, sitemaps = s.sitemaps, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (source, language, country, "group", enabled, timezone, feeds, sitemaps, updated_at)
VALUES (s.source, s.language, s.country, s."group", s.enabled, s.timezone, s.feeds, s.sitemaps, s.updated_at)
