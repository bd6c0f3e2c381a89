-- Whether this storage keeps the DuckLake load counter (a DuckDB file does not).
SELECT count(*) > 0 FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = 'load_serial'
