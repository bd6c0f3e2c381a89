"""The DuckDB layer on real files: migrations, one-transaction loads, idempotency, duplicate groups, locks."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from storage.db import DatabaseBusy, connect
from storage.load import article_id_for, load_batch, seen_urls
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


def counts(db) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("article_store", "pages", "raw_pages", "runs", "article_bands", "listings")}
    finally:
        con.close()


def test_migrations_apply_once_and_views_exist(tmp_path):
    db = tmp_path / "t.duckdb"
    connect(db).close()
    con = connect(db)
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 1
    cols = [r[0] for r in con.execute("DESCRIBE articles").fetchall()]
    for c in ("article_id", "url", "source", "title", "published_at", "date_source", "language", "authors",
              "text", "word_count", "duplicate_of", "first_seen_at"):
        assert c in cols
    assert dict(con.execute("DESCRIBE articles").fetchall() and
                [(r[0], r[1]) for r in con.execute("DESCRIBE articles").fetchall()])["published_at"] == \
        "TIMESTAMP WITH TIME ZONE"
    for view in ("duplicate_groups", "syndication", "source_health"):
        con.execute(f"SELECT * FROM {view}").fetchall()
    con.close()


def test_load_twice_stores_nothing_twice(tmp_path):
    db = tmp_path / "t.duckdb"
    arts = [article("http://a.test/1", STORY), article("http://a.test/2", OTHER)]
    load_batch(db, batch("r1", arts), words_judge)
    first = counts(db)
    report = load_batch(db, batch("r2", [article("http://a.test/1", STORY), article("http://a.test/2", OTHER)]),
                        words_judge)
    second = counts(db)
    assert first["article_store"] == second["article_store"] == 2
    assert second["pages"] == 2 and second["raw_pages"] == 2 and second["article_bands"] == 4
    assert second["runs"] == 2
    assert report.articles_new == 0 and report.same_page == 2
    con = connect(db, read_only=True)
    # the stored page keeps outcome loaded when it is listed again under the same URL
    assert {r[0] for r in con.execute("SELECT outcome FROM pages").fetchall()} == {"loaded"}
    assert set(seen_urls(con)) >= {"http://a.test/1", "http://a.test/2"}
    con.close()


def test_published_at_is_utc_with_offset_kept(tmp_path):
    db = tmp_path / "t.duckdb"
    local = datetime(2025, 5, 29, 20, 36, tzinfo=timezone(timedelta(hours=3)))
    load_batch(db, batch("r1", [article("http://a.test/1", STORY, published=local)]), words_judge)
    con = connect(db, read_only=True)
    at, off, loc = con.execute("SELECT published_at, published_offset, published_local FROM articles").fetchone()
    assert at == datetime(2025, 5, 29, 17, 36, tzinfo=timezone.utc)
    assert off == "+03:00" and loc == "2025-05-29T20:36:00+03:00"
    con.close()


def test_copy_points_at_original_and_earlier_copy_repoints_group(tmp_path):
    db = tmp_path / "t.duckdb"
    orig = article("http://a.test/story", STORY, source="a", published=T0)
    load_batch(db, batch("r1", [orig]), words_judge)
    copy = article("http://b.test/copy", STORY + " Reuters", source="b", published=T0 + timedelta(hours=2))
    load_batch(db, batch("r2", [copy]), words_judge)
    con = connect(db, read_only=True)
    rows = dict(con.execute("SELECT article_id, duplicate_of FROM articles").fetchall())
    assert rows[orig.article_id] is None and rows[copy.article_id] == orig.article_id
    con.close()
    # a copy crawled later but dated earlier becomes the group's original; nothing is deleted
    early = article("http://c.test/wire", STORY + " AP", source="c", published=T0 - timedelta(hours=3))
    load_batch(db, batch("r3", [early]), words_judge)
    con = connect(db, read_only=True)
    rows = dict(con.execute("SELECT article_id, duplicate_of FROM articles").fetchall())
    assert len(rows) == 3
    assert rows[early.article_id] is None
    assert rows[orig.article_id] == early.article_id and rows[copy.article_id] == early.article_id
    groups = con.execute("SELECT count(DISTINCT group_id), sum(is_original::INT) FROM duplicate_groups").fetchone()
    assert groups == (1, 1)
    syn = con.execute("SELECT original_id, copies, outlets FROM syndication").fetchall()
    assert syn == [(early.article_id, 2, ["a", "b"])]
    con.close()


def test_different_articles_stay_apart(tmp_path):
    db = tmp_path / "t.duckdb"
    load_batch(db, batch("r1", [article("http://a.test/1", STORY), article("http://b.test/2", OTHER, "b")]),
               words_judge)
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0] == 2
    con.close()


def test_exact_copy_in_same_batch(tmp_path):
    db = tmp_path / "t.duckdb"
    a = article("http://a.test/1", STORY, published=T0)
    b = article("http://b.test/1", STORY, source="b", published=T0 + timedelta(minutes=5))
    load_batch(db, batch("r1", [b, a]), words_judge)
    con = connect(db, read_only=True)
    rows = dict(con.execute("SELECT article_id, duplicate_of FROM articles").fetchall())
    assert rows == {a.article_id: None, b.article_id: a.article_id}
    assert con.execute("SELECT duplicate_kind FROM articles WHERE article_id = ?", [b.article_id]).fetchone()[0] \
        == "exact"
    con.close()


def test_failed_load_leaves_database_as_it_was(tmp_path):
    db = tmp_path / "t.duckdb"
    load_batch(db, batch("r1", [article("http://a.test/1", STORY)]), words_judge)
    before = counts(db)

    def boom(con):
        raise OSError("No space left on device (simulated)")

    with pytest.raises(OSError):
        load_batch(db, batch("r2", [article("http://b.test/2", OTHER, "b")]), words_judge, before_commit=boom)
    assert counts(db) == before


def _hold_lock(path: str, seconds: float, ready) -> None:
    con = duckdb.connect(path)
    ready.set()
    time.sleep(seconds)
    con.close()


def test_second_writer_waits_then_fails_clearly(tmp_path):
    db = tmp_path / "t.duckdb"
    connect(db).close()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(db), 4.0, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(DatabaseBusy, match="locked by another process"):
            connect(db, timeout=0.5)
        # a patient writer gets in once the holder lets go
        con = connect(db, timeout=30)
        con.close()
    finally:
        holder.join(30)
