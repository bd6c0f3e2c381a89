"""The DuckLake backend: the catalog in PostgreSQL, the data files in a folder, several writers on several machines.

The URL (`--db`, `$TALKWATCH_DB`):

    ducklake:postgres:<libpq connection string>[?data=<folder>]
    ducklake:postgres://user[:password]@host[:port]/dbname[?data=<folder>]     (the same, as a libpq URI)

e.g. `ducklake:postgres:dbname=talkwatch host=127.0.0.1 user=postgres?data=/srv/talkwatch/lake` or, with nothing
to quote, `ducklake:postgres://postgres@127.0.0.1/talkwatch?data=/srv/talkwatch/lake`. The PostgreSQL database
must exist (`createdb talkwatch`) and hold no other tables; the first writer creates the DuckLake catalog in it
and records the data folder there, so `?data=` is needed only then (a later URL may leave it out, or must name the
same folder). A data location with a scheme (`s3://bucket/prefix`) is passed to DuckLake as it is and needs DuckDB's
httpfs extension (`duckdb-extension-httpfs`) and credentials set up for DuckDB. libpq's own settings work as usual
(PGPASSWORD, ~/.pgpass, sslmode=...); without a `connect_timeout` of its own the connection gives up after 10 s.

What differs from a DuckDB file, and why:
- DuckLake has no PRIMARY KEY, UNIQUE or indexes: the migrations run with those removed (`ducklake_ddl`); the
  loader never relied on them (storage/load.py checks canonical URLs itself, upserts are MERGE INTO).
- Writers do not wait for a lock; they commit optimistically. Every load rewrites the one row of the table
  `load_serial` (created here, the one table a DuckDB file lacks), so two loads that overlap conflict at COMMIT and
  the later one is retried from a fresh snapshot (`retrying`), which then sees the other's articles.
- Views and macros live in the catalog like tables; they are recreated only when views.sql or search.sql changed
  (a stamp in the `articles` view's comment, storage.db.refresh_objects, as for a DuckDB file), so writers opening
  at once do not conflict over them.
- Readers attach read-only: PostgreSQL runs their catalog reads in read-only transactions.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shlex
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote

import duckdb

from storage.backend import LAKE_PREFIX, StorageUnavailable, nearest_existing, probe_folder
from storage.db import (OBJECTS_REFRESHED, DatabaseBusy, DatabaseRefused, applied_migrations, extension_path,
                        migrate, objects_current, pending_migrations, refuse_newer, require_current, rollback,
                        session)
from storage.privatedir import private_temp_folder
from storage.sqlfiles import migrations, split_statements, sql

log = logging.getLogger(__name__)

T = TypeVar("T")

ALIAS = "talkwatch"  # the attached catalog's name; every connection `USE`s it, so SQL names no catalog
OPTIONS = ("data",)
CONNECT_TIMEOUT_S = 10
_URI = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# a keyword with nothing after its '=' (`dbname=` at the end, or `dbname= host=h`, which libpq reads as the database
# "host=h" and then connects through the local socket): libpq's answer was "cannot reach PostgreSQL" (exit 4)
_EMPTY_KEYWORD = re.compile(r"(?:^|\s)(\w+)\s*=(?:\s*$|\s+(?=\w+\s*=))")  # password=a=b stays a value


@dataclass(frozen=True)
class LakeURL:
    """A parsed DuckLake URL: the libpq connection string of the catalog and the data location (None: the one the
    catalog recorded)."""

    url: str
    conninfo: str
    data: str | None

    @property
    def is_uri(self) -> bool:
        return bool(_URI.match(self.conninfo))


def parse_url(url: str) -> LakeURL:
    """Split a `ducklake:postgres:...` URL; DatabaseRefused saying what is wrong with it."""
    text = url.strip()
    if not text.startswith(LAKE_PREFIX):
        raise DatabaseRefused(f"{text!r} is not a DuckLake URL (ducklake:postgres:...)")
    rest = text[len(LAKE_PREFIX):]
    if _URI.match(rest):
        conninfo = rest
    elif rest.lower().startswith("postgres:"):
        conninfo = rest[len("postgres:"):]
    else:
        raise DatabaseRefused(f"{mask(text)}: talkwatch keeps a DuckLake catalog in PostgreSQL only; write "
                              f"ducklake:postgres:dbname=NAME host=HOST user=USER?data=FOLDER")
    conninfo, options = _split_options(conninfo, text)
    if not conninfo.strip():
        raise DatabaseRefused(f"{mask(text)} names no PostgreSQL database: write "
                              f"ducklake:postgres:dbname=NAME host=HOST user=USER?data=FOLDER")
    empty = None if _URI.match(conninfo) else _EMPTY_KEYWORD.search(conninfo)
    if empty:
        raise DatabaseRefused(f"{mask(text)}: {empty.group(1)}= has no value; write {empty.group(1)}=VALUE (quote "
                              f"a value with spaces in single quotes), or leave {empty.group(1)} out")
    data = options.get("data")
    if data is not None:
        if not data.strip():
            raise DatabaseRefused(f"{mask(text)}: ?data= is empty; give the folder for the data files")
        if not _SCHEME.match(data):
            data = os.path.abspath(os.path.expanduser(data))
    return LakeURL(url=text, conninfo=conninfo.strip(), data=data)


def _split_options(conninfo: str, url: str) -> tuple[str, dict[str, str]]:
    """(conninfo, talkwatch's options) from `conninfo?data=...`; a URI keeps its own query parameters."""
    head, sep, tail = conninfo.rpartition("?")
    if not sep:
        return conninfo, {}
    ours: dict[str, str] = {}
    theirs: list[str] = []
    for item in tail.split("&"):
        key, eq, value = item.partition("=")
        if key in OPTIONS and eq:
            ours[key] = unquote(value)
        elif _URI.match(conninfo):
            theirs.append(item)  # sslmode=require and the like belong to libpq
        else:
            raise DatabaseRefused(f"{mask(url)}: unknown option {key!r} after '?'; the one option is "
                                  f"data=FOLDER (PostgreSQL settings go before the '?')")
    return (head + ("?" + "&".join(theirs) if theirs else "")), ours


def mask(text: str) -> str:
    """The URL or connection string with any password replaced by ***, for messages and reports."""
    text = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return re.sub(r"(postgres(?:ql)?://[^:/@?\s]+:)[^@\s]*@", r"\1***@", text, flags=re.IGNORECASE)


def ducklake_ddl(text: str) -> str:
    """A migration as DuckLake takes it: PRIMARY KEY (kept as the NOT NULL it implies) and UNIQUE constraints and
    CREATE INDEX statements removed.

    Why this is safe: talkwatch never relies on them to keep data right (storage/load.py checks canonical URLs
    inside its transaction; upserts are MERGE INTO); on a DuckDB file they only speed up lookups.
    """
    out = []
    for stmt in split_statements(text):
        code = "\n".join(_code(line) for line in stmt.splitlines())
        if re.match(r"\s*CREATE\s+(UNIQUE\s+)?INDEX\b", code, re.IGNORECASE):
            continue
        code = re.sub(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", "", code, flags=re.IGNORECASE)
        code = re.sub(r"\s+PRIMARY\s+KEY\b", " NOT NULL", code, flags=re.IGNORECASE)  # what a key implied
        code = re.sub(r"\s+UNIQUE\b", "", code, flags=re.IGNORECASE)
        out.append(code.strip().rstrip(";"))
    return ";\n".join(out) + (";" if out else "")


def _code(line: str) -> str:
    """The line without its trailing `--` comment (one outside a quoted string)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == "'":
            quoted = not quoted
        elif not quoted and line.startswith("--", i):
            return line[:i].rstrip()
    return line


def is_conflict(exc: BaseException) -> bool:
    """A commit DuckLake refused because another transaction changed the same tables first, or a new catalog that
    another writer was creating in PostgreSQL at the same moment (its CREATE TABLEs collide)."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc)
    if "Failed to initialize DuckLake" in text:
        return "duplicate key" in text or "already exists" in text
    return "conflict" in text.lower() and (isinstance(exc, duckdb.TransactionException)
                                           or "Transaction conflict" in text)


class DuckLake:
    """A DuckLake dataset: catalog in PostgreSQL, Parquet data files in a folder (or bucket)."""

    def __init__(self, spec: LakeURL) -> None:
        self.spec = spec

    @classmethod
    def from_url(cls, url: str) -> DuckLake:
        return cls(parse_url(url))

    def describe(self) -> str:
        return mask(self.spec.url)

    # ------------------------------------------------------------------------------------------------ the API

    def connect(self, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
        """A reader's connection attaches read-only and refuses anything but a current talkwatch dataset; a
        writer's creates the catalog when new, checks the data folder can be written, migrates (retrying when a
        writer elsewhere migrates at the same moment) and leaves `load_serial` in place."""
        if read_only:
            con = self._attach(read_only=True)
            try:
                self._require_dataset(con)
                require_current(con, self._quoted())
            except BaseException:
                con.close()
                raise
            return con
        return self.retrying(self._open_writer, timeout)

    def check_writable(self, timeout: float, must_exist: bool) -> None:
        """PostgreSQL reachable, the catalog talkwatch's (or none yet, unless `must_exist`), the data folder
        writable; checked through a read-only attach, so nothing is created."""
        try:
            con = self._attach(read_only=True)
        except FileNotFoundError:
            if must_exist:
                raise
            if self.spec.data is None:
                raise DatabaseRefused(self._needs_data()) from None
            self._refuse_foreign_database()
            self._probe_data(self.spec.data)
            return
        try:
            if must_exist:
                self._require_dataset(con)
            if self._tables(con):
                refuse_newer(applied_migrations(con, self._quoted()), self._quoted())
            data = self._data_path(con)
        finally:
            con.close()
        self._probe_data(data)

    def upgrade(self, timeout: float) -> list[str]:
        """Migrate an existing talkwatch DuckLake; an up-to-date one is only read."""
        con = self._attach(read_only=True)
        try:
            self._require_dataset(con)
            pending = pending_migrations(con, self._quoted())
            current = objects_current(con)
        finally:
            con.close()
        if not pending and current:
            return []

        def attempt() -> set[int]:
            con = self._attach(read_only=False)
            try:
                applied_migrations(con, self._quoted())  # still ours
                self._probe_data(self._data_path(con))
                done = set(migrate(con, adapt=ducklake_ddl))
                self._ensure_serial(con)
                return done
            finally:
                con.close()

        done = self.retrying(attempt, timeout)
        return [name for version, name, _ in migrations() if version in done] or [OBJECTS_REFRESHED]

    def retrying(self, attempt: Callable[[], T], timeout: float) -> T:
        """`attempt` again, after a growing and jittered pause, each time its commit lost a conflict; DatabaseBusy
        when conflicts go on past `timeout` seconds. Each attempt is a whole transaction: all of it or none."""
        deadline = time.monotonic() + timeout
        delay = 0.1
        lost = 0
        while True:
            try:
                return attempt()
            except duckdb.Error as exc:
                if not is_conflict(exc):
                    raise
                lost += 1
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(
                        f"{self.describe()}: other writers kept committing first ({lost} conflicts); "
                        f"gave up after {timeout:g} s") from exc
                log.info("DuckLake commit conflict (%d so far); starting the transaction again", lost)
                time.sleep(min(delay * random.uniform(0.5, 1.5), max(deadline - time.monotonic(), 0.0)))
                delay = min(delay * 2, 5.0)

    def readable_folders(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        data = self._data_path(con)
        return [data] if data else []

    def local_paths(self) -> list[Path]:
        data = self.spec.data
        return [Path(data)] if data and not _SCHEME.match(data) else []

    def work_folder(self) -> Path:
        """Beside the local data folder the URL names; else (no `?data=`, as every run after the first may leave
        it out, or object storage) a private folder in the temp folder. It was `./data` of whatever folder the
        run started in: a folder the user never named, created there, and a read-only one failed the run."""
        local = self.local_paths()
        return local[0].parent if local else private_temp_folder("talkwatch-{uid}-work")

    # -------------------------------------------------------------------------------------------- internals

    def _open_writer(self) -> duckdb.DuckDBPyConnection:
        self._refuse_foreign_database()  # both before the attach, which would create a new catalog in PostgreSQL
        self._probe_data(self.spec.data)
        con = self._attach(read_only=False)
        try:
            self._probe_data(self._data_path(con))
            if self._tables(con):
                applied_migrations(con, self._quoted())  # somebody else's DuckLake is never migrated
            migrate(con, adapt=ducklake_ddl)
            self._ensure_serial(con)
        except BaseException:
            con.close()
            raise
        return con

    def _attach(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB with the extensions loaded from their wheels and the catalog attached and in use."""
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            con.execute(f"SET temp_directory = {_literal(_spill_folder())}")
            session(con)
            self._load_extensions(con)
            options = ["READ_ONLY"] if read_only else []
            if self.spec.data is not None:
                options.append(f"DATA_PATH {_literal(self.spec.data)}")
            target = _literal(f"ducklake:postgres:{self._conninfo()}")
            clause = f" ({', '.join(options)})" if options else ""
            try:
                con.execute(f"ATTACH {target} AS {ALIAS}{clause}")
            except duckdb.Error as exc:
                raise self._translate(exc) from None
            con.execute(f"USE {ALIAS}")
        except BaseException:
            con.close()
            raise
        return con

    def _refuse_foreign_database(self) -> None:
        """DatabaseRefused when the PostgreSQL database holds no DuckLake but other tables: a writer would create
        DuckLake's catalog tables among them.

        Why: a URL naming the wrong database (Prefect's, an application's) had a run write some forty
        `ducklake_*` tables into it, where a DuckDB file that is not talkwatch's is refused. A database that already
        holds a DuckLake (its `ducklake_metadata`) goes on to the usual checks (somebody else's DuckLake is refused
        there); an empty one gets its new DuckLake.
        """
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            self._load_extension(con, "duckdb_extension_postgres_scanner", "postgres_scanner")
            try:
                con.execute(f"ATTACH {_literal(self._conninfo())} AS pg (TYPE postgres, READ_ONLY)")
                names = [name for (name,) in con.execute(sql("queries/postgres_tables")).fetchall()]
            except duckdb.Error as exc:
                raise self._translate(exc) from None
        finally:
            con.close()
        if not names or any(name.endswith(".ducklake_metadata") for name in names):
            return
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise DatabaseRefused(f"the PostgreSQL database of {self.describe()} holds other tables ({shown}) and no "
                              f"DuckLake: a new DuckLake goes into a database of its own; create one (`createdb "
                              f"talkwatch`) and name it in the URL")

    def _load_extensions(self, con: duckdb.DuckDBPyConnection) -> None:
        wanted = [("duckdb_extension_postgres_scanner", "postgres_scanner"), ("duckdb_extension_ducklake", "ducklake")]
        if self.spec.data and _SCHEME.match(self.spec.data):
            wanted.append(("duckdb_extension_httpfs", "httpfs"))
        for package, name in wanted:
            self._load_extension(con, package, name)

    def _load_extension(self, con: duckdb.DuckDBPyConnection, package: str, name: str) -> None:
        """LOAD one extension from its wheel (extensions cannot be downloaded); DatabaseRefused naming the wheel
        to install when it is missing."""
        p = extension_path(package, name)
        if p is None:
            pip = package.replace("_", "-")
            raise DatabaseRefused(f"the DuckDB {name} extension is missing, which {self.describe()} needs: "
                                  f"pip install {pip}=={duckdb.__version__}")
        con.execute(f"LOAD {_literal(str(p))}")

    def _conninfo(self) -> str:
        """The connection string, with a connect timeout unless it has one: an unreachable host answers in seconds."""
        info = self.spec.conninfo
        if "connect_timeout" in info:
            return info
        if self.spec.is_uri:
            return info + ("&" if "?" in info else "?") + f"connect_timeout={CONNECT_TIMEOUT_S}"
        return f"{info} connect_timeout={CONNECT_TIMEOUT_S}"

    def _translate(self, exc: duckdb.Error) -> Exception:
        """The one-line error a user can act on for a failed ATTACH; the exception itself when it is none of ours."""
        text = str(exc)
        where = self.describe()
        if "creating a new DuckLake is explicitly disabled" in text:
            return FileNotFoundError(f"no talkwatch data at {where}: run `talkwatch run --db {self._quoted()}` "
                                     f"first (the PostgreSQL database exists but holds no DuckLake)")
        if "data_path is not set" in text:
            return DatabaseRefused(self._needs_data())
        if "does not match existing data path" in text:
            stored = re.search(r'existing data path in the catalog "([^"]*)"', text)
            return DatabaseRefused(f"{where}: this DuckLake keeps its data in "
                                   f"{stored.group(1) if stored else 'another folder'}; give that folder as "
                                   f"?data=, or leave ?data= out")
        if "Unable to connect to Postgres" in text:
            reason = mask(_pg_reason(text))  # libpq quotes a URI it cannot parse, password included
            missing = re.search(r'database "([^"]+)" does not exist', reason)
            if missing:
                return DatabaseRefused(f"PostgreSQL has no database {missing.group(1)!r} ({where}): create it "
                                       f"first, e.g. `createdb {missing.group(1)}`")
            if re.search(r"role .* does not exist|password authentication failed|no pg_hba\.conf entry|"
                         r"authentication failed", reason):
                return DatabaseRefused(f"PostgreSQL refused the login for {where}: {reason}")
            if re.search(r'invalid (?:integer|connection option|URI|sslmode|value)|missing "=" after|'
                         r"unterminated quoted string|invalid port|percent-encoded|in URI\b|URI query parameter|"
                         r"IPv6 host address", reason):
                # libpq could not read the connection string: a mistake in --db, not an outage
                return DatabaseRefused(f"the PostgreSQL connection in {where} is not valid: {reason}")
            return StorageUnavailable(f"cannot reach PostgreSQL for {where}: {reason}")
        return exc

    def _needs_data(self) -> str:
        return (f"{self.describe()} holds no DuckLake yet, and a new one needs a folder for its data files: "
                f"add ?data=FOLDER to the URL")

    def _quoted(self) -> str:
        return shlex.quote(self.describe())

    def _tables(self, con: duckdb.DuckDBPyConnection) -> int:
        return con.execute(sql("queries/count_tables")).fetchone()[0]

    def _require_dataset(self, con: duckdb.DuckDBPyConnection) -> None:
        """A catalog without a single table is no dataset yet (a first writer stopped before its first commit)."""
        if not self._tables(con):
            raise FileNotFoundError(f"no talkwatch data at {self.describe()}: run `talkwatch run --db "
                                    f"{self._quoted()}` first")

    def _data_path(self, con: duckdb.DuckDBPyConnection) -> str | None:
        row = con.execute(sql("queries/ducklake_data_path"), [ALIAS]).fetchone()
        return row[0] if row else self.spec.data

    def _probe_data(self, data: str | None) -> None:
        """A local data folder must be writable now (small loads are inlined in PostgreSQL: without this check a
        read-only folder would only fail the first large load). Folders still missing are made by DuckLake."""
        if not data or _SCHEME.match(data):
            return
        folder = Path(data)
        target = folder if folder.is_dir() else nearest_existing(folder)
        try:
            if not target.is_dir():
                raise NotADirectoryError(f"{target} is not a folder")
            probe_folder(target)
        except OSError as exc:
            raise DatabaseRefused(f"cannot write the DuckLake data folder {folder}: "
                                  f"{exc.strerror or exc}") from exc

    def _ensure_serial(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create `load_serial` and its row once; racing creators conflict and the loser finds it made."""
        if con.execute(sql("queries/has_load_serial")).fetchone()[0]:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql("queries/create_load_serial"))
            con.execute(sql("queries/seed_load_serial"))  # its row, unless a writer made both since we looked
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise


def _pg_reason(text: str) -> str:
    """libpq's reason from DuckDB's "Unable to connect to Postgres at "<conninfo>": <reason>" (one line, and
    without the connection string, which may hold a password)."""
    m = re.search(r'Unable to connect to Postgres at "(?:[^"\\]|\\.)*":\s*(.*)', text, re.DOTALL)
    reason = m.group(1) if m else text
    lines = [" ".join(line.split()) for line in reason.splitlines()]
    return "; ".join(line for line in lines if line) or "connection failed"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _spill_folder() -> str:
    """Where an in-memory DuckDB may spill a large sort: the temp folder, never the current one."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), f"talkwatch-{uid}-spill")
