"""The DuckDB layer on real files: migrations, one-transaction loads, idempotency, duplicate groups, locks."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from storage.db import (DatabaseBusy, DatabaseOutdated, DatabaseRefused, NotTalkwatchDatabase, connect,
                        upgrade)
from storage.load import load_batch, seen_urls
from tests.storagerows import OTHER, STORY, T0, article, batch, words_judge, write_lock_held

def counts(db) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("article_store", "pages", "raw_pages", "runs", "article_bands", "listings")}
    finally:
        con.close()


# the migrations a released database may have applied, as they were released: `migrate` runs each file once and
# records only its number, so an edited file would never reach a database that ran the old one (databases from the
# early development commits that edited 001 in place are the lesson). A change is a new NNN_name.sql file.
RELEASED_MIGRATIONS = {
    "001_init.sql": "4dcda9094fb75a6aa3f8476a73f4844f2c99687103d97556e39535cbb2df90b1",
    "002_source_state.sql": "70ea5dae0223b4a7f74684ac19b089cd4501edf0d29cd6f7d67db7e1372a96eb",
    "003_analysis.sql": "12f4d1dcf8d6bbc84faece05fbbd72414326a6c71ce5715680ae70f716f4ed69",
}


def test_released_migrations_are_never_edited():
    import hashlib
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "storage" / "migrations"
    present = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.sql")}
    for name, digest in RELEASED_MIGRATIONS.items():
        assert name in present, f"released migration {name} was removed or renamed"
        assert present[name] == digest, f"released migration {name} was edited: add a new migration instead"
    # every newer file follows the numbering the ledger check (storage.db._talkwatch_ledger) expects
    for name in set(present) - set(RELEASED_MIGRATIONS):
        assert name[:3].isdigit() and int(name[:3]) > len(RELEASED_MIGRATIONS) and name[3] == "_", name


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


def test_a_day_only_copy_does_not_become_the_original_of_a_story_timed_that_day(tmp_path):
    """Sweep 6: a day-only date is stored as midnight UTC; ranked as an instant, a copy dated only "June 2" became
    the original of the agency story published at 10:00 that day, and the delays were measured from midnight."""
    from datetime import datetime, timezone

    db = tmp_path / "t.duckdb"
    wire = article("http://w.test/story", STORY, source="wire",
                   published=datetime(2025, 6, 2, 10, 0, tzinfo=timezone.utc))
    herald = article("http://h.test/story", STORY + " Herald", source="herald",
                     published=datetime(2025, 6, 2, 10, 30, tzinfo=timezone.utc))
    load_batch(db, batch("r1", [wire, herald]), words_judge)
    post = article("http://p.test/2025/06/02/story", STORY + " Post", source="post",
                   published=datetime(2025, 6, 2, tzinfo=timezone.utc))
    post.published_precision = "day"
    load_batch(db, batch("r2", [post]), words_judge)
    con = connect(db, read_only=True)
    try:
        rows = dict(con.execute("SELECT source, duplicate_of FROM articles").fetchall())
        assert rows["wire"] is None and rows["herald"] == wire.article_id and rows["post"] == wire.article_id
        first = con.execute("SELECT first_source, copies, median_delay_minutes, max_delay_minutes "
                            "FROM first_reports").fetchall()
        assert first == [("wire", 2, 30.0, 30.0)]  # the day-only copy has no delay: its midnight is no time
        delays = con.execute("SELECT d.source, d.delay FROM (SELECT unnest(copy_delays) AS d FROM first_reports) "
                             "ORDER BY 1").fetchall()
        assert [(src, None if d is None else d.total_seconds()) for src, d in delays] == [("herald", 1800.0),
                                                                                        ("post", None)]
        assert con.execute("SELECT first_copy_delay, last_copy_delay FROM syndication").fetchall() == [
            (timedelta(minutes=30), timedelta(minutes=30))]
        # a day-only copy of an earlier day is earlier all the same
        con.close()
        earlier = article("http://e.test/2025/06/01/story", STORY + " Early", source="early",
                          published=datetime(2025, 6, 1, tzinfo=timezone.utc))
        earlier.published_precision = "day"
        load_batch(db, batch("r3", [earlier]), words_judge)
        con = connect(db, read_only=True)
        assert con.execute("SELECT source FROM articles WHERE duplicate_of IS NULL").fetchall() == [("early",)]
    finally:
        con.close()


def test_a_roundup_that_carries_two_stories_does_not_merge_them(tmp_path):
    """Sweep 6: a daily briefing carrying story A and a different story B verbatim matched both (by containment),
    and the union merged their groups: B became a "copy" of A. A container joins one group and bridges none."""
    from pipelines.batch import judge_duplicate
    from tests.newsweb import PRISONERS, TALKS

    db = tmp_path / "t.duckdb"
    story_a, story_b = " ".join(TALKS), " ".join(PRISONERS)
    a = article("http://wire.test/a", story_a, source="wire")
    b = article("http://daily.test/b", story_b, source="daily", published=T0 + timedelta(hours=1))
    load_batch(db, batch("r1", [a, b]), judge_duplicate)
    roundup = article("http://herald.test/briefing", "Monday briefing. " + story_a + " " + story_b, source="herald",
                      published=T0 + timedelta(hours=5))
    roundup.band_keys = [a.band_keys[0], b.band_keys[1]]  # a band of each story, as a real roundup shares them
    load_batch(db, batch("r2", [roundup]), judge_duplicate)
    con = connect(db, read_only=True)
    try:
        got = {src: (dup, kind) for src, dup, kind in con.execute(
            "SELECT source, duplicate_of, duplicate_kind FROM articles").fetchall()}
        assert got["wire"] == (None, None) and got["daily"] == (None, None)  # both stay originals
        assert got["herald"][0] in (a.article_id, b.article_id) and got["herald"][1] == "near"
        assert con.execute("SELECT count(DISTINCT group_id) FROM articles").fetchone()[0] == 2
    finally:
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


def test_second_writer_waits_then_fails_clearly(tmp_path):
    db = tmp_path / "t.duckdb"
    connect(db).close()
    with write_lock_held(db, 4.0):
        with pytest.raises(DatabaseBusy, match="locked by another process"):
            connect(db, timeout=0.5)
        # a patient writer gets in once the holder lets go
        con = connect(db, timeout=30)
        con.close()


def test_read_only_open_of_an_older_file_is_refused_until_it_is_upgraded(tmp_path):
    db = tmp_path / "old.duckdb"
    connect(db).close()
    raw = duckdb.connect(str(db))  # make it look like a file written before migration 002
    raw.execute("DROP VIEW source_health")
    raw.execute("DROP TABLE source_state")
    raw.execute("DELETE FROM schema_migrations WHERE version = 2")
    raw.close()
    before = db.read_bytes()
    with pytest.raises(DatabaseOutdated, match=r"missing 002_source_state\.sql.*talkwatch upgrade --db"):
        connect(db, read_only=True)
    assert db.read_bytes() == before  # readers never write
    assert upgrade(db) == ["002_source_state.sql"]
    assert upgrade(db) == []
    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] >= 2
        assert con.execute("SELECT * FROM source_health").fetchall() == []
    finally:
        con.close()


def test_read_only_open_refuses_what_is_not_a_talkwatch_database(tmp_path):
    foreign = tmp_path / "mine.duckdb"
    raw = duckdb.connect(str(foreign))
    raw.execute("CREATE TABLE mine (x INT)")
    raw.close()
    garbage = tmp_path / "notes.duckdb"
    garbage.write_text("not a database", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (foreign, garbage)}
    with pytest.raises(NotTalkwatchDatabase, match="not a talkwatch one"):
        connect(foreign, read_only=True)
    with pytest.raises(NotTalkwatchDatabase):
        upgrade(foreign)
    with pytest.raises(DatabaseRefused, match="not a DuckDB database file"):
        connect(garbage, read_only=True)
    with pytest.raises(DatabaseRefused, match="is a folder"):
        connect(tmp_path, read_only=True)
    assert {p.name: p.read_bytes() for p in (foreign, garbage)} == before
    assert sorted(os.listdir(tmp_path)) == ["mine.duckdb", "notes.duckdb"]  # no .wal, no .tmp, no new tables


def test_listings_sources_and_poll_state_load_in_one_statement_with_the_per_row_result(tmp_path):
    # a feed fetched twice in one run (ok with validators, then a failure): its later fetch applies after the
    # first, as one statement a row did: the failure is the last outcome, the validators and success time stay
    from storage.records import ListingRow, SourceRow

    db = str(tmp_path / "t.duckdb")
    b = batch("run-1", [article("a", "http://a.test/1", STORY)])
    later = T0 + timedelta(minutes=5)
    b.listings = [
        ListingRow(url="http://a.test/rss", source="a", listing_type="feed", outcome="ok", fetched_at=T0,
                   status=200, entries=1, etag='"v1"', last_modified="Mon, 02 Jun 2025 07:00:00 GMT"),
        ListingRow(url="http://b.test/rss", source="b", listing_type="feed", outcome="not-modified",
                   fetched_at=T0, status=304),
        ListingRow(url="http://a.test/rss", source="a", listing_type="feed", outcome="failed", fetched_at=later,
                   status=503, reason="HTTP 503"),
    ]
    b.sources = [SourceRow(source="a", language="en", country="US", feeds=["http://a.test/rss"]),
                 SourceRow(source="b", language="uk", group="ukrainian", feeds=["http://b.test/rss"],
                           sitemaps=["http://b.test/sitemap.xml"])]
    b.crawled_sources = {"a": 60.0, "b": 30.0}
    load_batch(db, b, words_judge, poll=lambda base, current, new, copies, failed: base * (2 if failed else 1))
    con = duckdb.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT url, last_outcome, last_status, etag, last_modified, last_success_at, "
                           "last_fetched_at FROM listings ORDER BY url").fetchall()
        sources = con.execute("SELECT source, language, country, \"group\", feeds, sitemaps FROM source_config "
                              "ORDER BY source").fetchall()
        state = con.execute("SELECT source, poll_minutes, last_failed, run_id FROM source_state "
                            "ORDER BY source").fetchall()
    finally:
        con.close()
    a_rss, b_rss = rows
    assert a_rss[:5] == ("http://a.test/rss", "failed", 503, '"v1"', "Mon, 02 Jun 2025 07:00:00 GMT")
    assert a_rss[5] == T0 and a_rss[6] == later
    assert b_rss[1:4] == ("not-modified", 304, None) and b_rss[5] == T0  # a 304 is a success
    assert sources == [("a", "en", "US", None, ["http://a.test/rss"], []),
                       ("b", "uk", None, "ukrainian", ["http://b.test/rss"], ["http://b.test/sitemap.xml"])]
    assert state == [("a", 60.0, False, "run-1"), ("b", 30.0, False, "run-1")]  # a: one fetch of two failed


def test_a_body_kept_in_a_file_is_stored_from_it_and_a_short_file_stores_nothing(tmp_path):
    # the page workers write compressed bodies to files and the load reads them (records.BodyFile): the stored
    # bytes are the file's, and a file shorter than recorded fails the whole load rather than store half a page
    import gzip

    from storage.records import BodyFile

    db = tmp_path / "t.duckdb"
    pages = tmp_path / "bodies.bin"
    first, second = gzip.compress(b"<html>one</html>"), gzip.compress(b"<html>two, longer</html>")
    pages.write_bytes(b"junk" + first + second)
    b = batch("r1", [article("http://a.test/1", STORY), article("http://a.test/2", OTHER)])
    for raw, offset, data in zip(b.raw_pages, (4, 4 + len(first)), (first, second)):
        raw.body, raw.body_file, raw.body_size = b"", BodyFile(str(pages), offset, len(data)), 99
    load_batch(db, b, words_judge)
    con = connect(db, read_only=True)
    stored = dict(con.execute("SELECT url, body_gzip FROM raw_pages").fetchall())
    sizes = {s for (s,) in con.execute("SELECT body_size FROM raw_pages").fetchall()}
    con.close()
    assert gzip.decompress(stored["http://a.test/1"]) == b"<html>one</html>"
    assert gzip.decompress(stored["http://a.test/2"]) == b"<html>two, longer</html>" and sizes == {99}

    before = counts(db)
    b = batch("r2", [article("http://a.test/3", "A third story about the talks in Istanbul and what followed.")])
    b.raw_pages[0].body, b.raw_pages[0].body_file = b"", BodyFile(str(pages), 4, 10_000)  # past the file's end
    with pytest.raises((OSError, duckdb.Error), match="10000 bytes expected"):  # DuckDB's scan wraps the OSError
        load_batch(db, b, words_judge)
    assert counts(db) == before


def test_many_alike_articles_group_without_every_pair(tmp_path):
    """Thousands of near-identical pages (consent or paywall stubs) put thousands of articles in one LSH bucket:
    every pair was fetched and judged in Python (11 GB and rising at 6,500). A bucket over 100 now pairs each new
    article with the bucket's first one; they still form one group, with one original."""
    from pipelines import dedupe
    from pipelines.batch import judge_duplicate
    from storage.load import load_batch
    from storage.records import PageRow, RunBatch, RunRow
    from tests import coverage_db

    stub = "Please accept cookies to continue reading this article on our website, as our partners do. " * 6

    def batch(run_id: str, numbers: range) -> RunBatch:
        arts = []
        for i in numbers:
            text = "\n\n".join([stub] * 4 + [f"Unique line number {i} about item {i * 7919 % 10007}."])
            a = coverage_db.row(i, "s", "en", f"t{i}", text, 0, False, [], url=f"http://s.test/a/{i}")
            a.exact_key, a.band_keys = dedupe.text_keys(text)
            arts.append(a)
        pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at,
                         status=200, canonical_url=a.canonical_url, article_id=a.article_id) for a in arts]
        run = RunRow(run_id=run_id, trigger="test", started_at=coverage_db.T0, ended_at=coverage_db.T0,
                     status="completed")
        return RunBatch(run=run, articles=arts, pages=pages)

    # each load's crowded bucket just over 100 on its own (the bound of storage/queries/candidates.sql); the buckets
    # under it still pair every member, so the judged pairs grow with the square of the batch (150 + 150: 17,527)
    db = tmp_path / "alike.duckdb"
    load_batch(db, batch("r1", range(0, 101)), judge_duplicate)
    load_batch(db, batch("r2", range(101, 202)), judge_duplicate)  # joins the stored group through one pair
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT max(s) FROM (SELECT count(*) s FROM article_bands GROUP BY band, key)").fetchone()[0] > 100
    assert con.execute("SELECT count(DISTINCT group_id), count(*) FILTER (WHERE duplicate_of IS NULL), count(*) "
                       "FROM article_store").fetchone() == (1, 1, 202)


