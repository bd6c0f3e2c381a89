"""What the spiders hand to the pipelines: one JSON line per fetched page, refused URL or listing.

These dataclasses are the whole contract between `spiders/` and `pipelines/`: the crawl runs in a
subprocess (`scrapy crawl news -O out.jsonl`), so every field must survive JSON. Body bytes travel
base64-encoded; times are ISO 8601 strings in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# The key of the crawl's state file (the `state` argument) that holds the pages to try again, beside the validators
# keyed by listing URL (no listing URL can be this: they are http(s)): a list of {"url", "source", "listed_in"}.
RETRY_KEY = "@retry"


@dataclass
class PageItem:
    """A page fetched because a feed or sitemap of `source` listed it (status 2xx)."""

    source: str
    url: str  # the URL asked for (as listed, before redirects)
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names: content-type, content-language, last-modified, etag
    body_b64: str  # raw body bytes, base64
    encoding: str | None  # the encoding Scrapy settled on (HTTP header, BOM, meta, sniffing)
    fetched_at: str  # ISO 8601 UTC
    listed_in: str  # the feed or sitemap URL that listed it
    listed_via: str  # "rss" | "atom" | "sitemap" | "news-sitemap"
    listed_title: str | None = None  # what the listing said
    listed_date: str | None = None  # raw date string from the listing (pubDate, updated, publication_date, lastmod)
    listed_date_kind: str | None = None  # "feed" | "news-sitemap" | "sitemap-lastmod"
    kind: str = field(default="page")


@dataclass
class FailureItem:
    """A listed URL that was refused or could not be fetched; recorded so the run says why."""

    source: str
    url: str
    outcome: str  # "failed" (network, HTTP error, size cap, ...) | "refused" (robots.txt, offsite, private address, scheme)
    reason: str  # one clear line: "HTTP 404", "robots.txt disallows", "offsite host evil.example", "DNS lookup failed", ...
    fetched_at: str
    status: int | None = None
    listed_in: str | None = None
    kind: str = field(default="failure")


@dataclass
class ListingItem:
    """One feed or sitemap fetch of a source: how it went and what it listed."""

    source: str
    url: str  # the feed / sitemap URL
    listing_type: str  # "feed" | "sitemap"
    outcome: str  # "ok" | "partial" (the page budget left entries for the next run) | "not-modified" | "failed"
    fetched_at: str
    status: int | None = None
    reason: str | None = None
    entries: int = 0  # article links listed
    new_entries: int = 0  # of those, not already stored, and requested
    etag: str | None = None  # validators to send next time (conditional GET)
    last_modified: str | None = None
    kind: str = field(default="listing")
