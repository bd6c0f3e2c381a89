"""The DuckLake backend on the service PostgreSQL (127.0.0.1:5432, its own database per test) and a data folder in
tmp_path: the URL, the schema and views against a DuckDB file's, concurrent loads from two processes, every
command through the CLI, and the faults (PostgreSQL unreachable, a data folder that cannot be written)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from storage.backend import StorageUnavailable, is_lake_url
from storage.db import (DatabaseOutdated, DatabaseRefused, NotTalkwatchDatabase, check_writable_database, connect,
                        extension_path, upgrade, work_folder)
from storage.ducklake import ducklake_ddl, mask, parse_url
from storage.load import load_batch
from storage.sqlfiles import migrations
from tests import coverage_db
from tests import pgdb as pgdb_tools
from tests.newsweb import start_newsweb
from tests.storagerows import OTHER, STORY, T0, article, batch, words_judge

REPO = Path(__file__).resolve().parents[1]
PG = pgdb_tools.PG

# Views whose every column is a function of the loaded rows (sources.config_updated_at is the load's own clock)
VIEWS = {"articles": "", "duplicate_groups": "", "syndication": "", "sources": "config_updated_at",
         "article_sides": "", "daily_coverage": "", "term_usage": "", "first_reports": "", "outlet_stats": "",
         "syndication_pairs": "", "source_health": ""}


@pytest.fixture
def pgdb():
    """A fresh PostgreSQL database for one test, dropped afterwards (connections forced off)."""
    with pgdb_tools.temporary() as name:
        yield name


@pytest.fixture
def lake(pgdb, tmp_path) -> str:
    return pgdb_tools.lake_url(pgdb, str(tmp_path / "lake"))


def talkwatch(*args: str, cwd: Path = REPO, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TALKWATCH_LOG_DIR": str(cwd / "logs"), **extra_env}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def view_rows(db: str | Path, name: str, drop: str = "") -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        exclude = f" EXCLUDE ({drop})" if drop else ""
        return con.execute(f"SELECT *{exclude} FROM {name} ORDER BY ALL").fetchall()
    finally:
        con.close()


def every_view(db: str | Path) -> dict[str, list[tuple]]:
    """The rows of every view in VIEWS, sorted, through one read-only connection."""
    con = connect(db, read_only=True)
    try:
        return {name: con.execute(f"SELECT *{f' EXCLUDE ({drop})' if drop else ''} FROM {name} ORDER BY ALL")
                .fetchall() for name, drop in VIEWS.items()}
    finally:
        con.close()


def snapshots(db: str) -> int:
    """The DuckLake's commits so far, read from its catalog tables in PostgreSQL (no talkwatch connection)."""
    dbname = re.search(r"dbname=(\S+)", db).group(1)
    return pgdb_tools.rows(dbname, "SELECT count(*) FROM ducklake_snapshot")[0][0]


def files_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------------- the URL


def test_the_url_in_both_spellings_and_what_is_wrong_with_a_bad_one(tmp_path):
    keywords = parse_url("ducklake:postgres:dbname=talkwatch host=127.0.0.1 user=postgres?data=/srv/talkwatch/lake")
    assert keywords.conninfo == "dbname=talkwatch host=127.0.0.1 user=postgres"
    assert keywords.data == "/srv/talkwatch/lake"
    uri = parse_url("ducklake:postgres://postgres@127.0.0.1:5432/talkwatch?sslmode=disable&data=lake")
    assert uri.conninfo == "postgres://postgres@127.0.0.1:5432/talkwatch?sslmode=disable"
    assert uri.data == os.path.abspath("lake")  # the catalog records it for every machine: made absolute
    assert parse_url("ducklake:postgres:dbname=t?data=s3://bucket/tw").data == "s3://bucket/tw"
    assert parse_url("ducklake:postgres:dbname=t").data is None
    assert parse_url("ducklake:postgres:dbname = t host = h").conninfo == "dbname = t host = h"  # libpq's spaces
    assert parse_url("ducklake:postgres:dbname=t password=''").conninfo == "dbname=t password=''"
    assert parse_url("ducklake:postgres:dbname=t password=a=b").conninfo == "dbname=t password=a=b"  # libpq's value
    assert is_lake_url(" ducklake:postgres:dbname=t") and not is_lake_url("data/ducklake:x.duckdb")
    assert not is_lake_url(tmp_path / "ducklake:postgres")
    for bad, said in [("ducklake:sqlite:x.db", "PostgreSQL only"), ("ducklake:postgres:", "names no PostgreSQL"),
                      ("ducklake:postgres:dbname=t?datum=/x", "unknown option 'datum'"),
                      ("ducklake:postgres:dbname=t?data=", "?data= is empty"),
                      ("ducklake:postgres:dbname=", "dbname= has no value"),
                      ("ducklake:postgres:dbname= host=h user=u", "dbname= has no value"),
                      ("ducklake:postgres:dbname=t password=", "password= has no value")]:
        with pytest.raises(DatabaseRefused, match=said.replace("?", r"\?")):
            parse_url(bad)
    assert mask("ducklake:postgres:dbname=t password=s3cret host=h") == "ducklake:postgres:dbname=t password=*** host=h"
    assert mask("ducklake:postgres://u:s3cret@h/t?data=/x") == "ducklake:postgres://u:***@h/t?data=/x"