def _groups_by_source(db) -> dict[str, tuple]:
    """source -> (source of its original or None, duplicate_kind, similarity rounded)."""
    con = connect(db, read_only=True)
    try:
        src = dict(con.execute("SELECT article_id, source FROM article_store").fetchall())
        return {s: (src.get(dup), kind, None if sim is None else round(sim, 9))
                for s, dup, kind, sim in con.execute(
                    "SELECT source, duplicate_of, duplicate_kind, similarity FROM duplicate_groups").fetchall()}
    finally:
        con.close()


def test_an_original_has_no_similarity_even_when_it_arrived_after_its_copy(tmp_path):
    """An earlier-dated article that matched a stored copy became the group's original but kept the similarity it
    was inserted with: an original's similarity would be to itself, so it is NULL."""
    db = tmp_path / "t.duckdb"
    copy = article("http://b.test/copy", STORY + " Reuters", source="b", published=T0 + timedelta(hours=2))
    load_batch(db, batch("r1", [copy]), words_judge)
    orig = article("http://a.test/story", STORY, source="a", published=T0)
    load_batch(db, batch("r2", [orig]), words_judge)
    got = _groups_by_source(db)
    assert got["a"] == (None, None, None)
    assert got["b"][:2] == ("a", "near") and 0.8 <= got["b"][2] < 1.0


