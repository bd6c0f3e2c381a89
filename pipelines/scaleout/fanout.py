"""The flow `ingest-sharded`: the enabled sources split into N stable shards, one `ingest` run per shard on the work
pool's workers (through the `ingest/shard` deployment), waited for and summed up.

Why deployments and not a task runner (prefect-dask, ProcessPoolTaskRunner): a shard is a whole `ingest` run (a
Scrapy child process, isolated cleaning workers, one load transaction), and a deployment run is the unit Prefect
places on any worker of a pool, on any machine that reaches the API; Prefect records which worker took it, sees it
crash (the worker's report, or the heartbeat automation when the machine is gone, pipelines/scaleout/crashretry.py) and
schedules it again. Task runners keep every shard inside the parent's process or its Dask cluster: a lost Dask
worker loses the task to Dask's own bookkeeping, not to a Prefect state that can be retried from the UI.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from pipelines.scaleout.crashretry import HEARTBEAT_S, SHARD_TAG, ensure_crash_retries, retry_coming
from pipelines.flow import DEFAULT_DB, DEFAULT_SOURCES, DEFAULT_TOPIC, choose_sources, refresh_report
from pipelines.scaleout.shards import split
from pipelines.scaleout.storageslot import DEFAULT_LIMIT, ENV, check_limit_name, ensure_limit, storage_slot
from spiders.settingscheck import check_setting_dict
from spiders.sources import check_only, load_sources
from storage.backend import is_lake_url

SHARD_DEPLOYMENT = "ingest/shard"
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
RETRY_GRACE_S = 60.0  # a crashed run the retry automation has not rescheduled by then is not coming back


class ShardsFailed(RuntimeError):
    """Some shards did not complete (the others loaded); `summary` says which and why."""

    def __init__(self, message: str, summary: dict) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class Shard:
    """One shard's run as the parent saw it end, and what it stored (from the `runs` table)."""

    shard: int
    of: int
    sources: list[str]
    flow_run_id: str
    flow_run_name: str
    state: str = ""
    attempts: int = 0  # the flow run's run_count: 2 when it crashed once and was scheduled again
    message: str | None = None
    run_id: str | None = None
    status: str | None = None
    counts: dict = field(default_factory=dict)
    errors: int = 0


def _storage_slots(db: str, slots: int | None, shards: int) -> int:
    """How many shards may hold the storage at once: as asked, else one per shard for a DuckLake (its loads commit
    side by side, a conflicting one is retried on a fresh snapshot: storage/ducklake.py) and 1 for a DuckDB file,
    which takes one process at a time: more slots would only move the queue to its lock."""
    if slots is None:
        return max(1, shards) if is_lake_url(db) else 1
    if slots < 1:
        raise ValueError(f"storage_slots must be 1 or more, not {slots}")
    if slots > 1 and not is_lake_url(db):
        raise ValueError(f"storage_slots={slots}: a DuckDB file ({db}) takes one writer at a time; "
                         "more slots need a DuckLake storage URL")
    return slots


