"""The `talkwatch` command: run the flow now, query the database, clean a saved page, export, status, upgrade.

Every failure is one line on stderr and a documented exit status (pipelines/clierrors.py, README "Command line");
a traceback goes to a log file the line names. Only `run`, `reprocess` and `upgrade` write the database.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import json
import math
import os
import signal
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NoReturn, TextIO

from analysis.output import format_table, json_line, write_batches
from pipelines.clierrors import (EXIT_BAD_INPUT, EXIT_BUSY, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PARTIAL,
                                 EXIT_STORAGE, EXIT_TERMINATED, Terminated, details, fail, internal_error,
                                 interruptible, log_exception, say, sigterm_raises, write_log)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# the temporary server migrates its SQLite database on first use: 20 s is too little on a busy 2-core box
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

DEFAULT_SOURCES = "config/sources.toml"
DEFAULT_TOPIC = "config/topic.toml"
DEFAULT_DB_PATH = "data/talkwatch.duckdb"
DEFAULT_DB = os.environ.get("TALKWATCH_DB", DEFAULT_DB_PATH)

EXIT_FAILED = EXIT_STORAGE  # the name earlier versions used
EXIT_BROKEN_PIPE = 141  # the reader of our output went away (`talkwatch query ... | head`): 128 + SIGPIPE
QUERY_BATCH = 1000  # rows fetched and printed at a time: `query` never holds a whole result
PROG = "talkwatch"
FIRST_FETCH = datetime(1990, 1, 1, tzinfo=timezone.utc)  # `clean --fetched-at`: no news page was fetched before


def cmd_run(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.cli import stopping
    from pipelines.cli.apiserver import APIUnreachable, check_configured_api, start_temporary_api
    from pipelines.cli.prefectconfig import configured_api
    from pipelines.crawl import remove_started
    from pipelines.clierrors import prefect_tracebacks_captured
    from pipelines.envnumbers import check_environment
    from pipelines.relevance import load_topic
    from spiders.settingscheck import check_settings
    from spiders.sources import check_only, check_something_to_crawl, load_sources
    from storage.db import DatabaseBusy, StorageUnavailable, check_writable_database, describe_database

    try:  # everything that can be said now is said before a Prefect server is started for nothing
        check_environment()
        only = _only(args.only)
        _default_file(args.sources, DEFAULT_SOURCES, "--sources")
        source_list = load_sources(args.sources)
        check_only(source_list, only, args.sources)
        check_something_to_crawl(source_list, only, args.sources)
        _default_file(args.topic, DEFAULT_TOPIC, "--topic")
        load_topic(args.topic)
        settings = check_settings(args.set or [])
        if args.report is not None:  # a folder or somebody's file: say it now, not as a warning after the run
            from analysis.report import check_target

            if not args.report.strip():
                raise ValueError("--report is empty: give an HTML file name, or leave --report out")
            check_target(args.report)
        if args.shards and configured_api() is None:
            return fail(PROG, "--shards runs on the workers of a Prefect server: set PREFECT_API_URL (README, "
                              "Running on several machines)", EXIT_BAD_INPUT)
        # a malformed DuckLake URL is bad input (2), said before the Prefect API's health (4): it was hidden behind
        # "cannot reach the Prefect API"; reading the URL touches nothing, the checks that connect come last
        describe_database(args.db)
        check_configured_api()
        check_writable_database(args.db, timeout=args.lock_timeout)  # last: it probes the folder with a file
    except DatabaseBusy as exc:
        return fail(PROG, exc, EXIT_BUSY)
    except APIUnreachable as exc:
        return fail(PROG, exc, EXIT_STORAGE)
    except (ValueError, OSError) as exc:  # a bad sources, topic or -s value, an unknown --only name, a bad --db
        return fail(PROG, exc, EXIT_BAD_INPUT)
    if args.lock_timeout is not None:
        os.environ["TALKWATCH_LOCK_TIMEOUT"] = str(args.lock_timeout)
    if args.shards:
        return _run_sharded(args, only, settings or None)
    # Ctrl-C and SIGTERM from here on stop the run and every process it starts, in one line (pipelines/cli/stopping.py)
    stopping.install(_say_run)
    stopping.at_stop(remove_started)
    # Start-up in parallel (pipelines/cli/apiserver.py, pipelines/crawlplan.py): the temporary Prefect API server
    # boots while the crawl starts and Prefect and the pipeline are imported; the flow adopts that crawl. The crawl
    # starts before Prefect is imported (about 3 s of imports), as nothing in it needs Prefect.
    api = start_temporary_api()
    from pipelines import progress
    from pipelines.crawlplan import choose_sources, head_start_crawl

    try:
        head_start_crawl(args.sources, args.db, only, settings or None)
    except DatabaseBusy as exc:
        return _run_failed(exc, [], "", EXIT_BUSY)
    except Exception:  # noqa: BLE001 - only a head start: the flow meets the same fault and reports it
        pass
    try:
        from pipelines.flow import ingest  # Prefect's logging is set up here: the capture below needs its handlers
    except BaseException:  # a broken Prefect install, Ctrl-C: the crawl started above must not outlive the command
        from pipelines.crawl import drop_head_start

        drop_head_start()
        raise
    _preload_flow_call()  # while the temporary server starts

    reporter = None
    with prefect_tracebacks_captured() as capture:
        try:
            if api is not None:
                api.wait_ready()
            if not args.json and sys.stderr.isatty():
                chosen, _ = choose_sources(source_list, only, False, {})
                reporter = _live_progress([s.name for s in chosen])
            with _no_heartbeat() if api is not None else contextlib.nullcontext():
                summary = ingest(sources=args.sources, topic=args.topic, db=args.db,
                                 only=only, trigger="cli",
                                 spider_settings=settings or None, report=args.report)
        except DatabaseBusy as exc:
            return _run_failed(exc, capture.records, "", EXIT_BUSY)
        except (ValueError, FileNotFoundError) as exc:  # a config file changed under the run
            return _run_failed(exc, capture.records, "", EXIT_BAD_INPUT)
        except (OSError, duckdb.Error, StorageUnavailable) as exc:  # disk full, unwritable file, PostgreSQL gone
            return _run_failed(exc, capture.records, "run failed, nothing was stored: ", EXIT_STORAGE)
        except Exception as exc:  # noqa: BLE001 - a bug: one line, the Prefect records and the trace in the log
            return _run_failed(exc, capture.records, f"internal error: {type(exc).__name__}: ", EXIT_INTERNAL)
        except BaseException as exc:  # Prefect's TerminationSignal (its SIGTERM handler during the flow), Ctrl-C
            signalled = _signal_behind(exc)
            if signalled is not None:
                stopping.stop(signalled, _say_run)
            raise
        finally:
            if reporter is not None:
                reporter.close()
                progress.install(None)
    if capture.hidden:  # a task failed and the flow carried on: its traceback is in the log, not on the console
        log = write_log("run", list(capture.records))
        say(PROG, f"{capture.hidden} Prefect error record(s) kept off the console{details(log)}")
    try:
        if args.json:
            from storage.ducklake import mask  # a DuckLake URL's password is never printed

            print(json.dumps({**summary, "db": mask(summary["db"])}, indent=2, default=str))
        else:
            _print_summary(summary)
        sys.stdout.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or not _out_of_storage(exc):
            raise
        # the run is stored: say so, or the usual "cannot write" line would read as a lost run
        _stdout_to_devnull()
        return fail(f"{PROG} run", f"run {summary['run_id']} is stored ({summary['status']}), but its summary "
                                   f"could not be written: {exc.strerror or exc}", EXIT_STORAGE)
    return 0


def _run_sharded(args: argparse.Namespace, only: list[str] | None, settings: dict[str, str] | None) -> int:
    """`run --shards N`: the parent flow in this process, its shard runs on the workers of the Prefect server
    $PREFECT_API_URL names (pipelines/scaleout/fanout.py); a summary per shard. Exit 1 when some shards did not complete
    (the others are stored)."""
    import duckdb

    from pipelines.clierrors import prefect_tracebacks_captured
    from pipelines.scaleout.fanout import ShardsFailed, ingest_sharded
    from storage.db import DatabaseBusy, StorageUnavailable

    with prefect_tracebacks_captured() as capture:
        try:
            summary = ingest_sharded(sources=args.sources, topic=args.topic, db=args.db, shards=args.shards,
                                     only=only, spider_settings=settings, report=args.report)
            code = 0
        except ShardsFailed as exc:
            summary, code = exc.summary, EXIT_PARTIAL
        except DatabaseBusy as exc:
            return _run_failed(exc, capture.records, "", EXIT_BUSY)
        except (ValueError, FileNotFoundError) as exc:
            return _run_failed(exc, capture.records, "", EXIT_BAD_INPUT)
        except (OSError, duckdb.Error, StorageUnavailable) as exc:
            return _run_failed(exc, capture.records, "run failed: ", EXIT_STORAGE)
        except Exception as exc:  # noqa: BLE001 - a bug: one line, the Prefect records and the trace in the log
            return _run_failed(exc, capture.records, f"internal error: {type(exc).__name__}: ", EXIT_INTERNAL)
    if capture.hidden:  # the failed shards' tracebacks are in the log, not on the console
        say(PROG, f"{capture.hidden} Prefect error record(s) kept off the console"
                  f"{details(write_log('run', list(capture.records)))}")
    summary = _masked(summary)  # a DuckLake URL's password is never printed, as in a run's summary
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_sharded(summary)
    if code:
        bad = [s for s in summary["shards"] if s["state"] != "Completed"]
        say(PROG, f"{len(bad)} of {len(summary['shards'])} shards did not complete: "
                  + "; ".join(f"{', '.join(s['sources'])}: {s['state']}" for s in bad))
    return code


def _masked(summary: dict) -> dict:
    """A sharded run's summary with its `db` shown without a DuckLake URL's password: `--json` and the text
    summary printed it as given (a single run's summary was masked already)."""
    from storage.ducklake import mask

    return {**summary, "db": mask(str(summary.get("db", "")))}


def _print_sharded(s: dict) -> None:
    t = s["totals"]
    print(f"sharded run: {s['status']}, {len(s['shards'])} shards, {s['seconds']:.1f} s")
    print(f"  pages fetched {t['pages_fetched']} (failed {t['pages_failed']}); articles new {t['articles_new']} "
          f"(of which copies {t['copies']})")
    for sh in s["shards"]:
        load = sh["counts"].get("load", {})
        print(f"  shard {sh['shard']}/{sh['of']} ({', '.join(sh['sources'])}): {sh['state']}, "
              f"attempts {max(sh['attempts'], 1)}, run {sh['run_id'] or '-'}, "
              f"articles new {load.get('articles_new', 0)} (copies {load.get('copies', 0)})")
    print(f"  database: {s['db']}")
    if s.get("report"):
        print(f"  report: {s['report']}")


def _live_progress(sources: list[str]):
    """At a terminal: a live display per stage and per source instead of Prefect's INFO lines (its warnings and
    errors still print). Returns the reporter to close, or None when rich cannot draw here."""
    import logging

    from pipelines import progress
    from pipelines.clierrors import console_handlers

    try:
        reporter = progress.RichReporter(sources)
    except Exception:  # noqa: BLE001 - no display is no reason to fail a run
        return None
    for handler in console_handlers():  # the run ends with the process: no level needs restoring
        handler.setLevel(max(handler.level, logging.WARNING))
    progress.install(reporter)
    return reporter


def _only(value: str | None) -> list[str] | None:
    """The --only names; an --only that names nothing is a mistake, not "every source"."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ValueError("--only names no source: give comma-separated source names, or leave it out")
    return names


def _preload_flow_call() -> None:
    """Import what Prefect imports at a flow's first call (its flow and task engines; FastAPI's JSON encoder, for
    the parameters it records): about 0.5 s of a run that came after the temporary server's start-up, and now
    overlaps it. Only a head start of the same work: a Prefect without them imports what it needs itself."""
    for name in ("prefect.flow_engine", "prefect.task_engine", "fastapi.encoders"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _no_heartbeat() -> contextlib.AbstractContextManager:
    """Prefect settings for a flow on the temporary server: no flow-run heartbeats. They let a server notice a run
    that crashed (the shards' automations use them); the temporary server ends with the run, so nobody reads
    them, and stopping their thread held each run's end for up to a second (it sleeps in one-second steps)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _run_failed(exc: BaseException, records: Any, prefix: str, code: int) -> int:
    """One line for a run that failed inside the flow; Prefect's records and the traceback go to the log. A crawl
    started ahead of the flow that never took it is stopped, and its folder removed."""
    from pipelines.cli import stopping
    from pipelines.crawl import drop_head_start

    signalled = _signal_behind(exc)
    if signalled is not None:  # Prefect turned a SIGTERM into another error ("Task run is not set"): it is a stop
        stopping.stop(signalled, _say_run)
    drop_head_start()
    path = log_exception("run", exc, list(records))
    return fail(PROG, f"{prefix}{exc}{details(path)}", code)


def _say_run(message: str) -> None:
    say(PROG, message)


def _signal_behind(exc: BaseException) -> int | None:
    """SIGTERM or SIGINT when `exc` was raised while handling Prefect's TerminationSignal or a KeyboardInterrupt."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, KeyboardInterrupt):
            return signal.SIGINT
        if type(cause).__name__ == "TerminationSignal":
            return getattr(cause, "signal", signal.SIGTERM)
        cause = cause.__cause__ or cause.__context__
    return None


def _print_summary(s: dict) -> None:
    from storage.ducklake import mask  # a DuckLake URL's password is never printed

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
        ok = counts.get("listings_ok", 0) + counts.get("listings_not_modified", 0) + counts.get("listings_partial", 0)
        if ok == 0 and counts.get("listings_failed", 0):
            e = failed_sources.get(name, {})
            print(f"  source {name}: unreachable: {e.get('reason', 'every listing failed')} ({e.get('url', '')})")
        elif counts:
            print(f"  source {name}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        else:  # the crawl ended before it reached this source: the reason is the crawl's own error ("*")
            crawl_error = failed_sources.get("*", {}).get("reason", "the crawl fetched nothing for it")
            print(f"  source {name}: not crawled: {crawl_error}")
    print(f"  database: {mask(s['db'])}")
    if s.get("report"):
        print(f"  report: {s['report']}")


def cmd_query(args: argparse.Namespace) -> int:
    """One reading statement, its rows streamed in batches of QUERY_BATCH: 0, 2 bad query or database, 3 busy."""
    import duckdb

    from storage.db import DatabaseBusy, DatabaseRefused
    from storage.query import QueryRefused, query_cursor

    prog = "talkwatch query"
    try:
        with query_cursor(args.db, args.sql, timeout=args.lock_timeout, guard=interruptible) as cur:
            shown, more = stream_rows(cur, args.format, args.limit)
    except (QueryRefused, FileNotFoundError, DatabaseRefused) as exc:
        return fail(prog, exc, EXIT_BAD_INPUT)
    except DatabaseBusy as exc:
        return fail(prog, exc, EXIT_BUSY)
    except (duckdb.IOException, duckdb.OutOfMemoryException) as exc:
        return fail(prog, f"query failed: {exc}", EXIT_STORAGE)
    except duckdb.Error as exc:  # a bad column, a type error, a forbidden file access: the user's to fix
        return fail(prog, f"query failed: {exc}", EXIT_BAD_INPUT)
    except OverflowError as exc:  # a value Python cannot hold (INTERVAL 100000000 YEAR): cast it to text in SQL
        return fail(prog, f"query failed: a value cannot be converted for printing ({exc}); cast that column to "
                          f"VARCHAR in the query", EXIT_BAD_INPUT)
    if more:
        say(prog, f"stopped after --limit {shown} rows; more rows match")
    return 0


def stream_rows(cur: Any, fmt: str, limit: int | None, out: TextIO | None = None) -> tuple[int, bool]:
    """Print the cursor's rows as they are fetched; (rows printed, whether --limit left more unprinted)."""
    columns = [d[0] for d in cur.description] if cur.description else []
    shown = write_batches(columns, _batches(cur, limit), fmt, out or sys.stdout)
    return shown, limit is not None and shown >= limit and bool(cur.fetchmany(1))


def _batches(cur: Any, limit: int | None) -> Iterator[list[tuple]]:
    left = limit
    while left is None or left > 0:
        batch = cur.fetchmany(QUERY_BATCH if left is None else min(QUERY_BATCH, left))
        if not batch:
            return
        yield batch
        if left is not None:
            left -= len(batch)


def cmd_clean(args: argparse.Namespace) -> int:
    """A saved page (or a manifest of them) through the flow's cleaning and dating.

    0 done, 1 the page (or some manifest lines) gave no article text, 2 bad input (a missing, binary, empty or
    non-HTML page, a FIFO or device, an unknown --timezone, a bad --fetched-at or --sources).
    """
    from pipelines.cli.cleaninput import InputRefused, check_page_url, check_parsed, check_zone, read_page
    from pipelines.deadline import ChildDied, DeadlineExceeded
    from pipelines.envnumbers import check_environment
    from pipelines.render import render_text

    prog = "talkwatch clean"
    try:
        check_environment()  # the page's deadline, the manifest's worker threshold: refused, not replaced
        # None, not falsy: `clean "$PAGE"` with PAGE unset is an empty path, said as such by read_page/open_manifest
        if args.page is not None and args.manifest is not None:
            raise InputRefused("give PAGE.html or --manifest F, not both")
        if args.page is None and args.manifest is None:
            raise InputRefused("give PAGE.html or --manifest F")
        zone = check_zone(args.timezone)
        check_page_url(args.url)
        fetched_at = _fetch_time(args.fetched_at, "--fetched-at")
        sources = _sources_for_clean(args.sources)
        if args.manifest is not None:
            return _clean_manifest(args.manifest, sources, zone, fetched_at)
        body = read_page(args.page)
    except (InputRefused, ValueError, OSError) as exc:
        if _out_of_storage(exc) or isinstance(exc, BrokenPipeError):  # the output could not be written: main's
            raise
        return fail(prog, exc, EXIT_BAD_INPUT)
    url = args.url or Path(args.page).resolve().as_uri()
    try:
        p = _bounded_clean(body, url, fetched_at, _zone_for(url, sources, zone))
    except (DeadlineExceeded, ChildDied) as exc:
        return fail(prog, f"{args.page}: {_gave_up(exc)}", EXIT_PARTIAL)
    if p.page is None:
        return fail(prog, p.reason or "could not clean the page", EXIT_PARTIAL)
    try:
        check_parsed(p.page.reason, args.page)
    except InputRefused as exc:
        return fail(prog, exc, EXIT_BAD_INPUT)
    print(render_text(p.page.title, p.dating, p.page.paragraphs, args.url or p.input.url), end="")
    if not p.page.is_article:
        # what was found is printed all the same; the status says it is not an article text
        return fail(prog, f"{args.page}: not an article: {p.page.reason}", EXIT_PARTIAL)
    return 0


def _sources_for_clean(path: str | None) -> list:
    """The configured sources, for the newsroom zone of a page's host (none when there is no sources file)."""
    from spiders.sources import load_sources

    found = _sources_file(path)
    return load_sources(found) if found else []


def _sources_file(path: str | None) -> str | None:
    """The sources file `clean` and `reprocess` read: the one given with --sources, which must exist (ValueError
    otherwise), else the default one when it is there (both commands work outside a checkout); None for none.
    A default file that is there but broken is said too, by load_sources."""
    if path is None:
        return DEFAULT_SOURCES if Path(DEFAULT_SOURCES).is_file() else None
    if not path.strip():
        raise ValueError("--sources is empty: give the sources file, or leave --sources out")
    if not os.path.lexists(path):
        raise ValueError(f"no sources file at {path!r}: give the sources file, or leave --sources out")
    return path  # a folder, a FIFO, a broken link: load_sources names what it is


def _fetch_time(value: str | None, what: str) -> datetime | None:
    """When a saved page was fetched; None means now. ValueError naming `what` when unreadable."""
    from pipelines.batch import parse_iso_time

    if value is None:
        return None
    if not value.strip():  # `--fetched-at "$T"` with T unset; a manifest's "" is taken as absent before this
        raise ValueError(f"{what} is empty: give an ISO 8601 time, or leave {what} out")
    try:
        when = parse_iso_time(value)
    except (ValueError, TypeError):
        raise ValueError(f"{what} is not an ISO 8601 time: {value!r}") from None
    # dates after the fetch are refused as impossible: a fetch in the future (year 9999) would let every wrong
    # date through, or overflow and drop the right one; one before the web's news sites is a typo
    latest = datetime.now(timezone.utc) + timedelta(days=2)
    if not FIRST_FETCH <= when <= latest:
        raise ValueError(f"{what} {value!r} is not between {FIRST_FETCH:%Y-%m-%d} and now")
    return when


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


def _clean_manifest(name: str, sources: list, zone: str | None, fetched_at: datetime | None) -> int:
    """One JSON line per manifest line, printed as it is cleaned; 1 (and one line on stderr) if any failed."""
    from pipelines.cli.cleaninput import InputRefused, manifest_lines, open_manifest
    from pipelines.isolation import map_isolated

    if name == "-" and sys.stdin is None:
        raise InputRefused("standard input is closed: give the manifest as a file, or on stdin")
    stream = sys.stdin.buffer if name == "-" else open_manifest(name)
    failed = total = 0
    with stream:
        lines = manifest_lines(stream, "on stdin" if name == "-" else name)
        jobs = ((line, sources, zone, fetched_at) for line in lines)
        # in worker processes, as the flow's pages: a deadline per page, two cores, warm caches; in input order
        # min_batch=1: no pool (and no fork server) is started before the first line arrives
        for (line, *_), outcome in map_isolated(_manifest_job, jobs, min_batch=1):
            record = outcome.value if outcome.error is None else _given_up_line(line, outcome)
            total += 1
            failed += "error" in record
            print(json_line(record), flush=True)
    if failed:
        return fail("talkwatch clean", f"{failed} of {total} manifest lines failed: their JSON lines carry "
                                       f"\"line\" and \"error\"", EXIT_PARTIAL)
    return 0


def _bounded_clean(body: bytes, url: str, fetched_at: datetime | None, zone: str | None) -> Any:
    """process.clean_document in a child process that is killed past TALKWATCH_PAGE_TIMEOUT, as the flow's
    workers are: a page that would keep the parser busy for minutes costs that page, not the command."""
    from pipelines.deadline import call_with_deadline
    from pipelines.isolation import PAGE_TIMEOUT_S
    from pipelines.process import clean_document

    return call_with_deadline(lambda _: clean_document(body, url, fetched_at=fetched_at, timezone_name=zone), None,
                              PAGE_TIMEOUT_S)


def _given_up_line(line: Any, outcome: Any) -> dict:
    """The record of a manifest line whose worker was stopped: its line, path and URL, and why."""
    from pipelines.cli.cleaninput import parse_entry

    try:
        entry = parse_entry(line.text)
        where = {"path": entry.path, "url": entry.url}
    except ValueError:
        where = {}
    return {"line": line.number, **where, "error": _gave_up(outcome)}


def _manifest_job(job: tuple) -> dict:
    """_clean_manifest_line of one (line, sources, zone, fetched_at), for a worker process."""
    return _clean_manifest_line(*job)


def _gave_up(exc: Exception | Any) -> str:
    """The one line for a page whose cleaning was stopped or crashed (an exception, or a worker's Outcome)."""
    from pipelines.deadline import DeadlineExceeded
    from pipelines.isolation import GIVEN_UP, PAGE_TIMEOUT_S

    reason = getattr(exc, "error", None) or str(exc)
    if isinstance(exc, DeadlineExceeded) or reason.startswith(GIVEN_UP):
        return (f"gave up after {PAGE_TIMEOUT_S:g} s: the page is too costly to clean, or crashed its process (the "
                f"limit is TALKWATCH_PAGE_TIMEOUT)")
    return f"could not clean the page: {reason}"


def _clean_manifest_line(line: Any, sources: list, zone: str | None, fetched_at: datetime | None) -> dict:
    """The record of one manifest line; a line that cannot be cleaned gives `line` and a readable `error`."""
    from pipelines.cli.cleaninput import InputRefused, check_parsed, parse_entry, read_page
    from pipelines.process import clean_document

    out: dict = {}
    try:
        if line.error:
            raise InputRefused(line.error)
        entry = parse_entry(line.text)
        out = {"path": entry.path, "url": entry.url}
        when = _fetch_time(entry.fetched_at, '"fetched_at"') if entry.fetched_at else fetched_at
        body = read_page(entry.path)
        url = entry.url or Path(entry.path).resolve().as_uri()
        p = clean_document(body, url, fetched_at=when, timezone_name=entry.timezone or _zone_for(url, sources, zone))
        check_parsed(p.page.reason if p.page else None, entry.path)
    except ValueError as exc:  # InputRefused, a bad fetched_at
        return {"line": line.number, **out, "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one bad page gives one error line; the others go on
        return {"line": line.number, **out, "error": f"could not clean the page: {type(exc).__name__}: {exc}"}
    if p.page is None:
        return {"line": line.number, **out, "error": p.reason or "could not clean the page"}
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
    return out


def cmd_export(args: argparse.Namespace) -> int:
    """Every format, text included, goes through analysis/exports.py: a checked folder, staged, renamed in."""
    from analysis.exports import cmd_export_articles

    return cmd_export_articles(args)


def cmd_search(args: argparse.Namespace) -> int:
    from analysis.search import cmd_search as run

    return run(args)


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.report import cmd_report as run

    return run(args)


def cmd_status(args: argparse.Namespace) -> int:
    """Last runs and source health, read-only: 0, 2 no usable database, 3 busy, 4 reading failed."""
    import duckdb

    from storage.db import DatabaseBusy, DatabaseRefused, connect, describe_database
    from storage.sqlfiles import sql

    prog = "talkwatch status"
    try:
        con = connect(args.db, read_only=True, timeout=args.lock_timeout)
    except (FileNotFoundError, DatabaseRefused) as exc:
        return fail(prog, exc, EXIT_BAD_INPUT)
    except DatabaseBusy as exc:
        return fail(prog, exc, EXIT_BUSY)
    try:
        runs = con.execute(sql("queries/status_runs"), [args.runs])
        run_rows = ([d[0] for d in runs.description], runs.fetchall())
        src = con.execute(sql("queries/status_sources"))
        src_rows = ([d[0] for d in src.description], src.fetchall())
    except duckdb.Error as exc:
        return fail(prog, f"cannot read {describe_database(args.db)}: {exc}", EXIT_STORAGE)
    finally:
        con.close()
    print("Last runs")
    print(format_table(*run_rows))
    print("\nSources")
    print(format_table(*src_rows))
    return 0


def cmd_reprocess(args: argparse.Namespace) -> int:
    """Clean the stored pages again: 0, 2 bad topic, --since or database (a missing one is not made), 3, 4."""
    import duckdb

    from pipelines.envnumbers import check_environment
    from pipelines.reprocess import reprocess
    from storage.db import DatabaseBusy, DatabaseRefused

    prog = "talkwatch reprocess"
    try:
        check_environment()
        since = _since(args.since)
        _default_file(args.topic, DEFAULT_TOPIC, "--topic")
        r = reprocess(args.db, args.topic, _sources_file(args.sources), since=since, source=args.source,
                      timeout=args.lock_timeout)
    except DatabaseBusy as exc:
        return fail(prog, exc, EXIT_BUSY)
    except (FileNotFoundError, DatabaseRefused, ValueError) as exc:
        return fail(prog, exc, EXIT_BAD_INPUT)
    except (OSError, duckdb.Error) as exc:
        return fail(prog, f"reprocess failed, nothing was changed: {exc}", EXIT_STORAGE)
    print(f"reprocessed {r.pages} stored pages (run {r.run_id}): {r.changed} articles changed "
          f"({r.articles_before} before, {r.articles_after} after)")
    if r.unreadable:  # the others were re-processed and committed: done, but some items failed
        n = len(r.unreadable)
        urls = ", ".join(url for _, url, _ in r.unreadable[:3]) + (f" and {n - 3} more" if n > 3 else "")
        what = ("1 stored page could not be read (its compressed body is broken) and was left as it was" if n == 1
                else f"{n} stored pages could not be read (their compressed bodies are broken) and were left as "
                     f"they were")
        return fail(prog, f"{what}: {urls}", EXIT_PARTIAL)
    return 0


def _default_file(value: str, default: str, option: str) -> None:
    """ValueError with the way out when `value` is the default and no such file is here: the default is relative to
    the current folder, and from any other folder "no such file" alone does not say what to do."""
    if value == default and not Path(value).exists():
        raise ValueError(f"no {option[2:]} file at {default} (the default, looked for in {Path.cwd()}): run from the "
                         f"project folder, or give {option} FILE")


def _since(value: str | None) -> datetime | None:
    """--since: an ISO 8601 day or time, UTC when it has no offset; ValueError naming the option.

    A time still to come is refused: no page was fetched after it, so the reprocess would change nothing and
    record a run that did nothing (a typo such as 2205 for 2025), as a `--source` without pages is refused."""
    if value is None:
        return None
    if not value.strip():  # `--since "$D"` with D unset
        raise ValueError("--since is empty: give an ISO 8601 date or time, or leave --since out")
    try:
        since = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since is not an ISO 8601 date or time: {value!r}") from None
    since = since.replace(tzinfo=timezone.utc) if since.tzinfo is None else since
    if since > datetime.now(timezone.utc):
        raise ValueError(f"--since {value!r} is in the future: no stored page was fetched after it, so nothing "
                         f"would be re-processed")
    return since


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Migrate a database an older talkwatch wrote (readers refuse it): 0, 2 not a talkwatch database, 3, 4."""
    import duckdb

    from storage.backend import is_lake_url
    from storage.db import DatabaseBusy, DatabaseRefused, describe_database, upgrade

    prog = "talkwatch upgrade"
    try:
        applied = upgrade(args.db, timeout=args.lock_timeout)
        # a DuckLake URL without its password (it was printed as given); a file as it was given, as before
        where = describe_database(args.db) if is_lake_url(args.db) else args.db
    except (FileNotFoundError, DatabaseRefused) as exc:
        return fail(prog, exc, EXIT_BAD_INPUT)
    except DatabaseBusy as exc:
        return fail(prog, exc, EXIT_BUSY)
    except (OSError, duckdb.Error) as exc:  # each migration is its own transaction: the failed one left nothing
        return fail(prog, f"upgrade failed: {exc}", EXIT_STORAGE)
    if applied:
        print(f"upgraded {where}: applied {', '.join(applied)}")
    else:
        print(f"{where} is up to date")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (its default prints the whole usage first) and exit status 2."""

    def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 - argparse's signature
        # what this parser (or sub-command parser) was given, for `error`: main(argv) need not be sys.argv
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        if "required" in message and any(a.startswith("-") and a[1:2].isalpha() and a[1:2].islower()
                                         and not a.startswith("--") for a in getattr(self, "_given", ())):
            # `search -ceasefire`: argparse took the query for options and said "required: query"
            message += ("; a query that starts with '-' goes last, after '--' (talkwatch search --db F -- "
                        "-ceasefire)")
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {' '.join(message.split())} (see {self.prog} --help)\n")


def _seconds(text: str) -> float:
    """A --lock-timeout: a finite number of seconds, zero or more (NaN would wait forever)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


MAX_COUNT = 10**9  # --limit, --runs, --shards: more is a typo, and DuckDB's BIGINT would refuse 10^20 mid-command


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text!r} is too large (at most {MAX_COUNT:,})")
    return value


def _lock_timeout(p: argparse.ArgumentParser, what: str = "seconds to wait while a run writes (default 120)") -> None:
    p.add_argument("--lock-timeout", type=_seconds, default=None, metavar="S", help=what)


def _version() -> str:
    """The installed distribution's version (pyproject.toml), or "unknown" when run from a tree not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("talkwatch")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="talkwatch", description=__doc__.split("\n")[0])
    p.add_argument("--version", action="version", version=f"talkwatch {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="one flow run now (the manual trigger); prints a summary")
    r.add_argument("--sources", default=DEFAULT_SOURCES, help="sources file (default %(default)s)")
    r.add_argument("--topic", default=DEFAULT_TOPIC, help="topic file (default %(default)s)")
    r.add_argument("--db", default=DEFAULT_DB, help="DuckDB file, or a ducklake:postgres:... URL (README, Storage) "
                                                    "(default %(default)s)")
    r.add_argument("--only", help="comma-separated source names to crawl (default: all)")
    r.add_argument("-s", "--set", action="append", metavar="KEY=VALUE", help="Scrapy setting for this run")
    _lock_timeout(r, "seconds to wait for another writer (default 120)")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--shards", type=_positive, default=None, metavar="N",
                   help="split the sources into N shards run by the workers of the Prefect server at "
                        "$PREFECT_API_URL (README, Running on several machines)")
    r.add_argument("--report", default=os.environ.get("TALKWATCH_REPORT") or None, metavar="FILE.html",
                   help="rewrite this coverage report after a successful load (default: $TALKWATCH_REPORT, "
                        "else none)")
    r.set_defaults(func=cmd_run)

    q = sub.add_parser("query", help="run one SQL statement against the database, read-only, no file access")
    q.add_argument("sql")
    q.add_argument("--db", default=DEFAULT_DB)
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument("--limit", type=_positive, default=None, metavar="N", help="print at most N rows")
    _lock_timeout(q)
    q.set_defaults(func=cmd_query)

    c = sub.add_parser("clean", help="print the seed-style text of a saved page, or clean a manifest")
    c.add_argument("page", nargs="?")
    c.add_argument("--url", help="the page's original URL")
    c.add_argument("--manifest", help='JSON lines {"path", "url"[, "timezone", "fetched_at"]}; "-" for stdin')
    c.add_argument("--fetched-at", help="when the page was fetched (ISO 8601): dates after it are rejected, and a "
                                        "header showing that day is the crawl date (default: now)")
    c.add_argument("--sources", default=None,
                   help=f"configured sources: the time zone of a page's outlet, found by its URL's host "
                        f"(default {DEFAULT_SOURCES} when it exists)")
    c.add_argument("--timezone", help="IANA zone for times the pages write without an offset (overrides --sources)")
    c.set_defaults(func=cmd_clean)

    e = sub.add_parser("export", help="write the articles for analysts (parquet, csv, jsonl), or one seed-style "
                                      "file per original article (text)")
    e.add_argument("--format", default="text", choices=["text", "parquet", "csv", "jsonl"])
    e.add_argument("--out", required=True, help="a new or empty folder (or an earlier export of the same kind)")
    e.add_argument("--db", default=DEFAULT_DB)
    e.add_argument("--force", action="store_true", help="replace talkwatch's own earlier export in --out")
    _lock_timeout(e)
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
    _lock_timeout(se)
    se.set_defaults(func=cmd_search)

    rep = sub.add_parser("report", help="write the coverage report: one self-contained HTML file with charts")
    rep.add_argument("--out", default="report.html", help="the HTML file to write (default %(default)s)")
    rep.add_argument("--since", help="first day to cover (ISO 8601 date, UTC)")
    rep.add_argument("--until", help="last day to cover (ISO 8601 date, UTC)")
    rep.add_argument("--db", default=DEFAULT_DB)
    _lock_timeout(rep)
    rep.set_defaults(func=cmd_report)

    rp = sub.add_parser("reprocess", help="clean the stored raw pages again with the current code, fetching nothing")
    rp.add_argument("--since", help="only pages fetched since this date/time (ISO 8601; UTC when no offset)")
    rp.add_argument("--source", help="only the pages of this source")
    rp.add_argument("--topic", default=DEFAULT_TOPIC)
    rp.add_argument("--sources", default=None,
                    help=f"for the sources' languages (default {DEFAULT_SOURCES} when it exists; a file given "
                         f"must exist)")
    rp.add_argument("--db", default=DEFAULT_DB)
    _lock_timeout(rp, "seconds to wait for another writer (default 120)")
    rp.set_defaults(func=cmd_reprocess)

    s = sub.add_parser("status", help="last runs and per-source health")
    s.add_argument("--db", default=DEFAULT_DB)
    s.add_argument("--runs", type=_positive, default=10)
    _lock_timeout(s)
    s.set_defaults(func=cmd_status)

    u = sub.add_parser("upgrade", help="migrate a database an older talkwatch wrote (the read-only commands "
                                       "refuse it until then)")
    u.add_argument("--db", default=DEFAULT_DB)
    _lock_timeout(u, "seconds to wait for another writer (default 120)")
    u.set_defaults(func=cmd_upgrade)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse, run the command, and keep every way out to one line: Ctrl-C is 130, a bug 70 with a log file."""
    from pipelines.cli import quickexit
    from pipelines.cli.startenv import restart_in_utf8_mode, tz_problem
    from storage.backend import StorageUnavailable

    if argv is None:
        restart_in_utf8_mode()  # under `LC_ALL=C PYTHONUTF8=0` a Cyrillic argument would not survive
    _usable_streams()
    if sys.stdout is None:  # started with `>&-`: every command prints what it did or found
        return fail(PROG, "standard output is closed; send it to a file or /dev/null", EXIT_BAD_INPUT)
    args = build_parser().parse_args(argv)
    refused = _unexpanded_home(args) or _blank_variable(args) or _not_utf8(args) or tz_problem()
    if refused:
        return fail(f"{PROG} {args.command}", refused, EXIT_BAD_INPUT)
    try:
        if args.command == "run":  # run stops its crawl, server and workers itself (pipelines/cli/stopping.py)
            if argv is None:  # as the program, not called from Python: skip the teardown (pipelines/cli/quickexit.py)
                quickexit.install()
            code = args.func(args)
            if argv is None:
                quickexit.arm(code)
            return code
        with sigterm_raises():
            return args.func(args)
    except StorageUnavailable as exc:  # PostgreSQL (a DuckLake's catalog) cannot be reached: nothing was done
        return fail(f"{PROG} {args.command}", exc, EXIT_STORAGE)
    except KeyboardInterrupt:
        return fail(PROG, "interrupted", EXIT_INTERRUPTED)
    except Terminated:
        return fail(PROG, "terminated", EXIT_TERMINATED)
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if not _out_of_storage(exc):
            return internal_error(args.command, exc)
        _stdout_to_devnull()  # the output that could not be written is not retried at exit
        return fail(f"{PROG} {args.command}", f"cannot write: {exc.strerror or exc}", EXIT_STORAGE)
    except Exception as exc:  # noqa: BLE001 - the top-level guard: a bug is one line too, its trace in the log
        return internal_error(args.command, exc)


def _usable_streams() -> None:
    """A terminal or pipe whose encoding cannot hold a Cyrillic title (PYTHONIOENCODING=ascii, a latin-1 locale)
    gets it backslash-escaped instead of a UnicodeEncodeError: a run that had stored its data then exited 70 while
    printing its summary. A closed stderr (`2>&-`) becomes /dev/null, so the exit status still tells."""
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's lifetime
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def _unexpanded_home(args: argparse.Namespace) -> str | None:
    """Why a `--db` or `--out` that starts with a literal '~' is refused: the shell expands it only unquoted, and
    written as given it would create a folder named "~" (or "~user") here, which a later `rm -r ~...` would take
    for a home folder. ("./~x" is how to mean such a name.)"""
    for option in ("db", "out"):
        value = getattr(args, option, None)
        if isinstance(value, str) and value.startswith("~"):
            full = os.path.expanduser(value)
            hint = f" (such as {full})" if full != value else ""
            return (f"--{option} {value} starts with '~', which the shell expands only when it is not quoted; "
                    f"give the path in full{hint}")
    return None


def _blank_variable(args: argparse.Namespace) -> str | None:
    """Why an option that came from a set but empty variable is refused, naming the variable (the option's own
    message would send the user looking for a `--db ""` they never typed)."""
    for option, variable, without in (("db", "TALKWATCH_DB", f"the default is {DEFAULT_DB_PATH}"),
                                      ("report", "TALKWATCH_REPORT", "no report is written without it")):
        env = os.environ.get(variable)
        if env is not None and not env.strip() and getattr(args, option, None) == env:
            return f"{variable} is set but {'blank' if env else 'empty'}: unset it ({without}), or give --{option}"
    return None


# file names Python opens itself, which survive bytes that are no UTF-8; every other argument is text (SQL, search
# words, names) or a name DuckDB opens, and DuckDB takes only UTF-8
_PYTHON_PATHS = frozenset({"out", "sources", "topic", "page", "manifest", "report"})


_SHOWN_AS = {"sql": "the SQL", "query": "the search", "set": "-s"}


def _not_utf8(args: argparse.Namespace) -> str | None:
    """Why an argument whose bytes are not UTF-8 is refused: it reached DuckDB as undecodable text (status 70)."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for text in values:
            if name in _PYTHON_PATHS or not isinstance(text, str):
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                shown = text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
                what = _SHOWN_AS.get(name) or f"--{name.replace('_', '-')}"
                return f"{what} is not UTF-8 text ({shown}); give it in UTF-8"
    return None


def _out_of_storage(exc: BaseException) -> bool:
    """A write the disk refused (full, over quota, failing): a storage failure, not bad input and not a bug."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)


def _stdout_to_devnull() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's flush at exit does not print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (pytest's capture): nothing to do
        pass