# A the original; B a near copy of it; C word for word B (so a near copy of A too); D word for word A.
ORDER_STORIES = {"a": (STORY, 0), "b": (STORY + " Reuters reported", 1), "c": (STORY + " Reuters reported", 2),
                 "d": (STORY, 3)}


@pytest.mark.parametrize("runs", [["abcd"], ["dcba"], ["a", "b", "c", "d"], ["c", "b", "a", "d"],
                                  ["b", "c", "d", "a"], ["d", "c", "b", "a"], ["cb", "da"]])
def test_duplicate_kind_and_similarity_do_not_depend_on_the_arrival_order(tmp_path, runs):
    """The same four articles in one batch or in several runs, in any order, end with the same kinds: a copy's kind
    is how its text relates to its original's (C, an exact copy of the near copy B, was 'exact' in one batch and
    'near' when loaded after B)."""
    db = tmp_path / "t.duckdb"
    for i, names in enumerate(runs):
        arts = [article(f"http://{n}.test/story", ORDER_STORIES[n][0], source=n,
                        published=T0 + timedelta(hours=ORDER_STORIES[n][1])) for n in names]
        load_batch(db, batch(f"r{i}", arts), words_judge)
    near = round(words_judge(STORY, STORY + " Reuters reported"), 9)
    assert _groups_by_source(db) == {"a": (None, None, None), "b": ("a", "near", near), "c": ("a", "near", near),
                                     "d": ("a", "exact", 1.0)}


