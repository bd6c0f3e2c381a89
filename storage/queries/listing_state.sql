-- Validators and last success of every feed and sitemap, for conditional GETs and lastmod filtering.
SELECT url, etag, last_modified, last_success_at FROM listings