def test_migrations_lose_only_keys_and_indexes_on_ducklake():
    text = "\n".join(t for _, _, t in migrations())
    adapted = ducklake_ddl(text)
    assert "PRIMARY KEY" not in adapted and "UNIQUE" not in adapted and "CREATE INDEX" not in adapted
    assert adapted.count("CREATE TABLE") == text.count("CREATE TABLE")
    assert "ALTER TABLE article_store ADD COLUMN topic_terms VARCHAR[]" in adapted


# ------------------------------------------------------------------------------- schema, views and loads


def test_the_schema_and_every_view_match_a_duckdb_file_loaded_with_the_same_batch(lake, tmp_path):
    file_db = tmp_path / "t.duckdb"
    ids_file = coverage_db.build(file_db)
    ids_lake = coverage_db.build(lake)
    assert ids_file == ids_lake

    def columns(db) -> dict[str, list[tuple]]:
        con = connect(db, read_only=True)
        try:
            rows = con.execute("SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
                               "WHERE database_name = current_database() ORDER BY table_name, column_index")
            out: dict[str, list[tuple]] = {}
            for table, *col in rows.fetchall():
                out.setdefault(table, []).append(tuple(col))
            return out
        finally:
            con.close()

    file_cols, lake_cols = columns(file_db), columns(lake)
    assert lake_cols.pop("load_serial") == [("loads", "BIGINT", False), ("last_run_id", "VARCHAR", True),
                                            ("updated_at", "TIMESTAMP WITH TIME ZONE", True)]
    assert lake_cols == file_cols  # tables and views alike: same names, order, types, NOT NULLs
    lake_views, file_views = every_view(lake), every_view(file_db)
    for view in VIEWS:
        assert lake_views[view] == file_views[view], view
    for query in ("переговоры", "ceasefire memorandum", '"prisoner exchange"'):
        sql = f"SELECT * FROM search_articles('{query}')"
        assert view_rows(lake, f"({sql})") == view_rows(file_db, f"({sql})"), query
    copies = {r[1]: r[5] for r in view_rows(lake, "duplicate_groups")}  # article_id: duplicate_of
    assert copies[ids_lake["copy_ru"]] == copies[ids_lake["copy_tr"]] == ids_lake["en_ceasefire"]


def test_a_writer_that_finds_everything_current_commits_nothing(lake):
    coverage_db.build(lake)
    before = snapshots(lake)
    for _ in range(2):
        connect(lake).close()  # migrations and views current: no DDL, no snapshot
    assert snapshots(lake) == before
    load_batch(lake, batch("again", [article("http://a.test/9", OTHER)]), words_judge)
    assert snapshots(lake) == before + 1  # one load, one commit


def test_a_load_is_all_or_nothing(lake, tmp_path):
    coverage_db.build(lake)
    before = every_view(lake)
    count = snapshots(lake)

    def boom(con):
        raise RuntimeError("killed between the writes and COMMIT")

    with pytest.raises(RuntimeError, match="killed"):
        load_batch(lake, batch("doomed", [article("http://a.test/new", OTHER)]), words_judge, before_commit=boom)
    assert every_view(lake) == before
    assert snapshots(lake) == count


