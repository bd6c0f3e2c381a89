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
    # a report that cannot be written was only a warning after the crawl and the load, as the run's last step
    ({"report": "."}, "is a folder; give a file name"),
    ({"report": "FILE"}, "exists and is not a talkwatch report"),
    ({"db": "ducklake:sqlite:x"}, "talkwatch keeps a DuckLake catalog in PostgreSQL only"),
    ({"only": ["nosuch"]}, "no source named nosuch"),
    # a JSON number (`--param 'spider_settings={"CONCURRENT_REQUESTS": 0}'`) is checked as -s checks its text; it
    # was Prefect's four-line "Input should be a valid string", whatever the number
    ({"spider_settings": {"CONCURRENT_REQUESTS": 0}}, "-s CONCURRENT_REQUESTS: '0' must be at least 1"),
    # the crawl's mkdir said "[Errno 17] File exists", after the database had been created
    ({"work_dir": "FILE"}, "FILE is a file; give a folder for the crawl's output"),
    ({"work_dir": "FILE/crawl"}, "lies under the file"),
], ids=["bad-setting-value", "misspelled-setting", "db-under-a-file", "report-a-folder", "report-someones-file",
        "db-ducklake-not-postgres", "only-unknown-source", "setting-as-a-json-number", "work-dir-a-file",
        "work-dir-under-a-file"])
def test_a_deployments_bad_parameters_fail_the_run_with_talkwatchs_line_before_any_fetch(prefect_api, web, tmp_path,
                                                                                         kw, says):
    """A run Prefect starts (`prefect deployment run ... --param`) gets no CLI checks: a bad Scrapy setting crashed
    the crawl's child process and the run ended 'completed' with blank reasons; a db under a file was a bare
    FileExistsError. The flow checks what `talkwatch run` checks, before it fetches anything."""
    (tmp_path / "FILE").write_text("a file\n", encoding="utf-8")
    for key in ("db", "report", "work_dir"):
        if key in kw and not str(kw[key]).startswith("ducklake:"):
            kw = {**kw, key: str(tmp_path / kw[key])}
    args = {"sources": str(web.sources_file), "topic": str(web.topic_file), "db": str(tmp_path / "t.duckdb"),
            "trigger": "test", "spider_settings": FAST, **kw}
    with pytest.raises(ValueError, match=says):
        ingest(**args)
    assert web.alpha.hits("/rss.xml") == 0
    assert not (tmp_path / "t.duckdb").exists()
    assert (tmp_path / "FILE").read_text(encoding="utf-8") == "a file\n"


def test_hostile_pages_cost_nothing_but_themselves(prefect_api, tmp_path):
    """Sweep 5: a lone surrogate escape in a JSON-LD date failed the whole load, every run (nothing stored, the
    same page fetched again); JSON-LD nested 10,000 deep made its article "not-article" for good; a Russian UTF-8
    page served as iso-8859-1 was stored off-topic as mojibake; an off-topic page naming another story as its
    canonical made that story unfetchable. Each now costs nothing but itself."""
    from tests.loopback import LoopbackServer
    from tests.newsweb import HTML, RUSSIAN, TALKS

    web = LoopbackServer(host="127.0.0.4").start()
    try:
        base = web.url("")
        body = "".join(f"<p>{p}</p>" for p in TALKS)

        def article(title: str, jsonld: str, paragraphs: str = body, lang: str = "en") -> bytes:
            return (f'<html lang="{lang}"><head><title>{title}</title><script type="application/ld+json">{jsonld}'
                    f'</script></head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>').encode()

        web.route("/robots.txt", (404, {"Content-Type": "text/plain"}, b""))
        web.route("/news/surrogate.html", (200, HTML, article(
            "Talks resume in Istanbul", '{"@type": "NewsArticle", "datePublished": "2025-06-02T10:00:00Z\\ud800"}')))
        web.route("/news/deep.html", (200, HTML, article(
            "Delegations meet again", '{"@type": "NewsArticle", "x": ' + "[" * 10_000 + "]" * 10_000 + "}")))
        web.route("/ru/latin1-label.html", (200, {"Content-Type": "text/html; charset=iso-8859-1"}, article(
            "Переговоры в Стамбуле", "{}", "".join(f"<p>{p}</p>" for p in RUSSIAN), lang="ru")))
        web.route("/sport/recipe.html", (200, HTML, (
            f'<html><head><title>Lentil soup</title><link rel="canonical" href="{base}/news/later-story.html">'
            '</head><body><article><h1>Lentil soup</h1>' + "<p>Boil the lentils with onions and cumin for half an "
            "hour, then blend the soup and season it with lemon juice and salt.</p>" * 6
            + "</article></body></html>").encode()))
        web.route("/news/later-story.html", (200, HTML, article("Third round of talks planned", "{}")))
        listed = ["/news/surrogate.html", "/news/deep.html", "/ru/latin1-label.html", "/sport/recipe.html"]

        def feed(paths: list[str]) -> bytes:
            items = "".join(f"<item><title>t</title><link>{base}{p}</link></item>" for p in paths)
            return f'<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>{items}</channel></rss>'.encode()

        web.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"}, feed(listed)))
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "hostile"\nlanguage = "en"\nfeeds = ["{base}/rss.xml"]\n',
                           encoding="utf-8")
        topic = tmp_path / "topic.toml"
        topic.write_text('name = "t"\nkeep_all = false\n\n[terms]\nen = ["talks", "delegations", "Istanbul"]\n'
                         'ru = ["переговор*", "Стамбул*"]\n', encoding="utf-8")
        db = tmp_path / "h.duckdb"
        ingest(sources=str(sources), topic=str(topic), db=str(db), trigger="test", spider_settings=FAST)
        got = dict(rows(db, "SELECT regexp_extract(url, '/[a-z]+/[a-z0-9-]+[.]html$'), title FROM articles"))
        assert got == {"/news/surrogate.html": "Talks resume in Istanbul",
                       "/news/deep.html": "Delegations meet again",
                       "/ru/latin1-label.html": "Переговоры в Стамбуле"}
        evidence = rows(db, "SELECT date_evidence FROM articles WHERE url LIKE '%surrogate%'")[0][0]
        assert "\ufffd" in evidence  # the lone surrogate, stored as the replacement character
        assert rows(db, "SELECT outcome FROM pages WHERE url LIKE '%recipe%'")[0][0] in ("off-topic", "not-article")
        # the story the recipe page named as its canonical is listed later, and fetched
        web.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"}, feed([*listed, "/news/later-story.html"])))
        ingest(sources=str(sources), topic=str(topic), db=str(db), trigger="test", spider_settings=FAST)
        assert web.hits("/news/later-story.html") == 1
        assert rows(db, "SELECT title FROM articles WHERE url LIKE '%later-story%'") == [
            ("Third round of talks planned",)]
    finally:
        web.stop()
