-- Raw bytes of a load's pages fetched again (incoming_raw: an Arrow stream, one row per URL, every one stored).
-- Not one MERGE for both: DuckDB's MERGE holds a second copy of every incoming body until COMMIT.
UPDATE raw_pages SET
    fetched_at = s.fetched_at, status = s.status, headers = s.headers::JSON, encoding = s.encoding,
    body_gzip = s.body_gzip, body_size = s.body_size, listed_title = s.listed_title, listed_date = s.listed_date,
    listed_date_kind = s.listed_date_kind, run_id = s.run_id
FROM incoming_raw AS s
WHERE raw_pages.url = s.url
