-- DuckLake only: the one-row counter every load rewrites, so that two overlapping loads conflict at COMMIT
-- (DuckLake has no UNIQUE key to refuse a second copy of an article; see storage/ducklake.py).
CREATE TABLE IF NOT EXISTS load_serial (
    loads        BIGINT NOT NULL,
    last_run_id  VARCHAR,
    updated_at   TIMESTAMPTZ
)
