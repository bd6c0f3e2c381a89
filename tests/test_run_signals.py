"""A run stopped by Ctrl-C or SIGTERM: one line, status 130 or 143, every process it started gone, nothing stored.

Before: SIGTERM left Prefect's temporary API server running for good and the crawl fetching to its end; a Ctrl-C
let the crawl stop early while the flow stored the partial crawl as a completed run, then retried the dead server
for minutes and ended as an internal error (70); a SIGTERM as the load began ended as "Task run is not set" (2).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipelines.cli.stopping import processes
from tests.loopback import LoopbackServer
from tests.prefectserver import REPO, prefect_env, wait_for

TOPIC = REPO / "config" / "topic.toml"


def _in_session(sid: int) -> list[int]:
    """The live processes of session `sid` (the run was started as its leader, so all it started are in it)."""
    return [pid for pid, fields in processes().items() if int(fields[3]) == sid and fields[0] != b"Z"]


@pytest.mark.parametrize("sig, code, says", [(signal.SIGTERM, 143, "terminated"),
                                             (signal.SIGINT, 130, "interrupted")], ids=["sigterm", "ctrl-c"])
def test_a_run_stopped_by_a_signal_stops_all_it_started_and_stores_nothing(tmp_path: Path, sig, code, says):
    release = threading.Event()

    def stalling_feed(_info):  # the crawl waits here: the run is mid-crawl when the signal comes
        release.wait(120)
        return 200, {"Content-Type": "application/rss+xml"}, b"<rss version='2.0'><channel></channel></rss>"

    web = LoopbackServer({"/feed.xml": stalling_feed}).start()
    try:
        (tmp_path / "sources.toml").write_text(
            f'[[source]]\nname = "alpha"\nlanguage = "en"\nfeeds = ["{web.url("/feed.xml")}"]\n', encoding="utf-8")
        db = tmp_path / "data" / "talks.duckdb"
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--sources", "sources.toml", "--topic",
                                 str(TOPIC), "--db", str(db)], cwd=tmp_path, env=prefect_env(tmp_path),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            assert wait_for(lambda: web.hits("/feed.xml") >= 1, timeout=120)
            # Ctrl-C reaches the terminal's whole process group; SIGTERM (a supervisor, `kill`) the process alone
            os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    finally:
        release.set()
        web.stop()
    assert proc.returncode == code, err[-2000:]
    assert err.splitlines()[-1] == f"talkwatch: {says}" and "Traceback" not in err, err[-2000:]
    assert wait_for(lambda: not _in_session(proc.pid), timeout=10), _in_session(proc.pid)  # crawl, API server: gone
    assert not (tmp_path / "data" / "runs").exists()  # the stopped crawl's folder went with it
    if db.exists():
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        finally:
            con.close()
