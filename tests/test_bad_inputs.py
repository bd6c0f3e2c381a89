"""Every bad input to the real `talkwatch` command gets one line on stderr and its documented exit status, and
changes nothing: not the database (sha256), not any file or folder beside it (names, sizes, mtimes).

Each case runs `python -m pipelines.cli` in a fresh folder holding a complete talkwatch database, an older one, a
user's own DuckDB file, garbage, pages and manifests of every kind, a FIFO, a symlink and a folder. `run` cases
fail before Prefect starts, so they stay fast. Error logs go to a folder outside the one compared.
"""

from __future__ import annotations

import contextlib

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from storage.db import connect
from storage.query import sandbox
from tests.coverage_db import build
from tests.newsweb import TALKS, article_html
from tests.storagerows import write_lock_held

REPO = Path(__file__).resolve().parents[1]
TOPIC = REPO / "config" / "topic.toml"
LOCK = ["--lock-timeout", "0.5"]
SOURCES = ('[[source]]\nname = "alpha"\nlanguage = "en"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n'
           'country = "GB"\ngroup = "international"\n')
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """The databases every case starts from, built once: copying them is cheaper than building them."""
    base = tmp_path_factory.mktemp("templates")
    build(base / "cov.duckdb")
    shutil.copy(base / "cov.duckdb", base / "old.duckdb")
    raw = duckdb.connect(str(base / "old.duckdb"))  # as if written before migration 002
    raw.execute("DROP VIEW source_health")
    raw.execute("DROP TABLE source_state")
    raw.execute("DELETE FROM schema_migrations WHERE version = 2")
    raw.close()
    raw = duckdb.connect(str(base / "foreign.duckdb"))  # somebody's own analysis file
    raw.execute("CREATE TABLE mine(x INT)")
    raw.close()
    shutil.copy(base / "cov.duckdb", base / "stale.duckdb")
    raw = duckdb.connect(str(base / "stale.duckdb"))  # schema current, views and macros an older version's
    raw.execute("DROP MACRO TABLE outlet_stats_between")
    raw.execute("COMMENT ON VIEW articles IS 'talkwatch views 0000000000000000'")
    raw.close()
    raw = duckdb.connect(str(base / "ledger.duckdb"))  # an application with its own `schema_migrations` ledger
    raw.execute("CREATE TABLE schema_migrations (version INTEGER, name TEXT)")
    raw.execute("INSERT INTO schema_migrations VALUES (1, '001_create_orders.sql')")
    raw.execute("CREATE TABLE orders AS SELECT 1 AS id, 'precious' AS item")
    raw.close()
    raw = duckdb.connect(str(base / "gomigrate.duckdb"))  # golang-migrate's ledger
    raw.execute("CREATE TABLE schema_migrations (version BIGINT, dirty BOOLEAN)")
    raw.execute("INSERT INTO schema_migrations VALUES (20240101, false)")
    raw.close()
    shutil.copy(base / "cov.duckdb", base / "newer.duckdb")
    raw = duckdb.connect(str(base / "newer.duckdb"))  # as if a later talkwatch had migrated it further
    raw.execute("INSERT INTO schema_migrations VALUES (99, '099_future.sql', now())")
    raw.close()
    return base


