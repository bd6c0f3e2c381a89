"""The DuckDB-file backend (the default): one file, one writing process at a time, lock retries with backoff.

Readers never write: a read-only open refuses a file that is not a talkwatch database, or one an older talkwatch
wrote (`talkwatch upgrade` migrates it), instead of changing it. Writers (`run`, `reprocess`, `upgrade`) migrate.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from storage.backend import nearest_existing, probe_folder
from storage.db import (OBJECTS_REFRESHED, DatabaseBusy, DatabaseRefused, applied_migrations, migrate,
                        objects_current, pending_migrations, refuse_newer, require_current, session)
from storage.sqlfiles import migrations

T = TypeVar("T")

DUCKDB_MAGIC = b"DUCK"  # every DuckDB file carries it at byte 8, after the header checksum
DUCKDB_MAGIC_OFFSET = 8


class DuckDBFile:
    """A DuckDB database file. Its one writer at a time is DuckDB's file lock: a conflict is a wait, not a retry."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = path

    def describe(self) -> str:
        return os.path.abspath(os.fspath(self.path))

    def connect(self, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
        """A connection to the file, retrying while another process holds the write lock.

        DuckDB allows one writing process per file and, while it writes, no reader either: the scheduled run and
        a manual one, or a reader during a run, wait here (with backoff) up to `timeout` seconds, then fail
        clearly. A writable open creates the file, applies pending migrations and refreshes the views. A
        read-only open never writes: a missing file is FileNotFoundError, a file that is not a current talkwatch
        database DatabaseRefused (an older one names `talkwatch upgrade`), so a user's own DuckDB file pointed at
        by mistake stays as it was.
        """
        if read_only or os.path.lexists(_file_text(self.path)):
            path = check_database_file(self.path)  # a folder, a FIFO, a text file: refused before DuckDB sees it
        else:
            path = Path(_file_text(self.path))
            make_parent(path)
        con = open_file(path, read_only, timeout)
        try:
            if read_only:
                require_current(con, path)
            session(con)
            if not read_only:
                migrate(con)
        except BaseException:
            con.close()
            raise
        return con

    def check_writable(self, timeout: float, must_exist: bool) -> None:
        """Accepted: a talkwatch database (an older one too: writers migrate), or (unless `must_exist`) a new file
        in a folder that exists or can be made. Refused (DatabaseRefused): an empty path, a folder, a file that is
        not talkwatch's, a parent that is a file, a folder we cannot write (DuckDB also writes a `.wal` beside the
        file). FileNotFoundError when `must_exist` and the file is missing; DatabaseBusy when a writer holds it
        too long. A probe file is created and removed in the folder, last, only when everything else passed.
        """
        p = Path(_file_text(self.path))
        for name in (p, p.with_name(p.name + ".wal")):  # DuckDB writes <db>.wal beside it: its name must fit too
            try:
                os.lstat(name)
            except OSError as exc:
                if exc.errno == errno.ENAMETOOLONG:
                    size = len(os.fsencode(name.name))
                    raise DatabaseRefused(f"{p.name[:40]}... is too long a file name here ({size} bytes with "
                                          f"DuckDB's '.wal'); give a shorter --db") from None
        if os.path.lexists(p) or must_exist:
            check_database_file(p)
            con = open_file(p, True, timeout)
            try:
                refuse_newer(applied_migrations(con, p), p)
            finally:
                con.close()
            if not os.access(p, os.R_OK | os.W_OK):
                raise DatabaseRefused(f"{p} is not writable; give a database file you can write with --db")
            refuse_linked_wal(p)
            folder = p.parent
        else:
            folder = nearest_existing(p.parent)
            if not folder.is_dir():
                raise DatabaseRefused(f"{folder} is a file, so {p} cannot be created; give another --db")
        try:
            probe_folder(folder)
        except OSError as exc:
            raise DatabaseRefused(f"cannot write in {folder or '.'}: {exc.strerror or exc}; "
                                  f"give another --db") from exc

    def upgrade(self, timeout: float) -> list[str]:
        """The one explicit migration (`talkwatch upgrade`): readers refuse an older file rather than change it.
        An up-to-date file is only read. Refuses a missing file, a folder and anybody else's DuckDB file."""
        p = check_database_file(self.path)
        con = open_file(p, True, timeout)
        try:
            pending = pending_migrations(con, p)
            current = objects_current(con)
        finally:
            con.close()
        if not pending and current:
            return []
        con = open_file(p, False, timeout)
        try:
            applied_migrations(con, p)  # still ours: nobody swapped the file between the two opens
            session(con)
            done = set(migrate(con))  # the views and macros are recreated when their stamp differs
        finally:
            con.close()
        return [name for version, name, _ in migrations() if version in done] or [OBJECTS_REFRESHED]

    def retrying(self, attempt: Callable[[], T], timeout: float) -> T:
        """Once: the file lock already made every other writer wait, so a commit never meets a conflict."""
        return attempt()

    def readable_folders(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return []

    def local_paths(self) -> list[Path]:
        return [Path(os.fspath(self.path))]

    def work_folder(self) -> Path:
        return Path(self.path).resolve().parent


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def make_parent(path: Path) -> None:
    """Create the folders a new database file goes in; DatabaseRefused when a file stands in their place.

    Why not only in `check_writable`: a flow run that Prefect starts (a deployment, `--param db=...`) opens the
    storage without the CLI's checks, and `mkdir` under a file failed there as a bare FileExistsError.
    """
    folder = nearest_existing(path.parent)
    if not folder.is_dir():
        raise DatabaseRefused(f"{folder} is a file, so {path} cannot be created; give another --db")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):  # a storage failure, not a bad --db
            raise
        raise DatabaseRefused(f"cannot create the folder of {path}: {exc.strerror or exc}; give another --db") from exc


def check_database_file(path: str | os.PathLike) -> Path:
    """The path, if it names an existing DuckDB file; else FileNotFoundError or DatabaseRefused, reading 12 bytes.

    Why before DuckDB sees it: DuckDB blocks forever on a FIFO, and its errors for a folder or a text file are
    not the one line a user needs. The header is read without blocking and without following into a device.
    """
    p = Path(_file_text(path))
    try:
        st = p.stat()
    except FileNotFoundError:
        if os.path.islink(p):
            raise DatabaseRefused(f"{p} is a symlink to nothing; give the database file with --db") from None
        if str(p) != str(p).strip():  # `--db " data/x.duckdb"`: "no database at data/x.duckdb" hid the space
            raise FileNotFoundError(f"no database at {str(p)!r}: its name starts or ends with a space") from None
        raise FileNotFoundError(f"no database at {p}: run `talkwatch run` first, or give --db") from None
    except OSError as exc:
        raise DatabaseRefused(f"cannot inspect {p}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseRefused(f"{p} is a folder, not a database file; give the file with --db")
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseRefused(f"{p} is not a regular file (a pipe or a device); give the database file with --db")
    head = _read_head(p, DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    if head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        what = "an empty file" if not head else "not a DuckDB database file"
        raise DatabaseRefused(f"{p} is {what}; give the talkwatch database with --db")
    return p


def _file_text(path: str | os.PathLike) -> str:
    """The --db text, refusing an empty one and one ending in a slash.

    Why the slash: `data/` names a folder, and Path() would silently drop the slash and create (or open) a
    file called `data`.
    """
    text = os.fspath(path)
    if not text.strip():
        raise DatabaseRefused("the database path is empty: give the database file with --db")
    if text.endswith(("/", os.sep)):
        raise DatabaseRefused(f"{text} ends with '/', so it names a folder; give the database file with --db "
                              f"(such as {text.rstrip('/' + os.sep) or '.'}/talkwatch.duckdb)")
    scheme = _URL_SCHEME.match(text.strip())
    if scheme:
        # DuckDB would read s3:// or http:// through extensions it downloads (none may be), and a path would
        # make folders called "s3:"; a DuckLake is written "ducklake:" in lower case
        raise DatabaseRefused(f"{text} is a URL ({scheme.group(1)}:), not a database file; --db takes a DuckDB file "
                              f"path or a ducklake:postgres:... URL")
    special = _DUCKDB_SPECIAL.match(text.strip()) or _DUCKDB_SPECIAL.match(str(Path(text)))  # "./md:x" is "md:x"
    if special:
        # DuckDB does not open these as files: ":memory:" is a database that vanishes at exit (a run would store
        # nothing and say it stored everything), "md:" is MotherDuck, reached through an extension it downloads
        what = "an in-memory database" if special.group(1).lower() == ":memory:" else "a MotherDuck database"
        raise DatabaseRefused(f"{text} names {what} to DuckDB, not a file; give a database file with --db")
    return text


_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):(?://|[A-Za-z]+:)")
_DUCKDB_SPECIAL = re.compile(r"(:memory:|md:|motherduck:)", re.IGNORECASE)


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


def refuse_linked_wal(path: Path) -> None:
    """DatabaseRefused when the file's write-ahead log (`<db>.wal`) is a symlink: a writer would write its log
    through the link into whatever file it names, and delete the link at the checkpoint."""
    wal = Path(f"{path}.wal")
    if wal.is_symlink():
        raise DatabaseRefused(f"{wal} is a symlink; a writer would overwrite what it points to: remove the link "
                              f"(DuckDB makes its own log there)")


def open_file(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting with backoff while another process holds the file's lock (DatabaseBusy after
    `timeout` seconds)."""
    if not read_only:
        refuse_linked_wal(path)
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
