"""Crash safety: a run killed right before COMMIT, or failing on a full disk, leaves the database as it was, and the
next normal run ends exactly where an undisturbed run ends.

The faults are injected through `storage.load.load_batch(..., before_commit=...)` by a small driver script that
runs the flow `ingest` in a child process (so the test can SIGKILL it), over the loopback web of `tests/newsweb.py`.
All four runs talk to one `prefect server` on loopback, so each does not start a temporary server of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage.db import connect
from tests.prefectserver import prefect_env, start_prefect_server, stop_prefect_server, wait_for
from tests.newsweb import start_newsweb

REPO = Path(__file__).resolve().parents[1]
SPIDER_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "1"}
TABLES = ("article_store", "article_bands", "pages", "raw_pages", "listings", "runs")

DRIVER = textwrap.dedent('''
    """Run the flow once with a fault at the load's COMMIT: argv = mode marker sources topic db settings-json."""
    import json, sys, time
    from pathlib import Path

    import pipelines.flow as flow

    mode, marker, sources, topic, db, settings = sys.argv[1:7]
    real_load_batch = flow.load_batch

    def before_commit(con):
        Path(marker).write_text(mode)
        if mode == "pause":
            time.sleep(600)  # the test SIGKILLs us here, between the writes and COMMIT
        elif mode == "disk-full":
            raise OSError(28, "No space left on device")

    def load_batch(db_path, batch, judge, **kw):
        return real_load_batch(db_path, batch, judge, **{**kw, "before_commit": before_commit})

    flow.load_batch = load_batch
    flow.ingest(sources=sources, topic=topic, db=db, trigger="test", spider_settings=json.loads(settings))
''')


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """The comparable content of a database: articles by URL (duplicates as URLs too), pages, row counts."""
    con = connect(db, read_only=True)
    try:
        articles = con.execute(
            "SELECT a.url, a.title, a.text, o.url FROM articles a "
            "LEFT JOIN articles o ON o.article_id = a.duplicate_of ORDER BY a.url").fetchall()
        pages = con.execute("SELECT url, outcome, reason, attempts FROM pages ORDER BY url").fetchall()
        counts = [(t, con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES]
        distinct = con.execute(
            "SELECT count(DISTINCT canonical_url), count(DISTINCT url) FROM article_store").fetchall()
        listings = con.execute("SELECT url, last_outcome FROM listings ORDER BY url").fetchall()
        return {"articles": articles, "pages": pages, "counts": counts, "distinct": distinct, "listings": listings}
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crash")
    web = start_newsweb(tmp)
    env = prefect_env(tmp)
    server, api = start_prefect_server(tmp, env)
    env["PREFECT_API_URL"] = api
    driver = tmp / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    settings = json.dumps(SPIDER_SETTINGS)

    def faulty_run(mode: str, db: Path) -> tuple[subprocess.Popen, Path]:
        marker = tmp / f"{db.stem}-{mode}.marker"
        proc = subprocess.Popen([sys.executable, str(driver), mode, str(marker), str(web.sources_file),
                                 str(web.topic_file), str(db), settings], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # its own process group, so a kill takes its children too
        return proc, marker

    def cli_run(db: Path) -> subprocess.CompletedProcess:
        args = [a for k, v in SPIDER_SETTINGS.items() for a in ("-s", f"{k}={v}")]
        return subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(web.sources_file),
                               "--topic", str(web.topic_file), "--db", str(db), *args],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300)

    try:
        out: dict = {"web": web}
        # 1. disk full at COMMIT on a fresh database, then a normal run: that database is the reference
        ref = tmp / "reference.duckdb"
        proc, marker = faulty_run("disk-full", ref)
        output, _ = proc.communicate(timeout=300)
        out["disk_full"] = {"code": proc.returncode, "output": output, "marker": marker.exists(),
                            "after": snapshot(ref)}
        out["reference_run"] = cli_run(ref)
        out["reference"] = snapshot(ref)

        # 2. SIGKILL between the load's writes and COMMIT on another fresh database, then a normal run
        crash = tmp / "crashed.duckdb"
        proc, marker = faulty_run("pause", crash)
        try:
            reached = wait_for(marker.exists, timeout=240, every=0.1)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the driver and its children, by the group we created
            except ProcessLookupError:
                pass
            output, _ = proc.communicate(timeout=60)
        out["killed"] = {"reached": reached, "code": proc.returncode, "output": output, "after": snapshot(crash)}
        out["recovery_run"] = cli_run(crash)
        out["recovered"] = snapshot(crash)
        yield out
    finally:
        stop_prefect_server(server)
        web.alpha.stop()
        web.bravo.stop()


def _empty(snap: dict) -> bool:
    return all(n == 0 for _, n in snap["counts"])


def test_disk_full_fails_the_run_clearly_and_changes_nothing(world):
    d = world["disk_full"]
    assert d["marker"], d["output"][-3000:]  # the fault really fired inside the load transaction
    assert d["code"] != 0
    assert "No space left on device" in d["output"]
    # the database was fresh (schema only) before the run, and is exactly that after it
    assert _empty(d["after"]), d["after"]["counts"]


def test_the_run_after_disk_full_loads_everything(world):
    proc = world["reference_run"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = world["reference"]
    paths = sorted(u.split("/", 3)[3] for u, *_ in ref["articles"])
    assert paths == sorted(["news/istanbul-second-round.html", "news/memorandum.html", "news/prisoner-exchange.html",
                            "ru/2025/06/02/peregovory.html", "world/2025/06/02/talks-istanbul.html"])
    assert ref["distinct"] == [(5, 5)]
    assert dict(ref["counts"])["runs"] == 1  # the failed run left no row


def test_sigkill_before_commit_leaves_the_database_as_it_was(world):
    k = world["killed"]
    assert k["reached"], k["output"][-3000:]
    assert k["code"] == -signal.SIGKILL
    assert _empty(k["after"]), k["after"]["counts"]


def test_the_run_after_the_kill_ends_like_an_undisturbed_run(world):
    proc = world["recovery_run"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    got, ref = world["recovered"], world["reference"]
    assert got["articles"] == ref["articles"]  # url, title, text, and the original's url for each copy
    assert [r[:2] for r in got["pages"]] == [r[:2] for r in ref["pages"]]  # url, outcome
    assert got["pages"] == ref["pages"]  # reasons and attempts too: the killed run counted no attempt
    assert got["counts"] == ref["counts"] and got["distinct"] == [(5, 5)]
    assert got["listings"] == ref["listings"]
    copies = [(u, o) for u, _, _, o in got["articles"] if o is not None]
    assert len(copies) == 1 and copies[0][0].endswith("/world/2025/06/02/talks-istanbul.html")