def test_a_merge_keeps_the_id_of_the_group_stored_first(tmp_path):
    """A copy that bridges two stored groups merges them; the merged group took the smaller id, so the id of the
    older group (the one a user saw first and may have saved) could vanish. The oldest group's id is kept."""
    from storage.load import article_id_for

    words = [f"w{i:02d}" for i in range(60)]
    # the older group's id must be the larger one, or the old rule would have kept it too
    old_url, young_url = next((f"http://x.test/{i}", f"http://y.test/{i}") for i in range(100)
                              if article_id_for(f"http://x.test/{i}") > article_id_for(f"http://y.test/{i}"))
    db = tmp_path / "t.duckdb"
    older = article(old_url, " ".join(words[0:50]), source="x", published=T0 + timedelta(hours=1))
    load_batch(db, batch("r1", [older]), words_judge)
    younger = article(young_url, " ".join(words[10:60]), source="y", published=T0,
                      fetched=T0 + timedelta(hours=5))
    load_batch(db, batch("r2", [younger]), words_judge)
    assert words_judge(older.text, younger.text) is None  # two groups
    bridge = article("http://z.test/1", " ".join(words[5:55]), source="z", published=T0 + timedelta(hours=2),
                     fetched=T0 + timedelta(hours=6))
    bridge.band_keys = [older.band_keys[0], younger.band_keys[1]]
    load_batch(db, batch("r3", [bridge]), words_judge)
    con = connect(db, read_only=True)
    try:
        got = dict(con.execute("SELECT source, group_id FROM duplicate_groups").fetchall())
        assert got == {"x": older.article_id, "y": older.article_id, "z": older.article_id}
        # the original is still the earliest published, whichever group's id the merge kept
        assert con.execute("SELECT source FROM duplicate_groups WHERE is_original").fetchall() == [("y",)]
    finally:
        con.close()


