"""The `talkwatch` command: run the flow now, query the database, clean a saved page, export, status."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from analysis.output import format_table, write_rows

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# the temporary server migrates its SQLite database on first use: 20 s is too little on a busy 2-core box
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

DEFAULT_SOURCES = "config/sources.toml"
DEFAULT_TOPIC = "config/topic.toml"
DEFAULT_DB = os.environ.get("TALKWATCH_DB", "data/talkwatch.duckdb")

EXIT_BUSY = 3
EXIT_FAILED = 4


def cmd_run(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.flow import check_only, ingest
    from pipelines.relevance import load_topic
    from spiders.sources import load_sources
    from storage.db import DatabaseBusy

    only = args.only.split(",") if args.only else None
    try:  # a bad config file is said at once, before a Prefect server is started for nothing
        check_only(load_sources(args.sources), only, args.sources)
        load_topic(args.topic)
    except (ValueError, OSError) as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return 2
    settings = dict(kv.split("=", 1) for kv in args.set or [])
    if args.lock_timeout is not None:
        os.environ["TALKWATCH_LOCK_TIMEOUT"] = str(args.lock_timeout)
    try:
        summary = ingest(sources=args.sources, topic=args.topic, db=args.db,
                         only=only, trigger="cli",
                         spider_settings=settings or None, report=args.report)
    except DatabaseBusy as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (ValueError, FileNotFoundError) as exc:  # a bad sources or topic file, an unknown --only name
        print(f"talkwatch: {exc}", file=sys.stderr)
        return 2
    except (OSError, duckdb.Error) as exc:  # disk full, unwritable file: the load transaction rolled back
        print(f"talkwatch: run failed, nothing was stored: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    _print_summary(summary)
    return 0


def _print_summary(s: dict) -> None:
    c = s["counts"]
    load = c.get("load", {})
    crawl = c.get("crawl", {})
    print(f"run {s['run_id']} ({s['trigger']}): {s['status']}")
    print(f"  listings fetched {crawl.get('listings', 0)} (failed {crawl.get('listings_failed', 0)}, "
          f"not modified {crawl.get('listings_not_modified', 0)}); pages fetched {crawl.get('pages_fetched', 0)}, "
          f"failed {crawl.get('pages_failed', 0)}, refused {crawl.get('pages_refused', 0)}")
    outcomes = ", ".join(f"{k[6:]}={v}" for k, v in load.items() if k.startswith("pages_")) or "none"
    print(f"  articles new {load.get('articles_new', 0)} (of which copies {load.get('copies', 0)}); "
          f"page outcomes: {outcomes}")
    failed_sources = {}
    for e in s["errors"]:
        failed_sources.setdefault(e["source"], e)
    for name, counts in s["sources"].items():
        ok = counts.get("listings_ok", 0) + counts.get("listings_not_modified", 0)
        if ok == 0 and counts.get("listings_failed", 0):
            e = failed_sources.get(name, {})
            print(f"  source {name}: unreachable: {e.get('reason', 'every listing failed')} ({e.get('url', '')})")
        else:
            print(f"  source {name}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print(f"  database: {s['db']}")
    if s.get("report"):
        print(f"  report: {s['report']}")


def cmd_query(args: argparse.Namespace) -> int:
    from storage.db import DatabaseBusy
    from storage.query import run_query

    try:
        columns, rows = run_query(args.db, args.sql, timeout=args.lock_timeout)
    except DatabaseBusy as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except FileNotFoundError as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bad query is the user's to fix: say it plainly
        print(f"talkwatch: query failed: {exc}", file=sys.stderr)
        return 2
    write_rows(columns, rows, args.format)
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from pipelines.process import clean_document
    from pipelines.render import render_text

    sources = _sources_for_clean(args.sources)
    if args.manifest:
        fh = sys.stdin if args.manifest == "-" else open(args.manifest, encoding="utf-8")
        with fh:
            for line in fh:
                if line.strip():
                    print(json.dumps(_clean_manifest_line(line, sources, args.timezone), ensure_ascii=False),
                          flush=True)
        return 0
    if not args.page:
        print("talkwatch clean: give PAGE.html or --manifest F", file=sys.stderr)
        return 2
    try:
        fetched_at = _fetch_time(args.fetched_at)
    except ValueError:
        print(f"talkwatch clean: --fetched-at is not an ISO 8601 time: {args.fetched_at!r}", file=sys.stderr)
        return 2
    body = Path(args.page).read_bytes()
    url = args.url or Path(args.page).resolve().as_uri()
    p = clean_document(body, url, fetched_at=fetched_at, timezone_name=_zone_for(url, sources, args.timezone))
    if p.page is None:
        print(f"talkwatch clean: {p.reason}", file=sys.stderr)
        return 1
    print(render_text(p.page.title, p.dating, p.page.paragraphs, args.url or p.input.url), end="")
    return 0


def _sources_for_clean(path: str | None) -> list:
    """The configured sources, for the newsroom zone of a page's host; none when the file is absent or bad."""
    from spiders.sources import load_sources

    if not path or not Path(path).exists():
        return []
    try:
        return load_sources(path)
    except ValueError as exc:
        print(f"talkwatch clean: sources file ignored: {exc}", file=sys.stderr)
        return []