def _words(rng: random.Random, n: int) -> str:
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n)) + "."


def test_stored_originals_that_later_copies_join_are_all_still_there(lake, tmp_path):
    """Three runs of 1,000 articles, each with copies of articles stored by the earlier runs. DuckLake 1.5.5 lost a
    stored row that one transaction updated twice (marked as matched, then re-pointed): the loader now updates each
    stored row once per load, and every article must survive, with the groups a DuckDB file gets."""
    rng = random.Random(13)
    file_db, stored = tmp_path / "t.duckdb", []
    for run in range(3):
        arts = []
        for i in range(1000):
            if stored and i % 30 == 0:  # a copy of a stored article, one word changed, published an hour later
                original = rng.choice(stored)
                words = original.text.split()
                words[len(words) // 2] = "edited"
                arts.append(article(f"http://copy.test/{run}/{i}", " ".join(words), source="copier",
                                    published=original.published_at + timedelta(hours=1)))
            else:
                arts.append(article(f"http://o{i % 40}.test/{run}/{i}", _words(rng, 60), source=f"o{i % 40}",
                                    published=T0 + timedelta(minutes=run * 1000 + i)))
        stored += [a for a in arts if a.source != "copier"]
        for db in (lake, file_db):
            load_batch(db, batch(f"run-{run}", arts), words_judge)
    same = "(SELECT article_id, group_id, duplicate_of, duplicate_kind, similarity FROM article_store)"
    lake_rows = view_rows(lake, same)
    assert len(lake_rows) == 3000 and lake_rows == view_rows(file_db, same)
    assert sum(1 for r in lake_rows if r[2] is not None) == 68  # every copy (34 a run) points at its original


# ----------------------------------------------------------------------------------- concurrent writers


def _load_in_child(url: str, run_id: str, which: str, barrier, attempts) -> None:
    """One shard's load, in its own process: both wait at the barrier with their writes done and COMMIT not yet
    sent, so the two transactions overlap for sure and one of the commits must lose."""
    arts = _shard(which)
    calls = 0

    def meet(con) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            barrier.wait(120)

    load_batch(url, batch(run_id, arts), words_judge, before_commit=meet)
    attempts.put((which, calls))


def _shard(which: str) -> list:
    """Shard A has the original of STORY; shard B a copy of it on another outlet, published two hours later. Both
    list the same OTHER article under the same URL."""
    shared = article("http://wire.test/other", OTHER, source="wire")
    if which == "A":
        return [article("http://a.test/story", STORY, source="a"), shared]
    return [article("http://b.test/story-copy", STORY + " ", source="b", published=T0 + timedelta(hours=2)),
            shared]


def test_two_processes_loading_overlapping_shards_at_once_store_each_article_once(lake, tmp_path):
    connect(lake).close()  # the catalog exists: the test is about loads, not about two first migrations
    ctx = multiprocessing.get_context("spawn")
    barrier, attempts = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_load_in_child, args=(lake, f"run-{w}", w, barrier, attempts)) for w in "AB"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
    assert [p.exitcode for p in procs] == [0, 0]
    calls = dict(attempts.get(timeout=5) for _ in procs)
    assert sorted(calls.values()) == [1, 2]  # both met at COMMIT; the one that lost the conflict loaded again

    rows = view_rows(lake, "(SELECT article_id, canonical_url, source, duplicate_of, group_id FROM article_store)")
    assert len(rows) == 3 and len({r[0] for r in rows}) == 3 and len({r[1] for r in rows}) == 3
    by_url = {r[1]: r for r in rows}
    original, copy = by_url["http://a.test/story"], by_url["http://b.test/story-copy"]
    assert original[3] is None and copy[3] == original[0] and copy[4] == original[4]  # linked across shards
    assert view_rows(lake, "(SELECT url, count(*) FROM pages GROUP BY url)") == [
        ("http://a.test/story", 1), ("http://b.test/story-copy", 1), ("http://wire.test/other", 1)]
    assert view_rows(lake, "(SELECT run_id FROM runs)") == [("run-A",), ("run-B",)]
    assert view_rows(lake, "(SELECT loads FROM load_serial)") == [(2,)]  # one bump per committed load

    # the same two shards, one after the other in the order the lake committed them, into a DuckDB file (a group's
    # id is that of the first stored member, so the order matters to group_id; the originals it does not change)
    file_db = tmp_path / "serial.duckdb"
    for w in sorted(calls, key=calls.get):
        load_batch(file_db, batch(f"run-{w}", _shard(w)), words_judge)
    lake_views, file_views = every_view(lake), every_view(file_db)
    for view in VIEWS:
        assert lake_views[view] == file_views[view], view


