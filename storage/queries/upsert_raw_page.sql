-- Raw bytes of a load's fetched pages (temp table incoming_raw, one row per URL). MERGE: no keys on DuckLake.
MERGE INTO raw_pages
USING incoming_raw AS s
ON raw_pages.url = s.url
WHEN MATCHED THEN UPDATE SET
    fetched_at = s.fetched_at, status = s.status, headers = s.headers::JSON, encoding = s.encoding,
    body_gzip = s.body_gzip, body_size = s.body_size, listed_title = s.listed_title, listed_date = s.listed_date,
    listed_date_kind = s.listed_date_kind, run_id = s.run_id
WHEN NOT MATCHED THEN INSERT (url, source, fetched_at, status, headers, encoding, body_gzip, body_size, listed_title,
                              listed_date, listed_date_kind, run_id)
VALUES (s.url, s.source, s.fetched_at, s.status, s.headers::JSON, s.encoding, s.body_gzip, s.body_size,
        s.listed_title, s.listed_date, s.listed_date_kind, s.run_id)