def make_world(templates: Path, work: Path) -> None:
    """A folder with one of everything a user may point talkwatch at by mistake."""
    work.mkdir()
    for name in ("cov.duckdb", "old.duckdb", "foreign.duckdb", "newer.duckdb", "ledger.duckdb", "gomigrate.duckdb",
                 "stale.duckdb"):
        shutil.copy(templates / name, work / name)
    (work / "garbage.duckdb").write_text("not a database\n", encoding="utf-8")
    (work / "cov.duckdb.tmp").mkdir()  # DuckDB's temp folder for cov.duckdb: a read-only query must not reach it
    (work / "cov.duckdb.tmp" / "secret.txt").write_text("secret\n", encoding="utf-8")
    (work / "page.html").write_text(article_html("Talks resume in Istanbul", TALKS, "2025-05-29T11:00:00+03:00"),
                                    encoding="utf-8")
    (work / "image.png").write_bytes(PNG)
    (work / "empty.html").write_bytes(b"")
    (work / "notes.txt").write_text("root:x:0:0:root:/root:/bin/bash\nplain text, no markup\n", encoding="utf-8")
    with open(work / "huge.html", "wb") as f:  # sparse: over the 10 MB cap without writing 10 MB
        f.write(b"<html><body><p>x</p>")
        f.truncate(11 * 1024 * 1024)
    (work / "folder").mkdir()
    (work / "folder" / "keep.txt").write_text("mine\n", encoding="utf-8")
    (work / "victim").mkdir()
    (work / "victim" / "important.txt").write_text("do not overwrite\n", encoding="utf-8")
    (work / "link").symlink_to(work / "victim")
    shutil.copy(templates / "cov.duckdb", work / "linked.duckdb")
    (work / "linked.duckdb.wal").symlink_to(work / "victim" / "important.txt")  # planted where DuckDB writes its log
    os.mkfifo(work / "fifo")
    (work / "sources.toml").write_text(SOURCES, encoding="utf-8")
    (work / "bad-sources.toml").write_text('[[source]]\nname = "a"\nlanguage = "en"\nfeeds = ["ftp://a.test/f"]\n',
                                           encoding="utf-8")
    good = json.dumps({"path": "page.html", "url": "https://alpha.example/1"})
    (work / "all-failed.jsonl").write_text("\n".join([
        json.dumps({"path": "missing.html"}), json.dumps({"path": "image.png"}), "not json",
        json.dumps({"path": "page.html", "timezone": "Mars/Olympus"})]) + "\n", encoding="utf-8")
    (work / "one-bad-line.jsonl").write_bytes(
        (good + "\n").encode() + b'{"path": "p\xe4ge.html"}\n' + (good + "\n").encode())
    (work / "binary.jsonl").write_bytes(PNG)
    (work / "empty-sources.toml").write_text("# no [[source]] yet\n", encoding="utf-8")
    (work / "disabled-sources.toml").write_text(SOURCES + "enabled = false\n", encoding="utf-8")
    (work / "userinfo-sources.toml").write_text(SOURCES.replace("http://", "http://user:secret@"), encoding="utf-8")
    (work / "ctrl-url-sources.toml").write_text(SOURCES.replace("feed.xml", "fe\\ned.xml"), encoding="utf-8")
    (work / "long-url-sources.toml").write_text(SOURCES.replace("feed.xml", "f" * 3000), encoding="utf-8")
    (work / "broken").symlink_to(work / "nowhere.duckdb")
    (work / "nul-topic.toml").write_text('name = "t"\nkeep_all = false\n\n[terms]\nen = ["peace\\u0000talks"]\n',
                                         encoding="utf-8")
    (work / "nav.html").write_text("<html><head><title>World | Alpha</title></head><body><nav><a href='/'>Home</a>"
                                   "</nav><ul><li><a href='/a/1'>Talks</a></li></ul></body></html>", encoding="utf-8")
    (work / "shared-feed-sources.toml").write_text(SOURCES + SOURCES.replace('"alpha"', '"beta"'), encoding="utf-8")
    (work / "surrogate.jsonl").write_text(good + '\n{"path": "\\ud800.html"}\n' + good + "\n", encoding="utf-8")
    (work / "deep.toml").write_text("x = " + "[" * 50000 + "]" * 50000 + "\n", encoding="utf-8")
    (work / "notes.md").write_text("# Release notes\n\nThe date comes from the page's `<time>` element, else from its "
                                   "`<title>` and `<meta>` tags.\n", encoding="utf-8")  # tags in it, but no page
    (work / "feed.xml").write_text('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Alpha'
                                   '</title><item><title>Talks</title></item></channel></rss>\n', encoding="utf-8")
    (work / "markdown.jsonl").write_text(json.dumps({"path": "notes.md"}) + "\n" + good + "\n", encoding="utf-8")
    (work / "dump").mkdir()  # what EXPORT DATABASE writes; IMPORT DATABASE reads it as it is parsed
    (work / "dump" / "schema.sql").write_text("private words of a schema;\n", encoding="utf-8")
    (work / "dump" / "load.sql").write_text("", encoding="utf-8")
    (work / "bad-url.jsonl").write_text(json.dumps({"path": "page.html", "url": "javascript:alert(1)"}) + "\n",
                                        encoding="utf-8")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under `root`, not following links: type, size, mtime, and the sha256 of each regular file."""
    found: dict[str, tuple] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files + ([""] if Path(dirpath) == root else []):
            p = Path(dirpath, name)
            st = p.lstat()
            digest = None
            if stat.S_ISREG(st.st_mode) and name != "huge.html":
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            found[str(p.relative_to(root))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, digest)
    return found


def env_for(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TALKWATCH_DB", "TALKWATCH_REPORT")}
    env.update(PYTHONPATH=str(REPO), TALKWATCH_LOG_DIR=str(tmp / "logs"), TMPDIR=str(tmp / "systmp"),
               PREFECT_HOME=str(tmp / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    (tmp / "systmp").mkdir(exist_ok=True)
    return env


def talkwatch(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@dataclass(frozen=True)
class Case:
    """A command line, the status it must exit with, and words its one stderr line must contain."""

    id: str
    args: list[str]
    code: int
    says: str
    locked: str | None = None  # a database another process holds open for writing meanwhile
    stdout: Callable[[str], None] | None = None  # extra checks of what was printed
    env: dict[str, str] = field(default_factory=dict)  # environment variables set for this case


def _manifest_all_failed(out: str) -> None:
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["line"] for x in lines] == [1, 2, 3, 4]
    assert lines[0]["error"] == "no such file: missing.html"
    assert lines[1]["error"] == "image.png is not HTML (PNG image)"
    assert lines[2]["error"].startswith("not JSON")
    assert "not a known IANA time zone" in lines[3]["error"]


def _manifest_surrogate(out: str) -> None:
    first, bad, last = [json.loads(x) for x in out.splitlines()]
    assert first["title"] == last["title"] == "Talks resume in Istanbul"  # the line after it is cleaned too
    assert bad == {"line": 2, "error": '"path" holds a lone surrogate escape (such as \\ud800), not a character'}


def _manifest_one_bad_line(out: str) -> None:
    first, bad, last = [json.loads(x) for x in out.splitlines()]
    assert first["title"] == last["title"] == "Talks resume in Istanbul"  # the good line before it is not lost
    assert bad == {"line": 2, "error": "line 2 is not UTF-8 text (byte 12)"}


def _manifest_markdown(out: str) -> None:
    bad, good = [json.loads(x) for x in out.splitlines()]
    assert bad == {"line": 1, "path": "notes.md", "url": None,
                   "error": "notes.md is not HTML: it neither starts like an HTML page nor parses as one"}
    assert good["title"] == "Talks resume in Istanbul"


CASES = [
    # --- query: one reading statement, no file access, a usable database
    Case("query-empty", ["query", "", "--db", "cov.duckdb"], 2, "the query is empty"),
    Case("query-semicolon", ["query", ";", "--db", "cov.duckdb"], 2, "no statement"),
    Case("query-two-statements", ["query", "SELECT 1; SELECT 2", "--db", "cov.duckdb"], 2, "holds 2 statements"),
    Case("query-delete", ["query", "DELETE FROM pages", "--db", "cov.duckdb"], 2, "DELETE statements are not run"),
    Case("query-create", ["query", "CREATE TABLE x (a INT)", "--db", "cov.duckdb"], 2, "only reads"),
    Case("query-attach", ["query", "ATTACH 'other.duckdb' AS o", "--db", "cov.duckdb"], 2, "only reads"),
    Case("query-copy-into-temp-dir", ["query", "COPY (SELECT 1) TO 'cov.duckdb.tmp/x.csv'", "--db", "cov.duckdb"],
         2, "COPY statements are not run"),
    Case("query-read-temp-dir", ["query", "SELECT * FROM read_text('cov.duckdb.tmp/secret.txt')", "--db",
                                 "cov.duckdb"], 2, "file system operations are disabled"),
    Case("query-read-file", ["query", "SELECT * FROM read_text('page.html')", "--db", "cov.duckdb"], 2,
         "file system operations are disabled"),
    Case("query-read-csv", ["query", "SELECT * FROM read_csv('notes.txt')", "--db", "cov.duckdb"], 2,
         "file system operations are disabled"),
    Case("query-syntax", ["query", "SELEC 1", "--db", "cov.duckdb"], 2, "does not parse"),
    Case("query-bad-column", ["query", "SELECT nope FROM articles", "--db", "cov.duckdb"], 2, "query failed"),
    Case("query-limit-zero", ["query", "SELECT 1", "--db", "cov.duckdb", "--limit", "0"], 2, "--limit"),
    Case("query-missing-db", ["query", "SELECT 1", "--db", "missing.duckdb"], 2, "no database at missing.duckdb"),
    Case("query-default-db-missing", ["query", "SELECT 1"], 2, "no database at data/talkwatch.duckdb"),
    Case("query-foreign-db", ["query", "SELECT 1", "--db", "foreign.duckdb"], 2, "not a talkwatch one"),
    Case("query-garbage-db", ["query", "SELECT 1", "--db", "garbage.duckdb"], 2, "not a DuckDB database file"),
    Case("query-old-db", ["query", "SELECT 1", "--db", "old.duckdb"], 2, "run `talkwatch upgrade --db old.duckdb`"),
    Case("query-folder-db", ["query", "SELECT 1", "--db", "folder"], 2, "is a folder"),
    Case("query-fifo-db", ["query", "SELECT 1", "--db", "fifo"], 2, "not a regular file"),
    Case("query-empty-db", ["query", "SELECT 1", "--db", ""], 2, "the database path is empty"),
    Case("query-locked", ["query", "SELECT 1", "--db", "cov.duckdb", *LOCK], 3, "locked by another process",
         locked="cov.duckdb"),
    Case("query-bad-lock-timeout", ["query", "SELECT 1", "--lock-timeout", "nan"], 2, "--lock-timeout"),
    # --- status: read-only, like query
    Case("status-missing-db", ["status", "--db", "missing.duckdb"], 2, "no database at missing.duckdb"),
    Case("status-garbage-db", ["status", "--db", "garbage.duckdb"], 2, "not a DuckDB database file"),
    Case("status-foreign-db", ["status", "--db", "foreign.duckdb"], 2, "not a talkwatch one"),
    Case("status-old-db", ["status", "--db", "old.duckdb"], 2, "talkwatch upgrade"),
    Case("status-folder-db", ["status", "--db", "folder"], 2, "is a folder"),
    Case("status-locked", ["status", "--db", "cov.duckdb", *LOCK], 3, "gave up after 0.5 s", locked="cov.duckdb"),
    Case("status-runs-zero", ["status", "--db", "cov.duckdb", "--runs", "0"], 2, "--runs"),
    Case("status-negative-lock-timeout", ["status", "--lock-timeout", "-1"], 2, "--lock-timeout"),
    Case("status-bad-lock-timeout-env", ["status", "--db", "cov.duckdb"], 2, "TALKWATCH_LOCK_TIMEOUT='soon'",
         env={"TALKWATCH_LOCK_TIMEOUT": "soon"}),
    # --- export: text gets the folder safety of the other formats
    Case("export-text-out-empty", ["export", "--format", "text", "--out", "", "--db", "cov.duckdb"], 2,
         "--out is empty"),
    Case("export-text-out-file", ["export", "--format", "text", "--out", "notes.txt", "--db", "cov.duckdb"], 2,
         "is not a folder"),
    Case("export-text-out-symlink", ["export", "--format", "text", "--out", "link", "--db", "cov.duckdb"], 2,
         "is a symlink"),
    Case("export-text-out-foreign-folder", ["export", "--format", "text", "--out", "folder", "--db", "cov.duckdb",
                                            "--force"], 2, "holds no talkwatch export"),
    Case("export-text-out-cwd", ["export", "--format", "text", "--out", ".", "--db", "cov.duckdb"], 2,
         "is the current folder"),
    Case("export-text-out-unwritable", ["export", "--format", "text", "--out", "/proc/talkwatch-export", "--db",
                                        "cov.duckdb"], 4, "cannot create a folder in /proc"),
    Case("export-missing-db", ["export", "--format", "text", "--out", "out", "--db", "missing.duckdb"], 2,
         "no database"),
    Case("export-garbage-db", ["export", "--format", "text", "--out", "out", "--db", "garbage.duckdb"], 2,
         "not a DuckDB database file"),
    Case("export-foreign-db", ["export", "--format", "csv", "--out", "out", "--db", "foreign.duckdb"], 2,
         "not a talkwatch one"),
    Case("export-old-db", ["export", "--format", "text", "--out", "out", "--db", "old.duckdb"], 2,
         "talkwatch upgrade"),
    Case("export-locked", ["export", "--format", "text", "--out", "out", "--db", "cov.duckdb", *LOCK], 3,
         "locked by another process", locked="cov.duckdb"),
    # --- search and report: the same database refusals
    Case("search-foreign-db", ["search", "ceasefire", "--db", "foreign.duckdb"], 2, "not a talkwatch one"),
    Case("search-old-db", ["search", "ceasefire", "--db", "old.duckdb"], 2, "talkwatch upgrade"),
    Case("report-foreign-db", ["report", "--out", "r.html", "--db", "foreign.duckdb"], 2, "not a talkwatch one"),
    # --- reprocess: writes, but only an existing talkwatch database
    Case("reprocess-missing-db", ["reprocess", "--db", "missing.duckdb", "--topic", str(TOPIC)], 2,
         "no database at missing.duckdb"),
    Case("reprocess-foreign-db", ["reprocess", "--db", "foreign.duckdb", "--topic", str(TOPIC)], 2,
         "not a talkwatch one"),
    Case("reprocess-garbage-db", ["reprocess", "--db", "garbage.duckdb", "--topic", str(TOPIC)], 2,
         "not a DuckDB database file"),
    Case("reprocess-missing-topic", ["reprocess", "--db", "cov.duckdb", "--topic", "missing.toml"], 2,
         "missing.toml"),
    Case("reprocess-bad-since", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--since", "yesterday"],
         2, "--since is not an ISO 8601 date or time"),
    Case("reprocess-locked", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), *LOCK], 3,
         "locked by another process", locked="cov.duckdb"),
    # --- upgrade: the explicit migration, of talkwatch's own files only
    Case("upgrade-missing-db", ["upgrade", "--db", "missing.duckdb"], 2, "no database at missing.duckdb"),
    Case("upgrade-foreign-db", ["upgrade", "--db", "foreign.duckdb"], 2, "not a talkwatch one"),
    Case("upgrade-garbage-db", ["upgrade", "--db", "garbage.duckdb"], 2, "not a DuckDB database file"),
    # views and macros of another version: readers said nothing, or failed on a missing macro as a storage failure
    Case("report-stale-views", ["report", "--out", "r.html", "--db", "stale.duckdb"], 2, "talkwatch upgrade"),
    Case("query-stale-views", ["query", "SELECT 1", "--db", "stale.duckdb"], 2, "another talkwatch version's views"),
    Case("search-stale-views", ["search", "ceasefire", "--db", "stale.duckdb"], 2, "talkwatch upgrade"),
    # another application's ledger of the same name: it was taken for an older talkwatch file and migrated
    Case("upgrade-foreign-ledger", ["upgrade", "--db", "ledger.duckdb"], 2, "schema_migrations table is another tool's"),
    Case("reprocess-foreign-ledger", ["reprocess", "--db", "ledger.duckdb", "--topic", str(TOPIC)], 2,
         "schema_migrations table is another tool's"),
    Case("status-foreign-ledger", ["status", "--db", "ledger.duckdb"], 2, "schema_migrations table is another tool's"),
    Case("status-golang-migrate-ledger", ["status", "--db", "gomigrate.duckdb"], 2,
         "schema_migrations table is another tool's"),
    Case("upgrade-locked", ["upgrade", "--db", "old.duckdb", *LOCK], 3, "locked by another process",
         locked="old.duckdb"),
    # --- clean: a bounded, regular, HTML file; a known zone; a readable manifest
    Case("clean-missing", ["clean", "missing.html"], 2, "no such file: missing.html"),
    Case("clean-folder", ["clean", "folder"], 2, "is a folder"),
    Case("clean-fifo", ["clean", "fifo"], 2, "not a regular file"),
    Case("clean-dev-zero", ["clean", "/dev/zero"], 2, "not a regular file"),
    Case("clean-too-big", ["clean", "huge.html"], 2, "page-size cap of 10 MB"),
    Case("clean-binary", ["clean", "image.png"], 2, "not HTML (PNG image)"),
    Case("clean-empty", ["clean", "empty.html"], 2, "is empty"),
    Case("clean-plain-text", ["clean", "notes.txt"], 2, "not HTML: no HTML markup"),
    Case("clean-etc-passwd", ["clean", "/etc/passwd"], 2, "not HTML"),
    Case("clean-database", ["clean", "cov.duckdb"], 2, "not HTML"),
    Case("clean-unknown-zone", ["clean", "page.html", "--timezone", "Mars/Olympus"], 2,
         "'Mars/Olympus' is not a known IANA time zone"),
    Case("clean-bad-fetched-at", ["clean", "page.html", "--fetched-at", "soon"], 2, "--fetched-at"),
    Case("clean-bad-sources", ["clean", "page.html", "--sources", "bad-sources.toml"], 2, "bad-sources.toml"),
    Case("clean-missing-sources", ["clean", "page.html", "--sources", "missing.toml"], 2, "missing.toml"),
    Case("clean-nothing", ["clean"], 2, "give PAGE.html or --manifest"),
    Case("clean-both", ["clean", "page.html", "--manifest", "all-failed.jsonl"], 2, "not both"),
    Case("manifest-missing", ["clean", "--manifest", "missing.jsonl"], 2, "no such manifest"),
    Case("manifest-folder", ["clean", "--manifest", "folder"], 2, "is a folder"),
    Case("manifest-device", ["clean", "--manifest", "/dev/zero"], 2, "is a device"),
    Case("manifest-binary", ["clean", "--manifest", "binary.jsonl"], 2, "not JSON lines (PNG image)"),
    Case("manifest-not-json-lines", ["clean", "--manifest", "notes.txt"], 2, "does not start with"),
    Case("manifest-all-lines-failed", ["clean", "--manifest", "all-failed.jsonl"], 1,
         "4 of 4 manifest lines failed", stdout=_manifest_all_failed),
    Case("manifest-one-non-utf8-line", ["clean", "--manifest", "one-bad-line.jsonl"], 1,
         "1 of 3 manifest lines failed", stdout=_manifest_one_bad_line),
    # --- run: every one of these fails before Prefect starts
    Case("run-setting-without-equals", ["run", "-s", "FOO", "--sources", "sources.toml", "--topic", str(TOPIC),
                                        "--db", "cov.duckdb"], 2, "FOO"),
    Case("run-bad-setting-value", ["run", "-s", "DOWNLOAD_DELAY=abc", "--sources", "sources.toml", "--topic",
                                   str(TOPIC), "--db", "cov.duckdb"], 2, "DOWNLOAD_DELAY"),
    Case("run-missing-sources", ["run", "--sources", "missing.toml", "--topic", str(TOPIC), "--db", "cov.duckdb"],
         2, "missing.toml"),
    Case("run-bad-sources", ["run", "--sources", "bad-sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb"],
         2, "bad-sources.toml"),
    Case("run-missing-topic", ["run", "--sources", "sources.toml", "--topic", "missing.toml", "--db", "cov.duckdb"],
         2, "missing.toml"),
    Case("run-unknown-only", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--only", "nosuch",
                              "--db", "cov.duckdb"], 2, "no source named nosuch"),
    Case("run-empty-only", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--only", " , ",
                            "--db", "cov.duckdb"], 2, "--only names no source"),
    Case("run-foreign-db", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "foreign.duckdb"],
         2, "not a talkwatch one"),
    Case("run-foreign-ledger", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "ledger.duckdb"],
         2, "schema_migrations table is another tool's"),
    Case("run-garbage-db", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "garbage.duckdb"],
         2, "not a DuckDB database file"),
    Case("run-folder-db", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "folder"],
         2, "is a folder"),
    Case("run-db-under-a-file", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                 "notes.txt/talkwatch.duckdb"], 2, "notes.txt is a file"),
    Case("run-db-unwritable", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                               "/proc/talkwatch-test/talkwatch.duckdb"], 2, "cannot write in /proc"),
    Case("run-locked", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb", *LOCK],
         3, "locked by another process", locked="cov.duckdb"),
    Case("run-bad-lock-timeout", ["run", "--lock-timeout", "soon"], 2, "--lock-timeout"),
    # --- first contact, round 2: inputs nobody had tried (issue 11)
    Case("query-limit-huge", ["query", "SELECT 1", "--db", "cov.duckdb", "--limit", "1" + "0" * 20], 2,
         "is too large"),
    Case("query-db-trailing-slash", ["query", "SELECT 1", "--db", "cov.duckdb/"], 2, "ends with '/'"),
    Case("query-db-broken-symlink", ["query", "SELECT 1", "--db", "broken"], 2, "symlink to nothing"),
    Case("query-db-proc-file", ["query", "SELECT 1", "--db", "/proc/self/status"], 2, "not a DuckDB database file"),
    Case("status-runs-huge", ["status", "--db", "cov.duckdb", "--runs", "1" + "0" * 20], 2, "is too large"),
    Case("search-lang-unknown", ["search", "ceasefire", "--db", "cov.duckdb", "--lang", "xx"], 2,
         "--lang must be an ISO 639-1 code"),
    Case("search-lang-empty", ["search", "ceasefire", "--db", "cov.duckdb", "--lang", ""], 2, "--lang"),
    # a typo in a filter is said as such, not answered "no article matches" (round 4)
    Case("search-source-unknown", ["search", "ceasefire", "--db", "cov.duckdb", "--source", "moscow_dayly"], 2,
         "names no source in this database; did you mean 'moscow_daily'?"),
    Case("search-group-unknown", ["search", "ceasefire", "--db", "cov.duckdb", "--group", "turkey"], 2,
         "names no group in this database"),
    Case("search-source-empty", ["search", "ceasefire", "--db", "cov.duckdb", "--source", ""], 2,
         "--source is empty"),
    Case("reprocess-unknown-source", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--source",
                                      "nosuch"], 2, "no stored pages of a source named 'nosuch'"),
    Case("reprocess-empty-source", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--source", " "], 2,
         "--source is empty"),
    Case("reprocess-missing-sources", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--sources",
                                       "missing.toml"], 2, "no sources file at 'missing.toml'"),
    Case("reprocess-topic-fifo", ["reprocess", "--db", "cov.duckdb", "--topic", "fifo"], 2, "not a regular file"),
    Case("reprocess-topic-binary", ["reprocess", "--db", "cov.duckdb", "--topic", "image.png"], 2,
         "image.png: not UTF-8 text"),
    Case("upgrade-db-trailing-slash", ["upgrade", "--db", "old.duckdb/"], 2, "ends with '/'"),
    Case("clean-empty-sources", ["clean", "page.html", "--sources", ""], 2, "--sources is empty"),
    Case("run-sources-fifo", ["run", "--sources", "fifo", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "fifo is not a regular file"),
    Case("run-sources-dev-null", ["run", "--sources", "/dev/null", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "not a regular file"),
    Case("run-sources-folder", ["run", "--sources", "folder", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "folder is a folder"),
    Case("run-sources-binary", ["run", "--sources", "image.png", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "image.png: not UTF-8 text"),
    Case("report-db-empty", ["report", "--out", "r.html", "--db", ""], 2, "the database path is empty"),
    Case("run-sources-empty-name", ["run", "--sources", "", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "the sources file name is empty"),
    Case("run-topic-empty-name", ["run", "--sources", "sources.toml", "--topic", "", "--db", "cov.duckdb"], 2,
         "the topic file name is empty"),
    Case("run-sources-empty", ["run", "--sources", "empty-sources.toml", "--topic", str(TOPIC), "--db",
                               "cov.duckdb"], 2, "defines no source"),
    Case("run-sources-all-disabled", ["run", "--sources", "disabled-sources.toml", "--topic", str(TOPIC), "--db",
                                      "cov.duckdb"], 2, "every source of disabled-sources.toml is disabled"),
    Case("run-feed-with-password", ["run", "--sources", "userinfo-sources.toml", "--topic", str(TOPIC), "--db",
                                    "cov.duckdb"], 2, "user name or password"),
    Case("run-feed-with-newline", ["run", "--sources", "ctrl-url-sources.toml", "--topic", str(TOPIC), "--db",
                                   "cov.duckdb"], 2, "space or control character"),
    Case("run-feed-too-long", ["run", "--sources", "long-url-sources.toml", "--topic", str(TOPIC), "--db",
                               "cov.duckdb"], 2, "at most 2083"),
    Case("run-db-trailing-slash", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "newdir/"], 2,
         "ends with '/'"),
    Case("run-report-folder", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb",
                               "--report", "folder"], 2, "is a folder"),
    Case("run-report-not-a-report", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                     "cov.duckdb", "--report", "notes.txt"], 2, "not a talkwatch report"),
    Case("run-report-env-folder", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                   "cov.duckdb"], 2, "is a folder", env={"TALKWATCH_REPORT": "folder"}),
    Case("run-shards-without-server", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                       "cov.duckdb", "--shards", "2"], 2, "set PREFECT_API_URL",
         env={"PREFECT_API_URL": ""}),
    Case("run-only-escape-sequence", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                      "cov.duckdb", "--only", "alpha\x1b[2J"], 2, "no source named alpha\\x1b[2J"),
    # --- the parser itself
    # --- round 3: what the second sweep left open
    Case("run-setting-huge", ["run", "-s", "CONCURRENT_REQUESTS=" + "1" + "0" * 20, "--sources", "sources.toml",
                              "--topic", str(TOPIC), "--db", "cov.duckdb"], 2, "out of range"),
    Case("run-topic-nul-term", ["run", "--sources", "sources.toml", "--topic", "nul-topic.toml", "--db",
                                "cov.duckdb"], 2, "holds a control character"),
    Case("clean-javascript-url", ["clean", "page.html", "--url", "javascript:alert(1)"], 2,
         "is a javascript: URL, not the address of a page"),
    Case("clean-data-url", ["clean", "page.html", "--url", "DATA:text/html,<p>x"], 2, "is a data: URL"),
    Case("clean-empty-url", ["clean", "page.html", "--url", ""], 2, "--url is empty"),
    # the default config files are relative to the current folder: from elsewhere, say so and how to name them
    Case("run-default-sources-elsewhere", ["run", "--db", "cov.duckdb"], 2,
         "no sources file at config/sources.toml (the default, looked for in"),
    Case("run-default-topic-elsewhere", ["run", "--sources", "sources.toml", "--db", "cov.duckdb"], 2,
         "run from the project folder, or give --topic FILE"),
    Case("reprocess-default-topic-elsewhere", ["reprocess", "--db", "cov.duckdb"], 2,
         "no topic file at config/topic.toml (the default"),
    Case("clean-unreadable-url", ["clean", "page.html", "--url", "http://[zz]/a"], 2,
         "cannot be read as a URL: 'zz' does not appear to be an IPv4 or IPv6 address"),
    Case("clean-empty-fetched-at", ["clean", "page.html", "--fetched-at", " "], 2, "--fetched-at is empty"),
    Case("clean-fetched-in-year-9999", ["clean", "page.html", "--fetched-at", "9999-01-01T00:00:00Z"], 2,
         "is not between 1990-01-01 and now"),
    Case("manifest-javascript-url", ["clean", "--manifest", "bad-url.jsonl"], 1, "1 of 1 manifest lines failed"),
    # --- round 5: a sweep of about 500 inputs by a helper
    Case("clean-navigation-only", ["clean", "nav.html"], 1, "nav.html: not an article: no body text",
         stdout=lambda out: out.startswith("World | Alpha\n")),
    Case("manifest-lone-surrogate", ["clean", "--manifest", "surrogate.jsonl"], 1, "1 of 3 manifest lines failed",
         stdout=_manifest_surrogate),
    Case("run-bad-crawl-timeout", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb"],
         2, "TALKWATCH_CRAWL_TIMEOUT='soon' is not a number of seconds", env={"TALKWATCH_CRAWL_TIMEOUT": "soon"}),
    Case("reprocess-bad-min-pages", ["reprocess", "--topic", str(TOPIC), "--db", "cov.duckdb"], 2,
         "TALKWATCH_ISOLATE_MIN_PAGES='1.5' is not a whole number", env={"TALKWATCH_ISOLATE_MIN_PAGES": "1.5"}),
    Case("query-newer-schema", ["query", "SELECT 1", "--db", "newer.duckdb"], 2,
         "written by a newer talkwatch (schema version 99"),
    Case("upgrade-newer-schema", ["upgrade", "--db", "newer.duckdb"], 2, "written by a newer talkwatch"),
    Case("run-newer-schema", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "newer.duckdb"], 2,
         "written by a newer talkwatch"),
    Case("reprocess-newer-schema", ["reprocess", "--topic", str(TOPIC), "--db", "newer.duckdb"], 2,
         "written by a newer talkwatch"),
    Case("report-out-trailing-slash", ["report", "--out", "newdir/", "--db", "cov.duckdb"], 2,
         "newdir/ ends with '/', so it names a folder"),
    Case("run-db-s3-url", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "s3://bucket/x.duckdb"],
         2, "is a URL (s3:), not a database file"),
    Case("run-prefect-api-unreachable", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                         "new.duckdb"], 4, "cannot reach the Prefect API at http://127.0.0.1:9/api",
         env={"PREFECT_API_URL": "http://127.0.0.1:9/api"}),
    # a malformed DuckLake URL was hidden behind "cannot reach the Prefect API" (4)
    Case("run-ducklake-malformed-before-the-prefect-api", ["run", "--sources", "sources.toml", "--topic", str(TOPIC),
                                                           "--db", "ducklake:sqlite:x"], 2,
         "talkwatch keeps a DuckLake catalog in PostgreSQL only", env={"PREFECT_API_URL": "http://127.0.0.1:9/api"}),
    Case("run-prefect-api-not-a-url", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                       "new.duckdb"], 2, "PREFECT_API_URL='not a url' is not an http(s) URL",
         env={"PREFECT_API_URL": "not a url"}),
    Case("run-sources-nested-too-deeply", ["run", "--sources", "deep.toml", "--topic", str(TOPIC), "--db",
                                           "cov.duckdb"], 2, "deep.toml: not valid TOML: its arrays or tables are "
                                                             "nested too deeply"),
    Case("reprocess-topic-nested-too-deeply", ["reprocess", "--topic", "deep.toml", "--db", "cov.duckdb"], 2,
         "nested too deeply"),
    Case("query-value-python-cannot-hold", ["query", "SELECT INTERVAL 100000000 YEAR AS i", "--db", "cov.duckdb"], 2,
         "cast that column to VARCHAR"),
    Case("run-db-name-too-long", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                  "x" * 250 + ".duckdb"], 2, "is too long a file name here"),
    Case("run-jobdir-under-a-file", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb",
                                     "-s", "JOBDIR=notes.txt/state"], 2, "-s JOBDIR: notes.txt/state is under"),
    Case("clean-timezone-a-tzdata-folder", ["clean", "page.html", "--timezone", "Europe"], 2,
         "--timezone 'Europe' is not a known IANA time zone"),
    Case("clean-url-javascript-split-by-a-tab", ["clean", "page.html", "--url", "java\tscript:alert(1)"], 2,
         "is a javascript: URL"),
    Case("clean-manifest-bad-isolate-min-pages", ["clean", "--manifest", "one-bad-line.jsonl"], 2,
         "TALKWATCH_ISOLATE_MIN_PAGES='soon' is not a whole number", env={"TALKWATCH_ISOLATE_MIN_PAGES": "soon"}),
    Case("report-since-empty", ["report", "--since", "", "--out", "r.html", "--db", "cov.duckdb"], 2,
         "--since is empty"),
    Case("export-out-not-utf8", ["export", "--format", "csv", "--out", "x\udcff", "--db", "cov.duckdb"], 2,
         "is not UTF-8 text"),
    Case("query-checkpoint", ["query", "CALL checkpoint()", "--db", "cov.duckdb"], 2, "checkpoint() is not run"),
    Case("query-delete-after-a-comment", ["query", "/* tidy up */ DELETE FROM pages", "--db", "cov.duckdb"], 2,
         "talkwatch query: DELETE statements are not run"),
    Case("report-out-quoted-tilde", ["report", "--out", "~/report.html", "--db", "cov.duckdb"], 2,
         "--out ~/report.html starts with '~', which the shell expands only when it is not quoted"),
    Case("export-out-quoted-tilde", ["export", "--format", "csv", "--out", "~", "--db", "cov.duckdb"], 2,
         "--out ~ starts with '~'"),
    Case("run-db-quoted-tilde-user", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                      "~nobody/talks.duckdb"], 2, "--db ~nobody/talks.duckdb starts with '~'"),
    Case("run-db-in-memory", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", ":memory:"], 2,
         ":memory: names an in-memory database to DuckDB, not a file"),
    Case("run-db-motherduck", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "./md:talks"], 2,
         "./md:talks names a MotherDuck database to DuckDB, not a file"),
    Case("reprocess-db-motherduck", ["reprocess", "--topic", str(TOPIC), "--db", "md:"], 2,
         "md: names a MotherDuck database"),
    Case("status-db-upper-case-ducklake", ["status", "--db", "DUCKLAKE:postgres://u@127.0.0.1:1/x"], 2,
         "is a URL (DUCKLAKE:)"),
    Case("status-ducklake-unparsable-uri-keeps-its-password", ["status", "--db",
                                                              "ducklake:postgres://postgres:s3cretpw@[::1/x"], 2,
         'in URI: "postgres://postgres:***@[::1/x'),
    Case("status-ducklake-bad-percent-escape", ["status", "--db", "ducklake:postgres://%zz@127.0.0.1/x"], 2,
         'is not valid: invalid percent-encoded token: "%zz"'),
    Case("status-ducklake-bad-port", ["status", "--db", "ducklake:postgres:host=127.0.0.1 port=abc"], 2,
         'is not valid: invalid integer value "abc" for connection option "port"'),
    Case("status-ducklake-unknown-option", ["status", "--db", "ducklake:postgres:host=127.0.0.1 colour=red"], 2,
         'invalid connection option "colour"'),
    # describing the malformed URL for the report's header raised outside the report's own checks: 70, internal error
    Case("report-ducklake-not-postgres", ["report", "--out", "r.html", "--db", "ducklake:sqlite:x"], 2,
         "talkwatch keeps a DuckLake catalog in PostgreSQL only"),
    Case("report-ducklake-bare-prefix", ["report", "--out", "r.html", "--db", "ducklake:"], 2,
         "talkwatch keeps a DuckLake catalog in PostgreSQL only"),
    Case("report-ducklake-names-no-database", ["report", "--out", "r.html", "--db", "ducklake:postgres:"], 2,
         "names no PostgreSQL database"),
    # libpq took `dbname= host=h` for the database "host=h" and tried its local socket: "cannot reach PostgreSQL" (4)
    Case("status-ducklake-empty-dbname", ["status", "--db", "ducklake:postgres:dbname="], 2,
         "dbname= has no value; write dbname=VALUE"),
    Case("run-ducklake-empty-dbname-before-another-keyword", ["run", "--sources", "sources.toml", "--topic",
                                                              str(TOPIC), "--db",
                                                              "ducklake:postgres:dbname= host=127.0.0.1 user=postgres"],
         2, "dbname= has no value; write dbname=VALUE"),
    Case("query-update-extensions", ["query", "UPDATE EXTENSIONS", "--db", "cov.duckdb"], 2,
         "UPDATE EXTENSIONS statements are not run"),
    Case("query-install", ["query", "INSTALL httpfs", "--db", "cov.duckdb"], 2, "INSTALL statements are not run"),
    Case("reprocess-wal-is-a-symlink", ["reprocess", "--topic", str(TOPIC), "--db", "linked.duckdb"], 2,
         "linked.duckdb.wal is a symlink"),
    Case("run-wal-is-a-symlink", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                  "linked.duckdb"], 2, "linked.duckdb.wal is a symlink"),
    Case("search-leading-dash", ["search", "-ceasefire", "--db", "cov.duckdb"], 2,
         "a query that starts with '-' goes last, after '--'"),
    Case("clean-sources-folder", ["clean", "page.html", "--sources", "folder"], 2, "folder is a folder"),
    # sweep 4's leftovers: the environment and the sources file
    Case("status-tz-names-a-text-file", ["status", "--db", "cov.duckdb"], 2,
         "TZ=/etc/passwd names a file that is no time zone", env={"TZ": "/etc/passwd"}),
    Case("run-tz-names-a-folder", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db", "cov.duckdb"],
         2, "TZ=:folder names a file that is no time zone (a folder)", env={"TZ": ":folder"}),  # was 70 (Babel)
    Case("status-talkwatch-db-empty", ["status"], 2, "TALKWATCH_DB is set but empty", env={"TALKWATCH_DB": ""}),
    Case("run-talkwatch-report-blank", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                        "cov.duckdb"], 2, "TALKWATCH_REPORT is set but blank",
         env={"TALKWATCH_REPORT": " "}),
    Case("run-storage-limit-prefect-refuses", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                               "cov.duckdb"], 2, "TALKWATCH_STORAGE_LIMIT='a/b' has /",
         env={"TALKWATCH_STORAGE_LIMIT": "a/b"}),  # was pydantic's raw error from inside the flow
    Case("run-one-feed-in-two-sources", ["run", "--sources", "shared-feed-sources.toml", "--topic", str(TOPIC),
                                         "--db", "cov.duckdb"], 2, "is already a listing of source 'alpha'"),
    # bytes that are no UTF-8 (subprocess passes a surrogate escape on as the byte it stands for): were 70
    Case("query-not-utf8", ["query", "SELECT '\udcff' AS x", "--db", "cov.duckdb"], 2,
         "the SQL is not UTF-8 text (SELECT '\\xff' AS x)"),
    Case("search-not-utf8", ["search", "\udcff\udcfe", "--db", "cov.duckdb"], 2, "the search is not UTF-8 text"),
    Case("status-db-not-utf8", ["status", "--db", "\udcff.duckdb"], 2, "--db is not UTF-8 text"),
    # --- round 6: a new user's sweep
    # markup near the top, but no page to parse: was "not an article: not HTML", status 1, and a lone "Original url"
    Case("clean-markdown-with-tags", ["clean", "notes.md"], 2,
         "notes.md is not HTML: it neither starts like an HTML page nor parses as one"),
    Case("clean-rss-feed", ["clean", "feed.xml"], 2, "feed.xml is not HTML"),
    Case("manifest-markdown-line", ["clean", "--manifest", "markdown.jsonl"], 1, "1 of 2 manifest lines failed",
         stdout=_manifest_markdown),  # was a success line with the warning "not HTML"
    # the query's parse read files (IMPORT DATABASE: schema.sql quoted in the error) and CHECKPOINT ran (status 0)
    Case("query-import-database", ["query", "IMPORT DATABASE 'dump'", "--db", "cov.duckdb"], 2,
         "IMPORT statements are not run: they read files"),
    Case("query-import-missing-folder", ["query", "IMPORT DATABASE '/etc'", "--db", "cov.duckdb"], 2,
         "IMPORT statements are not run"),  # said whether /etc/schema.sql exists
    Case("query-checkpoint-statement", ["query", "CHECKPOINT", "--db", "cov.duckdb"], 2, "checkpoint() is not run"),
    Case("query-force-checkpoint-statement", ["query", "/* now */ FORCE CHECKPOINT", "--db", "cov.duckdb"], 2,
         "force_checkpoint() is not run"),
    # the search for a writing function's name took quadratic time in a long name: minutes before any answer
    Case("query-long-name-then-checkpoint", ["query", 'SELECT 1 AS "' + "x" * 100000 + '" FROM checkpoint()', "--db",
                                             "cov.duckdb"], 2, "checkpoint() is not run"),
    # a --since to come re-processed nothing, recorded a run of nothing and exited 0 (the database written)
    Case("reprocess-since-in-the-future", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--since",
                                           "2205-05-16"], 2, "--since '2205-05-16' is in the future"),
    Case("reprocess-since-empty", ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--since", " "], 2,
         "--since is empty"),
    # `clean "$PAGE"` with PAGE unset was told "give PAGE.html or --manifest F", as if nothing had been given
    Case("clean-empty-page-path", ["clean", ""], 2, "the page path is empty"),
    Case("clean-empty-manifest-path", ["clean", "--manifest", ""], 2, "the manifest path is empty"),
    # Scrapy appends its log to LOG_FILE and writes its state into JOBDIR: the database, a text file or a folder of
    # one's own were taken, and the crawl wrote into them
    Case("run-log-file-is-the-database", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                          "cov.duckdb", "-s", "LOG_FILE=cov.duckdb"], 2,
         "-s LOG_FILE: cov.duckdb exists and is not a crawl log; refusing to write into it"),
    Case("run-log-file-is-a-text-file", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                         "cov.duckdb", "-s", "LOG_FILE=notes.txt"], 2, "is not a crawl log"),
    Case("run-log-file-is-a-symlink", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                       "cov.duckdb", "-s", "LOG_FILE=linked.duckdb.wal"], 2,
         "-s LOG_FILE: linked.duckdb.wal is a symlink"),
    Case("run-jobdir-a-folder-of-ones-own", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                             "cov.duckdb", "-s", "JOBDIR=folder"], 2,
         "-s JOBDIR: folder is not empty and holds no Scrapy job state"),
    # printed raw on the "Original url:" line: the ESC sequence reached the terminal
    Case("clean-url-escape-sequence", ["clean", "page.html", "--url", "http://alpha.example/1\x1b[2J"], 2,
         "--url 'http://alpha.example/1\\x1b[2J' holds a control character"),
    Case("run-reactor-that-does-not-import", ["run", "--sources", "sources.toml", "--topic", str(TOPIC), "--db",
                                              "cov.duckdb", "-s", "TWISTED_REACTOR=nope.Reactor"], 2,
         "-s TWISTED_REACTOR: 'nope.Reactor' cannot be imported"),  # was 0: the crawl died, source "not crawled"
    # "no database at cov.duckdb" of a file that is there: the space before its name could not be seen
    Case("status-db-name-with-a-leading-space", ["status", "--db", " cov.duckdb"], 2,
         "no database at ' cov.duckdb': its name starts or ends with a space"),
    Case("unknown-command", ["nosuch"], 2, "invalid choice"),
    Case("no-command", [], 2, "required"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_line_its_status_and_changes_nothing(case: Case, templates: Path, tmp_path: Path):
    work = tmp_path / "work"
    make_world(templates, work)
    env = {**env_for(tmp_path), **case.env}
    before = snapshot(work)
    if case.locked:
        with write_lock_held(work / case.locked, 60):
            proc = talkwatch(case.args, work, env)
    else:
        proc = talkwatch(case.args, work, env)
    lines = proc.stderr.splitlines()
    assert proc.returncode == case.code, proc.stderr[-3000:]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert lines[0].startswith("talkwatch") and case.says in lines[0], lines[0]
    if case.stdout:
        case.stdout(proc.stdout)
    elif case.code >= 2:
        assert proc.stdout == ""
    assert snapshot(work) == before


def test_query_streams_its_rows_and_stops_at_limit(templates: Path, tmp_path: Path):
    work = tmp_path / "work"
    make_world(templates, work)
    before = snapshot(work)
    proc = talkwatch(["query", "SELECT range AS n FROM range(100000000)", "--db", "cov.duckdb", "--format", "csv",
                      "--limit", "2500"], work, env_for(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["n"] + [str(i) for i in range(2500)]
    assert proc.stderr.splitlines() == ["talkwatch query: stopped after --limit 2500 rows; more rows match"]
    table = talkwatch(["query", "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source",
                       "--db", "cov.duckdb"], work, env_for(tmp_path))
    assert table.returncode == 0 and table.stderr == ""
    assert table.stdout.splitlines()[0].split(" | ")[0].strip() == "source" and table.stdout.endswith("(4 rows)\n")
    assert snapshot(work) == before


def test_a_huge_result_is_printed_as_it_is_fetched(templates: Path, tmp_path: Path):
    """100 million rows: the first ones arrive at once, and memory stays small (the pipe is closed early)."""
    work = tmp_path / "work"
    make_world(templates, work)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "query", "SELECT range FROM range(100000000)",
                             "--db", "cov.duckdb", "--format", "csv"], cwd=work, env=env_for(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = [proc.stdout.readline() for _ in range(3)]
        assert head == [b"range\r\n", b"0\r\n", b"1\r\n"]  # csv.writer ends rows with CRLF, as before
    finally:
        proc.stdout.close()  # the reader goes away, as `| head` does
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141 and err == b""  # quietly, like any Unix tool on a closed pipe


def test_the_sandbox_refuses_copy_and_read_text_everywhere_even_in_the_temp_folder(templates: Path, tmp_path: Path):
    """DuckDB allows its temp folder (`<db>.tmp/`) despite enable_external_access=false; the sandbox does not."""
    db = tmp_path / "cov.duckdb"
    shutil.copy(templates / "cov.duckdb", db)
    temp = tmp_path / "cov.duckdb.tmp"
    temp.mkdir()
    (temp / "secret.txt").write_text("secret", encoding="utf-8")
    con = connect(db, read_only=True)
    try:
        sandbox(con)
        for target in (temp / "out.csv", tmp_path / "out.csv", Path("/tmp") / f"tw-{os.getpid()}.csv"):
            with pytest.raises(duckdb.Error, match="disabled by configuration"):
                con.execute(f"COPY (SELECT 1) TO '{target}'")
            assert not target.exists()
        for source in (temp / "secret.txt", "cov.duckdb.tmp/secret.txt", "/etc/hostname"):
            with pytest.raises(duckdb.Error, match="disabled by configuration"):
                con.execute(f"SELECT * FROM read_text('{source}')").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("SET temp_directory = '/tmp'")  # lock_configuration: no way back
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] > 0  # reading the database still works
    finally:
        con.close()


def test_text_export_writes_atomically_and_force_replaces_it_whole(templates: Path, tmp_path: Path):
    db = tmp_path / "cov.duckdb"
    shutil.copy(templates / "cov.duckdb", db)
    out = tmp_path / "texts"
    env = env_for(tmp_path)
    first = talkwatch(["export", "--format", "text", "--out", str(out), "--db", str(db)], tmp_path, env)
    assert first.returncode == 0, first.stderr
    names = sorted(os.listdir(out))
    assert names[0] == ".talkwatch-export.json" and len(names) == 8  # 7 originals, the two copies left out
    (out / "stale.txt").write_text("from an older export", encoding="utf-8")
    again = talkwatch(["export", "--format", "text", "--out", str(out), "--db", str(db)], tmp_path, env)
    assert again.returncode == 2 and "add --force" in again.stderr
    forced = talkwatch(["export", "--format", "text", "--out", str(out), "--db", str(db), "--force"], tmp_path, env)
    assert forced.returncode == 0, forced.stderr
    assert sorted(os.listdir(out)) == names  # the stale file went with the old export
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]  # no staging or old folder left


@pytest.mark.parametrize("args", [["query", "SELECT 1", "--db", "cov.duckdb"], ["clean", "page.html"],
                                  ["clean", "--manifest", "one-bad-line.jsonl"], ["status", "--db", "cov.duckdb"]],
                         ids=["query", "clean", "manifest", "status"])
def test_an_output_the_disk_refuses_is_a_storage_failure(args: list[str], templates: Path, tmp_path: Path):
    """stdout on a full disk (/dev/full): status 4 and one line, not an internal error (70) or bad input (2)."""
    work = tmp_path / "work"
    make_world(templates, work)
    before = snapshot(work)
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=work, env=env_for(tmp_path),
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.splitlines() == [f"talkwatch {args[0]}: cannot write: No space left on device"]
    assert snapshot(work) == before


def test_query_json_lines_are_strict_json_nan_and_infinity_included(templates: Path, tmp_path: Path):
    """DuckDB's DOUBLE holds NaN and infinities; JSON has none: they are null, as JSON.stringify writes them."""
    work = tmp_path / "work"
    make_world(templates, work)
    proc = talkwatch(["query", "SELECT 'nan'::DOUBLE AS a, ['inf'::DOUBLE, 1.5] AS b, {'x': '-inf'::DOUBLE} AS c",
                      "--format", "json", "--db", "cov.duckdb"], work, env_for(tmp_path))

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x, parse_constant=refuse) for x in proc.stdout.splitlines()] == [
        {"a": None, "b": [None, 1.5], "c": {"x": None}}]


