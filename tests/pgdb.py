"""Throwaway PostgreSQL databases on the service PostgreSQL (127.0.0.1:5432, trust auth, user postgres) for DuckLake
catalogs and Prefect servers in tests and benchmarks, made and dropped through DuckDB's postgres scanner: no
PostgreSQL client library needed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from storage.db import extension_path

HOST = os.environ.get("TALKWATCH_TEST_PGHOST", "127.0.0.1")
PORT = int(os.environ.get("TALKWATCH_TEST_PGPORT", "5432"))
USER = os.environ.get("TALKWATCH_TEST_PGUSER", "postgres")
PG = f"host={HOST} port={PORT} user={USER}"
ADMIN_DB = "test"  # the database the service has for everyone; ours are made from it


def _scanner() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"LOAD '{extension_path('duckdb_extension_postgres_scanner', 'postgres_scanner')}'")
    return con


def execute(dbname: str, statement: str, transaction: bool = True) -> None:
    """Run one statement in PostgreSQL database `dbname` (CREATE/DROP DATABASE need `transaction=False`)."""
    con = _scanner()
    try:
        con.execute(f"ATTACH 'dbname={dbname} {PG}' AS pg (TYPE postgres)")
        con.execute("CALL postgres_execute('pg', ?, use_transaction => ?)", [statement, transaction])
    finally:
        con.close()


def rows(dbname: str, query: str) -> list[tuple]:
    """The rows of a query run in PostgreSQL itself (read-only), e.g. on DuckLake's catalog tables."""
    con = _scanner()
    try:
        con.execute(f"ATTACH 'dbname={dbname} {PG}' AS pg (TYPE postgres, READ_ONLY)")
        return con.execute("SELECT * FROM postgres_query('pg', ?)", [query]).fetchall()
    finally:
        con.close()


def create(prefix: str = "talkwatch_test") -> str:
    """A new, empty database named `<prefix>_<random>`."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    execute(ADMIN_DB, f"CREATE DATABASE {name}", transaction=False)
    return name


def drop(name: str) -> None:
    """Drop it, closing whatever connections are still open on it."""
    execute(ADMIN_DB, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", transaction=False)


@contextmanager
def temporary(prefix: str = "talkwatch_test") -> Iterator[str]:
    """A database for the duration of the block."""
    name = create(prefix)
    try:
        yield name
    finally:
        drop(name)


def lake_url(dbname: str, data: str) -> str:
    """The talkwatch DuckLake URL of `dbname` with its data files in `data`."""
    return f"ducklake:postgres:dbname={dbname} {PG}?data={data}"


def available() -> str | None:
    """None when the service answers; else why not (a skip reason)."""
    try:
        rows(ADMIN_DB, "SELECT 1")
    except duckdb.Error as exc:
        return f"PostgreSQL at {HOST}:{PORT} (user {USER}) not reachable: {exc}"
    return None


def prefect_url(dbname: str) -> str:
    """The SQLAlchemy URL a Prefect server keeps its state under (PREFECT_API_DATABASE_CONNECTION_URL)."""
    return f"postgresql+asyncpg://{USER}@{HOST}:{PORT}/{dbname}"
