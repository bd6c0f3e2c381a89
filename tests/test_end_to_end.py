"""`talkwatch run` twice against a loopback web of two outlets: the real CLI, Scrapy, Prefect flow and DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storagerows import rows
from tests.newsweb import start_newsweb
from tests.prefectserver import prefect_env

REPO = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=1"]


def talkwatch(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def world(tmp_path_factory, prefect_api_url):
    tmp = tmp_path_factory.mktemp("e2e")
    web = start_newsweb(tmp)
    # every page through the worker-process path (pipelines/isolation.py), which only larger batches take by default
    env = prefect_env(tmp, TALKWATCH_ISOLATE_MIN_PAGES="0")
    # both runs use the session's Prefect API instead of a temporary server each (a run that starts its own:
    # tests/test_cli.py, tests/test_run_startup.py, tests/test_run_signals.py)
    env["PREFECT_API_URL"] = prefect_api_url
    db = tmp / "tw.duckdb"
    run_args = ["run", "--sources", str(web.sources_file), "--topic", str(web.topic_file), "--db", str(db), *FAST]
    first = talkwatch(*run_args, env=env)
    hits_after_first = web.article_hits()
    second = talkwatch(*run_args, env=env)
    yield {"web": web, "db": db, "env": env, "tmp": tmp, "first": first, "second": second,
           "hits_after_first": hits_after_first}
    web.alpha.stop()
    web.bravo.stop()


def test_runs_succeed_and_print_a_summary(world):
    for key in ("first", "second"):
        proc = world[key]
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert "run " in proc.stdout and "source alpha" in proc.stdout and "source bravo" in proc.stdout


def test_expected_articles_exactly_once(world):
    got = rows(world["db"], "SELECT url, source, title, language FROM articles ORDER BY url")
    paths = sorted(u.split("/", 3)[3] for u, *_ in got)
    assert paths == sorted([
        "news/istanbul-second-round.html", "news/memorandum.html", "news/prisoner-exchange.html",
        "ru/2025/06/02/peregovory.html", "world/2025/06/02/talks-istanbul.html",
    ])
    by_path = {u.split("/", 3)[3]: (s, t, lang) for u, s, t, lang in got}
    assert by_path["news/istanbul-second-round.html"][1] == "Russia and Ukraine hold second round of talks in Istanbul"
    # the windows-1251 page, declared only in the HTTP header, decodes to Russian text
    ru = by_path["ru/2025/06/02/peregovory.html"]
    assert ru[1] == "В Стамбуле прошел второй раунд переговоров России и Украины" and ru[2] == "ru"
    assert rows(world["db"], "SELECT count(*), count(DISTINCT canonical_url) FROM articles")[0] == (5, 5)


def test_text_is_clean_and_dated(world):
    text, published, offset, src = rows(world["db"],
        "SELECT text, published_at, published_offset, date_source FROM articles "
        "WHERE url LIKE '%istanbul-second-round%'")[0]
    assert text.startswith("Delegations from Russia and Ukraine met")
    assert "No date was set for a third round of negotiations." in text
    for residue in ("back to top", "8.7 C", "Read more", "All rights reserved", "September 24"):
        assert residue not in text
    assert text.count("\n\n") == 3  # four paragraphs, none glued
    assert published.isoformat() == "2025-06-02T11:05:00+00:00" and offset == "+03:00"
    assert src != "none"


def test_copy_points_at_its_original(world):
    got = dict(rows(world["db"], "SELECT url, duplicate_of FROM articles"))
    orig = next(u for u in got if u.endswith("/news/istanbul-second-round.html"))
    copy = next(u for u in got if u.endswith("/world/2025/06/02/talks-istanbul.html"))
    orig_id = rows(world["db"], "SELECT article_id FROM articles WHERE url = ?", [orig])[0][0]
    assert got[orig] is None and got[copy] == orig_id
    assert sum(v is not None for v in got.values()) == 1


def test_page_outcomes(world):
    outcome = {u.split("/", 3)[3]: (o, r) for u, o, r in rows(world["db"], "SELECT url, outcome, reason FROM pages")}
    assert outcome["sport/istanbul-derby.html"][0] == "off-topic"
    assert outcome["news/gone.html"][0] == "failed" and "404" in outcome["news/gone.html"][1]
    assert outcome["news/server-error.html"][0] == "failed" and "500" in outcome["news/server-error.html"][1]
    assert outcome["private/leak.html"][0] == "refused" and "robots" in outcome["private/leak.html"][1].lower()
    assert outcome["story.html"][0] == "refused"  # offsite link in the news sitemap
    assert outcome["news/prisoner-exchange.html?utm_source=rss&utm_medium=feed"][0] == "loaded"
    for path in ("news/istanbul-second-round.html", "news/memorandum.html", "world/2025/06/02/talks-istanbul.html",
                 "ru/2025/06/02/peregovory.html"):
        assert outcome[path][0] == "loaded", (path, outcome[path])
    # the robots-disallowed page was never requested
    assert world["web"].alpha.hits("/private/leak.html") == 0


def test_second_run_fetches_no_article_again(world):
    assert world["hits_after_first"] > 0
    web = world["web"]
    for outlet, paths in web.article_paths.items():
        server = getattr(web, outlet)
        for p in paths:
            assert server.hits(p) <= 1, (p, server.hits(p))
    runs = rows(world["db"], "SELECT trigger, status, counts FROM runs ORDER BY started_at")
    assert [r[0] for r in runs] == ["cli", "cli"]
    second = json.loads(runs[1][2])
    assert second["load"]["articles_new"] == 0
    assert rows(world["db"], "SELECT count(*) FROM raw_pages WHERE url LIKE '%istanbul-second-round%'")[0][0] == 1
    # what the listing said of a page is kept with its bytes, for re-processing
    assert rows(world["db"], "SELECT listed_date, listed_date_kind FROM raw_pages WHERE url LIKE '%memorandum%'") \
        == [("2025-05-29T08:00:00Z", "feed")]
    # the unchanged feed cost a conditional GET and nothing more
    feed_requests = web.alpha.requests("/rss.xml")
    assert len(feed_requests) == 2 and feed_requests[1].get("if-none-match") == '"v1"'
    assert rows(world["db"], "SELECT last_outcome FROM listings WHERE url LIKE '%/rss.xml'") == [("not-modified",)]


def test_query_command_formats(world):
    env, db = world["env"], str(world["db"])
    proc = talkwatch("query", "SELECT source, count(*) AS n FROM articles GROUP BY source ORDER BY source",
                     "--db", db, "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [{"source": "alpha", "n": 3},
                                                                       {"source": "bravo", "n": 2}]
    proc = talkwatch("query", "SELECT count(*) AS n FROM articles", "--db", db, "--format", "csv", env=env)
    assert proc.stdout.splitlines() == ["n", "5"]
    proc = talkwatch("query", "SELECT count(*) AS n FROM pages WHERE outcome = 'failed'", "--db", db, env=env)
    assert proc.returncode == 0 and "(1 row)" in proc.stdout
    proc = talkwatch("query", "DELETE FROM pages", "--db", db, env=env)
    assert proc.returncode != 0
    assert rows(world["db"], "SELECT count(*) FROM pages")[0][0] > 0


def test_export_writes_one_file_per_original(world):
    out = world["tmp"] / "export"
    proc = talkwatch("export", "--format", "text", "--out", str(out), "--db", str(world["db"]), env=world["env"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / ".talkwatch-export.json").read_text(encoding="utf-8"))["format"] == "text"
    files = sorted(f for f in out.iterdir() if f.name != ".talkwatch-export.json")  # the marker --force reads
    assert len(files) == 4  # five articles, one of them a copy
    names = [f.name for f in files]
    assert all(len(n) == len("000_0123456789abcdef.txt") and n[3] == "_" for n in names)
    first = files[0].read_text(encoding="utf-8")  # the oldest: the memorandum story of 29 May
    lines = first.rstrip("\n").split("\n")
    assert lines[0] == "Kremlin says peace memorandum is nearly ready"
    assert lines[1] == "" and lines[2] == "2025-05-29T11:00:00+03:00" and lines[3] == ""
    assert lines[-1].startswith("Original url: http://127.0.0.1:")


def test_raw_pages_keep_the_served_bytes_and_the_workers_files_go(world):
    # the workers write each compressed body to a file beside the crawl's items and the load reads it from there:
    # what is stored must be exactly what the outlet served (fetched again here, after the hit counts were checked)
    import gzip
    import urllib.request

    stored = rows(world["db"], "SELECT url, body_gzip, body_size FROM raw_pages WHERE status = 200")
    assert len(stored) >= 5
    for url, body_gzip, size in stored:
        with urllib.request.urlopen(url, timeout=10) as resp:
            served = resp.read()
        assert gzip.decompress(body_gzip) == served and size == len(served), url
    # and once the load committed, no body file is left anywhere under the run's folders
    assert not list(world["tmp"].rglob("bodies-*.bin"))
