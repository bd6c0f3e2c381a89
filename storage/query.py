"""Read-only SQL for users: one statement, on a connection that cannot write to the database or to any file."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

import duckdb

from storage.db import connect, readable_folders

# Statements that only read. DESCRIBE, SHOW, SUMMARIZE, PRAGMA and VALUES parse as SELECT; CALL runs table functions.
READING = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.CALL}


class QueryRefused(ValueError):
    """A statement `talkwatch query` will not run: none, several, or one that would change something."""


def check_statement(query: str) -> str:
    """The one reading statement in `query`, or QueryRefused saying why not (DuckDB's parser decides, not a regex).

    Why refuse writes here when the connection is read-only anyway: DuckDB's own refusal ("Cannot execute
    statement of type INSERT on database ... which is attached in read-only mode") does not say what to do.
    """
    if not query.strip():
        raise QueryRefused("the query is empty: give one SELECT statement")
    found = _statements(query)
    if not found:
        raise QueryRefused("the query has no statement (only `;` or comments): give one SELECT statement")
    if len(found) > 1 and all(not s.query.strip() for s in found):
        found = found[-1:]  # one statement DuckDB desugars into several (PIVOT): its last part is what it returns
    if len(found) > 1:
        raise QueryRefused(f"the query holds {len(found)} statements: give one per `talkwatch query`")
    kind = found[0].type
    writer = _writing_function(found[0].query)
    if writer:
        raise QueryRefused(f"{writer}() is not run: it writes (a DuckLake's data files, a checkpoint), and "
                           f"`talkwatch query` only reads; nothing was changed")
    if kind not in READING:
        name = _statement_name(found[0].query, getattr(kind, "name", str(kind)))
        raise QueryRefused(f"{name} statements are not run: `talkwatch query` only reads, and nothing was changed "
                           f"(`talkwatch run`, `reprocess` and `upgrade` are what write)")
    return query


def _statements(query: str) -> list:
    """DuckDB's statements in `query`, split by an in-memory connection with no file access, or QueryRefused.

    Why not `duckdb.extract_statements`: its default connection may read any file, and DuckDB reads files while it
    parses (IMPORT DATABASE 'dir' is replaced by dir/schema.sql and dir/load.sql): `talkwatch query` read them,
    said whether they exist and quoted their first line in its error, and would block on a FIFO named schema.sql.
    """
    con = duckdb.connect(":memory:")
    try:
        sandbox(con)
        return con.extract_statements(query)
    except duckdb.PermissionException:
        first = (_COMMENT.sub(" ", query).split() or ["this"])[0].upper()
        raise QueryRefused(f"{first} statements are not run: they read files, and `talkwatch query` has no file "
                           f"access; nothing was read or changed") from None
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {_one_line(exc)}") from None
    finally:
        con.close()


# table functions that write although they are called from a SELECT or CALL: DuckLake's maintenance (flushing
# inlined rows, merging and rewriting files write new Parquet files into the data folder, which the connection must
# be allowed to read) and checkpoints; DuckLake's reading functions (snapshots, table_info, list_files, ...) stay
_WRITING_FUNCTIONS = frozenset({
    "ducklake_add_data_files", "ducklake_cleanup_old_files", "ducklake_commit", "ducklake_delete_orphaned_files",
    "ducklake_expire_snapshots", "ducklake_flush_inlined_data", "ducklake_merge_adjacent_files",
    "ducklake_rewrite_data_files", "ducklake_set_commit_message", "ducklake_set_option", "checkpoint",
    "force_checkpoint"})
# a name starts where no name character is before it: tried from every position of a long name, the search took
# quadratic time (a 100,000-character column name held `talkwatch query` for minutes before it ran)
_CALLED = re.compile(r"(?<![\w$])([A-Za-z_][\w$]*)\s*\(")
# the CHECKPOINT statement, which DuckDB parses as a CALL of checkpoint without parentheses (EXPLAIN ANALYZE runs it)
_CHECKPOINT = re.compile(r"\s*(?:EXPLAIN\s+(?:ANALY[SZ]E\s+)?)?(FORCE\s+)?CHECKPOINT\b", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'|\$(\w*)\$.*?\$\1\$", re.DOTALL)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _writing_function(text: str) -> str | None:
    """The first function of _WRITING_FUNCTIONS the statement calls, looked for outside strings and comments and
    with identifier quotes dropped (`"ducklake_flush_inlined_data"(...)` is the same call)."""
    code = _COMMENT.sub(" ", _STRING.sub("''", text)).replace('"', "")
    statement = _CHECKPOINT.match(code)
    if statement:
        return "force_checkpoint" if statement.group(1) else "checkpoint"
    for m in _CALLED.finditer(code):
        if m.group(1).lower() in _WRITING_FUNCTIONS:
            return m.group(1).lower()
    return None


def _statement_name(text: str, kind: str) -> str:
    """What to call a refused statement: its type, unless the type's name says something else than the statement
    (DuckDB files INSTALL under LOAD, and UPDATE EXTENSIONS under '???'): then its own first words."""
    words = [w.upper() for w in _COMMENT.sub(" ", text).split()[:2]]  # "/* why */ DELETE ..." is a DELETE
    if not words or (kind.isidentifier() and words[0] == kind):
        return kind
    return " ".join(words) if kind == "???" or words[0] == "FORCE" else words[0]


def sandbox(con: duckdb.DuckDBPyConnection, folders: Sequence[str] = ()) -> None:
    """No file access at all from this connection (but reading `folders`), and no setting that could give it back.

    `enable_external_access = false` still allows DuckDB's temp directory (`<db>.tmp/`, where a COPY TO or
    read_text() would otherwise work), so the temp directory is switched off first: large sorts cannot spill to
    disk and fail with an out-of-memory error instead, which is the price of "cannot touch any file".
    `folders` are where a DuckLake's data files are: its tables cannot be read without them (the catalog is
    attached read-only and statements that write are refused before they run, so they are only read).
    """
    con.execute("SET temp_directory = ''")
    if folders:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in folders)
        con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


@contextmanager
def query_cursor(db_path: str | os.PathLike, query: str, timeout: float | None = None,
                 guard: Callable[[duckdb.DuckDBPyConnection], AbstractContextManager] | None = None,
                 ) -> Iterator[duckdb.DuckDBPyConnection]:
    """The executed statement, to fetch from in batches (DuckDB streams it), on a sandboxed read-only connection.

    `guard(con)` is entered around the execution and the caller's fetching: the CLI's Ctrl-C handling
    (pipelines/clierrors.py `interruptible`) must cover the execute, where a big aggregate spends its time.
    """
    check_statement(query)
    con = connect(db_path, read_only=True, timeout=timeout)
    try:
        sandbox(con, readable_folders(db_path, con))
        with guard(con) if guard else nullcontext():
            yield con.execute(query)
    finally:
        con.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
