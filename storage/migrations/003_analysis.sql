-- 003: what the analysis layer needs. The outlets' sides (the `sources` view), each article's topic concepts
-- (the `term_usage` view) and the full-text search index (the `search_articles` macro).

-- The configuration of every outlet a run or a reprocess was given, last one wins; history stays.
CREATE TABLE source_config (
    source      VARCHAR PRIMARY KEY,
    language    VARCHAR,
    country     VARCHAR,                     -- ISO 3166-1 alpha-2, upper case
    "group"     VARCHAR,                     -- free label: russian-state, ukrainian, turkish, international, ...
    enabled     BOOLEAN NOT NULL,
    timezone    VARCHAR,
    feeds       VARCHAR[],
    sitemaps    VARCHAR[],
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Concept labels of the topic terms an article matched ([concepts] in topic.toml); filled by new loads and
-- by `talkwatch reprocess` for articles stored before.
ALTER TABLE article_store ADD COLUMN topic_terms VARCHAR[];

-- The search index: one row per relevant article, and its terms per field (0 text, 1 title) with their counts.
-- Terms are lower-cased tokens, stemmed with the article's language's stemmer, accents stripped
-- (storage/search.sql). Kept up to date inside every load transaction; BM25 is computed at query time.
-- No keys: an ART index here would cost every load more than it saves a search (see article_bands).
CREATE TABLE search_docs (
    article_id  VARCHAR NOT NULL,
    language    VARCHAR,
    title_len   INTEGER NOT NULL,
    text_len    INTEGER NOT NULL
);
CREATE TABLE search_terms (
    article_id  VARCHAR NOT NULL,
    field       TINYINT NOT NULL,
    term        VARCHAR NOT NULL,
    tf          INTEGER NOT NULL
);
