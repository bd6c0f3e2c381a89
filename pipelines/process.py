"""One page through cleaning, relevance, dedup keys and dating: the single code path of the flow, `clean` and `reprocess`."""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pipelines import dedupe, urls
from pipelines.records import CleanedPage, DateEvidence, DateHint, DatingResult, Relevance
from pipelines.relevance import Topic, score
from storage.records import BodyFile, gzip_raw

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Cleaning and dating (trafilatura, htmldate, dateparser, lxml: 18 MiB) are imported where a page is first cleaned or
# dated, not with this module: the flow process needs only the records below while its page workers do that work,
# and a run's peak memory is reached then.


@dataclass
class PageInput:
    """A fetched page as the pipelines see it, whether it comes from the crawl, a saved file or the raw store."""

    url: str  # as listed / asked
    final_url: str
    source: str
    body: bytes
    fetched_at: datetime
    status: int = 200
    content_type: str | None = None
    encoding: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, as the crawler kept them
    language_hint: str | None = None
    timezone: str | None = None  # the source's configured zone, for times its pages write without an offset
    listed_title: str | None = None  # what the feed or sitemap said of the page
    listed_date: str | None = None
    listed_date_kind: str | None = None  # "feed" | "news-sitemap" | "sitemap-lastmod"
    listed_in: str | None = None

    @property
    def hints(self) -> list[DateHint]:
        """What was said of the page's date outside its HTML: the listing, then the HTTP Last-Modified."""
        out = [DateHint(self.listed_date_kind or "feed", self.listed_date)] if self.listed_date else []
        if self.headers.get("last-modified"):
            out.append(DateHint("http-last-modified", self.headers["last-modified"]))
        return out


@dataclass
class ProcessedPage:
    """What the stages made of a page; `outcome` is its fate unless the loader finds it stored already."""

    input: PageInput
    outcome: str = "loaded"  # loaded | off-topic | not-article | failed
    reason: str | None = None
    html: str = ""
    page: CleanedPage | None = None
    relevance: Relevance | None = None
    canonical_url: str = ""
    exact_key: str = ""
    band_keys: list[int] = field(default_factory=list)
    dating: DatingResult | None = None
    body_gzip: bytes | None = None  # the raw body as storage keeps it, when a worker compressed it already
    body_size: int | None = None
    body_file: BodyFile | None = None  # or where the worker wrote that compressed body (page_job's `keep_in`)


def clean(inp: PageInput, topic: Topic | None) -> ProcessedPage:
    """Decode, extract, score relevance. Never raises: a page that breaks the cleaner is a failed page with a reason."""
    return _clean(inp, topic)[0]


def _clean(inp: PageInput, topic: Topic | None) -> tuple[ProcessedPage, HtmlElement | None]:
    """clean's page, and the page's parsed tree for dating to reuse (None where there is none)."""
    from pipelines.cleaning import clean_page
    from pipelines.cleaning.decoding import decode_html

    out = ProcessedPage(input=inp, canonical_url=urls.canonical_url(inp.final_url or inp.url))
    try:
        out.html = decode_html(inp.body, inp.content_type, inp.encoding)
        out.page, tree = clean_page(out.html, inp.final_url or inp.url, language_hint=inp.language_hint)
    except Exception as exc:  # noqa: BLE001 - one bad page must not cost the run
        out.outcome, out.reason = "failed", f"cleaning error: {type(exc).__name__}: {exc}"[:300]
        return out, None
    page = out.page
    out.canonical_url = urls.resolve_canonical(inp.final_url or inp.url, page.canonical_url, page.og_url)
    if not page.is_article:
        out.outcome, out.reason = "not-article", page.reason or "no article text"
        return out, tree
    if topic is not None:
        out.relevance = score(topic, page.title, page.text, page.language)
        if not out.relevance.relevant:
            out.outcome = "off-topic"
            matched = ", ".join(out.relevance.matched_terms) or "no topic term"
            out.reason = f"not relevant (score {out.relevance.score:g}; matched: {matched})"
    return out, tree


def dedupe_keys(p: ProcessedPage) -> None:
    """The exact-copy key and the LSH band keys, computed once here and stored with the article."""
    if p.outcome != "loaded" or p.page is None or p.exact_key:
        return
    p.exact_key, p.band_keys = dedupe.text_keys(p.page.text)


def date(p: ProcessedPage, tree: HtmlElement | None = None) -> None:
    """Decide the publication time from the page and what its feed or sitemap said (`tree`: the page as cleaning
    parsed it, so it is not parsed again)."""
    if p.page is None or p.outcome in ("failed",):
        return
    from pipelines.dating import date_page

    try:
        p.dating = date_page(p.html, p.input.final_url or p.input.url, p.input.fetched_at, p.input.hints,
                             language=p.page.language, zone=p.input.timezone, tree=tree)
    except Exception as exc:  # noqa: BLE001
        p.dating = DatingResult(None, "none", "none", 0.0)
        p.reason = f"dating error: {type(exc).__name__}: {exc}"[:300]