def _first_open(url: str, barrier, results) -> None:
    barrier.wait(120)
    try:
        connect(url).close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - the parent asserts on what went wrong
        results.put(f"{type(exc).__name__}: {exc}")


def test_three_writers_creating_a_new_lake_at_once_all_succeed_and_migrate_it_once(lake):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_first_open, args=(lake, barrier, results)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
    assert [results.get(timeout=5) for _ in procs] == ["ok"] * 3
    assert view_rows(lake, "(SELECT version, count(*) FROM schema_migrations GROUP BY ALL)") == [
        (version, 1) for version, _, _ in migrations()]
    assert view_rows(lake, "(SELECT loads FROM load_serial)") == [(0,)]  # one row, no load yet


# --------------------------------------------------------------------------------- readers and commands


def test_read_only_commands_work_and_write_nothing(lake, tmp_path):
    coverage_db.build(lake)
    # enough rows in one insert for DuckLake to write Parquet files rather than inline them in PostgreSQL
    coverage_db.load(lake, [coverage_db.row(100 + i, "world_news", "en", f"Filler {i}", f"{OTHER} {i}", i, False,
                                            ["negotiations"]) for i in range(40)], run_id="filler")
    data = tmp_path / "lake"
    assert any(name.endswith(".parquet") for name in files_under(data))
    before_files, before_snaps = files_under(data), snapshots(lake)

    status = talkwatch("status", "--db", lake, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "fixture-run" in status.stdout and "world_news" in status.stdout
    query = talkwatch("query", "SELECT count(*) AS n FROM articles", "--db", lake, "--format", "csv", cwd=tmp_path)
    assert query.returncode == 0 and query.stdout.splitlines() == ["n", "49"], query.stderr
    # DuckLake's maintenance functions write new Parquet files into the data folder the query may read
    for sql in ("DELETE FROM article_store", "SELECT * FROM read_text('/etc/hostname')",
                "CALL ducklake_flush_inlined_data('talkwatch')", "CALL talkwatch.ducklake_merge_adjacent_files()",
                "SELECT * FROM \"ducklake_rewrite_data_files\"('talkwatch')", "CALL checkpoint()"):
        refused = talkwatch("query", sql, "--db", lake, cwd=tmp_path)
        assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1, refused.stderr
    snaps = talkwatch("query", "SELECT count(*) > 0 AS some FROM ducklake_snapshots('talkwatch')", "--db", lake,
                      "--format", "csv", cwd=tmp_path)  # DuckLake's reading functions still work
    assert snaps.returncode == 0 and snaps.stdout.splitlines() == ["some", "True"], snaps.stderr
    search = talkwatch("search", "переговоры", "--db", lake, "--format", "json", cwd=tmp_path)
    assert search.returncode == 0, search.stderr
    assert {json.loads(x)["language"] for x in search.stdout.splitlines()} == {"ru", "uk"}
    export = talkwatch("export", "--format", "jsonl", "--out", str(tmp_path / "out"), "--db", lake, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    assert len((tmp_path / "out" / "articles.jsonl").read_text(encoding="utf-8").splitlines()) == 49
    marker = json.loads((tmp_path / "out" / ".talkwatch-export.json").read_text(encoding="utf-8"))
    assert marker["database"] == lake
    report = talkwatch("report", "--out", str(tmp_path / "report.html"), "--db", lake, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "ducklake:postgres:dbname=" in (tmp_path / "report.html").read_text(encoding="utf-8")
    up = talkwatch("upgrade", "--db", lake, cwd=tmp_path)
    assert up.returncode == 0 and "is up to date" in up.stdout, up.stderr

    assert files_under(data) == before_files and snapshots(lake) == before_snaps
    assert not (tmp_path / "data").exists() and not (tmp_path / "lake.tmp").exists()


def test_run_on_a_lake_stores_what_a_run_into_a_file_stores(prefect_api_url, lake, tmp_path):
    web = start_newsweb(tmp_path)
    file_db = tmp_path / "run.duckdb"
    # loopback outlets: no politeness delays (both runs alike), as in tests/test_end_to_end.py; and the session's
    # Prefect API for the three runs instead of a temporary server started by each
    fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=1"]
    try:
        for db in (str(file_db), lake):
            proc = talkwatch("run", "--sources", str(web.sources_file), "--topic", str(web.topic_file), "--db", db,
                             *fast, "--json", cwd=tmp_path, PREFECT_API_URL=prefect_api_url)
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert json.loads(proc.stdout)["counts"]["load"]["articles_new"] > 0
        again = talkwatch("run", "--sources", str(web.sources_file), "--topic", str(web.topic_file), "--db", lake,
                          *fast, "--json", cwd=tmp_path, PREFECT_API_URL=prefect_api_url)
        assert again.returncode == 0, again.stderr[-3000:]
        assert json.loads(again.stdout)["counts"]["load"]["articles_new"] == 0
    finally:
        web.alpha.stop()
        web.bravo.stop()
    same = ("(SELECT article_id, canonical_url, source, title, published_at, published_precision, group_id, "
            "duplicate_of, duplicate_kind, language, text FROM article_store)")
    assert view_rows(lake, same) == view_rows(file_db, same) != []
    pages = "(SELECT url, outcome, reason, status, article_id FROM pages)"
    assert view_rows(lake, pages) == view_rows(file_db, pages)
    assert work_folder(lake) == tmp_path == work_folder(file_db)  # a run's crawl output: beside the data folder


def test_reprocess_rewrites_the_articles_of_the_lake_in_one_commit(lake, tmp_path):
    coverage_db.build(lake)
    before = snapshots(lake)
    topic = REPO / "config" / "topic.toml"
    proc = talkwatch("reprocess", "--db", lake, "--topic", str(topic), cwd=tmp_path)  # no config/sources.toml here
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("reprocessed 9 stored pages")
    assert snapshots(lake) == before + 1
    rows = view_rows(lake, "(SELECT canonical_url, count(*) FROM article_store GROUP BY ALL HAVING count(*) > 1)")
    assert rows == []


def test_readers_refuse_what_is_not_a_current_talkwatch_lake_and_upgrade_migrates_it(lake, pgdb, tmp_path):
    with pytest.raises(FileNotFoundError, match="no talkwatch data at .*run `talkwatch run"):
        connect(lake, read_only=True)
    assert pgdb_tools.rows(pgdb, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]  # not created
    with pytest.raises(FileNotFoundError):
        check_writable_database(lake, must_exist=True)
    check_writable_database(lake)  # a new lake may be made here
    connect(lake).close()
    con = connect(lake)  # make it look like a lake written before migration 002
    con.execute("DROP VIEW source_health")
    con.execute("DROP TABLE source_state")
    con.execute("DELETE FROM schema_migrations WHERE version = 2")
    con.close()
    before = snapshots(lake)
    with pytest.raises(DatabaseOutdated, match=r"missing 002_source_state\.sql.*talkwatch upgrade --db"):
        connect(lake, read_only=True)
    assert snapshots(lake) == before
    assert upgrade(lake) == ["002_source_state.sql"]
    assert upgrade(lake) == []
    assert view_rows(lake, "source_health") == []

    foreign = duckdb.connect()  # somebody else's DuckLake in another PostgreSQL database
    pgdb_tools.execute(pgdb_tools.ADMIN_DB, f"CREATE DATABASE {pgdb}_x", transaction=False)
    try:
        for ext in (("duckdb_extension_postgres_scanner", "postgres_scanner"),
                    ("duckdb_extension_ducklake", "ducklake")):
            foreign.execute(f"LOAD '{extension_path(*ext)}'")
        foreign.execute(f"ATTACH 'ducklake:postgres:dbname={pgdb}_x {PG}' AS x (DATA_PATH '{tmp_path / 'x'}')")
        foreign.execute("CREATE TABLE x.main.theirs (a INTEGER)")
        foreign.close()
        url = f"ducklake:postgres:dbname={pgdb}_x {PG}"
        with pytest.raises(NotTalkwatchDatabase):
            connect(url, read_only=True)
        with pytest.raises(NotTalkwatchDatabase):
            connect(url)
        with pytest.raises(NotTalkwatchDatabase):
            check_writable_database(url)
    finally:
        foreign.close()
        pgdb_tools.drop(f"{pgdb}_x")


def test_a_new_lake_needs_its_data_folder_and_an_existing_one_keeps_its_own(lake, pgdb, tmp_path):
    bare = f"ducklake:postgres:dbname={pgdb} {PG}"
    with pytest.raises(DatabaseRefused, match=r"add \?data=FOLDER"):
        check_writable_database(bare)
    with pytest.raises(DatabaseRefused, match=r"add \?data=FOLDER"):
        connect(bare)
    coverage_db.build(lake)
    assert len(view_rows(bare, "articles")) == 9  # the catalog remembers where its data is
    with pytest.raises(DatabaseRefused, match=r"keeps its data in .*lake/; give that folder"):
        connect(f"{bare}?data={tmp_path / 'elsewhere'}", read_only=True)


# ----------------------------------------------------------------------------------------------- faults


def test_unreachable_postgresql_is_one_line_and_exit_4_for_every_command(tmp_path):
    url = f"ducklake:postgres:dbname=talkwatch host=127.0.0.1 port={closed_port()} user=postgres?data={tmp_path}/lake"
    topic, sources = REPO / "config" / "topic.toml", REPO / "config" / "sources.toml"
    for args in (["status"], ["query", "SELECT 1"], ["search", "talks"], ["report", "--out", "r.html"],
                 ["export", "--format", "csv", "--out", "out"], ["upgrade"],
                 ["reprocess", "--topic", str(topic)], ["run", "--sources", str(sources), "--topic", str(topic)]):
        proc = talkwatch(*args, "--db", url, cwd=tmp_path)
        command = args[0]
        assert proc.returncode == 4, (command, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr, (command, proc.stderr)
        assert lines[0].startswith(f"talkwatch {command}: cannot reach PostgreSQL for ducklake:postgres:dbname="
                                   f"talkwatch host=127.0.0.1 port="), lines
        assert "failed: Connection refused" in lines[0], lines
    assert os.listdir(tmp_path) == []  # no data folder, no export, no report, no log: nothing was done


def test_the_storage_errors_name_what_to_do(pgdb, tmp_path):
    with pytest.raises(DatabaseRefused, match=r"no database 'talkwatch_nosuch_[0-9a-f]+'.*createdb"):
        connect(f"ducklake:postgres:dbname=talkwatch_nosuch_{uuid.uuid4().hex[:6]} {PG}", read_only=True)
    with pytest.raises(DatabaseRefused, match="refused the login"):
        connect(f"ducklake:postgres:dbname={pgdb} host=127.0.0.1 user=nosuch_{uuid.uuid4().hex[:6]}",
                read_only=True)
    with pytest.raises(StorageUnavailable, match="password=\\*\\*\\*"):
        connect(f"ducklake:postgres:dbname={pgdb} host=127.0.0.1 port={closed_port()} password=s3cret")


def test_a_data_folder_that_cannot_be_written_fails_clearly_and_writes_nothing(lake, pgdb, tmp_path):
    unwritable = f"ducklake:postgres:dbname={pgdb} {PG}?data=/proc/talkwatch-lake"
    proc = talkwatch("run", "--sources", str(REPO / "config" / "sources.toml"), "--topic",
                     str(REPO / "config" / "topic.toml"), "--db", unwritable, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr  # bad input, as an unwritable folder for a DuckDB file is
    assert proc.stderr.strip().splitlines() == [
        "talkwatch: cannot write the DuckLake data folder /proc/talkwatch-lake: No such file or directory"]
    with pytest.raises(DatabaseRefused, match="cannot write the DuckLake data folder /proc/talkwatch-lake"):
        load_batch(unwritable, batch("r1", [article("http://a.test/1", STORY)]), words_judge)
    assert pgdb_tools.rows(pgdb, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]  # no catalog

    coverage_db.build(lake)  # an existing lake whose data folder can no longer be written
    pgdb_tools.execute(pgdb, "UPDATE ducklake_metadata SET value = '/proc/talkwatch-lake/' WHERE key = 'data_path'")
    count = pgdb_tools.rows(pgdb, "SELECT count(*) FROM ducklake_snapshot")
    with pytest.raises(DatabaseRefused, match="cannot write the DuckLake data folder /proc/talkwatch-lake"):
        load_batch(f"ducklake:postgres:dbname={pgdb} {PG}", batch("r2", [article("http://a.test/2", OTHER)]),
                   words_judge)
    assert pgdb_tools.rows(pgdb, "SELECT count(*) FROM ducklake_snapshot") == count


def test_without_a_data_folder_a_runs_crawl_output_goes_to_a_private_temp_folder(tmp_path, monkeypatch):
    """Not `./data/runs` of whatever folder the run was started in (a folder the user never named; a read-only
    one failed the run)."""
    import stat
    import tempfile

    monkeypatch.chdir(tmp_path)
    folder = work_folder("ducklake:postgres:dbname=talkwatch host=127.0.0.1 user=postgres")
    assert folder.parent == Path(tempfile.gettempdir()) and tmp_path not in folder.parents
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and folder.stat().st_uid == os.getuid()
    assert list(tmp_path.iterdir()) == []


def test_a_password_in_the_url_is_never_printed_by_upgrade_or_a_sharded_summary(lake, pgdb, tmp_path, capsys):
    """`upgrade` printed `<the URL as given> is up to date`, password and all; a sharded run's `--json` and text
    summary printed its `db` as given (a single run's summary was masked already)."""
    from pipelines.cli import _masked, _print_sharded

    coverage_db.build(lake)
    for url in (f"ducklake:postgres:dbname={pgdb} {PG} password=s3cretpw",
                f"ducklake:postgres://{pgdb_tools.USER}:s3cretpw@{pgdb_tools.HOST}:{pgdb_tools.PORT}/{pgdb}"):
        up = talkwatch("upgrade", "--db", url, cwd=tmp_path)
        assert up.returncode == 0, up.stderr
        assert "s3cretpw" not in up.stdout + up.stderr and "***" in up.stdout and "is up to date" in up.stdout
    summary = {"status": "completed", "db": f"ducklake:postgres:dbname={pgdb} password=s3cretpw", "shards": [],
               "totals": {k: 0 for k in ("pages_fetched", "pages_failed", "articles_new", "copies")},
               "seconds": 1.0, "report": None}
    shown = _masked(summary)
    assert shown["db"].endswith("password=***") and summary["db"].endswith("s3cretpw")  # the flow's own left as is
    _print_sharded(shown)
    assert "s3cretpw" not in capsys.readouterr().out


def test_a_postgresql_database_holding_other_tables_gets_no_new_lake(pgdb, tmp_path):
    """A URL naming the wrong database (Prefect's, an application's): a run, a flow's writer and the check before
    a run wrote DuckLake's 41 catalog tables beside the tables already there. Refused (2), nothing created."""
    pgdb_tools.execute(pgdb, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    url = pgdb_tools.lake_url(pgdb, str(tmp_path / "lake"))
    said = r"holds other tables \(public\.customers\) and no DuckLake: a new DuckLake goes into a database of its own"
    with pytest.raises(DatabaseRefused, match=said):
        check_writable_database(url)
    with pytest.raises(DatabaseRefused, match=said):
        connect(url)
    with pytest.raises(DatabaseRefused, match=said):
        load_batch(url, batch("r1", [article("http://a.test/1", STORY)]), words_judge)
    proc = talkwatch("run", "--sources", str(REPO / "config" / "sources.toml"), "--topic",
                     str(REPO / "config" / "topic.toml"), "--db", url, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(said, lines[0]) and "Traceback" not in proc.stderr, proc.stderr
    assert pgdb_tools.rows(pgdb, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [("customers",)]
    assert not (tmp_path / "lake").exists()
