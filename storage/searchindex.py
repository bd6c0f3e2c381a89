"""Keeps the full-text search index (tables search_docs, search_terms; storage/search.sql) in step with the articles.

Why not DuckDB's `PRAGMA create_fts_index`: its index cannot be updated, only rebuilt over every article, which at
100,000 articles costs a load many times its own time (bench/search_index.py). This index is the same idea (BM25
over stemmed terms, with the FTS extension's Snowball stemmers) kept incrementally inside the load transaction,
so a search never sees half a run.
"""

from __future__ import annotations

import duckdb

from storage.sqlfiles import sql, statements


def index_articles(con: duckdb.DuckDBPyConnection, todo: str = "search_todo_missing") -> None:
    """Index the relevant articles that `todo` selects: `search_todo_new`, this load's staged rows (temp table
    incoming_articles), or `search_todo_missing`, every stored article the index lacks (a file from before it)."""
    con.execute(sql(f"queries/{todo}"))
    for stmt in statements("queries/search_index"):
        con.execute(stmt)


def unindex_articles(con: duckdb.DuckDBPyConnection, ids: list[str]) -> None:
    """Take articles out of the index (they are about to be re-derived, and come back through index_articles)."""
    for stmt in statements("queries/search_unindex"):
        con.execute(stmt, [ids])
