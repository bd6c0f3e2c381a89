"""Opens the DuckDB file: short connections, lock retries, migrations, views and search macros applied on the way in.

Readers never write: a read-only open refuses a file that is not a talkwatch database, or one an older talkwatch
wrote (`talkwatch upgrade` migrates it), instead of changing it. Writers (`run`, `reprocess`, `upgrade`) migrate.
"""

from __future__ import annotations

import importlib.resources
import logging
import math
import os
import stat
import tempfile
import time
from pathlib import Path

import duckdb

from storage.searchindex import index_articles
from storage.sqlfiles import migrations, sql, statements

log = logging.getLogger(__name__)

DEFAULT_DB = "data/talkwatch.duckdb"
DEFAULT_LOCK_TIMEOUT_S = 120.0
DUCKDB_MAGIC = b"DUCK"  # every DuckDB file carries it at byte 8, after the header checksum
DUCKDB_MAGIC_OFFSET = 8


class DatabaseBusy(RuntimeError):
    """Another process holds the DuckDB file open for writing beyond our patience."""


class DatabaseRefused(ValueError):
    """The database cannot be used as asked: an empty path, a folder, not DuckDB, not talkwatch's, too old (or
    a $TALKWATCH_LOCK_TIMEOUT that is no number of seconds).

    Bad input: the message says what the file is and what to do, and nothing was written.
    """


class NotTalkwatchDatabase(DatabaseRefused):
    """A DuckDB file without talkwatch's `schema_migrations` ledger: somebody else's data, never to be migrated."""


class DatabaseOutdated(DatabaseRefused):
    """A talkwatch database an older version wrote: readers refuse it rather than migrate it behind the user's back."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def lock_timeout(timeout: float | None) -> float:
    """The seconds to wait for a lock: `timeout`, else $TALKWATCH_LOCK_TIMEOUT, else 120.

    Read at each open: `talkwatch run --lock-timeout` sets the variable after this module is imported.
    """
    if timeout is not None:
        return timeout
    text = os.environ.get("TALKWATCH_LOCK_TIMEOUT")
    if text is None:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:  # NaN would wait forever
        raise DatabaseRefused(f"TALKWATCH_LOCK_TIMEOUT={text!r} is not a number of seconds (0 or more)")
    return value


def check_database_file(path: str | os.PathLike) -> Path:
    """The path, if it names an existing DuckDB file; else FileNotFoundError or DatabaseRefused, reading 12 bytes.

    Why before DuckDB sees it: DuckDB blocks forever on a FIFO, and its errors for a folder or a text file are
    not the one line a user needs. The header is read without blocking and without following into a device.
    """
    text = os.fspath(path)
    if not text.strip():
        raise DatabaseRefused("the database path is empty: give the database file with --db")
    p = Path(text)
    try:
        st = p.stat()
    except FileNotFoundError:
        if os.path.islink(p):
            raise DatabaseRefused(f"{p} is a symlink to nothing; give the database file with --db") from None
        raise FileNotFoundError(f"no database at {p}: run `talkwatch run` first, or give --db") from None
    except OSError as exc:
        raise DatabaseRefused(f"cannot inspect {p}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseRefused(f"{p} is a folder, not a database file; give the file with --db")
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseRefused(f"{p} is not a regular file (a pipe or a device); give the database file with --db")
    head = _read_head(p, DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    if head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        what = "an empty file" if st.st_size == 0 else "not a DuckDB database file"
        raise DatabaseRefused(f"{p} is {what}; give the talkwatch database with --db")
    return p


def _read_head(p: Path, size: int) -> bytes:
    """The first `size` bytes; O_NONBLOCK so a file swapped for a FIFO since the stat cannot hang us."""
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise DatabaseRefused(f"cannot read {p}: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DatabaseRefused(f"{p} is not a regular file; give the database file with --db")
        return os.read(fd, size)
    except OSError as exc:
        raise DatabaseRefused(f"cannot read {p}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def connect(path: str | os.PathLike, read_only: bool = False,
            timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the file, retrying while another process holds the write lock.

    DuckDB allows one writing process per file and, while it writes, no reader either: the scheduled run and a
    manual one, or a reader during a run, wait here (with backoff) up to `timeout` seconds, then fail clearly.
    A writable open creates the file, applies pending migrations and refreshes the views. A read-only open never
    writes: a missing file is FileNotFoundError, a file that is not a current talkwatch database DatabaseRefused
    (an older one names `talkwatch upgrade`), so a user's own DuckDB file pointed at by mistake stays as it was.
    """
    timeout = lock_timeout(timeout)
    if read_only:
        path = check_database_file(path)
    else:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, timeout)
    try:
        if read_only:
            _require_current(con, path)
        _session(con)
        if not read_only:
            migrate(con)
    except BaseException:
        con.close()
        raise
    return con