def _fetch_time(value: str | None) -> datetime | None:
    """When a saved page was fetched; None means now. Raises ValueError when unreadable."""
    from pipelines.batch import parse_iso_time

    return parse_iso_time(value) if value else None


def _zone_for(url: str, sources: list, given: str | None) -> str | None:
    """The zone given, else the one the sources that may fetch `url` agree on (the crawler's own host policy).

    Why: `talkwatch clean` gets a saved page and its URL, not its source; the URL's host finds the source.
    """
    from spiders.urlpolicy import HostPolicy

    if given:
        return given
    zones = {src.timezone for src in sources
             if HostPolicy.for_source(src.feeds + src.sitemaps, src.allowed_domains).refusal(url) is None}
    return zones.pop() if len(zones) == 1 else None


def _clean_manifest_line(line: str, sources: list | None = None, zone: str | None = None) -> dict:
    from pipelines.process import clean_document

    out: dict = {}
    try:
        spec = json.loads(line)
        out = {"path": spec.get("path"), "url": spec.get("url")}
        body = Path(spec["path"]).read_bytes()
        url = spec.get("url") or Path(spec["path"]).resolve().as_uri()
        p = clean_document(body, url, fetched_at=_fetch_time(spec.get("fetched_at")),
                           timezone_name=spec.get("timezone") or _zone_for(url, sources or [], zone))
        if p.page is None:
            out["error"] = p.reason or "could not clean"
            return out
        d = p.dating
        utc = None
        if d and d.published_at is not None and d.precision == "time":
            # what articles.published_at holds: an offsetless time with no known newsroom zone is taken as UTC
            at = d.published_at
            utc = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
        out.update({"title": p.page.title, "published_at": d.iso() if d else None,
                    "published_at_utc": utc.isoformat().replace("+00:00", "Z") if utc else None,
                    "date_precision": d.precision if d else "none",
                    "date_source": d.date_source if d else "none",
                    "date_confidence": d.confidence if d else 0.0,
                    "modified_at": d.modified_at.isoformat() if d and d.modified_at else None,
                    "language": p.page.language, "authors": p.page.authors, "text": p.page.text})
        if not p.page.is_article:
            out["warning"] = p.page.reason
    except Exception as exc:  # noqa: BLE001 - one bad page gives one error line; the others go on
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def cmd_export(args: argparse.Namespace) -> int:
    from pipelines.export import export_text
    from storage.db import connect

    if args.format != "text":
        from analysis.exports import cmd_export_articles

        return cmd_export_articles(args)
    con = connect(args.db, read_only=True)
    try:
        written = export_text(con, args.out)
    finally:
        con.close()
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from analysis.search import cmd_search as run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.report import cmd_report as run

    return run(args)


