"""Opens talkwatch's storage: short connections, migrations, views and search macros applied on the way in.

`--db` names a DuckDB file (storage/duckdbfile.py, the default) or a DuckLake URL (storage/ducklake.py); the
functions here dispatch on it (storage/backend.py) and hold what both backends share: the errors, the session
setup, the migration ledger and the shipped extensions.

Readers never write: a read-only open refuses storage that is not a talkwatch database, or one an older talkwatch
wrote (`talkwatch upgrade` migrates it), instead of changing it. Writers (`run`, `reprocess`, `upgrade`) migrate.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from storage.backend import StorageUnavailable, open_backend
from storage.searchindex import index_articles
from storage.sqlfiles import migrations, sql, statements

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DB = "data/talkwatch.duckdb"
DEFAULT_LOCK_TIMEOUT_S = 120.0

__all__ = ["DEFAULT_DB", "DatabaseBusy", "DatabaseOutdated", "DatabaseRefused", "NotTalkwatchDatabase",
           "StorageUnavailable", "check_writable_database", "connect", "describe_database", "local_paths",
           "migrate", "readable_folders", "retrying", "upgrade", "work_folder"]


class DatabaseBusy(RuntimeError):
    """Another process holds the DuckDB file open for writing beyond our patience (or, on DuckLake, other writers
    kept committing conflicting changes first)."""


class DatabaseRefused(ValueError):
    """The database cannot be used as asked: an empty path, a folder, not DuckDB, not talkwatch's, too old (or
    a $TALKWATCH_LOCK_TIMEOUT that is no number of seconds).

    Bad input: the message says what the file is and what to do, and nothing was written.
    """


class NotTalkwatchDatabase(DatabaseRefused):
    """A DuckDB file without talkwatch's `schema_migrations` ledger (no such table, or another tool's): somebody else's
    data, never to be migrated."""


class DatabaseOutdated(DatabaseRefused):
    """A talkwatch database an older version wrote: readers refuse it rather than migrate it behind the user's back."""


def lock_timeout(timeout: float | None) -> float:
    """The seconds to wait for a lock (or to retry DuckLake conflicts): `timeout`, else $TALKWATCH_LOCK_TIMEOUT,
    else 120.

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


def connect(path: str | os.PathLike, read_only: bool = False,
            timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """A talkwatch connection to the storage `path` names: a DuckDB file (storage/duckdbfile.py) or a DuckLake URL
    (storage/ducklake.py).

    A writable open creates the storage when new, applies pending migrations and refreshes the views; a file's
    writer waits (with backoff) up to `timeout` seconds for another process's lock. A read-only open never
    writes: missing storage is FileNotFoundError, anything but a current talkwatch dataset DatabaseRefused (an
    older one names `talkwatch upgrade`); unreachable storage is StorageUnavailable.
    """
    return open_backend(path).connect(read_only, lock_timeout(timeout))


def check_writable_database(path: str | os.PathLike, timeout: float | None = None,
                            must_exist: bool = False) -> None:
    """Say now, before a run or a reprocess starts, whether a writer may use `path`; raises what `connect` would.

    DatabaseRefused for storage that is not (and cannot become) talkwatch's or cannot be written, FileNotFoundError
    when `must_exist` and there is none, DatabaseBusy when a writer holds a file too long, StorageUnavailable
    when PostgreSQL cannot be reached. Writes nothing but a probe file, created and removed.
    """
    open_backend(path).check_writable(lock_timeout(timeout), must_exist)


def upgrade(path: str | os.PathLike, timeout: float | None = None) -> list[str]:
    """Migrate an existing talkwatch database to this version's schema; the names of the migrations applied.

    The one explicit migration (`talkwatch upgrade`): readers refuse an older dataset rather than change it.
    """
    return open_backend(path).upgrade(lock_timeout(timeout))


def retrying(path: str | os.PathLike, attempt: Callable[[], T], timeout: float | None = None) -> T:
    """Run `attempt` (one whole write transaction, connection included) until it commits without a conflict.

    A DuckDB file never conflicts (its lock serialises writers), so it runs once. DuckLake writers on other
    machines commit optimistically: the loser of a conflict starts again from a fresh snapshot, up to `timeout`.
    """
    return open_backend(path).retrying(attempt, lock_timeout(timeout))


def describe_database(path: str | os.PathLike) -> str:
    """The storage as messages, reports and export markers name it: the absolute file path, or the URL without
    its password."""
    return open_backend(path).describe()


def work_folder(path: str | os.PathLike) -> Path:
    """The folder below which a run keeps its crawl output (`runs/<run id>`): beside the DuckDB file, or beside a
    DuckLake's local data folder."""
    return open_backend(path).work_folder()


