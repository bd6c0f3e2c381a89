"""The service PostgreSQL for tests (127.0.0.1:5432, user postgres, trust auth): a database of the test's own,
created fresh and dropped after, through asyncpg (Prefect's own PostgreSQL driver)."""

from __future__ import annotations

import asyncio
import os
import re

HOST = os.environ.get("TALKWATCH_TEST_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("TALKWATCH_TEST_PGPORT", "5432"))
USER = os.environ.get("TALKWATCH_TEST_PGUSER", "postgres")


async def _admin(statement: str | None) -> None:
    import asyncpg

    con = await asyncpg.connect(host=HOST, port=PORT, user=USER, database="postgres", timeout=5)
    try:
        if statement:
            await con.execute(statement)
    finally:
        await con.close()


def _name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def available() -> str | None:
    """None when the service answers; else why not (for a skip reason)."""
    try:
        asyncio.run(_admin(None))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: no service here
        return f"PostgreSQL at {HOST}:{PORT} (user {USER}) not reachable: {exc}"
    return None


def create_database(name: str) -> str:
    """A new empty database `name` (an old one of that name is dropped first); its SQLAlchemy URL for Prefect."""
    drop_database(name)
    asyncio.run(_admin(f'CREATE DATABASE "{_name(name)}"'))
    return f"postgresql+asyncpg://{USER}@{HOST}:{PORT}/{name}"


def drop_database(name: str) -> None:
    """Drop it, closing any session still on it (a server that did not stop in time)."""
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{_name(name)}" WITH (FORCE)'))
