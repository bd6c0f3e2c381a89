-- The public SQL contract (documented in the README). Recreated every time the database is opened for writing,
-- so a new version of talkwatch brings its views along without a migration.

CREATE OR REPLACE VIEW articles AS
SELECT
    article_id,
    url,
    source,
    title,
    published_at,                 -- TIMESTAMPTZ, the instant; shown in UTC by talkwatch (SET TimeZone = 'UTC')
    published_offset,             -- the page's own offset, e.g. '+03:00'
    published_local,              -- as the evidence gave it: '2025-05-29T20:36:00+03:00', or '2025-05-29' for day-only
    published_precision,          -- time | day | none
    date_source,
    date_confidence,
    date_evidence,                -- JSON list: every candidate date seen (kind, raw text, value, note: why chosen/rejected)
    modified_at,
    language,
    authors,
    text,
    word_count,
    duplicate_of,                 -- NULL for an original, else the article_id of its original
    duplicate_kind,
    group_id,
    first_seen_at,
    fetched_at,
    canonical_url,
    relevance_score,
    matched_terms,
    content_hash,
    topic_terms                   -- concept labels of the matched terms ([concepts] in topic.toml)
FROM article_store
WHERE relevant;

CREATE OR REPLACE VIEW duplicate_groups AS
SELECT
    group_id,
    article_id,
    source,
    published_at,
    duplicate_of IS NULL AS is_original,
    duplicate_of,
    duplicate_kind,
    similarity,
    first_seen_at
FROM article_store
WHERE relevant;

-- A copy's delay after its original, only when both dates are known to the minute: a day-only date is stored
-- as midnight UTC, a placeholder, and delays measured from it were hours off (a copy "10 h" after a day-only
-- original published that same morning).
CREATE OR REPLACE MACRO timed_delay(copy_at, copy_precision, original_at, original_precision) AS
    CASE WHEN copy_precision = 'time' AND original_precision = 'time' THEN copy_at - original_at END;

CREATE OR REPLACE VIEW syndication AS
SELECT
    o.article_id                                  AS original_id,
    o.source                                      AS original_source,
    o.title,
    o.published_at,
    count(c.article_id)                           AS copies,
    list(DISTINCT c.source ORDER BY c.source)     AS outlets,
    min(timed_delay(c.published_at, c.published_precision, o.published_at, o.published_precision))
                                                  AS first_copy_delay,
    max(timed_delay(c.published_at, c.published_precision, o.published_at, o.published_precision))
                                                  AS last_copy_delay
FROM article_store o
JOIN article_store c ON c.duplicate_of = o.article_id AND c.relevant
WHERE o.duplicate_of IS NULL AND o.relevant
GROUP BY ALL;

CREATE OR REPLACE VIEW source_health AS
WITH last_ok AS (
    SELECT source, max(last_success_at) AS last_success_at FROM listings GROUP BY source
), last_err AS (
    SELECT source, arg_max(last_reason, last_fetched_at) AS last_error, max(last_fetched_at) AS last_error_at
    FROM listings WHERE last_outcome = 'failed' GROUP BY source
), recent AS (
    SELECT source, count(*) AS articles_24h FROM article_store
    WHERE relevant AND first_seen_at >= now() - INTERVAL 24 HOUR GROUP BY source
), names AS (
    SELECT source FROM listings UNION SELECT source FROM pages UNION SELECT source FROM source_state
)
SELECT n.source, l.last_success_at, e.last_error_at, e.last_error, coalesce(r.articles_24h, 0) AS articles_24h,
       st.next_poll_at, st.poll_minutes
FROM names n
LEFT JOIN last_ok l USING (source)
LEFT JOIN last_err e USING (source)
LEFT JOIN recent r USING (source)
LEFT JOIN source_state st USING (source);

-- Every outlet talkwatch has configuration or data for: its side (country, group) and language as the last run's
-- sources file said, and what is stored of it. A source with data but no configuration row has NULL settings.
CREATE OR REPLACE VIEW sources AS
WITH names AS (
    SELECT source FROM source_config UNION SELECT source FROM article_store UNION SELECT source FROM pages
), stored AS (
    SELECT source, count(*) AS articles, count(*) FILTER (WHERE duplicate_of IS NULL) AS originals,
           count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies,
           min(published_at) AS first_published_at, max(published_at) AS last_published_at
    FROM article_store WHERE relevant GROUP BY source
)
SELECT n.source, c.language, c.country, c."group", coalesce(c.enabled, false) AS enabled, c.timezone, c.feeds,
       c.sitemaps, c.source IS NOT NULL AS configured, coalesce(s.articles, 0) AS articles,
       coalesce(s.originals, 0) AS originals, coalesce(s.copies, 0) AS copies, s.first_published_at,
       s.last_published_at, c.updated_at AS config_updated_at
FROM names n
LEFT JOIN source_config c USING (source)
LEFT JOIN stored s USING (source);

-- Each article with its outlet's side, and the UTC day it counts on: its publication day when dated, else the day
-- talkwatch first saw it (`day_from` says which). The base of the analysis views below.
CREATE OR REPLACE VIEW article_sides AS
SELECT a.*,
       coalesce(c."group", 'unknown') AS "group",
       coalesce(c.country, 'unknown') AS country,
       CAST(timezone('UTC', coalesce(a.published_at, a.first_seen_at)) AS DATE) AS day,
       CASE WHEN a.published_at IS NULL THEN 'first_seen' ELSE 'published' END AS day_from
