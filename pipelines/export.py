"""Seed-style text files from the database: one file per original article, named like the samples."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.records import DatingResult
from pipelines.render import render_text
from storage.sqlfiles import sql


def dating_from_stored(published_local: str | None, precision: str | None, date_source: str | None) -> DatingResult:
    """Rebuild the dating decision from its stored form, so export renders the date line exactly like `clean`."""
    if not published_local or precision in (None, "none"):
        return DatingResult(None, "none", date_source or "none", 0.0)
    if precision == "day":
        d = date.fromisoformat(published_local[:10])
        return DatingResult(datetime(d.year, d.month, d.day), "day", date_source or "", 0.0)
    return DatingResult(datetime.fromisoformat(published_local), "time", date_source or "", 0.0)


def export_text(con: duckdb.DuckDBPyConnection, out_dir: str | os.PathLike) -> list[Path]:
    """Write every original article as `<NNN>_<16 hex of its content hash>.txt` in publication order.

    File names come from a counter and a hash, never from page content, so no title can escape `out_dir`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    rows = con.execute(sql("queries/export_originals")).fetchall()
    width = max(3, len(str(len(rows) - 1))) if rows else 3
    for n, (title, published_local, precision, date_source, text, url, content_hash) in enumerate(rows):
        body = render_text(title, dating_from_stored(published_local, precision, date_source),
                           text.split("\n\n") if text else [], url)
        path = out / f"{n:0{width}d}_{content_hash[:16]}.txt"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written
