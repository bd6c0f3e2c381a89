"""From processed pages to the rows storage takes: articles, pages, raw bytes, listings of one run."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pipelines import process
from pipelines.dedupe import judge
from pipelines.process import ProcessedPage
from pipelines.urls import canonical_url, public_url
from spiders.items import FailureItem, ListingItem
from spiders.sources import Source
from storage.load import article_id_for, under_own_url_reason
from storage.load import same_story as stories_match  # the rule; this module's same_story takes pages
from storage.records import ArticleRow, ListingRow, PageRow, RawPageRow, RunBatch, RunRow, SourceRow, storable


def parse_iso_time(value: str) -> datetime:
    """An ISO 8601 time ("Z" allowed) as an aware datetime, a naive one taken as UTC; ValueError when unreadable."""
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def parse_time(value: str | None) -> datetime:
    """An ISO time from the crawler as an aware datetime; a missing or bad one is now (the fetch just happened)."""
    if value:
        try:
            return parse_iso_time(value)
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def judge_duplicate(new_text: str, other_text: str) -> float | None:
    """The storage loader's DuplicateJudge: a confirmed near-duplicate gives its similarity."""
    return judge(new_text, other_text)


def article_row(p: ProcessedPage) -> ArticleRow:
    page, d, r = p.page, p.dating, p.relevance
    assert page is not None
    return ArticleRow(
        article_id=article_id_for(p.canonical_url), url=public_url(p.input.final_url or p.input.url),
        canonical_url=p.canonical_url, source=p.input.source, title=page.title,
        published_at=d.published_at if d else None, published_precision=d.precision if d else "none",
        date_source=d.date_source if d else "none", date_confidence=d.confidence if d else 0.0,
        modified_at=d.modified_at if d else None, date_evidence=process.evidence_json(d),
        language=page.language, authors=list(page.authors), text=page.text, word_count=page.word_count,
        fetched_at=p.input.fetched_at, exact_key=p.exact_key, band_keys=list(p.band_keys),
        relevance_score=r.score if r else 0.0, matched_terms=list(r.matched_terms) if r else [],
        topic_terms=list(r.concepts) if r else [], relevant=True, description=page.description,
        listed_title=p.input.listed_title, own_canonical_url=own_key(p),
    )


def source_rows(sources: list[Source]) -> list[SourceRow]:
    """The configuration the analysis views need (side, country, language) of every configured outlet."""
    return [SourceRow(source=s.name, language=s.language or None, country=s.country, group=s.group,
                      enabled=s.enabled, timezone=s.timezone, feeds=list(s.feeds), sitemaps=list(s.sitemaps))
            for s in sources]


def build_batch(run: RunRow, pages: list[ProcessedPage], failures: list[FailureItem],
                listings: list[ListingItem]) -> RunBatch:
    batch = RunBatch(run=run)
    for p in pages:
        inp = p.input
        aid = None
        if p.outcome == "loaded":
            row = article_row(p)
            batch.articles.append(storable(row))
            aid = row.article_id
        elif p.outcome == "duplicate":
            aid = article_id_for(p.canonical_url)
        batch.pages.append(storable(PageRow(url=inp.url, source=inp.source, outcome=p.outcome, reason=p.reason,
                                            fetched_at=inp.fetched_at, status=inp.status,
                                            url_key=canonical_url(inp.url), canonical_url=p.canonical_url,
                                            final_url=inp.final_url, listed_in=inp.listed_in, article_id=aid)))
        batch.raw_pages.append(storable(RawPageRow(
            url=inp.url, source=inp.source, fetched_at=inp.fetched_at, status=inp.status,
            headers=json.dumps(inp.headers or {"content-type": inp.content_type}), encoding=inp.encoding, body=inp.body,
            listed_title=inp.listed_title, listed_date=inp.listed_date, listed_date_kind=inp.listed_date_kind,
            body_gzip=p.body_gzip, body_size=p.body_size, body_file=p.body_file)))
    known = {p.url for p in batch.pages}
    for f in failures:
        if f.url in known:
            continue
        known.add(f.url)
        batch.pages.append(storable(PageRow(url=f.url, source=f.source, outcome=f.outcome, reason=f.reason,
                                            fetched_at=parse_time(f.fetched_at), status=f.status,
                                            url_key=canonical_url(f.url), listed_in=f.listed_in)))
    for li in listings:
        batch.listings.append(storable(ListingRow(
            url=li.url, source=li.source, listing_type=li.listing_type, outcome=li.outcome,
            fetched_at=parse_time(li.fetched_at), status=li.status, reason=li.reason, entries=li.entries,
            new_entries=li.new_entries, etag=li.etag, last_modified=li.last_modified)))
    return batch


