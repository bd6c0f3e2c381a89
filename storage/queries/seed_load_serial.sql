-- The counter's one row, made with its table (in the same transaction) unless it is there already.
INSERT INTO load_serial (loads, last_run_id, updated_at) SELECT 0, NULL, now() WHERE NOT EXISTS (FROM load_serial)
