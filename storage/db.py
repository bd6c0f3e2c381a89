"""Opens the DuckDB file: short connections, lock retries, migrations, views and search macros applied on the way in."""

from __future__ import annotations

import importlib.resources
import logging
import os
import time
from pathlib import Path

import duckdb

from storage.searchindex import index_articles
from storage.sqlfiles import migrations, sql, statements

log = logging.getLogger(__name__)

DEFAULT_DB = "data/talkwatch.duckdb"
DEFAULT_LOCK_TIMEOUT_S = 120.0


class DatabaseBusy(RuntimeError):
    """Another process holds the DuckDB file open for writing beyond our patience."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def connect(path: str | os.PathLike, read_only: bool = False, timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the file, retrying while another process holds the write lock.

    DuckDB allows one writing process per file and, while it writes, no reader either: the scheduled run and a
    manual one, or a reader during a run, wait here (with backoff) up to `timeout` seconds, then fail clearly.
    A writable open creates the file, applies pending migrations and refreshes the views; a read-only open of a
    file an older talkwatch wrote migrates it first, or its views would name columns it lacks.
    """
    path = Path(path)
    if timeout is None:  # read at each open: `talkwatch run --lock-timeout` sets it after this module is imported
        timeout = float(os.environ.get("TALKWATCH_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_S))
    if read_only and not path.exists():
        raise FileNotFoundError(f"no database at {path}: run `talkwatch run` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, timeout)
    if read_only and _behind(con):
        con.close()
        connect(path, timeout=timeout).close()  # migrates
        con = _open(path, True, timeout)
    con.execute("SET TimeZone = 'UTC'")
    if not load_fts(con):
        con.close()
        raise RuntimeError("the DuckDB FTS extension could not be loaded (is duckdb-extension-fts installed?)")
    if not read_only:
        migrate(con)
    return con


def _open(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path} is locked by another process (a running talkwatch, or an open duckdb shell); "
                    f"gave up after {timeout:.0f} s"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _behind(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file lacks migrations this version ships."""
    try:
        done = {r[0] for r in con.execute(sql("queries/applied_migrations")).fetchall()}
    except duckdb.CatalogException:
        done = set()
    return any(version not in done for version, _, _ in migrations())


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction, then (re)create the views."""
    con.execute(sql("schema_migrations"))
    done = {row[0] for row in con.execute(sql("queries/applied_migrations")).fetchall()}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(text)
            con.execute(sql("queries/record_migration"), [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
        log.info("applied migration %s", name)
    for name in ("views", "search"):  # search.sql's macros need the FTS extension loaded (see connect)
        for stmt in statements(name):
            con.execute(stmt)
    if applied:  # a file from before the search index: index what it holds now, not at its next load
        index_articles(con, "search_todo_missing")
    return applied


def fts_extension_path() -> Path | None:
    """The FTS extension shipped by the duckdb-extension-fts wheel (DuckDB cannot download it offline)."""
    try:
        base = importlib.resources.files("duckdb_extension_fts")
    except ModuleNotFoundError:
        return None
    p = Path(str(base / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"))
    return p if p.is_file() else None


def load_fts(con: duckdb.DuckDBPyConnection) -> bool:
    """LOAD the shipped FTS extension into this connection; False when it is not available."""
    p = fts_extension_path()
    if p is None:
        return False
    try:
        con.execute(f"LOAD '{p}'")
    except duckdb.Error as exc:  # a mismatched build: search is optional, the rest works
        log.warning("could not load the FTS extension: %s", exc)
        return False
    return True