def collapse_url_variants(pages: list[ProcessedPage]) -> list[ProcessedPage]:
    """URL variants inside this batch collapse onto their first page; its keys for exact and near copies are
    computed here unless a worker did (`process.page_job`).

    Only pages of one story collapse. When pages whose texts are different stories (neither an exact copy nor a
    near-duplicate by the loader's judge) share a canonical URL, that URL is a template's (a CMS that names the
    section's first article, or the home page's lead, on every page): the page that is at the URL keeps it, and
    every other one goes under its own URL (`own_key`), with a note in its reason, instead of being dropped as "the
    same page". Matching against everything already stored happens inside the load transaction (storage.load, by
    the same rule), so that a run's view of the database and its writes cannot disagree.
    """
    first: dict[str, ProcessedPage] = {}
    followers: dict[int, list[ProcessedPage]] = {}  # id(kept page) -> the pages collapsed onto it
    contested: dict[str, list[ProcessedPage]] = {}  # a canonical URL different stories named -> those pages

    def follow(p: ProcessedPage, kept: ProcessedPage) -> None:
        for q in [p, *followers.pop(id(p), [])]:
            q.outcome, q.reason = "duplicate", f"same page as {kept.input.url}"
            q.canonical_url = kept.canonical_url
            followers.setdefault(id(kept), []).append(q)

    def own(p: ProcessedPage, other: ProcessedPage) -> None:
        mine = own_key(p)
        p.reason = under_own_url_reason(p.reason, p.canonical_url, other.input.url)
        p.canonical_url = mine
        for q in followers.get(id(p), []):
            q.canonical_url = mine
        place(p)

    def place(p: ProcessedPage) -> None:
        key = p.canonical_url
        kept = first.get(key)
        if kept is None:
            if key in contested and own_key(p) != key:  # a URL known to be a template's: no claim on it
                for q in contested[key]:
                    target = first.get(q.canonical_url)
                    if q is not p and target is not None and same_story(p, q):
                        process.dedupe_keys(p)
                        follow(p, target)
                        return
                own(p, contested[key][0])
                return
            first[key] = p
            process.dedupe_keys(p)
            return
        process.dedupe_keys(p)
        if same_story(p, kept):
            follow(p, kept)
            return
        named = contested.setdefault(key, [])
        named.extend(q for q in (kept, p) if not any(q is r for r in named))
        if own_key(kept) != key:  # it only named the URL: neither it nor p may keep it
            del first[key]
            own(kept, p)
            place(p)  # p takes the URL if it is the page there, else goes under its own URL too
        elif own_key(p) != key:
            own(p, kept)
        else:  # both are at that URL (fetched twice, the text changed): as before, the first one stays
            follow(p, kept)

    for p in pages:
        if p.outcome == "loaded":
            place(p)
    return pages


def own_key(p: ProcessedPage) -> str:
    """The key of the page's own URL: what a page without a (trusted) canonical is stored under."""
    return canonical_url(p.input.final_url or p.input.url)


def same_story(a: ProcessedPage, b: ProcessedPage) -> bool:
    """Whether two pages are one story by the loader's rules (storage.load.same_story)."""
    if a.page is None or b.page is None:
        return True
    return stories_match(a.exact_key, a.page.text, b.exact_key, b.page.text, judge_duplicate)