def _shard_env(deployment: str, limit: str) -> dict[str, str]:
    """The environment of every shard run: the deployment's own, plus the storage limit and heartbeats.

    Why set here as well as in prefect.yaml: a run's `env` replaces the deployment's whole `env`, and the parent
    is what decides the limit's name. Also says now, before any shard starts, when the server has no such
    deployment (ValueError, one line).
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            dep = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            raise ValueError(f"the Prefect server has no deployment {deployment!r}: run `prefect --no-prompt deploy "
                             "--all` in the repository first (README, Running on several machines)") from None
    env = dict((dep.job_variables or {}).get("env") or {})
    env.update({ENV: limit, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S)})
    return env


def _launch(deployment: str, names: list[str], index: int, of: int, params: dict, env: dict[str, str]) -> Shard:
    from prefect.deployments import run_deployment
    from prefect.runtime import flow_run

    name = f"{flow_run.name or 'sharded'}-shard-{index}-of-{of}"
    run = run_deployment(deployment, parameters={**params, "only": names}, timeout=0, flow_run_name=name,
                         tags=[SHARD_TAG], job_variables={"env": env})
    return Shard(shard=index, of=of, sources=names, flow_run_id=str(run.id), flow_run_name=name)


def _wait(shards: list[Shard], retries: int, poll_s: float, timeout_s: float | None) -> None:
    """Poll the shard runs until each has settled: final, and not a crash the retry automation is about to
    schedule again (given RETRY_GRACE_S to do it)."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    logger = get_run_logger()
    by_id = {s.flow_run_id: s for s in shards}
    crashed_at: dict[tuple[str, int], float] = {}
    seen: dict[str, tuple[str, int]] = {}
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[UUID(i) for i in by_id])), limit=len(by_id))
            pending = 0
            for run in runs:
                s = by_id[str(run.id)]
                kind = run.state_type.value if run.state_type else ""
                s.state, s.attempts = run.state_name or kind, run.run_count
                s.message = run.state.message if run.state else None
                if seen.get(s.flow_run_id) != (s.state, s.attempts):
                    seen[s.flow_run_id] = (s.state, s.attempts)
                    logger.info("shard %d/%d (%s): %s, attempt %d", s.shard, s.of, ", ".join(s.sources), s.state,
                                max(s.attempts, 1))
                if kind not in FINAL:
                    pending += 1
                elif retry_coming(kind, run.run_count, retries):
                    since = crashed_at.setdefault((s.flow_run_id, run.run_count), time.monotonic())
                    pending += time.monotonic() - since < RETRY_GRACE_S
            if not pending:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{pending} shard run(s) still running after {timeout_s:g} s")
            time.sleep(poll_s)


def _stored_runs(db: str, shards: list[Shard], limit: str) -> None:
    """What each shard stored, from its row in `runs` (a run that stored nothing has none)."""
    from storage.db import connect

    ids = [s.flow_run_id for s in shards]
    with storage_slot(limit):
        try:
            con = connect(db, read_only=True)
        except (FileNotFoundError, ValueError) as exc:  # no shard got as far as creating the storage
            get_run_logger().warning("no runs to read in %s: %s", db, exc)
            return
        try:
            rows = con.execute("SELECT flow_run_id, run_id, status, counts, errors FROM runs "
                               "WHERE list_contains(?::VARCHAR[], flow_run_id)", [ids]).fetchall()
        finally:
            con.close()
    by_id = {s.flow_run_id: s for s in shards}
    for flow_run_id, run_id, status, counts, errors in rows:
        s = by_id[flow_run_id]
        s.run_id, s.status = run_id, status
        s.counts = json.loads(counts) if isinstance(counts, str) else (counts or {})
        s.errors = len(json.loads(errors) if isinstance(errors, str) else (errors or []))


def _totals(shards: list[Shard]) -> dict[str, int]:
    keys = (("crawl", "pages_fetched"), ("crawl", "pages_failed"), ("load", "articles_new"), ("load", "copies"),
            ("load", "same_page"))
    out = {k: sum(int(s.counts.get(stage, {}).get(k, 0)) for s in shards) for stage, k in keys}
    out["errors"] = sum(s.errors for s in shards)
    return out


