-- Who copies whom over the period: the view `syndication_pairs` for these days (storage/views.sql). Parameters:
-- since, until (DATE or NULL).
SELECT * FROM syndication_pairs_between(?, ?)
ORDER BY copies DESC, original_source, copying_source;