def test_a_reprocess_records_what_it_changed_not_new_articles(tmp_path):
    """A reprocess recorded every re-derived article as `articles_new` in `runs.counts`, and `talkwatch status`
    showed them as new articles. It records articles_reprocessed and changed; status shows new articles for
    crawl runs only and the changes of a reprocess."""
    import json
    from pathlib import Path

    from pipelines.cli import main
    from pipelines.reprocess import reprocess
    from storage.sqlfiles import sql
    from tests import coverage_db

    db = tmp_path / "t.duckdb"
    coverage_db.build(db)
    topic = Path(__file__).resolve().parents[1] / "config" / "topic.toml"
    report = reprocess(db, str(topic))
    con = connect(db, read_only=True)
    try:
        counts = {run_id: json.loads(c) for run_id, c in con.execute("SELECT run_id, counts FROM runs").fetchall()}
        status = con.execute(sql("queries/status_runs"), [10])
        cols = [d[0] for d in status.description]
        rows = {r[0]: dict(zip(cols, r)) for r in status.fetchall()}
    finally:
        con.close()
    load = counts[report.run_id]["load"]
    assert "articles_new" not in load
    assert load["articles_reprocessed"] == report.articles_after and load["articles_before"] == report.articles_before
    assert load["changed"] == report.changed
    assert cols[:7] == ["run_id", "trigger", "status", "started_at", "ended_at", "new_articles", "errors"]
    assert rows[report.run_id]["new_articles"] is None and rows[report.run_id]["changed"] == report.changed
    assert rows["fixture-run"]["new_articles"] == counts["fixture-run"]["load"]["articles_new"] > 0
    assert rows["fixture-run"]["changed"] is None
    assert main(["status", "--db", str(db)]) == 0


