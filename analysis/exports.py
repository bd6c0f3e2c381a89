"""`talkwatch export --format parquet|csv|jsonl|text`: the articles as files analysts can load anywhere (text: one
seed-style file per original article, analysis/textexport.py), each written into a safe folder (analysis/outdir.py)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from analysis.outdir import OutDirFailed, OutDirRefused, check_out_dir, files_in, staged, write_marker
from analysis.sqlfiles import sql
from pipelines.clierrors import (EXIT_BAD_INPUT, EXIT_BUSY, EXIT_INTERRUPTED, EXIT_STORAGE, EXIT_TERMINATED,
                                 Terminated, fail, internal_error, sigterm_raises)
from storage.db import DatabaseBusy, DatabaseRefused, connect, describe_database, local_paths

FORMATS = ("parquet", "csv", "jsonl", "text")
KIND = "export"  # the marker is `.talkwatch-export.json`
CSV_FILE = "articles.csv"
JSONL_FILE = "articles.jsonl"
EMPTY_PARTITION = "month=none"  # where an export of no articles keeps its schema-only parquet file
PARQUET_FILE = "data_0.parquet"  # DuckDB's own name for the first file of a partition

PROG = "talkwatch export"

# How a cell is written where the format cannot carry the DuckDB type as is. Every timestamp is ISO 8601 in UTC
# with microseconds and an explicit offset, a fixed width, so text order is time order.
ISO_UTC = "strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%S.%f+00:00')"
LIST_AS_JSON = "CAST(to_json({col}) AS VARCHAR)"
AS_TEXT = "CAST({col} AS VARCHAR)"


class ExportError(Exception):
    """An export that could not be written; `exit_code` is what the command returns for it."""

    exit_code = EXIT_STORAGE


class ExportInputError(ExportError, ValueError):
    """Bad input: an unknown format, a missing or unreadable database, an --out that is not ours to write."""

    exit_code = EXIT_BAD_INPUT


class ExportWriteError(ExportError):
    """The export could not be stored (permission, disk full, a concurrent writer); nothing was left behind."""

    exit_code = EXIT_STORAGE


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: its folder, format, article count and data files (relative, marker excluded)."""

    path: Path
    format: str
    rows: int
    files: list[str] = field(default_factory=list)


def export_sql() -> str:
    """The export's query (analysis/sql/export_articles.sql), without a trailing `;` so it can be wrapped."""
    return sql("export_articles").strip().rstrip(";")


def export_articles(db_path: str | os.PathLike, fmt: str, out_dir: str | os.PathLike, force: bool = False,
                    timeout: float | None = None) -> ExportResult:
    """Write every article to `out_dir` as parquet (partitioned by month), csv, jsonl or text, all or nothing.

    `out_dir` must be new or empty, or with `force` an earlier talkwatch export, which is replaced whole. The
    folder is written beside the target and renamed into place, so no reader ever sees half an export. Raises
    ExportInputError (bad format, database or folder), storage.db.DatabaseBusy, or ExportWriteError.
    """
    if fmt not in FORMATS:
        raise ExportInputError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    try:
        target = check_out_dir(out_dir, KIND, force=force, keep_outside=tuple(local_paths(db_path)))
    except (OutDirRefused, DatabaseRefused) as exc:
        raise ExportInputError(str(exc)) from exc
    con = _open(db_path, timeout)
    try:
        with _write_errors(), staged(target) as tmp:
            rows = write_articles(con, fmt, tmp)
            files = files_in(tmp)
            write_marker(tmp, KIND, {
                "format": fmt, "written_at": datetime.now(timezone.utc).isoformat(), "rows": rows,
                "files": files, "database": describe_database(db_path)})
    finally:
        con.close()
    return ExportResult(target.path, fmt, rows, files)


