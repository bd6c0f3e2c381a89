"""Rows to the terminal: an aligned table, CSV or JSON lines, shared by `query`, `search` and `status`."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TextIO

from pipelines.clierrors import escape_controls

CELL_CAP = 60  # table cells are cut here


def jsonable(v: Any) -> Any:
    """A value JSON and CSV can carry: times in ISO 8601, bytes in hex, the rest as is."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v


def json_line(record: dict) -> str:
    """One JSON object on one line that a strict parser reads: NaN and infinities (DuckDB's DOUBLE holds them, JSON
    has no such number) become null, as JavaScript's JSON.stringify writes them; non-ASCII characters stay as they
    are unless one cannot be written as UTF-8 (a lone surrogate from the input), then every one is a \\u escape."""
    try:
        line = json.dumps(record, ensure_ascii=False, default=str, allow_nan=False)
    except ValueError:
        record = _finite(record)
        line = json.dumps(record, ensure_ascii=False, default=str)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, default=str)
    return line


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def distinct_names(columns: list[str]) -> list[str]:
    """The columns as JSON keys, each once: a repeated name gets "_1" appended until it is new, as DuckDB names the
    columns of `SELECT * FROM (SELECT 1 a, 2 a)` (a, a_1). Why: a JSON object keeps one value per key, so the
    JSON lines of `SELECT 1 a, 2 a` held {"a": 2}, the first column lost without a word."""
    seen: set[str] = set()
    names = []
    for name in columns:
        while name in seen:
            name += "_1"
        seen.add(name)
        names.append(name)
    return names


_LINE_BREAKS = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


def cell(v: Any, cap: int = CELL_CAP) -> str:
    """A table cell: NULL for None, on one line, cut at `cap` characters, other control characters escaped (a
    crawled title with an ESC sequence must not reach the terminal as one)."""
    s = "NULL" if v is None else escape_controls(str(jsonable(v)).translate(_LINE_BREAKS))
    return s if len(s) <= cap else s[: cap - 1] + "…"


def _line(vals: list[str], widths: list[int]) -> str:
    return " | ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()


def _head(columns: list[str], widths: list[int]) -> str:
    return _line(columns, widths) + "\n" + "-+-".join("-" * w for w in widths) + "\n"


def write_batches(columns: list[str], batches: Iterable[list[tuple]], fmt: str, out: TextIO,
                  cap: int = CELL_CAP) -> int:
    """Print batches of rows as they come, as `table`, `csv` (with a header) or `json` (one object per line);
    returns the rows printed. A table is aligned to the widest cell of its first batch, so a result that fits in
    one batch prints exactly as `format_table` would, and a streamed one never needs all its rows at once."""
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(columns)
    widths: list[int] | None = None
    shown = 0
    if fmt == "table":
        columns = [escape_controls(c) for c in columns]
    elif fmt == "json":
        columns = distinct_names(columns)
    for batch in batches:
        if fmt == "json":
            out.writelines(json_line({c: jsonable(v) for c, v in zip(columns, r)}) + "\n" for r in batch)
        elif writer:
            writer.writerows([jsonable(v) for v in r] for r in batch)
        else:
            cells = [[cell(v, cap) for v in r] for r in batch]
            if widths is None:
                widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
                out.write(_head(columns, widths))
            out.writelines(_line(r, widths) + "\n" for r in cells)
        shown += len(batch)
        out.flush()
    if fmt == "table":
        if widths is None:
            out.write(_head(columns, [len(c) for c in columns]))
        out.write(f"({shown} row{'s' if shown != 1 else ''})\n")
    return shown


def format_table(columns: list[str], rows: list[tuple], cap: int = CELL_CAP) -> str:
    """Columns padded to their widest cell, cells cut at `cap` characters, and a row count."""
    buf = io.StringIO()
    write_batches(columns, [rows], "table", buf, cap)
    return buf.getvalue().rstrip("\n")


def write_rows(columns: list[str], rows: list[tuple], fmt: str, out: TextIO | None = None) -> None:
    """Print `rows` as `table`, `csv` (with a header) or `json` (one object per line)."""
    write_batches(columns, [rows], fmt, out or sys.stdout)
