"""Scale-out for real: a `prefect server` on the service PostgreSQL (a database of its own), a process work pool, two
workers, the `ingest/shard` deployment from prefect.yaml, and `talkwatch run --shards 4` over eight loopback outlets.
The sharded dataset must equal a single-process run's on the same web; then a worker's machine "dies" (the worker
and its flow-run processes SIGKILLed while a shard is held mid-crawl) and the run must still end with that dataset.

The sharded runs store into a DuckLake whose catalog is a PostgreSQL database of its own and whose data files are
in a folder (one storage slot per shard: their loads commit side by side); the reference run is one process into a
DuckDB file.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipelines.scaleout.shards import split
from storage.db import connect
from tests import pgdb
from tests.prefectserver import prefect_env, start_prefect_server, stop_prefect_server
from tests.scaleweb import OUTLETS, start_scaleweb

REPO = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=1"]
# the zombie automation's window in this test: two missed heartbeats (Prefect's minimum interval is 30 s). It is
# most of test_machine_killed_mid_shard_is_retried_by_prefect's wait (the killed run is marked Crashed this long
# after its last beat); 45 s saved 15 s but left a healthy shard run under -n 2 load 15 s for a late beat before
# it was marked crashed, which would fail the one-attempt-per-shard test; production keeps 90 (pipelines/scaleout/crashretry.py)
SILENCE_S = 60

NO_PG = pgdb.available()
pytestmark = pytest.mark.skipif(NO_PG is not None, reason=str(NO_PG))


def storage(cluster: dict, name: str) -> str:
    """The `--db` of a sharded run: a DuckLake with a catalog database of its own (dropped with the cluster) and its
    data files under the test's folder."""
    catalog = pgdb.create("talkwatch_scale_lake")
    cluster["catalogs"].append(catalog)
    return pgdb.lake_url(catalog, str(cluster["tmp"] / f"{name}-lake"))