def _open(db_path: str | os.PathLike, timeout: float | None) -> duckdb.DuckDBPyConnection:
    """A read-only connection; a missing or unreadable file is the caller's mistake, a lock is DatabaseBusy."""
    try:
        return connect(db_path, read_only=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise ExportInputError(str(exc)) from exc
    except DatabaseBusy:
        raise
    except DatabaseRefused as exc:  # a folder, not DuckDB, not talkwatch's, or an older talkwatch's (upgrade)
        raise ExportInputError(str(exc)) from exc
    except duckdb.Error as exc:
        raise ExportInputError(f"cannot open the database {db_path}: {exc}") from exc
    except RuntimeError as exc:  # the FTS extension is missing: the install is broken, not the input
        raise ExportWriteError(str(exc)) from exc


@contextmanager
def _write_errors() -> Iterator[None]:
    """Turn what can go wrong while writing into the export's own exceptions, each with one clear message."""
    try:
        yield
    except OutDirRefused as exc:
        raise ExportInputError(str(exc)) from exc
    except OutDirFailed as exc:
        raise ExportWriteError(str(exc)) from exc
    except duckdb.Error as exc:  # DuckDB reports a full disk or an unwritable file as an IOException
        raise ExportWriteError(f"writing the export failed: {exc}") from exc
    except OSError as exc:
        raise ExportWriteError(f"writing the export failed: {exc.strerror or exc}") from exc


def write_articles(con: duckdb.DuckDBPyConnection, fmt: str, folder: Path) -> int:
    """Write the export's files into `folder` (an empty one) with DuckDB's COPY, streaming; returns the row count
    (for text, the original articles written, one file each)."""
    if fmt == "text":
        from analysis.textexport import export_text

        return len(export_text(con, folder))
    query = export_sql()
    if fmt == "parquet":
        return _write_parquet(con, query, folder)
    name = CSV_FILE if fmt == "csv" else JSONL_FILE
    options = "FORMAT csv, HEADER true, DELIMITER ','" if fmt == "csv" else "FORMAT json"
    return _copy(con, _project(con, query, fmt), folder / name, options)


def _write_parquet(con: duckdb.DuckDBPyConnection, query: str, folder: Path) -> int:
    """Hive-style `month=YYYY-MM/data_0.parquet`; with no rows, one schema-only file so every reader still works.

    DuckDB's partitioned writer does not promise row order inside a file on large inputs: readers should sort.
    """
    rows = _copy(con, _project(con, query, "parquet"), folder, "FORMAT parquet, PARTITION_BY (month)")
    if rows == 0:
        (folder / EMPTY_PARTITION).mkdir()
        empty = f"SELECT * EXCLUDE (month) FROM (\n{_project(con, query, 'parquet')}\n) LIMIT 0"
        _copy(con, empty, folder / EMPTY_PARTITION / PARQUET_FILE, "FORMAT parquet")
    return rows


def _project(con: duckdb.DuckDBPyConnection, query: str, fmt: str) -> str:
    """The query with each column shaped for `fmt`: what parquet, csv and jsonl can each carry faithfully.

    parquet keeps timestamps (UTC) and lists, and stores JSON as text (pyarrow, polars and R have no JSON type);
    csv turns timestamps into ISO 8601 and lists into JSON arrays; jsonl keeps lists and JSON as JSON values.
    """
    rel = con.sql(query)
    cells = []
    for name, kind in zip(rel.columns, (str(t) for t in rel.types)):
        col = '"' + name.replace('"', '""') + '"'
        template = _cell_template(kind, fmt)
        cells.append(f"{template.format(col=col)} AS {col}" if template else col)
    return f"SELECT {', '.join(cells)} FROM (\n{query}\n)"


def _cell_template(kind: str, fmt: str) -> str | None:
    """The expression a column of DuckDB type `kind` needs in `fmt`, or None to write it as is."""
    if kind == "TIMESTAMP WITH TIME ZONE" and fmt in ("csv", "jsonl"):
        return ISO_UTC
    if kind.endswith("[]") and fmt == "csv":
        return LIST_AS_JSON
    if kind == "JSON" and fmt in ("parquet", "csv"):
        return AS_TEXT
    return None


def _copy(con: duckdb.DuckDBPyConnection, query: str, dest: Path, options: str) -> int:
    """COPY the query's rows to `dest` (DuckDB streams them; nothing is held in Python); returns the row count."""
    literal = "'" + str(dest).replace("'", "''") + "'"
    row = con.execute(f"COPY (\n{query}\n) TO {literal} ({options})").fetchone()
    return int(row[0]) if row else 0


def cmd_export_articles(args: argparse.Namespace) -> int:
    """The command: 0 written, 2 bad input, 3 database busy, 4 storage failure; errors are one line, no traceback."""
    try:
        with sigterm_raises():
            result = export_articles(args.db, args.format, args.out, force=args.force, timeout=args.lock_timeout)
    except DatabaseBusy as exc:
        return fail(PROG, exc, EXIT_BUSY)
    except ExportError as exc:
        return fail(PROG, exc, exc.exit_code)
    except KeyboardInterrupt:
        return fail(PROG, "interrupted", EXIT_INTERRUPTED)
    except Terminated:
        return fail(PROG, "terminated", EXIT_TERMINATED)
    except (OSError, duckdb.Error) as exc:  # writing or reading failed in a way the paths above did not foresee
        return fail(PROG, f"export failed: {type(exc).__name__}: {exc}", EXIT_STORAGE)
    except Exception as exc:  # noqa: BLE001 - a bug: one line (70) naming the log that holds its traceback
        return internal_error("export", exc)
    print(f"wrote {result.rows} articles to {result.path} ({result.format}, {len(result.files)} files)")
    return 0

