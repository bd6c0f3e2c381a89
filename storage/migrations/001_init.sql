-- 001: the first schema. Tables hold everything; the public contract is the views in views.sql
-- plus the tables `pages` and `runs`.

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    trigger       VARCHAR NOT NULL,          -- cli | schedule | deployment | flow | test ...
    flow_run_id   VARCHAR,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- completed | completed-with-errors | failed
    sources_file  VARCHAR,
    topic_file    VARCHAR,
    counts        JSON,                      -- per stage, and per source under "sources"
    errors        JSON                       -- [{"source", "url", "reason"}]
);

-- Every URL the spiders fetched or refused: its latest outcome. One row per URL as listed.
CREATE TABLE pages (
    url            VARCHAR PRIMARY KEY,
    url_key        VARCHAR,                  -- canonical form of `url` itself: what the spider compares
    canonical_url  VARCHAR,                  -- the page's canonical (rel=canonical when trusted)
    final_url      VARCHAR,
    source         VARCHAR NOT NULL,
    status         INTEGER,
    outcome        VARCHAR NOT NULL,         -- loaded | duplicate | off-topic | not-article | failed | refused
    reason         VARCHAR,
    fetched_at     TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR NOT NULL,
    article_id     VARCHAR,
    listed_in      VARCHAR,
    attempts       INTEGER NOT NULL DEFAULT 1,
    first_seen_at  TIMESTAMPTZ NOT NULL
);

-- Articles, originals and copies alike; the `articles` view shows the relevant ones.
CREATE TABLE article_store (
    article_id           VARCHAR PRIMARY KEY,   -- first 16 hex digits of sha256(canonical_url)
    url                  VARCHAR NOT NULL,
    canonical_url        VARCHAR NOT NULL UNIQUE,
    source               VARCHAR NOT NULL,
    title                VARCHAR,
    published_at         TIMESTAMPTZ,           -- the instant (UTC); day-only dates are midnight UTC, see precision
    published_offset     VARCHAR,               -- the page's own UTC offset, '+03:00'; NULL when the evidence had none
    published_local      VARCHAR,               -- ISO 8601 as the evidence gave it, or YYYY-MM-DD
    published_precision  VARCHAR NOT NULL,      -- time | day | none
    date_source          VARCHAR NOT NULL,
    date_confidence      DOUBLE,
    modified_at          TIMESTAMPTZ,
    date_evidence        JSON,
    language             VARCHAR,
    authors              VARCHAR[],
    text                 VARCHAR NOT NULL,
    word_count           INTEGER NOT NULL,
    description          VARCHAR,
    listed_title         VARCHAR,
    relevance_score      DOUBLE,
    matched_terms        VARCHAR[],
    relevant             BOOLEAN NOT NULL DEFAULT TRUE,
    exact_key            VARCHAR NOT NULL,
    content_hash         VARCHAR NOT NULL,      -- sha256 of the text as stored (export file names)
    group_id             VARCHAR NOT NULL,      -- duplicate group; an article alone is its own group
    duplicate_of         VARCHAR,               -- NULL for the group's original
    duplicate_kind       VARCHAR,               -- exact | near, for copies
    similarity           DOUBLE,                -- to the member it matched when it joined the group
    fetched_at           TIMESTAMPTZ NOT NULL,
    first_seen_at        TIMESTAMPTZ NOT NULL,
    run_id               VARCHAR NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX article_store_exact_key ON article_store (exact_key);
CREATE INDEX article_store_group ON article_store (group_id);

-- LSH band keys of each article's MinHash signature: near-duplicate candidates are a join on (band, key).
-- No key and no index: the candidate join runs as a hash join either way, and an ART index here doubled the
-- file and made commits 5x slower at 100k articles (bench/dedupe_scale.py).
CREATE TABLE article_bands (
    article_id  VARCHAR NOT NULL,
    band        SMALLINT NOT NULL,
    key         BIGINT NOT NULL
);

-- The raw bytes of every page fetched with a 2xx status, gzip-compressed.
CREATE TABLE raw_pages (
    url               VARCHAR PRIMARY KEY,
    source            VARCHAR NOT NULL,
    fetched_at        TIMESTAMPTZ NOT NULL,
    status            INTEGER,
    headers           JSON,
    encoding          VARCHAR,
    body_gzip         BLOB NOT NULL,
    body_size         INTEGER NOT NULL,
    listed_title      VARCHAR,
    listed_date       VARCHAR,
    listed_date_kind  VARCHAR,
    run_id            VARCHAR NOT NULL
);

-- Feeds and sitemaps: the last fetch of each, and the validators for the next conditional GET.
CREATE TABLE listings (
    url              VARCHAR PRIMARY KEY,
    source           VARCHAR NOT NULL,
    listing_type     VARCHAR NOT NULL,
    last_outcome     VARCHAR NOT NULL,        -- ok | not-modified | failed
    last_status      INTEGER,
    last_reason      VARCHAR,
    last_fetched_at  TIMESTAMPTZ NOT NULL,
    last_success_at  TIMESTAMPTZ,
    etag             VARCHAR,
    last_modified    VARCHAR,
    entries          INTEGER,
    new_entries      INTEGER,
    run_id           VARCHAR NOT NULL
);
