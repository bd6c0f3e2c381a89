"""The `ingest` flow in-process against loopback outlets: duplicates across runs, adaptive polling."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.flow import ingest
from pipelines.polling import next_interval
from tests.newsweb import start_newsweb
from tests.storagerows import rows

FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "0"}


@pytest.fixture
def web(tmp_path):
    w = start_newsweb(tmp_path)
    yield w
    w.alpha.stop()
    w.bravo.stop()


def run(web, db: Path, **kw) -> dict:
    return ingest(sources=str(web.sources_file), topic=str(web.topic_file), db=str(db), trigger="test",
                  spider_settings=FAST, **kw)


def groups(db: Path) -> dict[str, str | None]:
    """url path -> path of its original (None for originals)."""
    got = rows(db, "SELECT a.url, o.url FROM articles a LEFT JOIN articles o ON o.article_id = a.duplicate_of")
    path = lambda u: u.split("/", 3)[3] if u else None  # noqa: E731
    return {path(u): path(o) for u, o in got}


ORIGINAL = "news/istanbul-second-round.html"
COPY = "world/2025/06/02/talks-istanbul.html"


def test_copy_arriving_in_a_later_run_points_at_the_original(prefect_api, web, tmp_path):
    db = tmp_path / "a.duckdb"
    run(web, db, only=["alpha"])
    assert groups(db)[ORIGINAL] is None
    summary = run(web, db, only=["bravo"])
    g = groups(db)
    assert g[COPY] == ORIGINAL and g[ORIGINAL] is None
    assert summary["counts"]["load"]["copies"] == 1


def test_copy_crawled_first_but_dated_later_is_repointed(prefect_api, web, tmp_path):
    db = tmp_path / "b.duckdb"
    run(web, db, only=["bravo"])
    assert groups(db)[COPY] is None  # alone, the copy is its own original for now
    run(web, db, only=["alpha"])
    g = groups(db)
    assert g[ORIGINAL] is None and g[COPY] == ORIGINAL  # the earlier-dated story took over the group
    assert rows(db, "SELECT count(*) FROM articles") == [(5,)]  # nothing deleted
    assert rows(db, "SELECT copies, outlets FROM syndication") == [(1, ["bravo"])]


def test_due_only_skips_sources_polled_recently(prefect_api, web, tmp_path):
    db = tmp_path / "c.duckdb"
    run(web, db)
    listings_before = web.alpha.hits("/rss.xml") + web.bravo.hits("/sitemap_index.xml")
    summary = run(web, db, due_only=True)
    assert web.alpha.hits("/rss.xml") + web.bravo.hits("/sitemap_index.xml") == listings_before
    assert summary["counts"]["crawl"]["listings"] == 0
    state = dict(rows(db, "SELECT source, poll_minutes FROM source_state"))
    # both sources brought new originals in the first run: their interval halved from the default 60 minutes
    assert state == {"alpha": 30.0, "bravo": 30.0}


@pytest.mark.parametrize("current,new,copies,failed,expected", [
    (None, 3, 0, False, 30.0),     # new stories: poll twice as often
    (20.0, 1, 0, False, 15.0),     # but not more often than a quarter of the configured interval
    (60.0, 0, 5, False, 90.0),     # only copies of stories seen elsewhere: poll less
    (400.0, 0, 0, False, 480.0),   # nothing new: up to 8x the configured interval
    (90.0, 0, 0, True, 90.0),      # a dead server says nothing about the news rate
])
def test_poll_interval_rule(current, new, copies, failed, expected):
    assert next_interval(60.0, current, new, copies, failed) == expected


def test_reprocess_recleans_stored_pages_without_fetching(prefect_api, web, tmp_path):
    from pipelines.reprocess import reprocess

    db = tmp_path / "r.duckdb"
    run(web, db)
    hits = web.article_hits()
    snapshot = "SELECT url, title, text, duplicate_of, first_seen_at FROM articles ORDER BY url"
    before = rows(db, snapshot)
    # same code, same pages: nothing changes, nothing is fetched
    report = reprocess(db, str(web.topic_file), str(web.sources_file))
    assert report.changed == 0 and report.articles_before == report.articles_after == 5
    assert web.article_hits() == hits
    # a broader topic: the off-topic derby page becomes an article, the rest stay as they were
    broad = tmp_path / "broad.toml"
    broad.write_text('name = "all"\nkeep_all = true\n\n[terms]\nen = ["talks"]\n', encoding="utf-8")
    report = reprocess(db, str(broad), str(web.sources_file), source="alpha")
    assert report.changed == 1 and report.articles_after == 4  # alpha: 3 articles + the derby
    after = rows(db, snapshot)
    trig = rows(db, "SELECT trigger FROM runs ORDER BY started_at DESC LIMIT 1")[0][0]
    assert [r for r in after if "derby" not in r[0]] == before
    assert any("derby" in r[0] for r in after) and trig == "reprocess"
    assert web.article_hits() == hits


def test_a_sources_timezone_dates_offsetless_times_in_the_flow_and_in_reprocess(prefect_api, tmp_path):
    from pipelines.reprocess import reprocess
    from tests.loopback import LoopbackServer
    from tests.newsweb import HTML, TALKS

    kyiv = LoopbackServer(host="127.0.0.3").start()
    try:
        base = kyiv.url("")
        body = "".join(f"<p>{p}</p>" for p in TALKS)
        kyiv.route("/robots.txt", (404, {"Content-Type": "text/plain"}, b""))
        # a CMS that writes its wall clock and no offset, and a feed without dates
        kyiv.route("/news/round.html", (200, HTML, (
            '<html lang="en"><head><title>Talks in Istanbul</title><script type="application/ld+json">'
            '{"@type": "NewsArticle", "headline": "Talks in Istanbul", "datePublished": "2025-06-02T14:05:00",'
            f'"dateModified": "2025-12-03T09:00:00"}}</script></head><body><article><h1>Talks in Istanbul</h1>{body}'
            '</article></body></html>').encode()))
        kyiv.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"}, (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>K</title><link>{base}/</link>'
            f'<item><title>Talks</title><link>{base}/news/round.html</link></item></channel></rss>').encode()))
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "kyiv"\nlanguage = "en"\ntimezone = "Europe/Kyiv"\n'
                           f'feeds = ["{base}/rss.xml"]\n', encoding="utf-8")
        topic = tmp_path / "topic.toml"
        topic.write_text('name = "t"\nkeep_all = true\n\n[terms]\nen = ["talks"]\n', encoding="utf-8")
        db = tmp_path / "k.duckdb"
        ingest(sources=str(sources), topic=str(topic), db=str(db), trigger="test", spider_settings=FAST)
        query = ("SELECT strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M'), "
                 "strftime(modified_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M'), published_precision, date_source, "
                 "date_evidence LIKE '%newsroom''s clock, the source''s time zone Europe/Kyiv%' FROM articles")
        # summer time in June (+03:00), winter time in December (+02:00)
        expected = [("2025-06-02T11:05", "2025-12-03T07:00", "time", "jsonld", True)]
        assert rows(db, query) == expected
        assert reprocess(db, str(topic), str(sources)).changed == 0
        assert rows(db, query) == expected
    finally:
        kyiv.stop()


async def _report_artifacts():
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["coverage-report"])))


def test_a_run_asked_for_it_rewrites_the_report_and_links_it(prefect_api, web, tmp_path):
    import asyncio

    db = tmp_path / "rep.duckdb"
    out = tmp_path / "site" / "report.html"
    summary = run(web, db)
    assert summary["report"] is None and not out.exists()  # not asked for: not written
    summary = run(web, db, report=str(out))
    assert summary["report"] == str(out.resolve())
    html = out.read_text(encoding="utf-8")
    assert 'content="talkwatch report"' in html
    for title in [t for (t,) in rows(db, "SELECT title FROM articles")]:
        assert title.replace("'", "&#x27;") in html or title in html  # the latest-articles table lists them
    links = [a.data for a in asyncio.run(_report_artifacts())]
    assert any(out.resolve().as_uri() in (d or "") for d in links)  # a link artifact's data: [text](uri)
    # the run's load kept the search index: what it loaded is searchable at once
    assert rows(db, "SELECT count(*) FROM search_articles('istanbul')")[0][0] > 0


def test_a_run_that_fails_after_its_crawl_removes_the_crawl_output(prefect_api, web, tmp_path, monkeypatch):
    """A failed load (a full disk, storage gone) used to leave runs/<run id> with every fetched page beside the
    database, which no later run reads: a full disk stayed full."""
    import pipelines.flow as flowmod

    def disk_full(db, batch):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(flowmod, "load", disk_full)
    db = tmp_path / "full.duckdb"
    with pytest.raises(OSError, match="No space left"):
        run(web, db)
    assert web.alpha.hits("/rss.xml") == 1  # it did crawl
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_crawl_that_failed_leaves_only_its_log(prefect_api, web, tmp_path, monkeypatch):
    """A crawl killed at its timeout, or dead, left runs/<id> with its items and bodies beside the database after
    every such run; what was crawled is loaded, and only the log its error names stays."""
    from pipelines import crawl as crawlmod

    monkeypatch.setattr(crawlmod, "CRAWL_TIMEOUT_S", 0.01)
    db = tmp_path / "t.duckdb"
    summary = run(web, db)
    assert any("killed after 0.01 s" in e["reason"] for e in summary["errors"])
    left = [p for p in (tmp_path / "runs").rglob("*")] if (tmp_path / "runs").exists() else []
    assert [p for p in left if p.is_file()] == []  # a timeout names no log: nothing stays


@pytest.mark.parametrize("kw, says", [
    ({"spider_settings": {"DOWNLOAD_DELAY": "abc"}}, "-s DOWNLOAD_DELAY: 'abc'"),
    ({"spider_settings": {"DOWNLOAD_DELAI": "1"}}, "DOWNLOAD_DELAY"),
    ({"db": "FILE/sub/t.duckdb"}, "is a file, so"),
], ids=["bad-setting-value", "misspelled-setting", "db-under-a-file"])
def test_a_deployments_bad_parameters_fail_the_run_with_talkwatchs_line_before_any_fetch(prefect_api, web, tmp_path,
                                                                                         kw, says):
    """A run Prefect starts (`prefect deployment run ... --param`) gets no CLI checks: a bad Scrapy setting crashed
    the crawl's child process and the run ended 'completed' with blank reasons; a db under a file was a bare
    FileExistsError. The flow checks what `talkwatch run` checks, before it fetches anything."""
    (tmp_path / "FILE").write_text("a file\n", encoding="utf-8")
    if "db" in kw:
        kw = {**kw, "db": str(tmp_path / kw["db"])}
    args = {"sources": str(web.sources_file), "topic": str(web.topic_file), "db": str(tmp_path / "t.duckdb"),
            "trigger": "test", "spider_settings": FAST, **kw}
    with pytest.raises(ValueError, match=says):
        ingest(**args)
    assert web.alpha.hits("/rss.xml") == 0
    assert not (tmp_path / "t.duckdb").exists()
