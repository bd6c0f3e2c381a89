-- Every configured outlet in one statement, from the staged table incoming_sources (one row per source), last
-- configuration wins. MERGE: no keys on DuckLake.
MERGE INTO source_config
USING (
    SELECT source::VARCHAR AS source, language::VARCHAR AS language, country::VARCHAR AS country,
           "group"::VARCHAR AS "group", enabled::BOOLEAN AS enabled, timezone::VARCHAR AS timezone,
           feeds::VARCHAR[] AS feeds, sitemaps::VARCHAR[] AS sitemaps, updated_at::TIMESTAMPTZ AS updated_at
    FROM incoming_sources
) AS s
ON source_config.source = s.source
WHEN MATCHED THEN UPDATE SET
    language = s.language, country = s.country, "group" = s."group", enabled = s.enabled, timezone = s.timezone,
    feeds = s.feeds, sitemaps = s.sitemaps, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (source, language, country, "group", enabled, timezone, feeds, sitemaps, updated_at)
VALUES (s.source, s.language, s.country, s."group", s.enabled, s.timezone, s.feeds, s.sitemaps, s.updated_at)