def local_paths(path: str | os.PathLike) -> list[Path]:
    """Local files or folders holding the data, which an output folder must never contain."""
    return open_backend(path).local_paths()


def readable_folders(path: str | os.PathLike, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Folders a sandboxed reader of `path` must still be allowed to read: a DuckLake's data folder."""
    return open_backend(path).readable_folders(con)


def session(con: duckdb.DuckDBPyConnection) -> None:
    """What every talkwatch connection has: times shown in UTC, as many threads as this process has CPUs, and the
    FTS extension (search.sql's stemmers)."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET threads = {usable_cpus()}")
    if not load_fts(con):
        raise RuntimeError("the DuckDB FTS extension could not be loaded (is duckdb-extension-fts installed?)")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: `taskset`, a container's cpuset), which DuckDB's default, the
    machine's count, ignores: its extra threads then only take turns on the allowed cores (a load pinned to one of
    two cores: 2.0 s of CPU with two threads, 1.35 s with one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform (macOS)
        return os.cpu_count() or 1


def applied_migrations(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> set[int]:
    """The migration versions the file records; NotTalkwatchDatabase when its ledger is not talkwatch's.

    Why more than the table's name: `schema_migrations` is what many tools call their ledger (Rails, golang-migrate,
    an application's own). A file whose ledger merely has that name was taken for an older talkwatch database,
    and `upgrade`, `run` and `reprocess` then created talkwatch's tables in it. talkwatch's ledger has a `name`
    column, records the migration files by their names (`001_init.sql` as version 1, which every talkwatch
    database applied first), and a newer talkwatch's files follow the same `NNN_name.sql` pattern.
    """
    what = "its schema_migrations table is another tool's"
    try:
        rows = con.execute(sql("queries/applied_migrations")).fetchall()
    except duckdb.CatalogException:
        rows, what = None, "no schema_migrations table"
    except duckdb.BinderException:  # another tool's columns (golang-migrate: version, dirty)
        rows = None
    ours = {version: name for version, name, _ in migrations()}
    if rows is not None and _talkwatch_ledger(rows, ours):
        return {version for version, _ in rows}
    raise NotTalkwatchDatabase(
        f"{path} is a DuckDB database but not a talkwatch one ({what}); give the talkwatch database with --db")


def _talkwatch_ledger(rows: list[tuple], ours: dict[int, str]) -> bool:
    """Whether ledger rows (version, name) are talkwatch's: an empty ledger (a new file, before its first
    migration), or migration 1 by its name and every version under the name of its file."""
    if not rows:
        return True
    names = dict(rows)
    if names.get(1) != ours[1]:
        return False
    for version, name in names.items():
        if not isinstance(version, int) or not isinstance(name, str):
            return False
        if version in ours and name != ours[version]:
            return False
        if version not in ours and not re.fullmatch(rf"0*{version}_\w[\w.-]*\.sql", name):
            return False
    return True


def pending_migrations(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> list[str]:
    """Names of the migrations this version ships that the file lacks (empty: up to date); DatabaseRefused for a
    file a newer talkwatch wrote."""
    done = applied_migrations(con, path)
    refuse_newer(done, path)
    return [name for version, name, _ in migrations() if version not in done]


def refuse_newer(done: set[int], path: str | os.PathLike) -> None:
    """Refuse a database with migrations this version does not know: a newer talkwatch wrote it, and this one's
    views and loader would rewrite it with an older idea of its schema."""
    unknown = sorted(done - {version for version, _, _ in migrations()})
    if unknown:
        raise DatabaseRefused(
            f"{path} was written by a newer talkwatch (schema version {unknown[-1]}; this one knows up to "
            f"{max(version for version, _, _ in migrations())}); use that talkwatch or a newer one")


def require_current(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> None:
    """Refuse a file readers cannot use as it is: somebody else's, one an older talkwatch wrote, or one whose
    views and macros are another version's (its schema current, they are not: `report` then met a missing
    macro as a storage failure, and `search` used an older stemmer without a word)."""
    pending = pending_migrations(con, path)
    if pending:
        raise DatabaseOutdated(
            f"{path} was written by an older talkwatch (missing {', '.join(pending)}); "
            f"run `talkwatch upgrade --db {path}` first")
    if not objects_current(con):
        raise DatabaseOutdated(
            f"{path} holds another talkwatch version's views and macros; run `talkwatch upgrade --db {path}` "
            f"to bring them to this version's")


def objects_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the catalog's views and macros are this version's (the `articles` view's stamp) and all there."""
    row = con.execute(sql("queries/view_comment"), [STAMP_VIEW]).fetchone()
    present = {name for (name,) in con.execute(sql("queries/object_names")).fetchall()}
    return row is not None and row[0] == objects_stamp() and object_names() <= present


