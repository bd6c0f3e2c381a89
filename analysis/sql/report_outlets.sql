-- Per outlet over the period: the view `outlet_stats` for these days (storage/views.sql). Parameters: since, until
-- (DATE or NULL).
SELECT * FROM outlet_stats_between(?, ?)
ORDER BY articles DESC, source;
