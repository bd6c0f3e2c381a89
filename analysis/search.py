"""`talkwatch search`: ranked full-text search over the articles, the CLI face of the `search_articles` macro."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import duckdb

from analysis.output import write_rows
from analysis.sqlfiles import sql
from pipelines.clierrors import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_STORAGE, fail, interruptible
from spiders.sources import did_you_mean, language_problem
from storage.db import DatabaseBusy, DatabaseRefused, connect

PROG = "talkwatch search"
MAX_QUERY_CHARS = 1000  # a search box, not a document: longer input is a mistake (or a paste) to say, not to run
MAX_LIMIT = 10000


class QueryError(ValueError):
    """A query or filter that cannot be searched; the message says why, in one line."""


@dataclass
class SearchFilters:
    """What `talkwatch search` narrows the ranked hits to; None means no filter."""

    language: str | None = None
    source: str | None = None
    group: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    originals_only: bool = False
    match_any: bool = False
    limit: int = 20


def check_query(query: str) -> str:
    """The query stripped, or QueryError for what cannot be searched: nothing, too long, an unclosed quote."""
    q = query.strip()
    if not q:
        raise QueryError("the query is empty: give one or more words, or \"a phrase\"")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(q)} characters long; at most {MAX_QUERY_CHARS}")
    if q.count('"') % 2:
        raise QueryError("the query has an unbalanced quote: close the \"phrase\" or drop the quote")
    if "\x00" in q:
        raise QueryError("the query contains a NUL character")
    return q


def parse_bound(value: str | None, end: bool) -> datetime | None:
    """--since/--until: a day (UTC; --until takes the whole day) or an ISO 8601 time (UTC when no offset)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            if end and d == date.max:  # the day after 9999-12-31 does not exist: the end of time it is
                return datetime.max.replace(tzinfo=timezone.utc)
            return datetime.combine(d + timedelta(days=1) if end else d, time(), timezone.utc)
        t = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{'--until' if end else '--since'} is not an ISO 8601 date or time: {value!r}") from None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t


MAX_WORD = 64  # search.sql's tw_tokens keeps words of 1 to 64 characters


def search(con: duckdb.DuckDBPyConnection, query: str,
           filters: SearchFilters | None = None) -> tuple[list[str], list[tuple]]:
    """Columns and rows of the ranked hits, best first. Raises QueryError for a query with nothing to search."""
    f = filters or SearchFilters()
    q = check_query(query)
    if con.execute(sql("search_words"), [q]).fetchone()[0] == 0:
        if any(len(word) > MAX_WORD for word in re.split(r"[^\w]+", q)):  # the tokenizer's limit (search.sql)
            raise QueryError(f"the query's words are stop words, punctuation or longer than {MAX_WORD} letters, "
                             f"which the index does not hold: nothing to search for")
        raise QueryError("the query has only stop words or punctuation: nothing to search for")
    check_names(con, f)
    params = [q, f.match_any, f.language, f.language, f.source, f.source, f.group, f.group,
              f.since, f.since, f.until, f.until, f.originals_only, f.limit]
    cur = con.execute(sql("search_hits"), params)
    return [d[0] for d in cur.description], cur.fetchall()


def check_names(con: duckdb.DuckDBPyConnection, f: SearchFilters) -> None:
    """QueryError when --source or --group names nothing in the database: a typo would otherwise read as "no
    article matches" and send the user rewording a query that was fine."""
    if f.source is None and f.group is None:
        return
    known: dict[str, list[str]] = {"source": [], "group": []}
    for kind, name in con.execute(sql("search_names")).fetchall():
        known[kind].append(name)
    for kind, value in (("source", f.source), ("group", f.group)):
        if value is not None and value not in known[kind]:
            names = known[kind]
            listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") if names else "none"
            raise QueryError(f"--{kind} {value!r} names no {kind} in this database{did_you_mean(value, names)} "
                             f"({kind}s: {listed})")


def _filters(args: argparse.Namespace) -> SearchFilters:
    lang = args.lang.strip().lower() if args.lang is not None else None
    problem = language_problem(lang) if lang is not None else None
    if problem:
        raise QueryError(f"--lang must be an ISO 639-1 code such as en, ru, uk or tr: {problem}")
    if not 1 <= args.limit <= MAX_LIMIT:
        raise QueryError(f"--limit must be between 1 and {MAX_LIMIT}, got {args.limit}")
    for option, value in (("--source", args.source), ("--group", args.group)):
        if value is not None and not value.strip():
            raise QueryError(f"{option} is empty: give a name, or leave the option out")
    since, until = parse_bound(args.since, end=False), parse_bound(args.until, end=True)
    if since and until and since >= until:
        raise QueryError("--since is not before --until: the period is empty")
    return SearchFilters(language=lang, source=args.source, group=args.group, since=since, until=until,
                         originals_only=args.originals_only, match_any=args.any, limit=args.limit)


def cmd_search(args: argparse.Namespace) -> int:
    """Exit 0 with the hits (none is an answer too), 2 for a bad query or database, 3 busy, 4 storage failure."""
    try:
        filters = _filters(args)
        check_query(args.query)
        if not str(args.db).strip():
            raise QueryError("--db is empty: give the database file")
        con = connect(args.db, read_only=True, timeout=args.lock_timeout)
    except QueryError as exc:
        return fail(PROG, exc, EXIT_BAD_INPUT)
    except (FileNotFoundError, DatabaseRefused) as exc:  # missing, not talkwatch's, or older (names `upgrade`)
        return fail(PROG, exc, EXIT_BAD_INPUT)
    except DatabaseBusy as exc:
        return fail(PROG, exc, EXIT_BUSY)
    except duckdb.Error as exc:  # not a DuckDB file, or not one talkwatch can read: the input is wrong
        from storage.ducklake import mask  # a DuckLake URL's password is never printed

        return fail(PROG, f"cannot open {mask(str(args.db))} as a talkwatch database: {_first_line(exc)}",
                    EXIT_BAD_INPUT)
    try:
        with interruptible(con):  # Ctrl-C is 130, not an internal error
            columns, rows = search(con, args.query, filters)
    except QueryError as exc:
        return fail(PROG, exc, EXIT_BAD_INPUT)
    except duckdb.Error as exc:
        return fail(PROG, f"search failed: {_first_line(exc)}", EXIT_STORAGE)
    finally:
        con.close()
    if args.format == "table":
        shown = [c for c in columns if c not in ("url", "article_id")]
        idx = [columns.index(c) for c in shown]
        write_rows(shown, [tuple(r[i] for i in idx) for r in rows], "table")
        if not rows:
            print("talkwatch search: no article matches; try fewer words, --any, or another spelling",
                  file=sys.stderr)
    else:
        write_rows(columns, rows, args.format)
    return 0


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
