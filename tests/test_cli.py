"""The CLI's offline commands: clean (one page, a manifest), status, export safety, read-only query under a lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


from storage.load import load_batch
from tests.newsweb import TALKS, article_html, start_newsweb
from tests.storagerows import OTHER, STORY, article, batch, words_judge, write_lock_held

REPO = Path(__file__).resolve().parents[1]


def talkwatch(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=180)


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    proc = talkwatch("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"talkwatch {version('talkwatch')}\n"


def test_clean_prints_seed_style_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_html("Russia and Ukraine hold second round of talks in Istanbul", TALKS,
                                 "2025-06-02T14:05:00+03:00"), encoding="utf-8")
    proc = talkwatch("clean", str(page), "--url", "https://alpha.example/news/round-two")
    assert proc.returncode == 0, proc.stderr
    blocks = proc.stdout.rstrip("\n").split("\n\n")
    assert blocks[0] == "Russia and Ukraine hold second round of talks in Istanbul"
    assert blocks[1] == "2025-06-02T14:05:00+03:00"
    assert blocks[2:-1] == TALKS
    assert blocks[-1] == "Original url: https://alpha.example/news/round-two"


def test_clean_manifest_one_line_per_page_and_errors_do_not_stop_it(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(article_html("Kremlin says memorandum is ready", TALKS, "2025-05-29T11:00:00+03:00"),
                    encoding="utf-8")
    day_only = tmp_path / "day.html"
    day_only.write_text("<html><head><title>Talks resume</title></head><body><article><h1>Talks resume</h1>"
                        "<p>29 мая 2025</p>" + "".join(f"<p>{p}</p>" for p in TALKS) + "</article></body></html>",
                        encoding="utf-8")
    manifest = "\n".join(json.dumps(x) for x in [
        {"path": str(good), "url": "https://alpha.example/a"},
        {"path": str(tmp_path / "missing.html"), "url": "https://alpha.example/missing"},
        {"path": str(day_only), "url": "https://alpha.example/b"},
    ]) + "\n"
    proc = talkwatch("clean", "--manifest", "-", stdin=manifest)
    assert proc.returncode == 1, proc.stderr  # done, but a line failed: a scheduler must see it
    assert proc.stderr.strip().splitlines() == [
        'talkwatch clean: 1 of 3 manifest lines failed: their JSON lines carry "line" and "error"']
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["title"] == "Kremlin says memorandum is ready"
    assert lines[0]["published_at"] == "2025-05-29T11:00:00+03:00" and lines[0]["language"] == "en"
    assert lines[0]["text"].split("\n\n") == TALKS and lines[0]["authors"] == ["Anna Example"]
    assert set(lines[0]) >= {"path", "url", "title", "published_at", "date_source", "language", "authors", "text"}
    assert lines[1]["url"] == "https://alpha.example/missing" and lines[1]["line"] == 2
    assert lines[1]["error"] == f"no such file: {tmp_path / 'missing.html'}"
    assert lines[2]["published_at"] == "2025-05-29"  # only the day is known: no invented midnight


def test_clean_manifest_takes_the_urls_real_evaluation_sets_give(tmp_path):
    # a bare file name, a trailing space, a typo'd scheme: found in public evaluation sets, whose pages must still
    # be cleaned (refusing these once cost 24 of trafilatura-eval's 407 pages); only a javascript:/data:/mailto:
    # "URL", which no page was ever fetched from, is refused
    page = tmp_path / "page.html"
    page.write_text(article_html("Kremlin says memorandum is ready", TALKS, "2025-05-29T11:00:00+03:00"),
                    encoding="utf-8")
    urls = ["example.com-story.html", "https://alpha.example/a ", "xhttps://alpha.example/b", "javascript:void(0)",
            "https://[::1/story"]
    proc = talkwatch("clean", "--manifest", "-", stdin="".join(
        json.dumps({"path": str(page), "url": url}) + "\n" for url in urls))
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [line.get("title") for line in lines[:3]] == ["Kremlin says memorandum is ready"] * 3
    assert all(line["text"].split("\n\n") == TALKS for line in lines[:3])
    assert "error" not in lines[0] and lines[3]["error"].endswith("is a javascript: URL, not the address of a page")
    # a URL urllib cannot split failed the page's cleaning (an empty text, exit 0); now the line says so
    assert lines[4]["line"] == 5 and lines[4]["error"].endswith("cannot be read as a URL: Invalid IPv6 URL")
    assert proc.returncode == 1


def test_clean_reads_offsetless_times_on_the_newsroom_clock_of_the_configured_source(tmp_path):
    page = tmp_path / "byline.html"
    page.write_text("<html lang='en'><head><title>Talks resume</title></head><body><article><h1>Talks resume</h1>"
                    "<p class='byline'>29 May 2025, 14:05</p>" + "".join(f"<p>{p}</p>" for p in TALKS)
                    + "</article></body></html>", encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "alpha"\nlanguage = "en"\ntimezone = "Europe/Kyiv"\n'
                       'feeds = ["https://alpha.example/rss"]\n', encoding="utf-8")
    manifest = "\n".join(json.dumps(x) for x in [
        {"path": str(page), "url": "https://www.alpha.example/news/1"},  # the configured outlet: Kyiv time
        {"path": str(page), "url": "https://beta.example/news/1"},  # unknown outlet, English: no offset known
        {"path": str(page), "url": "https://beta.example/news/1", "timezone": "Europe/Istanbul"},
    ]) + "\n"
    proc = talkwatch("clean", "--manifest", "-", "--sources", str(sources), stdin=manifest)
    assert proc.returncode == 0, proc.stderr
    kyiv, unknown, istanbul = [json.loads(x) for x in proc.stdout.splitlines()]
    assert kyiv["published_at"] == "2025-05-29T14:05:00+03:00"
    assert kyiv["published_at_utc"] == "2025-05-29T11:05:00Z" and kyiv["date_precision"] == "time"
    assert unknown["published_at"] == "2025-05-29T14:05:00"
    assert unknown["published_at_utc"] == "2025-05-29T14:05:00Z"  # as the database stores it: taken as UTC
    assert istanbul["published_at"] == "2025-05-29T14:05:00+03:00"
    single = talkwatch("clean", str(page), "--url", "https://beta.example/news/1", "--timezone", "Europe/London")
    assert single.stdout.split("\n\n")[1] == "2025-05-29T14:05:00+01:00"


def test_clean_takes_the_fetch_time_of_a_saved_page(tmp_path):
    # a header with the day the page was saved, above an article of 29 May: the crawl-date trap needs the fetch time
    page = tmp_path / "saved.html"
    page.write_text("<html lang='en'><head><title>Memorandum ready</title>"
                    "<meta property='article:published_time' content='2025-05-29T11:00:00+03:00'></head><body>"
                    "<header><div>Wednesday, September 24, 2025</div></header><article><h1>Memorandum ready</h1>"
                    "<p>Wednesday, September 24, 2025</p>" + "".join(f"<p>{p}</p>" for p in TALKS)
                    + "</article></body></html>", encoding="utf-8")
    manifest = "\n".join(json.dumps(x) for x in [
        {"path": str(page), "url": "https://alpha.example/m", "fetched_at": "2025-09-24T08:00:00Z"},
        {"path": str(page), "url": "https://alpha.example/m", "fetched_at": "2025-05-28T08:00:00"},
        {"path": str(page), "url": "https://alpha.example/m", "fetched_at": "yesterday"},
    ]) + "\n"
    proc = talkwatch("clean", "--manifest", "-", stdin=manifest)
    assert proc.returncode == 1
    saved, early, bad = [json.loads(x) for x in proc.stdout.splitlines()]
    assert saved["published_at"] == "2025-05-29T11:00:00+03:00" and saved["date_source"] == "opengraph"
    # "fetched" the day before: every date on the page lies in its future, so none is credible
    assert early["published_at"] is None and early["date_source"] == "none"
    assert bad["line"] == 3 and bad["error"] == "\"fetched_at\" is not an ISO 8601 time: 'yesterday'"
    proc = talkwatch("clean", str(page), "--fetched-at", "soon")
    assert proc.returncode == 2 and "--fetched-at" in proc.stderr


def test_status_and_export_names_stay_inside_the_folder(tmp_path):
    db = tmp_path / "t.duckdb"
    evil = article("http://a.test/evil", STORY)
    evil.title = "../../../etc/passwd\n/tmp/x"
    load_batch(db, batch("r1", [evil, article("http://a.test/2", OTHER)]), words_judge)
    out = tmp_path / "out"
    proc = talkwatch("export", "--format", "text", "--out", str(out), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    files = [f for f in out.iterdir() if f.name != ".talkwatch-export.json"]  # the marker --force recognises
    assert len(files) == 2 and all(f.parent == out and f.name[:3].isdigit() for f in files)
    assert not (tmp_path / "etc").exists()
    proc = talkwatch("status", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert "Last runs" in proc.stdout and "r1" in proc.stdout and "Sources" in proc.stdout


def test_query_waits_for_a_writer_then_answers_and_cannot_write(tmp_path):
    db = tmp_path / "t.duckdb"
    load_batch(db, batch("r1", [article("http://a.test/1", STORY)]), words_judge)
    with write_lock_held(db, 3.0):
        proc = talkwatch("query", "SELECT count(*) AS n FROM articles", "--db", str(db), "--format", "csv")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == ["n", "1"]
    for sql in ("DELETE FROM pages", "CREATE TABLE x (a INT)",
                f"COPY (SELECT 1) TO '{tmp_path / 'leak.csv'}'", f"ATTACH '{tmp_path / 'other.duckdb'}' AS o"):
        proc = talkwatch("query", sql, "--db", str(db))
        assert proc.returncode != 0, sql
    assert not (tmp_path / "leak.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_run_refuses_bad_configuration_at_once(tmp_path):
    proc = talkwatch("run", "--sources", str(tmp_path / "missing.toml"), "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2 and "missing.toml" in proc.stderr
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nname = "a"\nlanguage = "en"\nfeeds = ["ftp://a.test/feed"]\n', encoding="utf-8")
    proc = talkwatch("run", "--sources", str(bad), "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2 and "source 'a'" in proc.stderr
    proc = talkwatch("run", "--only", "nosuch", "--db", str(tmp_path / "x.duckdb"))
    assert proc.returncode == 2 and "no source named nosuch" in proc.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_run_waits_for_another_writer_then_exits_clearly(tmp_path):
    web = start_newsweb(tmp_path)
    db = tmp_path / "t.duckdb"
    load_batch(db, batch("r1", [article("http://a.test/1", STORY)]), words_judge)
    try:
        with write_lock_held(db, 90.0):
            proc = talkwatch("run", "--sources", str(web.sources_file), "--topic", str(web.topic_file),
                             "--db", str(db), "--lock-timeout", "2")
        assert proc.returncode == 3, proc.stderr[-2000:]
        assert "locked by another process" in proc.stderr and "gave up after 2 s" in proc.stderr
    finally:
        web.alpha.stop()
        web.bravo.stop()
    assert web.article_hits() == 0
