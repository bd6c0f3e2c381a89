"""Records that cross module lines inside `pipelines/`: a cleaned page, a dating decision, a relevance score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DateHint:
    """A date said about a page from outside its HTML: the feed entry, the news sitemap, an HTTP header."""

    kind: str  # "feed" | "news-sitemap" | "sitemap-lastmod" | "http-last-modified"
    value: str  # the raw string as found (RFC 822, ISO 8601, ...)


@dataclass
class DateEvidence:
    """One candidate date seen while dating a page, kept so a decision can be explained later."""

    kind: str  # "jsonld-published", "og-published", "meta", "time", "feed", "news-sitemap", "url", "htmldate", "text", ...
    raw: str  # what was found, verbatim (trimmed)
    value: datetime | None  # parsed; aware when the evidence carried an offset, else naive
    precision: str  # "time" | "day"
    note: str = ""  # why it was rejected, when it was


@dataclass
class DatingResult:
    """The publication time decided for a page, and why.

    `published_at` keeps the offset the winning evidence gave (an aware datetime); when only the day is
    known, `precision` is "day" and `published_at` is midnight of that day with no offset claimed
    (naive). Storage turns it into UTC and keeps the offset apart.
    """

    published_at: datetime | None
    precision: str  # "time" | "day" | "none"
    date_source: str  # which evidence won, e.g. "jsonld", "opengraph", "feed", "url", "text"; "none" when nothing credible
    confidence: float  # 0..1
    modified_at: datetime | None = None
    evidence: list[DateEvidence] = field(default_factory=list)

    def iso(self) -> str | None:
        """ISO 8601 with the evidence's own offset, or YYYY-MM-DD when only the day is known."""
        if self.published_at is None:
            return None
        if self.precision == "day":
            return self.published_at.date().isoformat()
        return self.published_at.isoformat()


@dataclass
class CleanedPage:
    """What the cleaner made of one page: metadata and the body as paragraphs, residue removed."""

    url: str
    title: str | None
    authors: list[str]
    language: str | None
    paragraphs: list[str]  # one paragraph of the page is one item; headings inside the article are items too
    canonical_url: str | None = None  # <link rel=canonical> as declared by the page (absolute), if any
    og_url: str | None = None  # og:url as declared, if any
    description: str | None = None
    sitename: str | None = None
    is_article: bool = True
    reason: str | None = None  # why it is not an article ("no body text", "too short", ...)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


@dataclass
class Relevance:
    """How much an article is about the topic, and the terms that said so."""

    score: float
    matched_terms: list[str]
    relevant: bool
    concepts: list[str] = field(default_factory=list)  # the matched terms' concept labels (term_usage)