def run(*args: str, env: dict, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def talkwatch_run(web, db: str, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(web.sources_file),
                             "--topic", str(web.topic_file), "--db", db, *FAST, "--json", *extra],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def finish(proc: subprocess.Popen, timeout: float, logs: list[Path] = ()) -> dict:
    out, err = proc.communicate(timeout=timeout)
    tails = "".join(f"\n--- {p.name}:\n{p.read_text(errors='replace')[-2500:]}" for p in logs if p.exists())
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{err[-3000:]}{tails}"
    return json.loads(out)


def children(pid: int) -> list[int]:
    """Every descendant of `pid`, from /proc (the flow-run processes live in sessions of their own)."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent_of[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent_of.items() if pp == p]
        out += kids
        todo += kids
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kill_machine(worker: subprocess.Popen) -> list[int]:
    """What a machine's death does to its worker: the worker and everything it started, SIGKILLed at once."""
    victims = children(worker.pid)
    os.kill(worker.pid, signal.SIGKILL)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.wait(30)
    return victims


def snapshot(db: str) -> dict:
    """What must not depend on how the run was split: every article (id, source, path, publication time), its
    original and kind, and the duplicate groups as sets of members (a group's id is its first-stored member's)."""
    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT article_id, source, url, published_at, duplicate_of, duplicate_kind, group_id "
                           "FROM articles").fetchall()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        pages = con.execute("SELECT count(*), count(DISTINCT url) FROM pages").fetchone()
    finally:
        con.close()
    groups: dict[str, set[str]] = {}
    for r in rows:
        groups.setdefault(r[6], set()).add(r[0])
    return {"articles": {r[0]: (r[1], urlsplit(r[2]).path, r[3], r[4], r[5]) for r in rows},
            "groups": sorted(sorted(g) for g in groups.values()), "runs": runs, "pages": pages}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scale-out")
    pg_db = pgdb.create("talkwatch_scale_prefect")
    catalogs: list[str] = []
    # the server evaluates the proactive (zombie) automation every second instead of every 5 s (Prefect's
    # PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY): a silent run is marked Crashed that much sooner
    env = prefect_env(tmp, PREFECT_SERVER_UI_ENABLED="false", PREFECT_WORKER_QUERY_SECONDS="2",
                      PREFECT_WORKER_PREFETCH_SECONDS="2", PREFECT_SERVER_EVENTS_PROACTIVE_GRANULARITY="PT1S",
                      PREFECT_API_DATABASE_CONNECTION_URL=pgdb.prefect_url(pg_db))
    server = automations = None
    workers: list[subprocess.Popen] = []
    web = start_scaleweb(tmp)
    try:
        server, api = start_prefect_server(tmp, env)
        env["PREFECT_API_URL"] = api
        # the automations need neither the pool nor the deployment: created meanwhile, in a process of their own
        automations = subprocess.Popen(
            [sys.executable, "-c", "from pipelines.scaleout.crashretry import ensure_crash_retries; "
             f"ensure_crash_retries({SILENCE_S}, 2)"], cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
        run("-m", "prefect", "work-pool", "create", "local-process", "--type", "process", env=env)
        for n in (1, 2):  # one worker per "machine", two shards at a time each; they start while we deploy
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", "local-process", "--work-queue",
                 "shards", "--limit", "2", "--name", f"machine-{n}"], cwd=REPO, env=env,
                stdout=open(tmp / f"worker-{n}.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        run("-m", "prefect", "--no-prompt", "deploy", "--name", "ingest/shard", env=env)
        out, _ = automations.communicate(timeout=180)
        assert automations.returncode == 0, out[-3000:]
        yield {"tmp": tmp, "env": env, "api": api, "web": web, "workers": workers, "catalogs": catalogs}
    finally:
        web.stop()
        if automations is not None and automations.poll() is None:
            automations.kill()
            automations.wait(30)
        for w in workers:
            if w.poll() is None:
                kill_machine(w)
        if server is not None:
            stop_prefect_server(server)
        for name in [pg_db, *catalogs]:
            pgdb.drop(name)


def test_shards_are_stable():
    """Two outlets per shard on this web, and a source's shard depends on its name alone: outlets added or listed
    in another order move none of the others."""
    shards = split(OUTLETS, 4)
    assert sorted(map(sorted, shards)) == [["alpha", "charlie"], ["bravo", "delta"], ["india", "lima"],
                                           ["papa", "yankee"]]
    more = split(list(reversed(OUTLETS)) + ["zulu", "kilo", "amber"], 4)
    assert all(set(names) <= set(more[i]) for i, names in enumerate(shards))


def _reference(cluster) -> dict:
    if "reference" not in cluster:
        db = str(cluster["tmp"] / "single.duckdb")
        finish(talkwatch_run(cluster["web"], db, cluster["env"]), 240)
        cluster["reference"] = snapshot(db)
    return cluster["reference"]


def test_sharded_run_equals_single_process_run(cluster):
    env, web, tmp = cluster["env"], cluster["web"], cluster["tmp"]
    logs = [tmp / "worker-1.log", tmp / "worker-2.log"]
    single_db, sharded_db = str(tmp / "single.duckdb"), storage(cluster, "sharded")
    single = talkwatch_run(web, single_db, env)  # one process, the flow in it (the API of the same server)
    sharded = talkwatch_run(web, sharded_db, env, "--shards", "4")
    finish(single, 300)
    summary = finish(sharded, 300, logs)
    cluster["reference"] = reference = snapshot(single_db)

    assert summary["status"] == "completed"
    assert sorted(sorted(s["sources"]) for s in summary["shards"]) == sorted(map(sorted, split(OUTLETS, 4)))
    assert all(s["state"] == "Completed" and s["attempts"] == 1 and s["run_id"] for s in summary["shards"])
    for log in logs:  # both machines took shards
        assert any(s["flow_run_id"] in log.read_text() for s in summary["shards"]), log.read_text()[-2000:]

    got = snapshot(sharded_db)
    assert got["articles"] == reference["articles"]
    assert got["groups"] == reference["groups"]
    assert got["runs"] == 4 and reference["runs"] == 1
    assert got["pages"] == reference["pages"] == (15, 15)

    # the dataset itself: 14 articles, five groups that cross shards, originals by publication time
    arts = reference["articles"]
    by_path = {v[1]: k for k, v in arts.items()}
    assert len(arts) == 14
    original = {v[1]: (arts[v[3]][1] if v[3] else None) for v in arts.values()}
    assert original["/story/memorandum.html"] == "/a/memorandum-first.html"  # delta's is the later copy
    assert original["/l/agenda.html"] == "/y/agenda-early.html"  # yankee published first, another shard
    assert original["/world/talks-copy.html"] == "/news/second-round.html"
    assert original["/p/round-two-near.html"] == "/story/round-two.html"
    assert arts[by_path["/p/round-two-near.html"]][4] == "near"
    assert original["/x/swap-copy.html"] == "/p/swap.html"
    assert sum(1 for v in arts.values() if v[3]) == 6


def test_machine_killed_mid_shard_is_retried_by_prefect(cluster):
    env, web, tmp = cluster["env"], cluster["web"], cluster["tmp"]
    reference = _reference(cluster)
    logs = [tmp / "worker-1.log", tmp / "worker-2.log"]
    db = storage(cluster, "killed")
    web.hold("india", "/p/swap.html")
    parent = talkwatch_run(web, db, env, "--shards", "4")
    try:
        assert web.reached.wait(240), "the held page was never requested"
        held_by = [w for w in cluster["workers"]
                   if any("only=india,lima" in cmdline(p) for p in children(w.pid))]
        assert len(held_by) == 1, [cmdline(p) for w in cluster["workers"] for p in children(w.pid)]
        victims = kill_machine(held_by[0])
        assert victims  # the flow-run process and its crawl went with it
        web.release()
        summary = finish(parent, 420, logs)
    finally:
        web.release()
        if parent.poll() is None:
            parent.kill()

    # the held shard (and any other the dead machine was running) crashed once and completed on its retry
    shard = next(s for s in summary["shards"] if "india" in s["sources"])
    assert shard["state"] == "Completed" and shard["attempts"] == 2, shard
    assert all(s["state"] == "Completed" and s["attempts"] in (1, 2) for s in summary["shards"]), summary
    for s in summary["shards"]:
        states = asyncio.run(_states(cluster["api"], s["flow_run_id"]))
        if s["attempts"] == 2:
            crashed = states.index("Crashed")
            assert states[crashed + 1] == "AwaitingRetry" and states[-1] == "Completed", states
        else:
            assert "Crashed" not in states, states

    got = snapshot(db)
    assert got["articles"] == reference["articles"]
    assert got["groups"] == reference["groups"]
    assert got["runs"] == 4  # the killed attempt stored nothing: no run row, no half load
    assert got["pages"] == reference["pages"]


async def _states(api: str, flow_run_id: str) -> list[str]:
    from uuid import UUID

    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api) as client:
        return [s.name for s in await client.read_flow_run_states(UUID(flow_run_id))]
