"""A manual run's start: the crawl's head start (adopted by the flow only for the same request), the temporary
Prefect API server started before Prefect is imported, and the live progress a terminal shows."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from pipelines import crawl as crawlmod
from pipelines import progress
from pipelines.crawlplan import head_start_crawl
from pipelines.flow import ingest
from tests.newsweb import start_newsweb
from tests.prefectserver import REPO, prefect_env
from tests.storagerows import rows

FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "0"}


def test_a_head_start_is_adopted_for_the_same_request_only(tmp_path):
    web = start_newsweb(tmp_path)
    try:
        sources = str(web.sources_file)
        started = crawlmod.head_start(sources, tmp_path / "head", [], {}, ["alpha"], FAST)
        result = crawlmod.run_crawl(sources, tmp_path / "flow", [], {}, ["alpha"], FAST)
        assert result.items_path == started.items and result.returncode == 0  # adopted, not crawled again
        assert web.alpha.hits("/rss.xml") == 1
        assert not (tmp_path / "flow").exists()
        # a different request (another source) ends the head start and crawls what was asked
        other = crawlmod.head_start(sources, tmp_path / "head2", [], {}, ["alpha"], FAST)
        result = crawlmod.run_crawl(sources, tmp_path / "flow2", [], {}, ["bravo"], FAST)
        assert other.proc.poll() is not None and not (tmp_path / "head2").exists()
        assert result.items_path == tmp_path / "flow2" / "items.jsonl"
        kinds = {json.loads(line)["source"] for line in result.items_path.read_text().splitlines()}
        assert kinds == {"bravo"}
    finally:
        crawlmod.drop_head_start()
        web.alpha.stop()
        web.bravo.stop()


def test_a_crawls_seconds_are_its_childs_lifetime_not_the_wait_to_collect_it(tmp_path):
    """A head start that ended while the flow waited for Prefect's server: its seconds stop at the child's exit
    (they ran until the flow collected it, and bench/run_overhead.py took that wait for crawl time)."""
    import time

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    running = crawlmod.RunningCrawl(proc, tmp_path / "items.jsonl", tmp_path / "crawl.log", time.monotonic(), "k")
    time.sleep(2.5)  # the flow is still waiting for its server
    result = running.wait()
    assert result.returncode == 0
    assert 0.3 <= result.duration_s < 1.5, result.duration_s


def test_the_flow_adopts_the_clis_head_start_and_leaves_no_folder(prefect_api, tmp_path):
    web = start_newsweb(tmp_path)
    try:
        db = tmp_path / "t.duckdb"
        head_start_crawl(str(web.sources_file), str(db), None, FAST)
        summary = ingest(sources=str(web.sources_file), topic=str(web.topic_file), db=str(db), trigger="test",
                         spider_settings=FAST)
        assert summary["counts"]["load"]["articles_new"] == 5
        assert web.alpha.hits("/rss.xml") == 1 and web.bravo.hits("/sitemap_index.xml") == 1  # one crawl
        assert summary["counts"]["crawl"]["seconds"] > 0
        assert not (tmp_path / "runs").exists()  # neither the head start's folder nor the flow's stays
        # the next run's head start asks with the new stored URLs: adopted again, nothing fetched twice
        head_start_crawl(str(web.sources_file), str(db), None, FAST)
        again = ingest(sources=str(web.sources_file), topic=str(web.topic_file), db=str(db), trigger="test",
                       spider_settings=FAST)
        assert again["counts"]["load"]["articles_new"] == 0 and web.alpha.hits("/rss.xml") == 2
        assert rows(db, "SELECT count(*) FROM articles") == [(5,)]
    finally:
        crawlmod.drop_head_start()
        web.alpha.stop()
        web.bravo.stop()


def test_the_temporary_api_serves_a_flow_and_stops_with_the_process(tmp_path):
    script = (
        "from pipelines.cli.apiserver import start_temporary_api\n"
        "api = start_temporary_api()\n"
        "import prefect, os\n"
        "from prefect import flow\n"
        "@flow\n"
        "def f():\n"
        "    return 41 + 1\n"
        "api.wait_ready()\n"
        "print(f(), api.api_url, api.proc.pid, flush=True)\n"
    )
    p = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=prefect_env(tmp_path), capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    value, url, pid = p.stdout.split()[-3:]
    assert value == "42" and url.startswith("http://127.0.0.1:") and url.endswith("/api")
    assert "Error logging to API" not in p.stderr  # stopped after Prefect sent its last logs
    assert "Beginning flow run" in p.stderr and "View at" not in p.stdout + p.stderr  # no link to a UI that is gone
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_no_temporary_api_when_a_server_is_configured(tmp_path, monkeypatch):
    from pipelines.cli.apiserver import start_temporary_api

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert start_temporary_api() is None


def test_the_crawl_tally_counts_complete_lines_per_source(tmp_path):
    items = tmp_path / "items.jsonl"
    lines = [{"kind": "listing", "source": "alpha", "outcome": "ok"},
             {"kind": "listing", "source": "bravo", "outcome": "failed"},
             {"kind": "page", "source": "alpha", "body_b64": "eA=="},
             {"kind": "failure", "source": "alpha", "outcome": "refused"}]
    items.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"kind": "page", "sour', encoding="utf-8")
    tally = crawlmod._Tally(items)
    counts = tally.read()
    assert counts["alpha"] == Counter({"listing": 1, "page": 1, "refused": 1})
    assert counts["bravo"] == Counter({"listing-failed": 1})
    with items.open("a", encoding="utf-8") as fh:  # the cut line is completed later
        fh.write('ce": "bravo", "body_b64": ""}\n')
    assert tally.read()["bravo"]["page"] == 1
    assert crawlmod.count_pages(items) == 2 and crawlmod.count_pages(tmp_path / "missing.jsonl") == 0


def test_the_rich_display_follows_stages_and_sources():
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    reporter = progress.RichReporter(["alpha", "bravo"], console=console)
    progress.install(reporter)
    try:
        assert progress.wants_items()
        progress.stage("crawl")
        progress.crawled({"alpha": Counter({"listing": 2, "page": 3})})
        progress.stage("clean", total=3)
        progress.advance(3)
        assert reporter.bars.tasks[-1].completed == 3 and reporter.bars.tasks[0].description == "crawl"
        assert reporter.counts["alpha"]["page"] == 3
        reporter.live.refresh()
        assert "alpha" in out.getvalue() and "clean" in out.getvalue()
    finally:
        reporter.close()
        progress.install(None)
    assert not progress.wants_items()


def test_a_run_whose_summary_cannot_be_written_says_it_is_stored(tmp_path):
    """stdout on a full disk: the load had committed, and the usual "cannot write" line (status 4, documented as
    "nothing was stored") read as a lost run. It still exits 4, and says the run is stored."""
    web = start_newsweb(tmp_path)
    db = tmp_path / "t.duckdb"
    try:
        with open("/dev/full", "w") as full:
            p = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(web.sources_file),
                                "--topic", str(web.topic_file), "--db", str(db), "-s", "DOWNLOAD_DELAY=0"],
                               cwd=tmp_path, env=prefect_env(tmp_path), stdout=full, stderr=subprocess.PIPE,
                               text=True, timeout=600, stdin=subprocess.DEVNULL)
    finally:
        web.alpha.stop()
        web.bravo.stop()
    assert p.returncode == 4, p.stderr[-3000:]
    last = p.stderr.splitlines()[-1]
    assert last.startswith("talkwatch run: run ") and "is stored (completed" in last, p.stderr[-3000:]
    assert "but its summary could not be written: No space left on device" in last
    run_id = last.split()[3]
    assert rows(db, "SELECT run_id FROM runs") == [(run_id,)]
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 5
    # the run leaves by os._exit after its exit handlers (pipelines/cli/quickexit.py): its database was closed
    # before that, nothing left in a write-ahead log for the next open to replay
    assert not db.with_name(db.name + ".wal").exists()


def test_a_prefect_that_fails_to_import_leaves_no_crawl_behind(tmp_path, monkeypatch, capfd):
    """The crawl starts before Prefect is imported: when that import fails (a broken install), the command says so
    in one line and the crawl it started is stopped, its folder gone, instead of running on after the command."""
    from pipelines.cli import main

    web = start_newsweb(tmp_path)
    started: list = []
    real_head_start = crawlmod.head_start

    def noting(*args, **kwargs):
        started.append(real_head_start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr("pipelines.crawlplan.head_start", noting)
    monkeypatch.setitem(sys.modules, "pipelines.flow", None)  # `from pipelines.flow import ...` raises ImportError
    monkeypatch.setenv("TALKWATCH_LOG_DIR", str(tmp_path / "logs"))
    try:
        code = main(["run", "--sources", str(web.sources_file), "--topic", str(web.topic_file),
                     "--db", str(tmp_path / "t.duckdb"), "-s", "DOWNLOAD_DELAY=0"])
    finally:
        web.alpha.stop()
        web.bravo.stop()
    err = capfd.readouterr().err
    assert code == 70, err
    assert [ln for ln in err.splitlines() if ln.startswith("talkwatch")][-1].startswith("talkwatch: internal error")
    assert "Traceback" not in err
    assert len(started) == 1 and started[0].proc.poll() is not None  # the crawl was stopped, not left running
    assert not started[0].items.parent.exists()
    assert crawlmod._HEAD_START == []
