"""Rows to the terminal: an aligned table, CSV or JSON lines, shared by `query` and `search`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from typing import Any, TextIO


def jsonable(v: Any) -> Any:
    """A value JSON and CSV can carry: times in ISO 8601, bytes in hex, the rest as is."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v


def format_table(columns: list[str], rows: list[tuple], cap: int = 60) -> str:
    """Columns padded to their widest cell, cells cut at `cap` characters, and a row count."""
    def cell(v: Any) -> str:
        s = "NULL" if v is None else str(jsonable(v))
        s = s.replace("\n", " ")
        return s if len(s) <= cap else s[: cap - 1] + "…"

    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(vals: list[str]) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(vals, widths)).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def write_rows(columns: list[str], rows: list[tuple], fmt: str, out: TextIO | None = None) -> None:
    """Print `rows` as `table`, `csv` (with a header) or `json` (one object per line)."""
    out = out or sys.stdout
    if fmt == "json":
        for r in rows:
            out.write(json.dumps({c: jsonable(v) for c, v in zip(columns, r)}, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        w = csv.writer(out)
        w.writerow(columns)
        w.writerows([[jsonable(v) for v in r] for r in rows])
    else:
        out.write(format_table(columns, rows) + "\n")
