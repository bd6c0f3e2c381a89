-- Raw bytes of a load's fetched pages not stored before (incoming_raw: an Arrow stream, one row per URL).
INSERT INTO raw_pages (url, source, fetched_at, status, headers, encoding, body_gzip, body_size, listed_title,
                       listed_date, listed_date_kind, run_id)
SELECT url, source, fetched_at, status, headers::JSON, encoding, body_gzip, body_size, listed_title, listed_date,
       listed_date_kind, run_id
FROM incoming_raw
