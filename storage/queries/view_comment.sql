-- The comment of one of our views (DuckLake keeps the version stamp of the views and macros there).
SELECT comment FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = current_schema() AND view_name = ?
