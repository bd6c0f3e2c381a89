-- 002: per-source polling state. Each source's poll interval adapts to how often it brings new originals
-- (Media Cloud's idea: a source that yields only copies or nothing is polled less often).
CREATE TABLE source_state (
    source           VARCHAR PRIMARY KEY,
    poll_minutes     DOUBLE NOT NULL,
    next_poll_at     TIMESTAMPTZ NOT NULL,
    last_crawled_at  TIMESTAMPTZ NOT NULL,
    last_new         INTEGER NOT NULL,        -- new originals in its last crawl
    last_copies      INTEGER NOT NULL,        -- new copies (syndicated, exact or near) in its last crawl
    last_failed      BOOLEAN NOT NULL,        -- every listing failed in its last crawl
    run_id           VARCHAR NOT NULL
);