def _markdown(summary: dict) -> str:
    lines = [f"# talkwatch sharded run: {summary['status']}", "",
             f"{len(summary['shards'])} shard runs, {summary['seconds']:.1f} s; totals: "
             + ", ".join(f"{k}={v}" for k, v in summary["totals"].items()), "",
             "| shard | sources | state | attempts | run | new articles | copies | pages |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summary["shards"]:
        load, crawl = s["counts"].get("load", {}), s["counts"].get("crawl", {})
        lines.append(f"| {s['shard']}/{s['of']} | {', '.join(s['sources'])} | {s['state']} | {s['attempts']} | "
                     f"{s['run_id'] or '-'} | {load.get('articles_new', 0)} | {load.get('copies', 0)} | "
                     f"{crawl.get('pages_fetched', 0)} |")
    return "\n".join(lines)


@flow(name="ingest-sharded", log_prints=False)
def ingest_sharded(sources: str = DEFAULT_SOURCES, topic: str = DEFAULT_TOPIC, db: str = DEFAULT_DB,
                   shards: int = 4, only: list[str] | None = None,
                   spider_settings: dict[str, str | int | float | bool] | None = None, due_only: bool = False,
                   report: str | None = None, deployment: str = SHARD_DEPLOYMENT,
                   storage_limit: str = DEFAULT_LIMIT, storage_slots: int | None = None,
                   silence_s: float | None = None, crash_retries: int | None = None, poll_s: float = 2.0,
                   timeout_s: float | None = None) -> dict[str, Any]:
    """One run over every enabled source (or `only` those), as `shards` runs of `ingest` on the workers.

    Each shard is `ingest(only=[its sources])` through the deployment `deployment`, so it crawls, cleans, dates
    and loads on whichever worker takes it, its load one transaction of its own. `db` is handed to the shards as
    it is: a DuckDB file (every worker on one machine) or a storage URL all the machines reach. Loads (and every
    open of the storage) take a slot of the Prefect limit `storage_limit` (`storage_slots` slots; by default 1 for
    a DuckDB file, one per shard for a DuckLake); a syndicated copy in one shard is matched in its load against what the shards before it stored, so
    the dataset ends as one run over all sources would leave it. A crashed shard run is scheduled again by
    Prefect (pipelines/scaleout/crashretry.py; `silence_s` and `crash_retries` set its automations, None keeps theirs);
    the parent waits for it. Raises ShardsFailed, after every shard has ended, when some did not complete.
    """
    logger = get_run_logger()
    started = time.monotonic()
    check_limit_name(storage_limit, "storage_limit")
    spider_settings = check_setting_dict(spider_settings)
    storage_slots = _storage_slots(db, storage_slots, shards)
    source_list = load_sources(sources)
    check_only(source_list, only, sources)
    chosen, _ = choose_sources(source_list, only, False, {})  # each shard applies due_only to its own sources
    groups = [g for g in split([s.name for s in chosen], shards) if g]
    env = _shard_env(deployment, storage_limit)
    ensure_limit(storage_limit, storage_slots)
    retries = ensure_crash_retries(silence_s, crash_retries)
    params = {"sources": sources, "topic": topic, "db": db, "trigger": "deployment",
              "spider_settings": spider_settings, "due_only": due_only}
    runs = [_launch(deployment, names, i, len(groups), params, env) for i, names in enumerate(groups, 1)]
    logger.info("%d sources in %d shard runs of %s", len(chosen), len(runs), deployment)
    _wait(runs, retries, poll_s, timeout_s)
    _stored_runs(db, runs, storage_limit)
    failed = [s for s in runs if s.state != "Completed"]
    status = "failed" if failed else ("completed-with-errors" if any(s.errors for s in runs) else "completed")
    summary: dict[str, Any] = {"status": status, "db": str(db), "shards": [asdict(s) for s in runs],
                               "totals": _totals(runs), "seconds": round(time.monotonic() - started, 2),
                               "report": None}
    if report and len(failed) < len(runs):
        with storage_slot(storage_limit):
            summary["report"] = refresh_report(db, report)
    try:
        create_markdown_artifact(markdown=_markdown(summary), key="ingest-sharded-summary",
                                 description="talkwatch sharded run")
    except Exception as exc:  # noqa: BLE001 - a summary we cannot publish is no reason to fail loaded shards
        logger.warning("could not publish the run artifact: %s", exc)
    if failed:
        raise ShardsFailed("; ".join(f"shard {s.shard}/{s.of} ({', '.join(s.sources)}) {s.state}: "
                                     f"{(s.message or '').splitlines()[0] if s.message else 'no message'}"
                                     for s in failed), summary)
    return summary
