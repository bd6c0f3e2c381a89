-- The views and macros of the storage's own catalog and schema.
SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = current_schema()
UNION
SELECT function_name FROM duckdb_functions()
WHERE database_name = current_database() AND schema_name = current_schema()
  AND function_type IN ('macro', 'table_macro')
