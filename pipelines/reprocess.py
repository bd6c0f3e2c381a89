"""Clean the stored raw pages again with the current code, fetching nothing: one transaction, changes counted."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import duckdb

from pipelines import process
from pipelines.batch import build_batch, collapse_url_variants, judge_duplicate, source_rows
from pipelines.isolation import MIN_BATCH, map_isolated
from pipelines.process import PageInput
from pipelines.relevance import load_topic
from spiders.sources import Source, load_sources
from storage.db import DatabaseOutdated, check_writable_database, connect, retrying
from storage.load import LoadReport, article_snapshot, load_into, own_articles, stored_pages
from storage.records import RunRow, StoredPage
from storage.sqlfiles import sql


@dataclass
class ReprocessReport:
    pages: int
    articles_before: int
    articles_after: int
    changed: int  # articles whose title, text, date, language or original changed, appeared or went
    run_id: str
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # (source, url, reason): left as they were


def _input(sp: StoredPage, by_name: dict[str, Source]) -> PageInput:
    raw = sp.raw
    src = by_name.get(raw.source)
    headers = json.loads(raw.headers or "{}")
    return PageInput(url=raw.url, final_url=sp.final_url or raw.url, source=raw.source, body=raw.body,
                     fetched_at=raw.fetched_at, status=raw.status or 200, content_type=headers.get("content-type"),
                     encoding=raw.encoding, headers=headers, language_hint=src.language if src else None,
                     timezone=src.timezone if src else None,
                     listed_title=raw.listed_title, listed_date=raw.listed_date,
                     listed_date_kind=raw.listed_date_kind, listed_in=sp.listed_in)


def _changed(before: dict[str, tuple], after: dict[str, tuple]) -> int:
    """Articles (per page URL) whose title, text, date, language, original or kind changed, appeared or went."""
    return sum(1 for url in set(before) | set(after) if before.get(url) != after.get(url))


def _check_source(db: str | os.PathLike, source: str, timeout: float | None) -> None:
    """`--source` must name a source with stored pages; ValueError otherwise, read-only, before anything is written.

    Why: a typo used to re-process nothing, still record a run and exit 0, as if the source had been done.
    """
    if not source.strip():
        raise ValueError("--source is empty: give a source name, or leave it out to re-process every source")
    try:
        con = connect(db, read_only=True, timeout=timeout)
    except DatabaseOutdated:
        return  # an older file: the reprocess migrates it first, and its pages are filtered as before
    try:
        names = [row[0] for row in con.execute(sql("queries/stored_sources")).fetchall()]
    finally:
        con.close()
    if source not in names:
        raise ValueError(f"no stored pages of a source named {source!r} (stored: {', '.join(names) or 'none'})")


def reprocess(db: str | os.PathLike, topic_file: str, sources_file: str | None = None,
              since: datetime | None = None, source: str | None = None,
              timeout: float | None = None) -> ReprocessReport:
    """Re-derive every article of the stored pages (filtered by fetch time and source) in one transaction.

    Dates, relevance and duplicate groups are recomputed; an article that is now off-topic or not an article
    leaves the articles, one that is now relevant joins them. An article is re-derived from its own page only: one
    whose page is outside the filter stays as it is, even when a selected page was stored as the same page. The
    database is held for the whole re-processing, so a scheduled run waits (it is a maintenance command).

    Checked before anything is read or written: the topic (ValueError), the sources file when it exists, and the
    database, which must already be a talkwatch database (FileNotFoundError, storage.db.DatabaseRefused; a writer
    holding it past `timeout` seconds is DatabaseBusy): re-processing nothing into a new file helps nobody.
    """
    topic = load_topic(topic_file)
    by_name: dict[str, Source] = {}
    if sources_file and os.path.exists(sources_file):
        by_name = {s.name: s for s in load_sources(sources_file)}
    if source is not None:
        _check_source(db, source, timeout)
    check_writable_database(db, timeout=timeout, must_exist=True)
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-reprocess-" + uuid.uuid4().hex[:6]

    unreadable: list[tuple[str, str, str]] = []

    def attempt() -> tuple[int, dict[str, tuple], dict[str, tuple], int]:
        """Read, clean and load in one go: on DuckLake a commit that lost to a concurrent load starts over here,
        from the pages as that load left them."""
        con = connect(db, timeout=timeout)
        try:
            unreadable.clear()
            # a page whose stored body is broken is left out, so its article stays as stored
            stored = stored_pages(con, since, source, unreadable)
            # as a run's pages: in worker processes (a page that hangs the parser is given up at
            # TALKWATCH_PAGE_TIMEOUT), dated before the URL variants are collapsed
            jobs = [(_input(sp, by_name), topic) for sp in stored]
            pages = [o.value if o.error is None else process.given_up(job[0], o.error)
                     for job, o in map_isolated(process.redo_job, jobs, min_batch=MIN_BATCH)]
            collapse_url_variants(pages)
            urls = [sp.raw.url for sp in stored]
            before = article_snapshot(con, urls)
            # only the articles these pages hold themselves are re-derived: a page stored as the same page as
            # another one's article (an AMP variant, a template's canonical) re-processed without that page used to
            # take the article out and put its own text in its place
            own = own_articles(con, urls)
            run = RunRow(run_id=run_id, trigger="reprocess", started_at=started, ended_at=None,
                         status="completed-with-errors" if unreadable else "completed", topic_file=topic_file,
                         sources_file=sources_file,
                         counts={"reprocess": {"pages": len(pages), "pages_unreadable": len(unreadable)}},
                         errors=[{"source": src, "url": url, "reason": why} for src, url, why in unreadable])
            batch = build_batch(run, pages, [], [])
            batch.raw_pages = []  # the bytes are what they were
            batch.sources = source_rows(list(by_name.values()))
            # a re-derived article keeps its first sighting (by its id, or as the article its page held); a page
            # that only pointed at another page's article has its own fetch time, not that article's
            first_seen = {before[url][0]: before[url][-1] for url in own if url in before}
            held = {url: before[url][-1] for url in own if url in before}
            for a, p in zip(batch.articles, [p for p in pages if p.outcome == "loaded"]):
                a.first_seen_at = first_seen.get(a.article_id) or held.get(p.input.url)
            run.ended_at = datetime.now(timezone.utc)
            replace = sorted(set(own.values()))
            result: dict[str, Any] = {}

            def counts(con: duckdb.DuckDBPyConnection, report: LoadReport) -> dict[str, Any]:
                """The run's `load` counts, from inside the transaction: what was re-derived and what changed.
                Why not the loader's articles_new: every re-derived article goes back in as a new row, so a
                reprocess recorded all of them as new articles (`talkwatch status` showed them as such)."""
                result["after"] = after = article_snapshot(con, urls)
                result["changed"] = changed = _changed(before, after)
                return {"articles_reprocessed": len(after), "articles_before": len(before), "changed": changed,
                        "copies": report.copies, "same_page": report.same_page}

            load_into(con, batch, judge_duplicate, replace=replace, load_counts=counts)
        finally:
            con.close()
        return len(pages), before, result["after"], result["changed"]

    n_pages, before, after, changed = retrying(db, attempt, timeout)
    return ReprocessReport(pages=n_pages, articles_before=len(before), articles_after=len(after),
                           changed=changed, run_id=run_id, unreadable=list(unreadable))
