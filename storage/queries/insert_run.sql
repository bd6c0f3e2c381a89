INSERT INTO runs (run_id, trigger, flow_run_id, started_at, ended_at, status, sources_file, topic_file, counts, errors)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
