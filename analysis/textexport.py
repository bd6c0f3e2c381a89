"""Seed-style text files from the database: one file per original article, named like the samples.

The `text` format of `talkwatch export`; the rendering is the one `talkwatch clean` prints (pipelines.render).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import duckdb

from analysis.sqlfiles import sql
from pipelines.records import DatingResult
from pipelines.render import UNKNOWN_DATE, render_text

BATCH_ROWS = 500


def dating_from_stored(published_local: str | None, precision: str | None, date_source: str | None) -> DatingResult:
    """Rebuild the dating decision from its stored form, so export renders the date line exactly like `clean`."""
    if not published_local or precision in (None, "none"):
        return DatingResult(None, "none", date_source or "none", 0.0)
    if precision == "day":
        d = date.fromisoformat(published_local[:10])
        return DatingResult(datetime(d.year, d.month, d.day), "day", date_source or "", 0.0)
    return DatingResult(datetime.fromisoformat(published_local), "time", date_source or "", 0.0)


def export_text(con: duckdb.DuckDBPyConnection, folder: str | os.PathLike) -> list[Path]:
    """Write every original article as `<NNN>_<16 hex of its content hash>.txt` in publication order.

    Every file has the same header shape: title, date line, then the text; an undated article's date line is
    UNKNOWN_DATE ("unknown"), so a reader can take the second block as the date without guessing.

    `folder` is an empty folder made by the caller (`talkwatch export` passes the staging folder of
    analysis/outdir.py, which is then renamed into place). Each file is created with O_EXCL, so nothing already
    there is overwritten or followed. File names come from a counter and a hash, never from page content, so no
    title can escape the folder. Rows are read in batches: memory does not grow with the database.
    """
    out = Path(folder)
    query = sql("export_originals").strip().rstrip(";")
    total = con.execute(f"SELECT count(*) FROM (\n{query}\n)").fetchone()[0]
    width = max(3, len(str(total - 1))) if total else 3
    written: list[Path] = []
    cur = con.execute(query)
    while batch := cur.fetchmany(BATCH_ROWS):
        for title, published_local, precision, date_source, text, url, content_hash in batch:
            body = render_text(title, dating_from_stored(published_local, precision, date_source),
                               text.split("\n\n") if text else [], url, unknown_date=UNKNOWN_DATE)
            path = out / f"{len(written):0{width}d}_{content_hash[:16]}.txt"
            with open(path, "x", encoding="utf-8") as fh:
                fh.write(body)
            written.append(path)
    return written
