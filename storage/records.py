"""The rows `storage` accepts: plain dataclasses, so the loader needs nothing from Scrapy or the pipelines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from isal import igzip, isal_zlib

# Raw pages are kept gzip level 1, written by ISA-L (Intel's igzip, through python-isal): the same gzip format any
# reader opens (Python's gzip, zcat, DuckDB users' own tools), at a fifth of zlib's CPU and slightly smaller
# (bench/raw_compression.py, the 1,002 corpus pages: 0.40 vs 1.66 ms a page, 22.5% vs 22.9% of the raw bytes;
# zlib level 6: 4.18 ms, 19.4%). Here, not in storage.load, so the page workers that compress can import it
# without DuckDB and pyarrow.
RAW_GZIP_LEVEL = 1


def gzip_raw(body: bytes) -> bytes:
    """A raw page's bytes as `raw_pages.body_gzip` keeps them."""
    return igzip.compress(body, RAW_GZIP_LEVEL)


class UnreadableRawPage(Exception):
    """A stored `raw_pages.body_gzip` that is no complete gzip stream (cut short, overwritten, NULL)."""


def gunzip_raw(blob: bytes) -> bytes:
    """`raw_pages.body_gzip` back to the page's bytes (any gzip stream: also those zlib wrote before);
    UnreadableRawPage when it is none."""
    try:
        return igzip.decompress(blob)
    except (EOFError, OSError, TypeError, ValueError, isal_zlib.error) as exc:
        raise UnreadableRawPage(f"{type(exc).__name__}: {exc}") from exc


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` with every lone surrogate (U+D800-DFFF) replaced by U+FFFD, so that it encodes as UTF-8.

    Why: JSON lets a page write "\\ud800" with no pair, and Python's json keeps it as a lone surrogate; such a
    string cannot be stored (DuckDB and Arrow take UTF-8), and one of them in one page's date evidence used to
    fail the whole load. Pure ASCII (most text) is passed at C speed.
    """
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)


def storable(row: object) -> object:
    """The row with storable_text applied to each text field and each list of texts (in place; returns it)."""
    for name, value in vars(row).items():
        if isinstance(value, str):
            setattr(row, name, storable_text(value))
        elif isinstance(value, list) and value and isinstance(value[0], str):
            setattr(row, name, [storable_text(v) if isinstance(v, str) else v for v in value])
    return row


@dataclass
class ArticleRow:
    """One article ready to store; `article_id` is derived from the canonical URL so a re-run collides with itself."""

    article_id: str
    url: str  # the URL the page was fetched from (after redirects)
    canonical_url: str
    source: str
    title: str | None
    published_at: datetime | None  # aware (any offset) when precision is "time"; naive midnight when "day"
    published_precision: str  # "time" | "day" | "none"
    date_source: str
    date_confidence: float
    modified_at: datetime | None
    date_evidence: str  # JSON list of the evidence seen
    language: str | None
    authors: list[str]
    text: str
    word_count: int
    fetched_at: datetime
    exact_key: str  # hash of the normalised text: equal keys are exact copies
    band_keys: list[int]  # LSH band hashes of the MinHash signature: the near-duplicate candidate index
    relevance_score: float = 0.0
    matched_terms: list[str] = field(default_factory=list)
    topic_terms: list[str] = field(default_factory=list)  # concept labels of the matched terms (term_usage)
    relevant: bool = True
    description: str | None = None
    listed_title: str | None = None
    first_seen_at: datetime | None = None  # kept when an article is re-derived from its stored page
    # the key of the page's own URL (its final URL, canonicalised as for a page without a canonical): where the
    # loader stores it when its declared canonical is already a different story's (a CMS template's canonical);
    # None: the declared one only, as before
    own_canonical_url: str | None = None


@dataclass
class PageRow:
    """What happened to one URL in one run: the per-URL record of the crawl."""

    url: str
    source: str
    outcome: str  # loaded | duplicate | off-topic | not-article | failed | refused
    reason: str | None
    fetched_at: datetime
    status: int | None = None
    url_key: str | None = None  # canonical form of `url`: the key the spider skips by
    canonical_url: str | None = None
    final_url: str | None = None
    listed_in: str | None = None
    article_id: str | None = None


@dataclass(frozen=True)
class BodyFile:
    """Where a page's compressed body was written before the load: `length` bytes at `offset` of `path`.

    Why: a run's compressed pages (about 44 MB for 1,200 pages) otherwise travel from the workers to the flow process
    and wait there for the load, which reads them back one batch at a time anyway.
    """

    path: str
    offset: int
    length: int

    def read(self) -> bytes:
        """The bytes; OSError when the file is gone or shorter than recorded (the load must not store half a page)."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(self.length)
        if len(data) != self.length:
            raise OSError(f"{self.path}: {self.length} bytes expected at {self.offset}, {len(data)} found")
        return data


@dataclass
class RawPageRow:
    """The bytes of a fetched page, kept so a better cleaner can re-process them without fetching again."""

    url: str
    source: str
    fetched_at: datetime
    status: int
    headers: str  # JSON object
    encoding: str | None
    body: bytes  # raw, uncompressed: the loader compresses (unless body_gzip is given)
    listed_title: str | None = None
    listed_date: str | None = None
    listed_date_kind: str | None = None
    body_gzip: bytes | None = None  # the body gzip-compressed already (by a worker process), with its raw size
    body_size: int | None = None
    body_file: BodyFile | None = None  # or where a worker wrote that compressed body (body_size is its raw size)

    def compressed_body(self) -> bytes:
        """The body as storage keeps it, from wherever it is."""
        if self.body_gzip is not None:
            return self.body_gzip
        if self.body_file is not None:
            return self.body_file.read()
        return gzip_raw(self.body)

    def raw_size(self) -> int:
        """The uncompressed body's size: `body_size` where the body came compressed, else `len(body)`."""
        compressed = self.body_gzip is not None or self.body_file is not None
        return self.body_size if compressed and self.body_size is not None else len(self.body)


@dataclass
class StoredPage:
    """A raw page read back from the store for re-processing, with what `pages` knows of it."""

    raw: RawPageRow
    final_url: str | None
    listed_in: str | None


@dataclass
class ListingRow:
    """One fetch of a feed or sitemap: its validators feed the next conditional GET."""

    url: str
    source: str
    listing_type: str
    outcome: str  # ok | not-modified | failed
    fetched_at: datetime
    status: int | None = None
    reason: str | None = None
    entries: int = 0
    new_entries: int = 0
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class SourceRow:
    """One configured outlet as the analysis sees it: its side (group, country) and language."""

    source: str
    language: str | None
    country: str | None = None  # ISO 3166-1 alpha-2
    group: str | None = None  # free label: "russian-state", "ukrainian", "turkish", "international", ...
    enabled: bool = True
    timezone: str | None = None
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


@dataclass
class RunRow:
    """One flow run: its trigger, its times, and its counts per stage and per source."""

    run_id: str
    trigger: str
    started_at: datetime
    ended_at: datetime | None
    status: str  # completed | completed-with-errors | failed
    sources_file: str | None = None
    topic_file: str | None = None
    flow_run_id: str | None = None
    counts: dict = field(default_factory=dict)  # stage -> number, and "sources" -> {name: {...}}
    errors: list = field(default_factory=list)  # [{"source", "url", "reason"}]


@dataclass
class RunBatch:
    """Everything one run stores, loaded in a single transaction: all of it or none of it."""

    run: RunRow
    articles: list[ArticleRow] = field(default_factory=list)
    pages: list[PageRow] = field(default_factory=list)
    raw_pages: list[RawPageRow] = field(default_factory=list)
    listings: list[ListingRow] = field(default_factory=list)
    crawled_sources: dict[str, float] = field(default_factory=dict)  # source -> configured poll minutes
    sources: list[SourceRow] = field(default_factory=list)  # the configuration the run used (the `sources` view)