def page_job(job: tuple[PageInput, Topic | None] | tuple[PageInput, Topic | None, str | None]) -> ProcessedPage:
    """Everything one page needs before the load, in one call for a worker process (one picklable argument):
    clean, dedup keys and dating of an article, and the raw body compressed as storage keeps it.

    What comes back is slim: no decoded HTML and no raw body, so the keys and the compression run on every core
    instead of the parent's one. With a folder as the job's third item, the compressed body is written to a file
    there (`body_file`) and not sent back at all: the flow process then holds none of the run's page bytes, which
    were 44 of the 93 MiB it grew by over 1,217 corpus pages; otherwise it comes back as `body_gzip`.
    """
    inp, topic, keep_in = (*job, None) if len(job) == 2 else job
    p = _derive(inp, topic)
    body = p.input.body
    compressed = gzip_raw(body)
    p.body_size = len(body)
    if keep_in:
        p.body_file = _keep(compressed, keep_in)
    else:
        p.body_gzip = compressed
    p.html, p.input = "", replace(p.input, body=b"")
    return p


def redo_job(job: tuple[PageInput, Topic | None]) -> ProcessedPage:
    """page_job for a stored page (`talkwatch reprocess`, in the same worker processes and with the same deadline
    as a run's pages): clean, dedup keys and dating, without the compression, as the stored bytes stay."""
    p = _derive(*job)
    p.html, p.input = "", replace(p.input, body=b"")
    return p


def _derive(inp: PageInput, topic: Topic | None) -> ProcessedPage:
    """Clean; for an article, the dedup keys and the dating from the tree cleaning parsed."""
    p, tree = _clean(inp, topic)
    if p.outcome == "loaded":
        dedupe_keys(p)
        date(p, tree)
    return p


_kept: dict[str, io.BufferedWriter] = {}  # folder -> this process's open file in it


def _keep(data: bytes, folder: str) -> BodyFile:
    """Append `data` to this process's file in `folder` (one file per process: no two writers share one)."""
    f = _kept.get(folder)
    if f is None:  # only `release` closes one, and it forgets it too
        os.makedirs(folder, exist_ok=True)
        f = _kept[folder] = open(os.path.join(folder, f"bodies-{os.getpid()}-{uuid.uuid4().hex[:8]}.bin"), "ab")
    offset = f.tell()
    f.write(data)
    f.flush()  # the flow process reads it as soon as this page's result is back
    return BodyFile(path=f.name, offset=offset, length=len(data))


def release(folder: str) -> None:
    """Close this process's file in `folder` (pages run in-process write there too; a worker's closes with it)."""
    f = _kept.pop(folder, None)
    if f is not None:
        f.close()


def given_up(inp: PageInput, reason: str) -> ProcessedPage:
    """The record of a page whose processing was abandoned (it hung or crashed its worker)."""
    return ProcessedPage(input=inp, outcome="failed", reason=f"cleaning error: {reason}",
                         canonical_url=urls.canonical_url(inp.final_url or inp.url))


def clean_document(html_or_bytes: str | bytes, url: str, language_hint: str | None = None,
                   fetched_at: datetime | None = None, content_type: str | None = None,
                   timezone_name: str | None = None) -> ProcessedPage:
    """A saved page through the same stages as the flow (minus relevance): for `talkwatch clean`."""
    body = html_or_bytes.encode("utf-8") if isinstance(html_or_bytes, str) else html_or_bytes
    inp = PageInput(url=url, final_url=url, source="", body=body, content_type=content_type,
                    encoding="utf-8" if isinstance(html_or_bytes, str) else None,
                    fetched_at=fetched_at or datetime.now(timezone.utc), language_hint=language_hint,
                    timezone=timezone_name)
    p, tree = _clean(inp, topic=None)
    date(p, tree)
    return p


_EVIDENCE_FIELDS = tuple(f.name for f in fields(DateEvidence))


def evidence_json(d: DatingResult | None) -> str:
    """The evidence as stored (`date_evidence`): a JSON list of its fields, times in ISO 8601.

    The fields are read directly: `dataclasses.asdict` deep-copies every value, a third of the load's Python time."""
    if d is None:
        return "[]"
    return json.dumps([{f: _iso(getattr(e, f)) for f in _EVIDENCE_FIELDS} for e in d.evidence], ensure_ascii=False)


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