def migrate(con: duckdb.DuckDBPyConnection, adapt: Callable[[str], str] | None = None) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction, then (re)create the views.

    `adapt` rewrites each migration's DDL for a backend that lacks a feature (DuckLake: no keys, no indexes);
    The views and macros are recreated only when they changed, are missing, or a migration was just applied
    (`refresh_objects`).
    """
    adapt = adapt or (lambda text: text)
    con.execute(adapt(sql("schema_migrations")))
    done = applied_migrations(con, "the database")  # never somebody else's ledger, whoever called
    refuse_newer(done, "the database")
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if version in {r[0] for r in con.execute(sql("queries/applied_migrations")).fetchall()}:
                con.execute("COMMIT")  # another writer (DuckLake: on another machine) applied it since we looked
                continue
            con.execute(adapt(text))
            con.execute(sql("queries/record_migration"), [version, name])
            con.execute("COMMIT")
        except Exception:
            rollback(con)
            raise
        applied.append(version)
        log.info("applied migration %s", name)
    refresh_objects(con, applied)
    if applied:  # a file from before the search index: index what it holds now, not at its next load
        index_articles(con, "search_todo_missing")
    return applied


def create_objects(con: duckdb.DuckDBPyConnection, applied: list[int] | None = None) -> None:
    """(Re)create the views and the search macros (views.sql, search.sql), whatever `applied` says."""
    for name in OBJECT_FILES:  # search.sql's macros need the FTS extension loaded (see session)
        for stmt in statements(name):
            con.execute(stmt)


OBJECT_FILES = ("views", "search")
OBJECTS_REFRESHED = "this version's views and macros"  # what `upgrade` applied when no migration was pending
STAMP_VIEW = "articles"  # its comment holds the version of the views and macros


def objects_stamp() -> str:
    """What the `articles` view's comment says when the catalog's views and macros are this version's."""
    digest = hashlib.sha256("\n".join(sql(name) for name in OBJECT_FILES).encode("utf-8")).hexdigest()[:16]
    return f"talkwatch views {digest}"


def object_names() -> set[str]:
    """The views and macros views.sql and search.sql create."""
    pattern = re.compile(r"CREATE\s+OR\s+REPLACE\s+(?:VIEW|MACRO)\s+(\w+)", re.IGNORECASE)
    return {m.group(1) for name in OBJECT_FILES for m in pattern.finditer(sql(name))}


def refresh_objects(con: duckdb.DuckDBPyConnection, applied: list[int] | None = None) -> None:
    """Recreate the views and macros in one transaction, only when the catalog holds another version's, lacks
    one of them, or a migration was just `applied`.

    Why: a writable open that changes nothing commits nothing. DuckLake writers that open at the same moment then
    cannot conflict over the views; a DuckDB file is left byte for byte as it was when the work that follows
    fails (a reprocess that meets a corrupt block used to have rewritten the file by then, through the checkpoint
    of the views' commit, and then said nothing was changed)."""
    if not applied and objects_current(con):
        return
    stamp = objects_stamp()
    con.execute("BEGIN TRANSACTION")
    try:
        create_objects(con)
        con.execute(f"COMMENT ON VIEW {STAMP_VIEW} IS '{stamp}'")
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK if a transaction is still open (a failed DuckLake COMMIT has already ended it)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def extension_path(package: str, name: str) -> Path | None:
    """A DuckDB extension shipped by a PyPI wheel (`duckdb-extension-<name>`): DuckDB cannot download it offline."""
    try:
        base = importlib.resources.files(package)
    except ModuleNotFoundError:
        return None
    p = Path(str(base / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"))
    return p if p.is_file() else None


def fts_extension_path() -> Path | None:
    """The FTS extension shipped by the duckdb-extension-fts wheel."""
    return extension_path("duckdb_extension_fts", "fts")


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
