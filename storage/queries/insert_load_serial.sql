-- The counter's row, when it has none (a new catalog, or the row was deleted by hand).
INSERT INTO load_serial (loads, last_run_id, updated_at) VALUES (1, ?, now())