def cmd_status(args: argparse.Namespace) -> int:
    from storage.db import connect
    from storage.sqlfiles import sql

    con = connect(args.db, read_only=True)
    try:
        runs = con.execute(sql("queries/status_runs"), [args.runs])
        print("Last runs")
        print(format_table([d[0] for d in runs.description], runs.fetchall()))
        src = con.execute(sql("queries/status_sources"))
        print("\nSources")
        print(format_table([d[0] for d in src.description], src.fetchall()))
    finally:
        con.close()
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    from pipelines.reprocess import reprocess
    from storage.db import DatabaseBusy

    since = None
    if args.since:
        since = datetime.fromisoformat(args.since)
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
    try:
        r = reprocess(args.db, args.topic, args.sources, since=since, source=args.source)
    except DatabaseBusy as exc:
        print(f"talkwatch: {exc}", file=sys.stderr)
        return EXIT_BUSY
    print(f"reprocessed {r.pages} stored pages (run {r.run_id}): {r.changed} articles changed "
          f"({r.articles_before} before, {r.articles_after} after)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="talkwatch", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="one flow run now (the manual trigger); prints a summary")
    r.add_argument("--sources", default=DEFAULT_SOURCES, help="sources file (default %(default)s)")
    r.add_argument("--topic", default=DEFAULT_TOPIC, help="topic file (default %(default)s)")
    r.add_argument("--db", default=DEFAULT_DB, help="DuckDB file (default %(default)s)")
    r.add_argument("--only", help="comma-separated source names to crawl (default: all)")
    r.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="Scrapy setting for this run")
    r.add_argument("--lock-timeout", type=float, help="seconds to wait for another writer (default 120)")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--report", default=os.environ.get("TALKWATCH_REPORT") or None, metavar="FILE.html",
                   help="rewrite this coverage report after a successful load (default: $TALKWATCH_REPORT, "
                        "else none)")
    r.set_defaults(func=cmd_run)

    q = sub.add_parser("query", help="run SQL against the database, read-only")
    q.add_argument("sql")
    q.add_argument("--db", default=DEFAULT_DB)
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait while a run writes")
    q.set_defaults(func=cmd_query)

    c = sub.add_parser("clean", help="print the seed-style text of a saved page, or clean a manifest")
    c.add_argument("page", nargs="?")
    c.add_argument("--url", help="the page's original URL")
    c.add_argument("--manifest", help='JSON lines {"path", "url"[, "timezone", "fetched_at"]}; "-" for stdin')
    c.add_argument("--fetched-at", help="when the page was fetched (ISO 8601): dates after it are rejected, and a "
                                        "header showing that day is the crawl date (default: now)")
    c.add_argument("--sources", default=DEFAULT_SOURCES,
                   help="configured sources: the time zone of a page's outlet, found by its URL's host")
    c.add_argument("--timezone", help="IANA zone for times the pages write without an offset (overrides --sources)")
    c.set_defaults(func=cmd_clean)

    e = sub.add_parser("export", help="write the articles for analysts (parquet, csv, jsonl), or one seed-style "
                                      "file per original article (text)")
    e.add_argument("--format", default="text", choices=["text", "parquet", "csv", "jsonl"])
    e.add_argument("--out", required=True, help="a new or empty folder (or an earlier export of the same kind)")
    e.add_argument("--db", default=DEFAULT_DB)
    e.add_argument("--force", action="store_true", help="replace talkwatch's own earlier export in --out")
    e.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait while a run writes")
    e.set_defaults(func=cmd_export)

    se = sub.add_parser("search", help="full-text search of the articles, ranked (BM25, stemmed per language)")
    se.add_argument("query", help='words (all must match), "a quoted phrase"; see README, Search')
    se.add_argument("--lang", help="only articles in this language (ISO 639-1)")
    se.add_argument("--source", help="only this source")
    se.add_argument("--group", help="only sources of this group (sources.toml `group`)")
    se.add_argument("--since", help="published on or after this day or time (ISO 8601; UTC without offset)")
    se.add_argument("--until", help="published before the end of this day, or before this time")
    se.add_argument("--limit", type=int, default=20, help="at most this many hits (default %(default)s)")
    se.add_argument("--any", action="store_true", help="rank articles that match any word, not only all")
    se.add_argument("--originals-only", action="store_true", help="leave syndicated copies out")
    se.add_argument("--format", choices=["table", "csv", "json"], default="table")
    se.add_argument("--db", default=DEFAULT_DB)
    se.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait while a run writes")
    se.set_defaults(func=cmd_search)

    rep = sub.add_parser("report", help="write the coverage report: one self-contained HTML file with charts")
    rep.add_argument("--out", default="report.html", help="the HTML file to write (default %(default)s)")
    rep.add_argument("--since", help="first day to cover (ISO 8601 date, UTC)")
    rep.add_argument("--until", help="last day to cover (ISO 8601 date, UTC)")
    rep.add_argument("--db", default=DEFAULT_DB)
    rep.add_argument("--lock-timeout", type=float, default=None, help="seconds to wait while a run writes")
    rep.set_defaults(func=cmd_report)

    rp = sub.add_parser("reprocess", help="clean the stored raw pages again with the current code, fetching nothing")
    rp.add_argument("--since", help="only pages fetched since this date/time (ISO 8601; UTC when no offset)")
    rp.add_argument("--source", help="only the pages of this source")
    rp.add_argument("--topic", default=DEFAULT_TOPIC)
    rp.add_argument("--sources", default=DEFAULT_SOURCES, help="for the sources' languages (optional)")
    rp.add_argument("--db", default=DEFAULT_DB)
    rp.set_defaults(func=cmd_reprocess)

    s = sub.add_parser("status", help="last runs and per-source health")
    s.add_argument("--db", default=DEFAULT_DB)
    s.add_argument("--runs", type=int, default=10)
    s.set_defaults(func=cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