FROM articles a
LEFT JOIN source_config c USING (source);

-- Attention over time: articles per UTC day, outlet and language, originals and syndicated copies apart.
CREATE OR REPLACE VIEW daily_coverage AS
SELECT day, "group", country, language, source,
       count(*) FILTER (WHERE duplicate_of IS NULL) AS originals,
       count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS copies,
       count(*) FILTER (WHERE day_from = 'first_seen') AS undated
FROM article_sides
GROUP BY ALL;

-- Framing: how many articles used each topic concept ([concepts] in topic.toml; a term without one counts
-- under its own name), per UTC day and side. `articles` counts copies too: a copy is its outlet's coverage.
CREATE OR REPLACE VIEW term_usage AS
SELECT day, "group", country, language, source, term,
       count(*) AS articles,
       count(*) FILTER (WHERE duplicate_of IS NULL) AS originals
FROM (SELECT *, unnest(coalesce(topic_terms, []::VARCHAR[])) AS term FROM article_sides)
GROUP BY ALL;

-- Who reported first: per duplicate group, the earliest published member (then the earliest seen; a date known
-- only to the day after the members timed on that day, as the loader chooses originals), and every other member
-- with its delay after it (NULL where either date is known only to the day: its midnight is a placeholder).
-- Groups of one article are included with copies = 0.
CREATE OR REPLACE VIEW first_reports AS
WITH ranked AS (
    SELECT group_id, article_id, source, "group", published_at, published_precision, first_seen_at, title, url,
           row_number() OVER (PARTITION BY group_id
                              ORDER BY CAST(timezone('UTC', published_at) AS DATE) ASC NULLS LAST,
                                       published_precision = 'day' ASC, published_at ASC, first_seen_at ASC,
                                       article_id ASC) AS rank
    FROM article_sides
), firsts AS (
    SELECT * FROM ranked WHERE rank = 1
), later AS (
    SELECT r.group_id,
           count(*) AS copies,
           list(DISTINCT r.source ORDER BY r.source) AS copy_sources,
           list({'article_id': r.article_id, 'source': r.source,
                 'delay': timed_delay(r.published_at, r.published_precision, f.published_at, f.published_precision)}
                ORDER BY r.published_at NULLS LAST, r.article_id) AS copy_delays,
           median(epoch(timed_delay(r.published_at, r.published_precision, f.published_at, f.published_precision))
                  / 60.0) AS median_delay_minutes,
           max(epoch(timed_delay(r.published_at, r.published_precision, f.published_at, f.published_precision))
               / 60.0) AS max_delay_minutes
    FROM ranked r JOIN firsts f USING (group_id)
    WHERE r.rank > 1
    GROUP BY r.group_id
)
SELECT f.group_id, f.article_id AS first_article_id, f.source AS first_source, f."group" AS first_group,
       f.published_at AS first_published_at, f.title, f.url,
       coalesce(l.copies, 0) AS copies, coalesce(l.copy_sources, []) AS copy_sources, l.copy_delays,
       l.median_delay_minutes, l.max_delay_minutes
FROM firsts f LEFT JOIN later l USING (group_id);

-- Per outlet over a period of UTC days (NULL: open): volume, the share of its articles that copy another outlet's,
-- and how long after the original its copies appear (minutes, from publication times). The report calls it
-- with its --since/--until; the view `outlet_stats` is the whole database.
CREATE OR REPLACE MACRO outlet_stats_between(since, until) AS TABLE
SELECT c.source, c."group", c.country,
       count(*) AS articles,
       count(*) FILTER (WHERE c.duplicate_of IS NULL) AS originals,
       count(*) FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) AS copies_of_others,
       round(count(*) FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) / count(*), 4) AS copy_share,
       median(epoch(timed_delay(c.published_at, c.published_precision, o.published_at, o.published_precision))
              / 60.0) FILTER (WHERE o.source IS NOT NULL AND o.source <> c.source) AS median_copy_delay_minutes,
       count(*) FILTER (WHERE c.duplicate_of IS NOT NULL) AS copies
FROM article_sides c
LEFT JOIN articles o ON o.article_id = c.duplicate_of
WHERE (CAST(since AS DATE) IS NULL OR c.day >= CAST(since AS DATE))
  AND (CAST(until AS DATE) IS NULL OR c.day <= CAST(until AS DATE))
GROUP BY c.source, c."group", c.country;

CREATE OR REPLACE VIEW outlet_stats AS SELECT * FROM outlet_stats_between(NULL, NULL);

-- Syndication flows over a period of UTC days (the copy's day; NULL: open): how many articles each outlet copied
-- from each other outlet, with the median delay. The view `syndication_pairs` is the whole database.
CREATE OR REPLACE MACRO syndication_pairs_between(since, until) AS TABLE
SELECT o.source AS original_source, c.source AS copying_source, count(*) AS copies,
       median(epoch(timed_delay(c.published_at, c.published_precision, o.published_at, o.published_precision))
              / 60.0) AS median_delay_minutes
FROM article_sides c JOIN articles o ON o.article_id = c.duplicate_of
WHERE o.source <> c.source
  AND (CAST(since AS DATE) IS NULL OR c.day >= CAST(since AS DATE))
  AND (CAST(until AS DATE) IS NULL OR c.day <= CAST(until AS DATE))
GROUP BY o.source, c.source;

CREATE OR REPLACE VIEW syndication_pairs AS SELECT * FROM syndication_pairs_between(NULL, NULL);