def test_query_json_lines_keep_every_column_of_a_repeated_name(templates: Path, tmp_path: Path):
    """`SELECT 1 a, 2 a` printed {"a": 2}: one key per name in a JSON object, the first column lost. The repeated
    name gets DuckDB's own suffix (a, a_1), as `SELECT * FROM (SELECT 1 a, 2 a)` names them."""
    work = tmp_path / "work"
    make_world(templates, work)
    proc = talkwatch(["query", "SELECT 1 AS a, 2 AS a, 3 AS a_1", "--format", "json", "--db", "cov.duckdb"], work,
                     env_for(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x) for x in proc.stdout.splitlines()] == [{"a": 1, "a_1": 2, "a_1_1": 3}]


def test_upgrade_brings_another_versions_views_and_macros_to_this_ones(templates: Path, tmp_path: Path):
    """A file whose schema is current but whose views and macros are an older version's: `upgrade` said "up to
    date" and changed nothing, and `report` failed on the missing macro."""
    work = tmp_path / "work"
    make_world(templates, work)
    env = env_for(tmp_path)
    up = talkwatch(["upgrade", "--db", "stale.duckdb"], work, env)
    assert up.returncode == 0 and up.stdout.strip() == "upgraded stale.duckdb: applied this version's views and macros"
    again = talkwatch(["upgrade", "--db", "stale.duckdb"], work, env)
    assert again.returncode == 0 and again.stdout.strip() == "stale.duckdb is up to date"
    report = talkwatch(["report", "--out", "r.html", "--db", "stale.duckdb"], work, env)
    assert report.returncode == 0, report.stderr


