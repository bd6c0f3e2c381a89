-- The tables of the PostgreSQL database a DuckLake URL names, outside PostgreSQL's own schemas (schema.table),
-- through the postgres scanner attached as `pg`: an existing DuckLake shows its ducklake_metadata among them.
SELECT * FROM postgres_query('pg', 'SELECT schemaname || ''.'' || tablename AS name FROM pg_catalog.pg_tables
    WHERE schemaname NOT IN (''pg_catalog'', ''information_schema'') ORDER BY 1')