WORDS = [f"w{i:02d}" for i in range(80)]


def rederive(db, run_id: str, articles: list, replace: list[str]) -> None:
    """What `talkwatch reprocess` does with `articles` derived again from their pages: takes the stored articles
    `replace` out and loads these in the same transaction (each keeps its first sighting: same fetched_at here)."""
    from storage.load import load_into

    b = batch(run_id, articles)
    b.raw_pages = []
    con = connect(db)
    try:
        load_into(con, b, words_judge, replace=replace)
    finally:
        con.close()


def groups(db) -> dict[str, tuple]:
    """article_id -> (group_id, duplicate_of) as stored."""
    con = connect(db, read_only=True)
    try:
        return {a: (g, d) for a, g, d in con.execute("SELECT article_id, group_id, duplicate_of FROM article_store").fetchall()}
    finally:
        con.close()


def ordered_urls(n: int, prefix: str = "http://s.test/") -> list[str]:
    """n URLs whose article ids descend: the first one's is the largest, so a smallest-id rule never picks it."""
    from storage.load import article_id_for

    return sorted((f"{prefix}{i}" for i in range(n)), key=article_id_for, reverse=True)


def test_a_reprocess_keeps_the_stored_ids_of_the_groups_it_rederives(tmp_path):
    """A group stored first by its larger-id member, then joined by a copy, re-derived whole: it used to take its
    smallest member's id, as a fresh load gives, so the id a user saved named nothing. It keeps its stored id, and
    two stored groups that are one group now keep the older one's id (as a merge in a load does)."""
    first, copy, older, younger = ordered_urls(4)
    db = tmp_path / "t.duckdb"
    a = article(first, " ".join(WORDS[0:50]), fetched=T0)
    b = article(copy, " ".join(WORDS[0:50]) + " Reuters", fetched=T0 + timedelta(hours=1))
    c = article(older, " ".join(WORDS[20:70]), fetched=T0 + timedelta(hours=2))
    d = article(younger, " ".join(WORDS[30:80]), fetched=T0 + timedelta(hours=3))
    for run, art in (("r1", a), ("r2", b), ("r3", c), ("r4", d)):
        load_batch(db, batch(run, [art]), words_judge)
    assert words_judge(c.text, d.text) is None and words_judge(a.text, c.text) is None
    assert {g for g, _ in groups(db).values()} == {a.article_id, c.article_id, d.article_id}

    d2 = article(younger, " ".join(WORDS[22:72]), fetched=d.fetched_at)  # now a near copy of c
    d2.band_keys = c.band_keys  # a candidate pair (the stand-in bands are first and last words)
    rederive(db, "re", [a, b, c, d2], [a.article_id, b.article_id, c.article_id, d.article_id])
    got = groups(db)
    assert got[a.article_id][0] == got[b.article_id][0] == a.article_id  # was b's id: the smaller one
    assert got[c.article_id][0] == got[d.article_id][0] == c.article_id  # d's group merged into the older one
    assert got[b.article_id][1] == a.article_id and got[a.article_id][1] is None


def _stored_trio(db, first: str, second: str, third: str):
    """Three copies of one story at these URLs, seen an hour apart and loaded in three runs: one group."""
    text = " ".join(WORDS[0:50])
    trio = (article(first, text, fetched=T0), article(second, text + " AP", fetched=T0 + timedelta(hours=1)),
            article(third, text + " AFP", fetched=T0 + timedelta(hours=2)))
    for run, art in zip(("r1", "r2", "r3"), trio):
        load_batch(db, batch(run, [art]), words_judge)
    return trio