def test_upgrade_then_readers_accept_an_older_file(templates: Path, tmp_path: Path):
    db = tmp_path / "old.duckdb"
    shutil.copy(templates / "old.duckdb", db)
    env = env_for(tmp_path)
    refused = talkwatch(["status", "--db", str(db)], tmp_path, env)
    assert refused.returncode == 2 and f"run `talkwatch upgrade --db {db}` first" in refused.stderr
    done = talkwatch(["upgrade", "--db", str(db)], tmp_path, env)
    assert done.returncode == 0 and done.stdout.strip() == f"upgraded {db}: applied 002_source_state.sql"
    again = talkwatch(["upgrade", "--db", str(db)], tmp_path, env)
    assert again.returncode == 0 and again.stdout.strip() == f"{db} is up to date"
    assert talkwatch(["status", "--db", str(db)], tmp_path, env).returncode == 0


def signalled(proc: subprocess.Popen, signum: int, after: float) -> tuple[str, str]:
    """`signum` sent to a running command `after` seconds, then its stdout and stderr; killed if it outlives them."""
    try:
        time.sleep(after)
        proc.send_signal(signum)
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ctrl_c_is_one_line_and_status_130(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "clean", "--manifest", "-"], cwd=tmp_path,
                            env=env_for(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # it is waiting for the manifest's first line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert err.splitlines() == ["talkwatch: interrupted"]


def test_search_until_the_last_day_of_the_calendar(templates: Path, tmp_path: Path):
    """`--until 9999-12-31` took the day after it and ended as an internal error (OverflowError, status 70)."""
    work = tmp_path / "work"
    make_world(templates, work)
    before = snapshot(work)
    proc = talkwatch(["search", "ceasefire", "--db", "cov.duckdb", "--until", "9999-12-31", "--since", "0001-01-01",
                      "--format", "json"], work, env_for(tmp_path))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()]  # the whole period: every hit
    assert snapshot(work) == before


