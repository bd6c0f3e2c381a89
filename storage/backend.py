"""One storage URL, two backends: what a backend does, and which one a `--db` value names.

A `--db` value is either a DuckDB file path (the default) or a DuckLake URL, `ducklake:postgres:...` (catalog in
PostgreSQL, data files in a folder; storage/ducklake.py documents the syntax). Everything above this layer gets a
DuckDB connection whose default catalog holds talkwatch's tables and views, whichever backend gave it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # only annotations here: `talkwatch clean` imports this module without loading DuckDB
    import duckdb

T = TypeVar("T")

LAKE_PREFIX = "ducklake:"


class StorageUnavailable(RuntimeError):
    """The storage exists but cannot be reached now (PostgreSQL down or refusing connections): nothing was done.

    Not bad input (exit 2) and not a busy lock (exit 3): the CLI reports it as a storage failure (exit 4).
    """


class Backend(Protocol):
    """What `storage.db` asks of a storage backend. Timeouts are seconds, already resolved (storage.db.lock_timeout)."""

    def describe(self) -> str:
        """The storage as messages and reports name it (a path, or the URL without its password)."""
        ...

    def connect(self, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
        """An open talkwatch connection: a reader's refuses anything but a current talkwatch dataset and never
        writes; a writer's creates the dataset when new and applies pending migrations."""
        ...

    def check_writable(self, timeout: float, must_exist: bool) -> None:
        """Raise now what a writer's `connect` would raise later, writing nothing but a removed probe file."""
        ...

    def upgrade(self, timeout: float) -> list[str]:
        """Apply pending migrations to an existing dataset; the names of those applied."""
        ...

    def retrying(self, attempt: Callable[[], T], timeout: float) -> T:
        """Run one whole write transaction (`attempt` opens, writes, commits, closes), again from the start when
        another writer committed a conflicting change first."""
        ...

    def readable_folders(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Folders a sandboxed reader must still read (where the data files are), besides the database itself."""
        ...

    def local_paths(self) -> list[Path]:
        """Local files or folders that hold the data: an export or report folder must never contain one."""
        ...

    def work_folder(self) -> Path:
        """Where a run keeps its crawl output (`runs/<run id>` below it)."""
        ...


def is_lake_url(db: str | os.PathLike) -> bool:
    """True when `db` names a DuckLake (`ducklake:...`), False for a DuckDB file path."""
    return isinstance(db, str) and db.strip().startswith(LAKE_PREFIX)


def open_backend(db: str | os.PathLike) -> Backend:
    """The backend a `--db` value names. Nothing is opened yet; a malformed URL is DatabaseRefused."""
    if is_lake_url(db):
        from storage.ducklake import DuckLake

        return DuckLake.from_url(str(db))
    from storage.duckdbfile import DuckDBFile

    return DuckDBFile(db)


def nearest_existing(folder: Path) -> Path:
    """`folder`, or its closest ancestor that exists (where a new file or folder would be made)."""
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    return probe


def probe_folder(folder: Path) -> None:
    """Create and remove a file in `folder`: os.access says yes to root even on a read-only mount. OSError if not."""
    fd, name = tempfile.mkstemp(prefix=".talkwatch-probe-", dir=folder or ".")
    os.close(fd)
    os.unlink(name)
