"""Helpers for tests on DuckDB files: synthetic articles and batches, a stand-in duplicate judge, reading rows back,
and a process that holds the write lock."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from datetime import datetime, timedelta, timezone

import duckdb

from storage.db import connect
from storage.load import article_id_for
from storage.records import ArticleRow, ListingRow, PageRow, RawPageRow, RunBatch, RunRow

T0 = datetime(2025, 5, 29, 17, 36, tzinfo=timezone.utc)


def words_judge(a: str, b: str) -> float | None:
    """A stand-in similarity for storage tests: word-set Jaccard >= 0.8."""
    sa, sb = set(a.split()), set(b.split())
    j = len(sa & sb) / len(sa | sb)
    return j if j >= 0.8 else None


def bands(text: str) -> list[int]:
    """Band keys that collide for texts sharing their first or last 5 words (enough to drive candidate joins)."""
    w = text.split()
    return [int(hashlib.md5(" ".join(part).encode()).hexdigest()[:15], 16) for part in (w[:5], w[-5:])]


def article(url: str, text: str, source: str = "a", published: datetime | None = T0,
            fetched: datetime = T0 + timedelta(hours=1)) -> ArticleRow:
    return ArticleRow(
        article_id=article_id_for(url), url=url, canonical_url=url, source=source, title=text.split(".")[0],
        published_at=published, published_precision="time" if published else "none",
        date_source="jsonld" if published else "none", date_confidence=0.9, modified_at=None, date_evidence="[]",
        language="en", authors=["A. Writer"], text=text, word_count=len(text.split()), fetched_at=fetched,
        exact_key=hashlib.sha256(text.lower().encode()).hexdigest(), band_keys=bands(text))


def batch(run_id: str, articles: list[ArticleRow], extra_pages: list[PageRow] = ()) -> RunBatch:
    run = RunRow(run_id=run_id, trigger="test", started_at=T0, ended_at=T0, status="completed")
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at,
                     status=200, canonical_url=a.canonical_url, article_id=a.article_id) for a in articles]
    raw = [RawPageRow(url=a.url, source=a.source, fetched_at=a.fetched_at, status=200, headers="{}",
                      encoding="utf-8", body=f"<html>{a.text}</html>".encode()) for a in articles]
    listing = [ListingRow(url="http://a.test/rss", source="a", listing_type="feed", outcome="ok",
                          fetched_at=T0, status=200, entries=len(articles), etag='"v1"')]
    return RunBatch(run=run, articles=articles, pages=pages + list(extra_pages), raw_pages=raw, listings=listing)


STORY = ("Russia proposed holding the next round of talks with Ukraine on June 2 in Istanbul, the foreign minister "
         "said on Wednesday, adding that a memorandum had been prepared for the delegation.")
OTHER = ("Turkish officials said the venue at the palace was ready for the delegations, while the ministry "
         "declined to comment on the agenda or the expected duration of the meeting.")


def rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    """Read rows back through a short read-only connection, as any reader of the file would."""
    con = connect(db, read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def hold_write_lock(path: str, seconds: float, ready) -> None:
    """Run in another process: keep the file open for writing a while, as a running load does."""
    con = duckdb.connect(path)
    ready.set()
    time.sleep(seconds)
    con.close()


@contextmanager
def write_lock_held(path: str | Path, seconds: float) -> Iterator[None]:
    """Another process holds the file open for writing for up to `seconds` while the block runs; gone after it."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=hold_write_lock, args=(str(path), seconds, ready))
    holder.start()
    try:
        assert ready.wait(30), "the lock holder did not start"
        yield
    finally:
        holder.terminate()  # a no-op when it let go already
        holder.join(30)