@pytest.mark.parametrize("sql", [
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
    "SELECT sum(hash(range)) FROM range(100000000000)",
], ids=["recursive-cte", "big-aggregate"])
def test_ctrl_c_stops_a_running_query_with_status_130(sql: str, templates: Path, tmp_path: Path):
    """DuckDB looked at Ctrl-C rarely (the aggregate ran on) and then raised RuntimeError: status 70."""
    work = tmp_path / "work"
    make_world(templates, work)
    before = snapshot(work)
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "query", sql, "--db", "cov.duckdb"], cwd=work,
                            env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = signalled(proc, signal.SIGINT, 4)  # imported, connected, and inside the statement
    assert proc.returncode == 130, err
    assert err.splitlines() == ["talkwatch: interrupted"] and out == ""
    assert snapshot(work) == before


def test_an_unexpected_error_is_one_line_with_its_traceback_in_a_log(tmp_path, monkeypatch, capsys):
    import pipelines.cli as cli

    def broken(args):
        raise KeyError("surprise")

    monkeypatch.setenv("TALKWATCH_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(cli, "cmd_status", broken)
    assert main(["status", "--db", str(tmp_path / "x.duckdb")]) == 70
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("talkwatch: internal error: KeyError: 'surprise' (details in ")
    log = Path(err[0].rsplit("(details in ", 1)[1].rstrip(")"))
    assert log.parent == tmp_path / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in broken" in text and "KeyError: 'surprise'" in text


def test_a_run_failing_inside_the_flow_keeps_prefect_tracebacks_off_the_console(prefect_api, tmp_path, monkeypatch,
                                                                                 capfd):
    """The one failure a pre-check cannot see (here a full disk as the flow opens the database): Prefect's
    tracebacks of the failed task and flow go to the log file the last line names, not to the terminal."""
    import pipelines.crawlplan as crawlplan
    import pipelines.flow as flow

    def disk_full(db):
        raise OSError(28, "No space left on device")

    (tmp_path / "sources.toml").write_text(SOURCES, encoding="utf-8")
    monkeypatch.setenv("TALKWATCH_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(flow, "read_crawl_state", disk_full)
    monkeypatch.setattr(crawlplan, "read_crawl_state", disk_full)  # the head start's read, before Prefect's
    code = main(["run", "--sources", str(tmp_path / "sources.toml"), "--topic", str(TOPIC),
                 "--db", str(tmp_path / "new.duckdb")])
    err = capfd.readouterr().err
    assert code == 4, err
    assert "Traceback" not in err
    line = [x for x in err.splitlines() if x.startswith("talkwatch: ")]
    assert len(line) == 1 and line[0].startswith(
        "talkwatch: run failed, nothing was stored: [Errno 28] No space left on device (details in "), err
    log = Path(line[0].rsplit("(details in ", 1)[1].rstrip(")")).read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and "disk_full" in log and "prefect.task_runs" in log
    assert not (tmp_path / "new.duckdb").exists()


def test_a_reprocess_that_meets_a_corrupt_block_leaves_the_file_as_it_was(templates: Path, tmp_path: Path):
    """The database opens (its catalog is intact) but a stored page's block fails its checksum when the reprocess
    reads it: status 4, one line, and the file byte for byte as it was (the views' refresh at the writable open
    used to have committed and checkpointed by then, rewriting the file)."""
    db = tmp_path / "cov.duckdb"
    shutil.copy(templates / "cov.duckdb", db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        block, at = con.execute("SELECT block_id, block_offset FROM pragma_storage_info('raw_pages') "
                                "WHERE column_name = 'body_gzip' AND block_id >= 0").fetchone()
        (block_size,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
    finally:
        con.close()
    offset = 3 * 4096 + block * block_size + at  # the file's three header blocks, then the stored bodies' block
    data = bytearray(db.read_bytes())
    data[offset:offset + 64] = bytes(b ^ 0x5A for b in data[offset:offset + 64])
    db.write_bytes(bytes(data))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    proc = talkwatch(["reprocess", "--db", str(db), "--topic", str(TOPIC)], tmp_path, env_for(tmp_path))
    assert proc.returncode == 4, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Corrupt database file" in proc.stderr, proc.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (tmp_path / "cov.duckdb.wal").exists()


def test_a_reprocess_skips_a_stored_page_whose_compressed_body_is_broken(templates: Path, tmp_path: Path):
    """One raw page's gzip cut short (a bad copy, a tool that rewrote the column) made the whole reprocess an
    "internal error" (70): the other pages were not re-derived. That page is left as it was (its article kept as
    stored), the others are re-processed, and one line names it: status 1, as for a manifest with failed lines."""
    db = tmp_path / "cov.duckdb"
    shutil.copy(templates / "cov.duckdb", db)
    con = duckdb.connect(str(db))
    try:
        (url,) = con.execute("SELECT min(r.url) FROM raw_pages r JOIN article_store a ON a.url = r.url").fetchone()
        con.execute("UPDATE raw_pages SET body_gzip = body_gzip[1:20] WHERE url = ?", [url])
        (pages,) = con.execute("SELECT count(*) FROM raw_pages").fetchone()
        kept = con.execute("SELECT article_id, title, text FROM article_store WHERE url = ?", [url]).fetchall()
    finally:
        con.close()
    proc = talkwatch(["reprocess", "--db", str(db), "--topic", str(TOPIC)], tmp_path, env_for(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"talkwatch reprocess: 1 stored page could not be read (its compressed body is broken) and was left as it "
        f"was: {url}"], proc.stderr
    assert proc.stdout.startswith(f"reprocessed {pages - 1} stored pages (run "), proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT article_id, title, text FROM article_store WHERE url = ?", [url]).fetchall() == kept
        status, errors = con.execute("SELECT status, errors FROM runs WHERE trigger = 'reprocess'").fetchone()
    finally:
        con.close()
    assert status == "completed-with-errors"
    assert [e["url"] for e in json.loads(errors)] == [url]


def test_a_page_that_would_parse_for_minutes_is_given_up_at_the_page_deadline(tmp_path: Path):
    """One tag with 60,000 attributes keeps libxml2 busy for minutes: `clean` stops it at TALKWATCH_PAGE_TIMEOUT,
    alone (status 1, one line) and in a manifest (that line's error; the good page beside it is cleaned)."""
    attrs = " ".join(f"a{i}" for i in range(60000))
    (tmp_path / "flood.html").write_text(f"<html><body><div {attrs}><p>{'word ' * 200}</p></div></body></html>",
                                         encoding="utf-8")
    (tmp_path / "page.html").write_text(article_html("Talks resume in Istanbul", TALKS, "2025-05-29T11:00:00+03:00"),
                                        encoding="utf-8")
    env = {**env_for(tmp_path), "TALKWATCH_PAGE_TIMEOUT": "2"}
    started = time.monotonic()
    alone = talkwatch(["clean", "flood.html"], tmp_path, env)
    assert time.monotonic() - started < 60
    assert alone.returncode == 1 and alone.stdout == ""
    assert alone.stderr.splitlines() == ["talkwatch clean: flood.html: gave up after 2 s: the page is too costly to "
                                         "clean, or crashed its process (the limit is TALKWATCH_PAGE_TIMEOUT)"]
    (tmp_path / "m.jsonl").write_text('{"path": "flood.html"}\n{"path": "page.html"}\n', encoding="utf-8")
    listed = talkwatch(["clean", "--manifest", "m.jsonl"], tmp_path, env)
    assert listed.returncode == 1, listed.stderr
    first, second = (json.loads(line) for line in listed.stdout.splitlines())
    assert first["line"] == 1 and first["path"] == "flood.html" and first["error"].startswith("gave up after 2 s")
    assert second["title"] == "Talks resume in Istanbul" and "error" not in second
    assert listed.stderr.splitlines() == ['talkwatch clean: 1 of 2 manifest lines failed: their JSON lines carry '
                                          '"line" and "error"']


def test_an_unusable_log_folder_does_not_lose_the_trace(tmp_path: Path, monkeypatch, capsys):
    """$TALKWATCH_LOG_DIR that is a file: the trace goes to the private temp folder, and the line names it."""
    from pipelines.clierrors import internal_error

    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    monkeypatch.setenv("TALKWATCH_LOG_DIR", str(tmp_path / "notes.txt"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "systmp"))
    (tmp_path / "systmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)  # TMPDIR is read again
    try:
        raise ZeroDivisionError("a bug")
    except ZeroDivisionError as exc:
        assert internal_error("query", exc) == 70
    line = capsys.readouterr().err.strip()
    log = Path(line.split("(details in ")[1].rstrip(")"))
    assert log.parent.parent == tmp_path / "systmp" and "ZeroDivisionError: a bug" in log.read_text(encoding="utf-8")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("argv", [
    ["query", "SELECT count(*) FROM range(100000000000) t(a) WHERE a % 7 = 3", "--db", "cov.duckdb"],  # at work
    ["query", "SELECT 1", "--db", "cov.duckdb", "--lock-timeout", "60"],  # waiting for the lock
    ["reprocess", "--db", "cov.duckdb", "--topic", str(TOPIC), "--lock-timeout", "60"],
    ["report", "--out", "r.html", "--db", "cov.duckdb", "--lock-timeout", "60"],
    ["clean", "--manifest", "-"],  # waiting for the manifest's first line
], ids=["query-at-work", "query-waiting", "reprocess", "report", "clean"])
def test_sigterm_is_one_line_and_status_143_and_changes_nothing(argv: list[str], templates: Path, tmp_path: Path):
    """A service manager's or `kill`'s SIGTERM ended these commands silently (Python's default): now
    `talkwatch: terminated`, 143, after the same clean-up as Ctrl-C. (`run` has its own: test_run_signals.py.)"""
    work = tmp_path / "w"
    make_world(templates, work)
    before = snapshot(work)
    held = write_lock_held(work / "cov.duckdb", 60) if "--lock-timeout" in argv else contextlib.nullcontext()
    with held:
        for after in (3, 10, 25):  # past the imports: at work, waiting for the lock or for a line
            proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *argv], cwd=work, env=env_for(tmp_path),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, err = signalled(proc, signal.SIGTERM, after)
            if proc.returncode != -signal.SIGTERM:  # not still importing (a busy box): the answer counts
                break
    assert proc.returncode == 143, err
    assert err.splitlines() == ["talkwatch: terminated"]
    assert snapshot(work) == before


def test_a_message_keeps_the_users_sql_context_but_not_the_catalogs():
    """PostgreSQL's context for DuckLake's own catalog SQL reached the run's one line ("LINE 2: SELECT * FROM
    postgres_query('__ducklake_metadata_talkwatch', ^"); the caret context of the user's own `query` stays."""
    from pipelines.clierrors import one_line

    lost = ("IO Error: Failed to execute query: server closed the connection unexpectedly\n"
            "LINE 2: SELECT * FROM postgres_query('__ducklake_metadata_talkwatch',\n       ^")
    assert one_line(lost) == "IO Error: Failed to execute query: server closed the connection unexpectedly"
    assert one_line('Parser Error: syntax error at or near "FORM"\nLINE 1: SELECT 1 FORM t\n                 ^') == \
        'Parser Error: syntax error at or near "FORM" LINE 1: SELECT 1 FORM t ^'


@pytest.mark.parametrize("shell, code, says", [
    # a manifest's output cut by `head`: quiet, 141, as `query | head` (it was status 2, "[Errno 32] Broken pipe")
    ('for i in $(seq 40); do echo "{\\"path\\": \\"page.html\\", \\"url\\": \\"https://a.example/$i\\"}"; done'
     ' > man.jsonl; $TW clean --manifest man.jsonl | head -1 > /dev/null; exit ${PIPESTATUS[0]}', 141, None),
    ("$TW clean --manifest - <&-", 2, "standard input is closed"),  # was 70, AttributeError
    ("$TW query 'SELECT 1' --db cov.duckdb >&-", 2, "standard output is closed"),  # was 70
    ("$TW status --db cov.duckdb >&-", 2, "standard output is closed"),  # was 0, its output lost
    # an ASCII-only output: escaped, not a UnicodeEncodeError (70) after the work was done
    ("PYTHONIOENCODING=ascii $TW query \"SELECT 'переговоры' AS t\" --db cov.duckdb --format csv", 0, None),
    # a stderr that cannot take the error line: the status still says what happened (was 1)
    ("$TW status --db missing.duckdb 2>/dev/full", 2, None),
], ids=["manifest-head", "stdin-closed", "query-stdout-closed", "status-stdout-closed", "ascii-output",
        "stderr-full"])
def test_closed_or_narrow_standard_streams(shell: str, code: int, says: str | None, templates: Path, tmp_path: Path):
    work = tmp_path / "w"
    make_world(templates, work)
    env = {**env_for(tmp_path), "TW": f"{sys.executable} -m pipelines.cli"}
    p = subprocess.run(["bash", "-c", shell], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == code, p.stderr
    assert "Traceback" not in p.stderr
    if says:
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("talkwatch") and says in lines[0], p.stderr
    elif code == 0:
        assert p.stdout.splitlines() == ["t", "\\u043f\\u0435\\u0440\\u0435\\u0433\\u043e\\u0432\\u043e\\u0440\\u044b"]
    else:
        assert p.stderr == ""


def test_an_ascii_locale_still_reads_cyrillic_arguments_and_file_names(templates: Path, tmp_path: Path):
    """`LC_ALL=C PYTHONUTF8=0`: Python reads argv and file names as ASCII; talkwatch restarts itself in UTF-8
    mode (startenv.restart_in_utf8_mode) instead of handing DuckDB undecodable text (it was status 70)."""
    work = tmp_path / "w"
    make_world(templates, work)
    shutil.copy(work / "cov.duckdb", work / "база.duckdb")
    env = {**env_for(tmp_path), "PYTHONUTF8": "0", "LC_ALL": "C", "LANG": "C"}
    env.pop("PYTHONIOENCODING", None)
    p = subprocess.run([sys.executable, "-m", "pipelines.cli", "query", "SELECT 'переговоры' AS t", "--db",
                        "база.duckdb", "--format", "csv"], cwd=work, env=env, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode("utf-8").splitlines() == ["t", "переговоры"]
    p = subprocess.run([sys.executable, "-m", "pipelines.cli", "status", "--db", "база.duckdb"], cwd=work, env=env,
                       capture_output=True, timeout=120)
    assert p.returncode == 0 and b"Last runs" in p.stdout, p.stderr
