"""The Prefect flow `ingest`: crawl → clean → deduplicate → date → load, one run all in or all out."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# the temporary server migrates its SQLite database on first use: 20 s is too little on a busy 2-core box
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_link_artifact, create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from pipelines import process, progress  # noqa: E402
from pipelines.batch import build_batch, collapse_url_variants, judge_duplicate, parse_time, source_rows  # noqa: E402
from pipelines.crawl import (CrawlResult, count_pages, drop_head_start, page_body, read_items,  # noqa: E402
                             remove_work, run_crawl)
from pipelines.crawlplan import choose_sources, read_crawl_state  # noqa: E402
from pipelines.envnumbers import check_environment  # noqa: E402
from pipelines.isolation import MIN_BATCH, map_isolated  # noqa: E402
from pipelines.polling import DEFAULT_POLL_MINUTES, next_interval  # noqa: E402
from pipelines.process import PageInput, ProcessedPage  # noqa: E402
from pipelines.relevance import Topic, load_topic  # noqa: E402
from pipelines.scaleout.storageslot import storage_slot  # noqa: E402
from spiders.items import FailureItem, ListingItem, PageItem  # noqa: E402
from spiders.settingscheck import check_setting_dict  # noqa: E402
from spiders.sources import Source, check_only, load_sources  # noqa: E402
from storage.db import work_folder  # noqa: E402
from storage.load import LoadReport, load_batch  # noqa: E402
from storage.records import RunBatch, RunRow  # noqa: E402

DEFAULT_SOURCES = "config/sources.toml"
DEFAULT_TOPIC = "config/topic.toml"
DEFAULT_DB = "data/talkwatch.duckdb"


@dataclass
class RunSummary:
    """What a run did, for the CLI, the Prefect artifact and the `runs` table."""

    run_id: str
    trigger: str
    status: str
    counts: dict = field(default_factory=dict)
    per_source: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    db: str = ""
    report: str | None = None  # the coverage report rewritten after the load, when one was asked for

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "trigger": self.trigger, "status": self.status, "counts": self.counts,
                "sources": self.per_source, "errors": self.errors, "db": self.db, "report": self.report}


@task(name="prepare", cache_policy=NO_CACHE)
def prepare(db: str) -> tuple[list[str], dict, dict[str, datetime]]:
    with storage_slot():  # shards sharing the storage open it one at a time (pipelines/scaleout/storageslot.py)
        return read_crawl_state(db)


@task(name="crawl", cache_policy=NO_CACHE)
def crawl(sources: str, work_dir: str, seen: list[str], state: dict, only: list[str] | None,
          settings: dict[str, str] | None) -> CrawlResult:
    result = run_crawl(sources, work_dir, seen=seen, state=state, only=only, settings=settings)
    if result.error:
        get_run_logger().error("crawl: %s", result.error)
    return result


@task(name="process", cache_policy=NO_CACHE)
def process_pages(items_path: str, topic: Topic | None, by_name: dict[str, Source]) -> tuple[
        list[ProcessedPage], list[FailureItem], list[ListingItem]]:
    """Clean, key and date every fetched page in worker processes (pipelines/process.py `page_job`).

    The crawl's items are read as the workers take them, a few pages at a time, and what comes back holds no
    HTML and no page bytes (the workers write the compressed bodies beside the crawl's items, for the load to
    read): the flow process never holds the whole crawl's pages at once.
    """
    failures: list[FailureItem] = []
    listings: list[ListingItem] = []
    keep_in = str(Path(items_path).parent / "bodies")  # the crawl's own folder: it goes once the load committed

    def jobs():
        for item in read_items(items_path):
            if isinstance(item, PageItem):
                yield _page_input(item, by_name.get(item.source)), topic, keep_in
            elif isinstance(item, FailureItem):
                failures.append(item)
            else:
                listings.append(item)

    # the bar's length, for a person watching; a logged run does not read the whole file twice for it
    progress.stage("clean", total=count_pages(items_path) if progress.wants_items() else None)
    try:
        pages = [o.value if o.error is None else process.given_up(job[0], o.error)
                 for job, o in map_isolated(process.page_job, jobs(), min_batch=MIN_BATCH)]
    finally:
        process.release(keep_in)
    return pages, failures, listings


def _page_input(item: PageItem, src: Source | None) -> PageInput:
    return PageInput(url=item.url, final_url=item.final_url or item.url, source=item.source, body=page_body(item),
                     headers=dict(item.headers),
                     fetched_at=parse_time(item.fetched_at), status=item.status,
                     content_type=item.headers.get("content-type"), encoding=item.encoding,
                     language_hint=src.language if src else None, timezone=src.timezone if src else None,
                     listed_title=item.listed_title,
                     listed_date=item.listed_date, listed_date_kind=item.listed_date_kind,
                     listed_in=item.listed_in)


@task(name="deduplicate", cache_policy=NO_CACHE)
def deduplicate(pages: list[ProcessedPage]) -> list[ProcessedPage]:
    """URL variants collapsed (the workers computed the keys for exact and near copies); matching against the store
    happens in the load."""
    return collapse_url_variants(pages)


@task(name="load", cache_policy=NO_CACHE)
def load(db: str, batch: RunBatch) -> LoadReport:
    with storage_slot():
        return load_batch(db, batch, judge_duplicate, poll=next_interval)


@task(name="report", cache_policy=NO_CACHE)
def refresh_report(db: str, out: str) -> str | None:
    """Rewrite the coverage report from the database just loaded; its absolute path, or None when it failed.

    A report that cannot be written is a warning, not a failed run: the data is in the database already.
    """
    from analysis.report import write_report

    try:
        result = write_report(db, out)
    except Exception as exc:  # noqa: BLE001 - see docstring
        get_run_logger().warning("report not refreshed (%s): %s", out, exc)
        return None
    return str(result.path)


def _counts(pages: list[ProcessedPage], failures: list[FailureItem], listings: list[ListingItem],
            sources: list[str]) -> tuple[dict, dict, list]:
    per: dict[str, Counter] = defaultdict(Counter)
    for name in sources:
        per[name]  # every configured source gets a line, even a silent one
    for li in listings:
        per[li.source][f"listings_{li.outcome.replace('-', '_')}"] += 1
        per[li.source]["listed_new"] += li.new_entries
    for p in pages:
        per[p.input.source]["fetched"] += 1
        per[p.input.source][p.outcome.replace("-", "_")] += 1
    for f in failures:
        per[f.source][f.outcome] += 1
    stage = {
        "crawl": {"listings": len(listings),
                  "listings_failed": sum(li.outcome == "failed" for li in listings),
                  "listings_not_modified": sum(li.outcome == "not-modified" for li in listings),
                  "pages_fetched": len(pages),
                  "pages_failed": sum(f.outcome == "failed" for f in failures),
                  "pages_refused": sum(f.outcome == "refused" for f in failures)},
        "clean": dict(Counter(p.outcome for p in pages if p.outcome != "duplicate")),
        "deduplicate": {"url_duplicates": sum(p.outcome == "duplicate" for p in pages)},
        "date": dict(Counter((p.dating.precision if p.dating else "none") for p in pages
                             if p.outcome == "loaded")),
    }
    errors = [{"source": li.source, "url": li.url, "reason": li.reason or "failed"}
              for li in listings if li.outcome == "failed"]
    errors += [{"source": f.source, "url": f.url, "reason": f.reason} for f in failures if f.outcome == "failed"]
    errors += [{"source": p.input.source, "url": p.input.url, "reason": p.reason} for p in pages
               if p.outcome == "failed"]
    return stage, {k: dict(v) for k, v in sorted(per.items())}, errors


def _trigger(default: str) -> tuple[str, str | None]:
    """How this run was started: the schedule, a deployment run by hand, or the CLI/a direct call."""
    try:
        from prefect.runtime import deployment, flow_run
        flow_run_id = flow_run.id
        if "auto-scheduled" in (flow_run.tags or []):
            return "schedule", flow_run_id
        if deployment.id:
            return "deployment", flow_run_id
        return default, flow_run_id
    except Exception:  # noqa: BLE001 - outside a flow run
        return default, None


def _markdown(summary: RunSummary) -> str:
    lines = [f"# talkwatch run {summary.run_id}", "", f"trigger: **{summary.trigger}**, status: **{summary.status}**",
             "", "| stage | counts |", "|---|---|"]
    for stage, counts in summary.counts.items():
        lines.append(f"| {stage} | {', '.join(f'{k}={v}' for k, v in counts.items()) or '-'} |")
    lines += ["", "| source | counts |", "|---|---|"]
    for name, counts in summary.per_source.items():
        lines.append(f"| {name} | {', '.join(f'{k}={v}' for k, v in sorted(counts.items())) or 'nothing'} |")
    if summary.report:
        lines += ["", f"Coverage report: [{summary.report}]({Path(summary.report).as_uri()})"]
    if summary.errors:
        lines += ["", f"## Errors ({len(summary.errors)})", ""]
        lines += [f"- {e['source']}: {e['url']}: {e['reason']}" for e in summary.errors[:200]]
    return "\n".join(lines)


@flow(name="ingest", log_prints=False)
def ingest(sources: str = DEFAULT_SOURCES, topic: str = DEFAULT_TOPIC, db: str = DEFAULT_DB,
           only: list[str] | None = None, trigger: str = "flow",
           spider_settings: dict[str, str | int | float | bool] | None = None, work_dir: str | None = None,
           due_only: bool = False, report: str | None = None) -> dict:
    """One run: every configured source crawled for new coverage, cleaned, deduplicated, dated and loaded.

    `due_only` (the scheduled deployment sets it) crawls only the sources whose adaptive poll interval has
    passed; a manual run crawls them all. `report` names an HTML file to rewrite with the coverage report
    once the load has committed; the run's Prefect artifact links to it.
    """
    logger = get_run_logger()
    started = datetime.now(timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    trig, flow_run_id = _trigger(trigger)
    # what `talkwatch run` checks before it starts, checked again for runs Prefect starts (a deployment's
    # parameters, `--param`): a bad value is this one line, not a crash in the crawl's child process
    check_environment()
    spider_settings = check_setting_dict(spider_settings)
    if report:  # a folder or somebody's file: refused now, as `talkwatch run --report` is, not a warning after the run
        from analysis.report import check_target

        check_target(report)
    _check_work_dir(work_dir)
    source_list = load_sources(sources)
    by_name = {s.name: s for s in source_list}
    topic_obj = load_topic(topic)
    work = Path(work_dir) if work_dir else work_folder(db) / "runs" / run_id

    check_only(source_list, only, sources)
    progress.stage("prepare")
    seen, state, due_at = prepare(db)
    chosen, skipped = choose_sources(source_list, only, due_only, due_at)
    if skipped:
        logger.info("not due for a poll yet: %s", ", ".join(skipped))
    names = [s.name for s in chosen]
    logger.info("run %s (%s): %d of %d sources, %d stored URLs to skip", run_id, trig, len(names),
                len(source_list), len(seen))
    progress.stage("crawl")
    result = None
    try:
        result = crawl(sources, str(work), seen, state, names, spider_settings) if names else None
        drop_head_start()  # one the crawl task did not adopt (no source to crawl) must not outlive the run
        pages, failures, listings = (process_pages(str(result.items_path), topic_obj, by_name) if result
                                     else ([], [], []))
        progress.stage("deduplicate")
        pages = deduplicate(pages)

        stage, per_source, errors = _counts(pages, failures, listings, names)
        stage["crawl"]["seconds"] = round(result.duration_s, 2) if result else 0.0
        if result and result.error:
            errors.insert(0, {"source": "*", "url": "", "reason": result.error})
        listing_urls = {li.url for li in listings}
        for e in errors:
            if e["url"] in listing_urls:
                logger.warning("source %s failed: %s: %s", e["source"], e["url"], e["reason"])
        status = "completed-with-errors" if errors else "completed"
        run = RunRow(run_id=run_id, trigger=trig, started_at=started, ended_at=None, status=status,
                     sources_file=str(sources), topic_file=str(topic), flow_run_id=str(flow_run_id or "") or None,
                     counts={**stage, "sources": per_source}, errors=errors)
        batch = build_batch(run, pages, failures, listings)
        batch.crawled_sources = {s.name: float(s.extra.get("poll_minutes", DEFAULT_POLL_MINUTES)) for s in chosen}
        batch.sources = source_rows(source_list)
        run.ended_at = datetime.now(timezone.utc)
        progress.stage("load")
        loaded = load(db, batch)
        stage["load"] = {"articles_new": loaded.articles_new, "copies": loaded.copies, "same_page": loaded.same_page,
                         **{f"pages_{k.replace('-', '_')}": v for k, v in sorted(loaded.outcomes.items())}}
        summary = RunSummary(run_id=run_id, trigger=trig, status=status, counts=stage, per_source=per_source,
                             errors=errors, db=str(db))
        if report:
            progress.stage("report")
            summary.report = refresh_report(db, report)
        try:
            create_markdown_artifact(markdown=_markdown(summary), key="ingest-summary",
                                     description=f"talkwatch run {run_id}")
            if summary.report:
                create_link_artifact(link=Path(summary.report).as_uri(), link_text="coverage report",
                                     key="coverage-report",
                                     description=f"talkwatch coverage report after run {run_id}")
        except Exception as exc:  # noqa: BLE001 - a summary we cannot publish is no reason to fail a loaded run
            logger.warning("could not publish the run artifact: %s", exc)
    except BaseException:
        # a failed run's crawl output is of no further use (no later run reads it: its pages are fetched again,
        # or were stored before the failure) and only takes disk space: a full disk stayed full
        if not work_dir:
            _remove_crawl_output(work, result)
        raise
    if not work_dir or result is None or result.error is None:
        # the raw pages are in the database now; a crawl that failed keeps only the log its error names
        _remove_crawl_output(work, result, keep_log=result is not None and result.error is not None
                             and result.returncode is not None)
        if not work_dir:
            with contextlib.suppress(OSError):
                work.parent.rmdir()  # data/runs goes too once no failed run's files are kept in it
    logger.info("run %s %s: %s", run_id, status, json.dumps(stage["load"]))
    return summary.to_dict()


def _check_work_dir(work_dir: str | None) -> None:
    """ValueError when a `work_dir` parameter is a file or lies under one, before the database is opened: the
    crawl's mkdir failed later with a bare "[Errno 17] File exists", after the database had been created."""
    if not work_dir:
        return
    from storage.backend import nearest_existing

    found = nearest_existing(Path(work_dir))
    if not found.is_dir():
        what = "is a file" if found == Path(work_dir) else f"lies under the file {found}"
        raise ValueError(f"work_dir {work_dir} {what}; give a folder for the crawl's output, or leave work_dir out")


def _remove_crawl_output(work: Path, result: CrawlResult | None, keep_log: bool = False) -> None:
    """The run's crawl folder, and an adopted head start's own folder (crawl.remove_work, which knows a crawl's
    files)."""
    remove_work(work, keep_log)
    if result is not None and result.items_path.parent != work:
        remove_work(result.items_path.parent, keep_log)
