"""Read-only SQL for users: a connection that cannot write to the database or to any file."""

from __future__ import annotations

import os

from storage.db import connect


def run_query(db_path: str | os.PathLike, query: str, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
    """Columns and rows of `query`. The file is opened read-only and external access is switched off
    (no COPY TO, no ATTACH, no writing files), so `talkwatch query` can never change anything."""
    con = connect(db_path, read_only=True, timeout=timeout)
    try:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        cur = con.execute(query)
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()
