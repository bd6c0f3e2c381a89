"""Fault injection: one `talkwatch run` over an outlet serving every network, size, XML and encoding fault at once.

Each fault must end as a `pages` (or `listings`) row with a one-line reason; none may abort the run or cost the
good articles next to it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from spiders.binary import binary_kind
from spiders.charset import fitting_encoding
from tests.storagerows import rows
from tests.faultweb import (DOWNLOAD_TIMEOUT, FAULTS, FLAKY, LISTING_FAULTS, NO_CHARSET, RECOVERED_ARTICLE,
                            RUSSIAN_WORD, WRONG_CHARSET, good_paths, start_faultweb)
from tests.prefectserver import prefect_env

REPO = Path(__file__).resolve().parents[1]
SETTINGS = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"DOWNLOAD_TIMEOUT={DOWNLOAD_TIMEOUT}",
            "-s", "RETRY_TIMES=1"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, prefect_api_url):
    tmp = tmp_path_factory.mktemp("faults")
    web = start_faultweb(tmp)
    env = prefect_env(tmp)
    env["PREFECT_API_URL"] = prefect_api_url  # the session's Prefect API, not a server started for this one run
    db = tmp / "faults.duckdb"
    crawl_log = tmp / "crawl.log"  # kept: the flow deletes its work dir (and the log in it) after a good run
    try:
        proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(web.sources_file),
                               "--topic", str(web.topic_file), "--db", str(db), *SETTINGS,
                               "-s", f"LOG_FILE={crawl_log}"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        yield {"web": web, "db": db, "proc": proc, "crawl_log": crawl_log}
    finally:
        web.close()


def test_run_is_not_aborted(world):
    proc = world["proc"]
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "completed-with-errors" in proc.stdout


def test_no_fault_crashed_a_callback_of_the_spider(world):
    log = world["crawl_log"].read_text(encoding="utf-8")
    assert "'finish_reason': 'finished'" in log
    assert "Traceback" not in log and "Spider error" not in log and "log_count/ERROR" not in log


def test_good_articles_are_loaded_exactly_once(world):
    base = world["web"].url("")
    got = rows(world["db"], "SELECT url FROM articles ORDER BY url")
    assert sorted(u for (u,) in got) == sorted(base + p for p in good_paths())
    assert rows(world["db"], "SELECT count(*), count(DISTINCT canonical_url), count(DISTINCT url) FROM articles")[0] \
        == (len(good_paths()),) * 3
    outcomes = dict(rows(world["db"], "SELECT url, outcome FROM pages"))
    assert all(outcomes[base + p] == "loaded" for p in good_paths())


def test_5xx_then_success_is_loaded_after_one_retry(world):
    web = world["web"]
    assert web.server.hits(FLAKY) == 2  # the 503, then the retry that got the article
    title = rows(world["db"], "SELECT title FROM articles WHERE url = ?", [web.url(FLAKY)])[0][0]
    assert title == "Negotiators in Istanbul agree on a new prisoner exchange"


@pytest.mark.parametrize("path", [WRONG_CHARSET, NO_CHARSET])
def test_cp1251_pages_decode_to_russian_whatever_they_declare(world, path):
    text, title, language = rows(world["db"], "SELECT text, title, language FROM articles WHERE url = ?",
                                 [world["web"].url(path)])[0]
    assert RUSSIAN_WORD in text and "Мединск" in text
    assert "\ufffd" not in text and "Ð" not in text and "Ã" not in text  # no replacement chars, no mojibake
    assert "переговоров" in title
    assert language == "ru"


@pytest.mark.parametrize("path", sorted(FAULTS))
def test_each_fault_has_its_outcome_and_a_one_line_reason(world, path):
    expect = FAULTS[path]
    got = rows(world["db"], "SELECT outcome, reason, article_id FROM pages WHERE url = ?", [world["web"].url(path)])
    assert len(got) == 1, f"no pages row for {path}"
    outcome, reason, article_id = got[0]
    assert outcome == expect.outcome, (path, outcome, reason)
    assert reason and reason.strip() and "\n" not in reason and len(reason) <= 200, reason
    assert any(w.lower() in reason.lower() for w in expect.reason_words), (path, reason)
    assert "Traceback" not in reason and "<twisted" not in reason
    assert article_id is None


def test_faulty_pages_leave_no_raw_page_and_no_article(world):
    base = world["web"].url("")
    raw = {u for (u,) in rows(world["db"], "SELECT url FROM raw_pages")}
    assert raw == {base + p for p in good_paths()}  # the PNG and the cut-off bodies are not stored
    assert not rows(world["db"], "SELECT url FROM articles WHERE url LIKE '%/fault/%'")


def test_run_row_names_every_failure(world):
    base = world["web"].url("")
    status, errors_json, counts_json = rows(world["db"], "SELECT status, errors, counts FROM runs")[0]
    assert status == "completed-with-errors"
    errors = json.loads(errors_json)
    named = {e["url"]: e["reason"] for e in errors}
    failed = [p for p, e in FAULTS.items() if e.outcome == "failed"] + list(LISTING_FAULTS)
    for path in failed:
        assert base + path in named and named[base + path], path
    # refusals are no errors of the run, and good pages are not listed as errors
    assert all(base + p not in named for p in good_paths())
    assert base + "/fault/away.html" not in named
    counts = json.loads(counts_json)
    assert counts["load"]["articles_new"] == len(good_paths())
    assert counts["crawl"]["listings_failed"] == len(LISTING_FAULTS)


def test_broken_listings_fail_alone(world):
    base = world["web"].url("")
    got = {u: (o, r, n) for u, o, r, n in rows(world["db"], "SELECT url, last_outcome, last_reason, entries "
                                                                "FROM listings")}
    for path, expect in LISTING_FAULTS.items():
        outcome, reason, entries = got[base + path]
        assert outcome == expect.outcome and entries == 0
        assert reason and "\n" not in reason and any(w in reason for w in expect.reason_words), reason
    # the same source's good feed and sitemap still worked
    assert got[base + "/rss.xml"][0] == "ok" and got[base + "/rss.xml"][2] == len(good_paths()) - 2 + len(FAULTS)
    assert got[base + "/sitemap.xml"][0] == "ok" and got[base + "/sitemap.xml"][2] == 1
    # a feed cut off in its second item: lxml recovers the complete first item, and its article is loaded
    assert got[base + "/cut-feed.xml"][0] == "ok" and got[base + "/cut-feed.xml"][2] == 1
    assert rows(world["db"], "SELECT title FROM articles WHERE url = ?", [base + RECOVERED_ARTICLE]) == [
        ("Turkey offers to host Russia and Ukraine leaders after Istanbul talks",)]
    # nothing a bomb "listed" was requested: the entities were never expanded into URLs
    assert not [p for p in world["web"].server.all_paths() if "bomb-listed" in p]


def test_the_xml_bombs_did_not_expand_in_memory(world):
    # a billion-laughs expansion is 6.4 GB; every process of the run (CLI, Prefect server, crawl) stayed far below
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kb < 1_500_000, peak_kb


def test_stalled_and_slow_pages_were_given_up_not_waited_for(world):
    web = world["web"]
    # one retry each (RETRY_TIMES=1), then the failure: the server saw exactly two requests
    for path in ("/fault/timeout.html", "/fault/stall.html", "/fault/reset.html", "/fault/truncated.html"):
        assert web.server.hits(path) == 2, path
    # the redirect loop was followed up to the limit, then reported (not silently dropped as a duplicate request)
    assert web.server.hits("/fault/loop.html") == 6
    assert web.server.hits("/fault/huge.html") == 1 and web.server.hits("/fault/gzip-bomb.html") == 1


# -- the spider-side helpers the run relies on, on inputs the web above does not cover ---------------------

@pytest.mark.parametrize(("body", "kind"), [
    (b"GIF89a\x01\x00", "GIF image"),
    (b"%PDF-1.7\n", "PDF document"),
    (b"<html>\x00\x00\x00</html>", "binary data"),
    (b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00", None),  # UTF-16 with a BOM is text
    ("<html><body>Привет</body></html>".encode("cp1251"), None),
    (b"", None),
])
def test_binary_kind(body, kind):
    assert binary_kind(body) == kind


@pytest.mark.parametrize(("body", "declared", "expected"), [
    ("Переговоры в Стамбуле".encode("cp1251"), "utf-8", "cp1251"),
    ("Négociations à Istanbul".encode("cp1252"), "utf-8", "cp1252"),
    ("Переговоры в Стамбуле".encode("utf-8"), "utf-8", "utf-8"),
    (b"plain ascii", "utf-8", "utf-8"),
    ("Переговоры".encode("koi8-r"), "koi8-r", "koi8-r"),  # a declared legacy charset is kept
    ("Переговоры".encode("cp1251"), None, None),
])
def test_fitting_encoding(body, declared, expected):
    assert fitting_encoding(body, declared) == expected
