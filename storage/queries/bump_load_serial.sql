-- Every DuckLake load rewrites this one row: of two loads that overlap in time, only the first to commit can.
UPDATE load_serial SET loads = loads + 1, last_run_id = ?, updated_at = now()