@pytest.mark.parametrize("moved", ["newer", "oldest"])
def test_a_group_a_reprocess_splits_keeps_its_id_where_its_oldest_member_is(tmp_path, moved):
    """A stored group of three; one member re-derived with a text that no longer matches splits it. The part
    holding the group's oldest member keeps the id, the other part gets a new one (its smallest member id no group
    has). When the oldest member is the one re-derived, the two stored members left behind used to keep the id
    while the re-derived one took it too (its own id): two groups with one id."""
    oldest, mid, last = ordered_urls(3)
    db = tmp_path / "t.duckdb"
    x, y, z = _stored_trio(db, oldest, mid, last)
    assert {g for g, _ in groups(db).values()} == {x.article_id}

    gone = x if moved == "oldest" else y
    again = article(gone.url, " ".join(WORDS[30:80]), fetched=gone.fetched_at)  # another story now
    rederive(db, "re", [again], [gone.article_id])
    got = groups(db)
    assert len(got) == 3
    stay = [m for m in (x, y, z) if m is not gone]
    if moved == "oldest":
        assert got[x.article_id] == (x.article_id, None)
        new_id = min(y.article_id, z.article_id)
        assert got[y.article_id][0] == got[z.article_id][0] == new_id
        assert got[y.article_id][1] is None and got[z.article_id][1] == y.article_id  # y is its earliest now
    else:
        assert got[x.article_id] == got[z.article_id][:1] + (None,) == (x.article_id, None)
        assert got[z.article_id] == (x.article_id, x.article_id)
        assert got[y.article_id] == (y.article_id, None)
    assert len({got[m.article_id][0] for m in stay} & {got[gone.article_id][0]}) == 0


def test_a_split_part_whose_ids_are_all_taken_gets_an_id_no_group_has(tmp_path):
    """A group formed in one load takes its smallest member id, here the younger member's. Re-derived apart, the
    oldest member's part keeps that id, and the younger member, whose own id it is, cannot take it again: it gets
    an id no group has (the old rule gave both parts that id)."""
    young, old = ordered_urls(2)[::-1]  # the younger member has the smaller id
    db = tmp_path / "t.duckdb"
    text = " ".join(WORDS[0:50])
    o = article(old, text, fetched=T0)
    y = article(young, text + " AP", fetched=T0 + timedelta(hours=1))
    load_batch(db, batch("r1", [o, y]), words_judge)
    assert groups(db) == {o.article_id: (y.article_id, None), y.article_id: (y.article_id, o.article_id)}

    again = article(young, " ".join(WORDS[30:80]), fetched=y.fetched_at)
    rederive(db, "re", [again], [y.article_id])
    got = groups(db)
    assert got[o.article_id] == (y.article_id, None)
    assert got[y.article_id][0] not in (y.article_id, o.article_id) and got[y.article_id][1] is None


def test_a_rederived_member_that_joins_another_group_leaves_its_own_groups_id_alone(tmp_path):
    """b was a copy of a; re-derived, it is a copy of c. a keeps its group's id (it holds that group's oldest
    member), b joins c's group under c's id: the oldest stored group of the members of {b, c} that it holds."""
    ua, ub, uc = ordered_urls(3)
    db = tmp_path / "t.duckdb"
    a = article(ua, " ".join(WORDS[0:50]), fetched=T0)
    b = article(ub, " ".join(WORDS[0:50]) + " AP", fetched=T0 + timedelta(hours=1))
    c = article(uc, " ".join(WORDS[30:80]), fetched=T0 + timedelta(hours=2))
    for run, art in (("r1", a), ("r2", b), ("r3", c)):
        load_batch(db, batch(run, [art]), words_judge)
    assert groups(db)[b.article_id][0] == a.article_id and groups(db)[c.article_id][0] == c.article_id

    b2 = article(ub, " ".join(WORDS[30:80]) + " AP", fetched=b.fetched_at)
    rederive(db, "re", [b2], [b.article_id])
    # same publication time: the original is the one seen first, b
    assert groups(db) == {a.article_id: (a.article_id, None), b.article_id: (c.article_id, None),
                          c.article_id: (c.article_id, b.article_id)}


def test_when_a_split_groups_oldest_member_is_gone_the_next_oldest_one_keeps_the_id(tmp_path):
    """x (the oldest), y and z one group; a reprocess takes x out for good (off-topic now) and re-derives y as
    another story. The id goes with the oldest member still stored, y; z's part gets a new id."""
    ux, uy, uz = ordered_urls(3)
    db = tmp_path / "t.duckdb"
    x, y, z = _stored_trio(db, ux, uy, uz)

    y2 = article(uy, " ".join(WORDS[30:80]), fetched=y.fetched_at)
    rederive(db, "re", [y2], [x.article_id, y.article_id])
    assert groups(db) == {y.article_id: (x.article_id, None), z.article_id: (z.article_id, None)}
