"""The schedule for real: a `prefect server` on loopback, `prefect deploy --all` from prefect.yaml, a process worker,
the cron's next runs, a `prefect deployment run` by hand, and its articles in DuckDB."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

import pytest

from storage.db import connect
from tests.newsweb import start_newsweb
from tests.prefectserver import prefect_env, start_prefect_server, stop_prefect_server

REPO = Path(__file__).resolve().parents[1]


def prefect(*args: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"prefect {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deploy")
    env = prefect_env(tmp, PREFECT_SERVER_UI_ENABLED="false", PREFECT_WORKER_QUERY_SECONDS="2",
                      PREFECT_WORKER_PREFETCH_SECONDS="2")
    server, api = start_prefect_server(tmp, env)
    env["PREFECT_API_URL"] = api
    procs: list[subprocess.Popen] = []
    try:
        yield {"tmp": tmp, "env": env, "api": api, "procs": procs}
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        stop_prefect_server(server)


async def _deployment_runs(api: str, name: str):
    """The deployment and its runs, asked of this module's server by URL: an in-process Prefect may already be
    bound to the session's test API (another module's prefect_api fixture), whatever PREFECT_API_URL says now."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with PrefectClient(api) as client:
        dep = await client.read_deployment_by_name(name)
        runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])))
        return dep, runs


async def _run_and_artifacts(api: str, flow_run_id):
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with PrefectClient(api) as client:
        run = await client.read_flow_run(flow_run_id)
        arts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
        return run, arts


def test_deploy_schedule_and_manual_run(stack):
    env, tmp = stack["env"], stack["tmp"]
    before = (REPO / "prefect.yaml").read_text()
    prefect("work-pool", "create", "local-process", "--type", "process", env=env)
    prefect("--no-prompt", "deploy", "--all", env=env)
    assert (REPO / "prefect.yaml").read_text() == before  # deploy read the file, did not rewrite it

    # the scheduler fills in the hourly deployment's next runs, on the hour as its cron says
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_API_URL", stack["api"])
        mp.setenv("PREFECT_HOME", env["PREFECT_HOME"])
        deadline = time.monotonic() + 90
        scheduled = []
        while time.monotonic() < deadline:
            dep, runs = asyncio.run(_deployment_runs(stack["api"], "ingest/hourly"))
            scheduled = [r for r in runs if r.state_type and r.state_type.value == "SCHEDULED"]
            if len(scheduled) >= 3:
                break
            time.sleep(2)
        assert dep.schedules and dep.schedules[0].schedule.cron == "0 * * * *"
        limit = dep.global_concurrency_limit.limit if dep.global_concurrency_limit else dep.concurrency_limit
        assert limit == 1
        assert len(scheduled) >= 3, [r.state_type for r in runs]
        starts = sorted(r.expected_start_time.astimezone(timezone.utc) for r in scheduled)
        assert all(t.minute == 0 and t.second == 0 for t in starts)
        assert all((b - a).total_seconds() == 3600 for a, b in zip(starts, starts[1:]))

        # a worker, and a run by hand against a loopback web
        web = start_newsweb(tmp)
        worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "local-process",
                                   "--limit", "1"], cwd=REPO, env=env, stdout=open(tmp / "worker.log", "w"),
                                  stderr=subprocess.STDOUT)
        stack["procs"].append(worker)
        db = tmp / "scheduled.duckdb"
        proc = prefect("deployment", "run", "ingest/manual",
                       "--param", f"sources={web.sources_file}", "--param", f"topic={web.topic_file}",
                       "--param", f"db={db}", "--param", f"report={tmp / 'report.html'}",
                       "--params", '{"spider_settings": {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", '
                                   '"RETRY_TIMES": "1"}}',
                       "--watch", "--watch-timeout", "400", env=env, timeout=460)
        out = proc.stdout + proc.stderr
        assert "Completed" in out, out[-3000:] + (tmp / "worker.log").read_text()[-3000:]
        dep, runs = asyncio.run(_deployment_runs(stack["api"], "ingest/manual"))
        done = [r for r in runs if r.state_type and r.state_type.value == "COMPLETED"]
        assert len(done) == 1
        run, arts = asyncio.run(_run_and_artifacts(stack["api"], done[0].id))
        assert any(a.key == "ingest-summary" and "alpha" in (a.data or "") for a in arts)
        assert any(a.key == "coverage-report" and (tmp / "report.html").resolve().as_uri() in (a.data or "")
                   for a in arts)
        assert "talkwatch report" in (tmp / "report.html").read_text(encoding="utf-8")

    con = connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        trigger, flow_run_id = con.execute("SELECT trigger, flow_run_id FROM runs").fetchone()
        assert trigger == "deployment" and flow_run_id == str(done[0].id)
    finally:
        con.close()
    web.alpha.stop()
    web.bravo.stop()
