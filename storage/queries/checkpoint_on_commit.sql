-- A load's COMMIT writes its rows straight into the database file (a checkpoint) instead of into the WAL first.
-- Why: DuckDB serialises a commit's WAL entries in memory, and a load's raw pages (tens of MB of gzip'd HTML) made
-- that cost ~90 MiB at COMMIT (bench/load_memory.py); the WAL would be checkpointed when the connection closes
-- anyway. DuckDB estimates the WAL size from row counts, not bytes, so only a tiny threshold makes it checkpoint.
-- On DuckLake (an in-memory DuckDB with no WAL) it changes nothing.
SET checkpoint_threshold = '1KB'
