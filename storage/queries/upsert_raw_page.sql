-- Raw bytes of a load's fetched pages (temp table incoming_raw, one row per URL).
INSERT INTO raw_pages (url, source, fetched_at, status, headers, encoding, body_gzip, body_size, listed_title,
                       listed_date, listed_date_kind, run_id)
SELECT url, source, fetched_at, status, headers::JSON, encoding, body_gzip, body_size, listed_title, listed_date,
       listed_date_kind, run_id
FROM incoming_raw
ON CONFLICT (url) DO UPDATE SET
    fetched_at = excluded.fetched_at, status = excluded.status, headers = excluded.headers,
    encoding = excluded.encoding, body_gzip = excluded.body_gzip, body_size = excluded.body_size,
    listed_title = excluded.listed_title, listed_date = excluded.listed_date,
    listed_date_kind = excluded.listed_date_kind, run_id = excluded.run_id
