-- How many tables the storage holds (none: a DuckLake catalog created, but no dataset in it yet).
SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()