def _session(con: duckdb.DuckDBPyConnection) -> None:
    """What every talkwatch connection has: times shown in UTC, and the FTS extension (search.sql's stemmers)."""
    con.execute("SET TimeZone = 'UTC'")
    if not load_fts(con):
        raise RuntimeError("the DuckDB FTS extension could not be loaded (is duckdb-extension-fts installed?)")


def _open(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                if read_only:  # a newer DuckDB's file, a damaged one, no permission: the input is wrong
                    raise DatabaseRefused(f"cannot open {path} as a DuckDB database: {_first_line(exc)}") from exc
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path} is locked by another process (a running talkwatch, or an open duckdb shell); "
                    f"gave up after {timeout:g} s"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def applied_migrations(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> set[int]:
    """The migration versions the file records; NotTalkwatchDatabase when it has no ledger (not our file)."""
    try:
        return {r[0] for r in con.execute(sql("queries/applied_migrations")).fetchall()}
    except duckdb.CatalogException:
        raise NotTalkwatchDatabase(
            f"{path} is a DuckDB database but not a talkwatch one (no schema_migrations table); "
            f"give the talkwatch database with --db") from None


def pending_migrations(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> list[str]:
    """Names of the migrations this version ships that the file lacks (empty: up to date)."""
    done = applied_migrations(con, path)
    return [name for version, name, _ in migrations() if version not in done]


def _require_current(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file readers cannot use as it is: somebody else's, or one an older talkwatch wrote."""
    pending = pending_migrations(con, path)
    if pending:
        raise DatabaseOutdated(
            f"{path} was written by an older talkwatch (missing {', '.join(pending)}); "
            f"run `talkwatch upgrade --db {path}` first")


def check_writable_database(path: str | os.PathLike, timeout: float | None = None, must_exist: bool = False) -> Path:
    """Say now, before a run or a reprocess starts, whether a writer may use `path`; raises what `connect` would.

    Accepted: a talkwatch database (an older one too: writers migrate), or (unless `must_exist`) a new file in a
    folder that exists or can be made. Refused (DatabaseRefused): an empty path, a folder, a file that is not
    talkwatch's, a parent that is a file, a folder we cannot write (DuckDB also writes a `.wal` beside the file).
    FileNotFoundError when `must_exist` and the file is missing; DatabaseBusy when a writer holds it too long.
    A probe file is created and removed in the folder, last, only when everything else passed.
    """
    text = os.fspath(path)
    if not text.strip():
        raise DatabaseRefused("the database path is empty: give the database file with --db")
    p = Path(text)
    if os.path.lexists(p) or must_exist:
        check_database_file(p)
        con = _open(p, True, lock_timeout(timeout))
        try:
            applied_migrations(con, p)
        finally:
            con.close()
        if not os.access(p, os.R_OK | os.W_OK):
            raise DatabaseRefused(f"{p} is not writable; give a database file you can write with --db")
        folder = p.parent
    else:
        folder = _nearest_existing(p.parent)
        if not folder.is_dir():
            raise DatabaseRefused(f"{folder} is a file, so {p} cannot be created; give another --db")
    _probe_folder(folder)
    return p


def _nearest_existing(folder: Path) -> Path:
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    return probe


def _probe_folder(folder: Path) -> None:
    """Create and remove a file in `folder`: os.access says yes to root even on a read-only mount."""
    try:
        fd, name = tempfile.mkstemp(prefix=".talkwatch-probe-", dir=folder or ".")
    except OSError as exc:
        raise DatabaseRefused(f"cannot write in {folder or '.'}: {exc.strerror or exc}; give another --db") from exc
    os.close(fd)
    os.unlink(name)


def upgrade(path: str | os.PathLike, timeout: float | None = None) -> list[str]:
    """Migrate an existing talkwatch database to this version's schema; the names of the migrations applied.

    The one explicit migration (`talkwatch upgrade`): readers refuse an older file rather than change it. An
    up-to-date file is only read. Refuses a missing file, a folder and anybody else's DuckDB file.
    """
    p = check_database_file(path)
    wait = lock_timeout(timeout)
    con = _open(p, True, wait)
    try:
        pending = pending_migrations(con, p)
    finally:
        con.close()
    if not pending:
        return []
    con = _open(p, False, wait)
    try:
        applied_migrations(con, p)  # still ours: nobody swapped the file between the two opens
        _session(con)
        done = set(migrate(con))
    finally:
        con.close()
    return [name for version, name, _ in migrations() if version in done]


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
