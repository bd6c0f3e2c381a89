"""End-to-end tests of the `news` spider: the real `scrapy crawl` in a subprocess against loopback servers."""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.urls import canonical_url
from tests.loopback import LoopbackServer, RequestInfo

REPO = Path(__file__).resolve().parents[1]
HTML = {"Content-Type": "text/html; charset=utf-8", "Content-Language": "en"}
FEED_ETAG = '"feed-v1"'
FEED_LAST_MODIFIED = "Sat, 17 May 2025 10:00:00 GMT"

FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING"}


def run_crawl(
    workdir: Path, sources: Path, *args: str, settings: dict[str, str] | None = None, fast: bool = True
) -> list[dict]:
    """Run `python -m scrapy crawl news` the way the pipeline does (another cwd, settings via env); return items.

    `fast` turns politeness delays off (loopback servers only); without it the project settings apply as-is.
    """
    out = workdir / f"items-{time.monotonic_ns()}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"sources={sources}", *args, "-O", f"{out}:jsonlines"]
    for key, value in {**(FAST if fast else {}), **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCRAPY_SETTINGS_MODULE": "spiders.settings"}
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def page(title: str, size: int = 0) -> bytes:
    filler = "<p>" + "x" * size + "</p>" if size else ""
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Text.</p>{filler}</body></html>".encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><pubDate>Fri, 16 May 2025 10:30:00 +0300</pubDate></item>"
        for u, t in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    """Two loopback outlets (127.0.0.1 and 127.0.0.2) and a sources file naming them and a few dead ones."""

    def __init__(self, tmp: Path, a: LoopbackServer, b: LoopbackServer):
        self.tmp, self.a, self.b = tmp, a, b
        self.items: list[dict] = []

    def of(self, kind: str, **match: object) -> list[dict]:
        return [i for i in self.items if i["kind"] == kind and all(i.get(k) == v for k, v in match.items())]

    def one(self, kind: str, **match: object) -> dict:
        found = self.of(kind, **match)
        assert len(found) == 1, (kind, match, found)
        return found[0]


def feed_route(body: bytes):
    def serve(req: RequestInfo):
        if req.headers.get("if-none-match") == FEED_ETAG:
            return 304, {"ETag": FEED_ETAG}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": FEED_ETAG, "Last-Modified": FEED_LAST_MODIFIED}, body

    return serve


def slow_page(_: RequestInfo):
    time.sleep(3)
    return 200, HTML, page("slow")


def build(tmp: Path, a: LoopbackServer, b: LoopbackServer) -> World:
    world = World(tmp, a, b)
    alpha_feed = rss(
        [
            ("/a/good", "Good page"),
            ("/a/good?utm_source=twitter", "Good page again"),
            ("/a/missing", "Gone"),
            ("/a/broken", "Server error"),
            ("/private/secret", "Robots says no"),
            ("http://offsite.example/story", "Elsewhere"),
            ("http://10.1.2.3/admin", "Intranet"),
            ("http://127.0.0.1:1/admin", "Other port on loopback"),
            ("ftp://files.example/a.txt", "FTP"),
            ("javascript:alert(1)", "Script"),
            ("/a/seen-before", "Stored already"),
            ("/a/seen-too?utm_medium=rss&utm_source=feed", "Stored already, tracking variant"),
            ("/a/report.pdf", "A PDF"),
            ("/a/moved", "Moved"),
            ("/a/away", "Redirects offsite"),
            ("/a/big", "Too big"),
            ("/a/gzbomb", "Small on the wire, huge inflated"),
        ]
    )
    a.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"))
    a.route("/feed.xml", feed_route(alpha_feed))
    a.route("/a/good", (200, {**HTML, "ETag": '"g1"', "Last-Modified": FEED_LAST_MODIFIED}, page("Good")))
    a.route("/a/broken", (500, HTML, page("boom")))
    a.route("/a/seen-before", (200, HTML, page("seen")))
    a.route("/a/seen-too", (200, HTML, page("seen too")))
    a.route("/a/report.pdf", (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 fake"))
    a.route("/a/moved", (301, {"Location": a.url("/a/landed")}, b""))
    a.route("/a/landed", (200, {"Content-Type": "text/html; charset=windows-1251"}, "<html><body>Привет</body></html>".encode("cp1251")))
    a.route("/a/away", (302, {"Location": f"http://localhost:{a.port}/a/good"}, b""))
    a.route("/a/big", (200, HTML, page("big", size=200_000)))
    a.route("/a/gzbomb", (200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(page("bomb", size=500_000))))
    a.route("/notafeed.html", (200, HTML, page("I am a web page")))
    a.route("/disabled.xml", (200, {"Content-Type": "application/rss+xml"}, rss([("/a/never", "never")])))

    news = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>/b/news1</loc>'
        "<news:news><news:publication_date>2025-05-16T14:05:00+03:00</news:publication_date>"
        "<news:title>Prisoner swap</news:title></news:news></url></urlset>"
    ).encode()
    b.route(
        "/sitemap_index.xml",
        (
            200,
            {"Content-Type": "application/xml"},
            (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                "<sitemap><loc>/sitemap-plain.xml</loc><lastmod>2025-05-20T00:00:00Z</lastmod></sitemap>"
                "<sitemap><loc>/sitemap-news.xml.gz</loc><lastmod>2025-05-16T12:00:00Z</lastmod></sitemap>"
                "<sitemap><loc>http://offsite.example/sitemap.xml</loc></sitemap>"
                "</sitemapindex>"
            ).encode(),
        ),
    )
    b.route(
        "/sitemap-plain.xml",
        (
            200,
            {"Content-Type": "application/xml"},
            (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                "<url><loc>/b/old</loc><lastmod>2025-05-01T00:00:00Z</lastmod></url>"
                "<url><loc>/b/new</loc><lastmod>2025-05-20T00:00:00Z</lastmod></url>"
                "</urlset>"
            ).encode(),
        ),
    )
    b.route("/sitemap-news.xml.gz", (200, {"Content-Type": "application/x-gzip"}, gzip.compress(news)))
    b.route(
        "/atom.xml",
        (
            200,
            {"Content-Type": "application/atom+xml"},
            (
                '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>b</title>'
                '<entry><title>Atom one</title><link href="/b/atom1"/><updated>2025-05-18T07:00:00Z</updated>'
                "<published>2025-05-15T08:00:00Z</published></entry>"
                f'<entry><title>Cross-host</title><link href="{a.url("/a/other")}"/></entry>'
                "</feed>"
            ).encode(),
        ),
    )
    b.route("/z.xml", (200, {"Content-Type": "application/rss+xml"}, rss([("/z/1", "1"), ("/z/2", "2"), ("/z/3", "3")])))
    for path in ("/b/old", "/b/new", "/b/news1", "/b/atom1", "/z/1", "/z/2", "/z/3"):
        b.route(path, (200, HTML, page(path)))

    (tmp / "sources.toml").write_text(
        f"""
[[source]]
name = "alpha"
language = "en"
feeds = ["{a.url('/feed.xml')}"]

[[source]]
name = "beta"
language = "en"
feeds = ["{b.url('/atom.xml')}"]
sitemaps = ["{b.url('/sitemap_index.xml')}"]

[[source]]
name = "zeta"
language = "ru"
feeds = ["{b.url('/z.xml')}"]
max_pages = 1

[[source]]
name = "dns"
language = "en"
feeds = ["http://nonexistent.invalid/feed.xml"]

[[source]]
name = "refused"
language = "en"
feeds = ["http://127.0.0.1:{closed_port()}/feed.xml"]

[[source]]
name = "notafeed"
language = "en"
feeds = ["{a.url('/notafeed.html')}"]

[[source]]
name = "off"
language = "en"
enabled = false
feeds = ["{a.url('/disabled.xml')}"]
""",
        encoding="utf-8",
    )
    (tmp / "seen.txt").write_text(
        canonical_url(a.url("/a/seen-before")) + "\n" + canonical_url(a.url("/a/seen-too")) + "\n", encoding="utf-8"
    )
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    with LoopbackServer() as a, LoopbackServer(host="127.0.0.2") as b:
        w = build(tmp, a, b)
        w.items = run_crawl(
            tmp,
            tmp / "sources.toml",
            "-a",
            f"seen={tmp / 'seen.txt'}",
            settings={"DOWNLOAD_MAXSIZE": "100000"},
        )
        yield w


def test_good_page_becomes_a_page_item(world):
    item = world.one("page", url=world.a.url("/a/good"))
    assert item["source"] == "alpha"
    assert item["status"] == 200 and item["final_url"] == item["url"]
    assert item["listed_in"] == world.a.url("/feed.xml") and item["listed_via"] == "rss"
    assert item["listed_title"] == "Good page"
    assert item["listed_date"] == "Fri, 16 May 2025 10:30:00 +0300" and item["listed_date_kind"] == "feed"
    assert item["headers"]["content-type"] == "text/html; charset=utf-8"
    assert item["headers"]["content-language"] == "en"
    assert item["headers"]["etag"] == '"g1"'
    assert item["headers"]["last-modified"] == FEED_LAST_MODIFIED
    assert item["encoding"] == "utf-8"
    assert base64.b64decode(item["body_b64"]) == page("Good")


def test_url_listed_twice_is_fetched_once(world):
    assert world.a.hits("/a/good") == 1
    assert len(world.of("page", url=world.a.url("/a/good?utm_source=twitter"))) == 0


@pytest.mark.parametrize(
    ("path", "outcome", "reason", "status"),
    [
        ("/a/missing", "failed", "HTTP 404", 404),
        ("/a/broken", "failed", "HTTP 500 after 2 retries", 500),
        ("/private/secret", "refused", "robots.txt disallows", None),
        ("/a/report.pdf", "refused", "not HTML (application/pdf)", 200),
        ("/a/big", "failed", "response larger than 100000 bytes", None),
        ("/a/gzbomb", "failed", "response larger than 100000 bytes (decompressed)", None),
    ],
)
def test_fetch_failures_have_one_line_reasons(world, path, outcome, reason, status):
    item = world.one("failure", url=world.a.url(path))
    assert (item["outcome"], item["reason"], item["status"]) == (outcome, reason, status)
    assert item["source"] == "alpha" and item["listed_in"] == world.a.url("/feed.xml")


def test_retries_and_robots_as_seen_by_the_server(world):
    assert world.a.hits("/a/broken") == 3  # first try + RETRY_TIMES=2
    assert world.a.hits("/private/secret") == 0
    assert world.a.hits("/robots.txt") == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://offsite.example/story", "offsite host offsite.example"),
        ("http://10.1.2.3/admin", "private address 10.1.2.3"),
        ("http://127.0.0.1:1/admin", "private address 127.0.0.1:1"),
        ("ftp://files.example/a.txt", "unsupported scheme ftp"),
        ("javascript:alert(1)", "unsupported scheme javascript"),
    ],
)
def test_listed_links_outside_the_source_are_refused(world, url, reason):
    item = world.one("failure", url=url)
    assert (item["outcome"], item["reason"], item["source"]) == ("refused", reason, "alpha")


def test_link_to_another_outlets_loopback_port_is_refused(world):
    item = world.one("failure", url=world.a.url("/a/other"))
    assert (item["source"], item["outcome"]) == ("beta", "refused")
    assert item["reason"] == f"private address 127.0.0.1:{world.a.port}"
    assert world.a.hits("/a/other") == 0


def test_redirects_are_followed_on_site_and_refused_offsite(world):
    moved = world.one("page", url=world.a.url("/a/moved"))
    assert moved["final_url"] == world.a.url("/a/landed")
    assert moved["encoding"] == "cp1251"
    away = world.one("failure", url=world.a.url("/a/away"))
    assert (away["outcome"], away["reason"]) == ("refused", f"redirect to offsite host localhost:{world.a.port}")


def test_seen_urls_and_their_tracking_variants_are_not_requested(world):
    assert world.a.hits("/a/seen-before") == 0
    assert world.a.hits("/a/seen-too") == 0
    urls = {i["url"] for i in world.items if i["kind"] != "listing"}
    assert not any("/a/seen" in u for u in urls)


def test_listing_items_count_entries_and_new_entries(world):
    feed = world.one("listing", url=world.a.url("/feed.xml"))
    assert (feed["outcome"], feed["status"], feed["listing_type"]) == ("ok", 200, "feed")
    assert feed["entries"] == 17
    # requested: good, missing, broken, secret (stopped by robots.txt later), pdf, moved, away, big, gzbomb
    assert feed["new_entries"] == 9
    assert (feed["etag"], feed["last_modified"]) == (FEED_ETAG, FEED_LAST_MODIFIED)


def test_sitemap_index_children_gzip_and_news_sitemap(world):
    b = world.b
    index = world.one("listing", url=b.url("/sitemap_index.xml"))
    assert (index["outcome"], index["listing_type"], index["entries"]) == ("ok", "sitemap", 0)
    offsite = world.one("listing", url="http://offsite.example/sitemap.xml")
    assert offsite["outcome"] == "failed" and offsite["reason"] == "not followed: offsite host offsite.example"
    assert world.one("listing", url=b.url("/sitemap-plain.xml"))["new_entries"] == 2
    news = world.one("page", url=b.url("/b/news1"))
    assert (news["listed_via"], news["listed_title"]) == ("news-sitemap", "Prisoner swap")
    assert (news["listed_date"], news["listed_date_kind"]) == ("2025-05-16T14:05:00+03:00", "news-sitemap")
    old = world.one("page", url=b.url("/b/old"))
    assert (old["listed_via"], old["listed_date_kind"]) == ("sitemap", "sitemap-lastmod")
    atom = world.one("page", url=b.url("/b/atom1"))
    assert (atom["listed_via"], atom["listed_date"], atom["source"]) == ("atom", "2025-05-15T08:00:00Z", "beta")


def test_per_source_page_budget(world):
    pages = world.of("page", source="zeta")
    assert len(pages) == 1
    assert world.one("listing", source="zeta")["new_entries"] == 1
    assert sum(world.b.hits(p) for p in ("/z/1", "/z/2", "/z/3")) == 1


def test_broken_sources_fail_alone(world):
    dns = world.one("listing", source="dns")
    # its robots.txt is asked for first, and failing on the network it stops the host (spiders/robots.py)
    assert (dns["outcome"], dns["reason"]) == (
        "failed", "robots.txt unavailable (DNS lookup failed for nonexistent.invalid): not fetched, tried again in "
                  "the next run")
    refused = world.one("listing", source="refused")
    assert (refused["outcome"], refused["reason"]) == (
        "failed", "robots.txt unavailable (connection refused): not fetched, tried again in the next run")
    notafeed = world.one("listing", source="notafeed")
    assert notafeed["outcome"] == "failed" and notafeed["reason"] == "not a feed or sitemap (root element <html>)"
    assert world.of("listing", source="off") == [] and world.a.hits("/disabled.xml") == 0


def test_every_item_kind_is_one_of_the_contract(world):
    kinds = {i["kind"] for i in world.items}
    assert kinds == {"page", "failure", "listing"}
    assert all(i["fetched_at"].endswith("+00:00") for i in world.items)


def test_second_run_uses_conditional_get_and_sitemap_last_success(world):
    a, b, tmp = world.a, world.b, world.tmp
    state = {
        a.url("/feed.xml"): {"etag": FEED_ETAG, "last_modified": FEED_LAST_MODIFIED, "last_success": "2025-05-17T10:00:00+00:00"},
        b.url("/sitemap-plain.xml"): {"last_success": "2025-05-10T00:00:00+00:00"},
        b.url("/sitemap-news.xml.gz"): {"last_success": "2025-05-18T00:00:00+00:00"},
    }
    (tmp / "state.json").write_text(json.dumps(state), encoding="utf-8")
    good_before, old_before, new_before = a.hits("/a/good"), b.hits("/b/old"), b.hits("/b/new")
    news_before = b.hits("/sitemap-news.xml.gz")
    items = run_crawl(
        tmp, tmp / "sources.toml", "-a", "only=alpha,beta", "-a", f"state={tmp / 'state.json'}",
        settings={"TALKWATCH_MAX_CHILD_SITEMAPS": "2"},
    )
    feed = [i for i in items if i["kind"] == "listing" and i["url"] == a.url("/feed.xml")]
    assert len(feed) == 1 and feed[0]["outcome"] == "not-modified" and feed[0]["status"] == 304
    assert feed[0]["etag"] == FEED_ETAG
    last = a.requests("/feed.xml")[-1]
    assert last["if-none-match"] == FEED_ETAG and last["if-modified-since"] == FEED_LAST_MODIFIED
    assert not [i for i in items if i["source"] == "alpha" and i["kind"] != "listing"]
    assert a.hits("/a/good") == good_before
    assert b.hits("/b/old") == old_before  # lastmod older than the sitemap's last success: skipped
    assert b.hits("/b/new") == new_before + 1
    # index lastmod older than the child's last success: the child sitemap is not even asked for
    assert b.hits("/sitemap-news.xml.gz") == news_before
    # the limit keeps the two newest children; the undated offsite one is dropped before it is considered
    assert not [i for i in items if i["url"] == "http://offsite.example/sitemap.xml"]
    assert {i["source"] for i in items} == {"alpha", "beta"}  # only= limits the run


def test_offline_run_with_project_settings_gives_one_failed_listing_per_listing(tmp_path):
    """15 unreachable outlets, real politeness settings: every listing fails alone, nothing else is yielded."""
    blocks = [
        f'[[source]]\nname = "s{i}"\nlanguage = "en"\nfeeds = ["https://outlet{i}.invalid/rss"]\n'
        + (f'sitemaps = ["https://outlet{i}.invalid/sitemap.xml"]\n' if i % 5 == 0 else "")
        for i in range(15)
    ]
    sources = tmp_path / "sources.toml"
    sources.write_text("\n".join(blocks), encoding="utf-8")
    items = run_crawl(tmp_path, sources, fast=False, settings={"LOG_LEVEL": "WARNING"})
    expected = {(f"s{n}", "feed") for n in range(15)} | {(f"s{n}", "sitemap") for n in (0, 5, 10)}
    assert len(items) == len(expected) == 18
    assert {i["kind"] for i in items} == {"listing"}
    assert all(i["outcome"] == "failed" for i in items)
    assert {(i["source"], i["listing_type"]) for i in items} == expected
    assert {i["reason"] for i in items if i["source"] == "s5"} == {
        "robots.txt unavailable (DNS lookup failed for outlet5.invalid): not fetched, tried again in the next run"}


def test_timeout_is_a_failure_with_the_timeout_in_the_reason(tmp_path):
    """Its own small crawl, so the short timeout cannot hit the other pages of the big fixture on a busy machine."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, rss([("/slow", "Slow"), ("/fast", "Fast")])))
        srv.route("/slow", slow_page)
        srv.route("/fast", (200, HTML, page("fast")))
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "s"\nlanguage = "en"\nfeeds = ["{srv.url("/feed.xml")}"]\n', encoding="utf-8")
        items = run_crawl(tmp_path, sources, settings={"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "0"})
        slow = [i for i in items if i["url"] == srv.url("/slow")]
        assert len(slow) == 1
        assert (slow[0]["kind"], slow[0]["outcome"], slow[0]["reason"]) == ("failure", "failed", "timeout after 2 s")
        assert [i["kind"] for i in items if i["url"] == srv.url("/fast")] == ["page"]
        assert srv.hits("/slow") == 1


def test_a_304_to_an_unconditional_request_is_a_failed_listing(tmp_path):
    """A first fetch (no ETag, no date kept) answered "not modified" is a broken server or cache: counted a
    success, the feed would never be read and the source never reported as failing."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (304, {"ETag": FEED_ETAG}, b""))
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "s"\nlanguage = "en"\nfeeds = ["{srv.url("/feed.xml")}"]\n',
                           encoding="utf-8")
        items = run_crawl(tmp_path, sources, settings={"RETRY_TIMES": "0"})
        assert [(i["kind"], i["outcome"], i["status"]) for i in items] == [("listing", "failed", 304)]
        assert "no validation" in items[0]["reason"]


def test_a_listed_url_over_the_length_limit_is_a_refusal_not_silence(tmp_path):
    """Scrapy's UrlLengthMiddleware drops such a request without a word; the listing's entry is now recorded."""
    with LoopbackServer() as srv:
        long_path = "/a/" + "x" * 100_000
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, rss([(long_path, "Long"), ("/a/ok", "Ok")])))
        srv.route("/a/ok", (200, HTML, page("ok")))
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[source]]\nname = "s"\nlanguage = "en"\nfeeds = ["{srv.url("/feed.xml")}"]\n',
                           encoding="utf-8")
        items = run_crawl(tmp_path, sources, settings={"RETRY_TIMES": "0"})
        refused = [i for i in items if i["kind"] == "failure"]
        assert len(refused) == 1 and refused[0]["outcome"] == "refused" and "URLLENGTH_LIMIT" in refused[0]["reason"]
        assert len(refused[0]["url"]) == 2084 and refused[0]["url"].startswith(srv.url("/a/xxx"))
        assert [i["url"] for i in items if i["kind"] == "page"] == [srv.url("/a/ok")]


@pytest.mark.parametrize("sources, settings, says, log", [
    ("missing.toml", {}, "ValueError: ", "crawl.log"),  # raised in the spider: Scrapy's log file has it
    ("sources.toml", {"SPIDER_MIDDLEWARES": "{bad"}, "error: Invalid -s value", "crawl.stderr"),  # before any log
], ids=["raised-in-the-spider", "dies-before-its-log"])
def test_a_crawl_that_dies_at_start_says_why(tmp_path, sources, settings, says, log):
    """The run's error names the crawl's own last word and a log that exists, not just its exit code."""
    from pipelines.crawl import start_crawl

    (tmp_path / "sources.toml").write_text('[[source]]\nname = "a"\nlanguage = "en"\n'
                                           'feeds = ["http://127.0.0.1:9/feed.xml"]\n', encoding="utf-8")
    result = start_crawl(tmp_path / sources, tmp_path / "work", settings=settings).wait(120)
    assert result.returncode not in (0, None)
    assert says in result.error and result.error.endswith(f"(log: {tmp_path / 'work' / log})"), result.error
    assert (tmp_path / "work" / log).stat().st_size > 0


# --- sweep 5: a hostile or sloppy web -------------------------------------------------------------------------


def _one_source(tmp_path: Path, budget: int = 2, **listings: list[str]) -> Path:
    sources = tmp_path / "sources.toml"
    body = "".join(f'{k} = [{", ".join(repr(u).replace(chr(39), chr(34)) for u in v)}]\n' for k, v in listings.items())
    sources.write_text(f'[[source]]\nname = "s"\nlanguage = "en"\n{body}max_pages = {budget}\n', encoding="utf-8")
    return sources


def test_a_failed_page_is_asked_again_though_its_listing_did_not_change(tmp_path):
    """A 304 listing is not read, so a page that got a 503 on it was never tried again while the feed stayed the
    same. The pages to retry come in the state file and are asked for once the listings are done."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", feed_route(rss([("/a/busy", "Busy")])))
        srv.route("/a/busy", (200, HTML, page("Busy")))
        sources = _one_source(tmp_path, feeds=[srv.url("/feed.xml")])
        state = tmp_path / "state.json"
        state.write_text(json.dumps({
            srv.url("/feed.xml"): {"etag": FEED_ETAG, "last_success": "2025-05-17T10:00:00+00:00"},
            "@retry": [{"url": srv.url("/a/busy"), "source": "s", "listed_in": srv.url("/feed.xml")},
                       {"url": srv.url("/a/gone"), "source": "other", "listed_in": None}],  # not crawled now
        }), encoding="utf-8")
        items = run_crawl(tmp_path, sources, "-a", f"state={state}")
        assert [(i["kind"], i["outcome"]) for i in items if i["kind"] == "listing"] == [("listing", "not-modified")]
        pages = [i for i in items if i["kind"] == "page"]
        assert [(p["url"], p["listed_in"], p["listed_via"]) for p in pages] == [
            (srv.url("/a/busy"), srv.url("/feed.xml"), "retry")]
        assert srv.hits("/a/gone") == 0


def test_a_listing_the_page_budget_cut_short_is_partial(tmp_path):
    """A listing read while the budget left entries is "partial": no validators, so the next run reads it whole
    (a 304 or old lastmods used to hide what was left for as long as the listing stayed the same)."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", feed_route(rss([(f"/a/{n}", f"Story {n}") for n in range(5)])))
        for n in range(5):
            srv.route(f"/a/{n}", (200, HTML, page(f"Story {n}")))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]))
        listing = [i for i in items if i["kind"] == "listing"]
        assert [(li["outcome"], li["etag"], li["new_entries"]) for li in listing] == [("partial", None, 2)]
        assert "3 entries left for the next run" in listing[0]["reason"]


def test_one_unreadable_entry_costs_that_entry_not_the_listing(tmp_path):
    """`http://[::1/x` made urljoin raise in the spider's callback, and the whole feed was lost without a record;
    a year-1 lastmod with an offset (before year 1 in UTC) did the same to a sitemap index."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("http://[::1/x.html", "Broken"), ("/a/ok", "Ok")])))
        srv.route("/a/ok", (200, HTML, page("Ok")))
        srv.route("/index.xml", (200, {"Content-Type": "application/xml"}, (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<sitemap><loc>{srv.url("/old.xml")}</loc><lastmod>0001-01-01T00:30:00+01:00</lastmod></sitemap>'
            f'<sitemap><loc>{srv.url("/new.xml")}</loc><lastmod>2025-06-01</lastmod></sitemap>'
            '</sitemapindex>').encode()))
        srv.route("/new.xml", (200, {"Content-Type": "application/xml"}, (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<url><loc>{srv.url("/a/from-sitemap")}</loc><lastmod>0001-01-01T00:30:00+01:00</lastmod></url>'
            '</urlset>').encode()))
        srv.route("/old.xml", (200, {"Content-Type": "application/xml"},
                               b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'))
        srv.route("/a/from-sitemap", (200, HTML, page("From the sitemap")))
        state = tmp_path / "state.json"  # a last success makes the lastmods count
        state.write_text(json.dumps({srv.url("/new.xml"): {"last_success": "2025-05-01T00:00:00+00:00"}}))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")],
                                                sitemaps=[srv.url("/index.xml")]), "-a", f"state={state}")
        by_url = {i["url"]: i for i in items}
        assert by_url[srv.url("/feed.xml")]["outcome"] == "ok"
        assert by_url["http://[::1/x.html"]["outcome"] == "refused"
        assert "malformed URL" in by_url["http://[::1/x.html"]["reason"]
        assert by_url[srv.url("/a/ok")]["kind"] == "page"
        assert by_url[srv.url("/index.xml")]["outcome"] == "ok"
        assert by_url[srv.url("/a/from-sitemap")]["kind"] == "page"


def test_atom_links_resolve_against_xml_base(tmp_path):
    with LoopbackServer() as srv:
        srv.route("/feeds/atom.xml", (200, {"Content-Type": "application/atom+xml"}, (
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{srv.url("/news/")}"><title>t</title>'
            '<entry><title>One</title><link href="one.html"/></entry>'
            '<entry xml:base="world/"><title>Two</title><link href="two.html"/></entry></feed>').encode()))
        srv.route("/news/one.html", (200, HTML, page("One")))
        srv.route("/news/world/two.html", (200, HTML, page("Two")))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feeds/atom.xml")]))
        assert sorted(i["url"] for i in items if i["kind"] == "page") == [srv.url("/news/one.html"),
                                                                         srv.url("/news/world/two.html")]
        assert srv.hits("/feeds/one.html") == 0


def test_redirects_to_other_schemes_are_refused_and_robots_redirects_stay_on_allowed_hosts(tmp_path):
    with LoopbackServer() as srv, LoopbackServer(host="127.0.0.3") as other:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("/a/file", "File"), ("/a/ftp", "Ftp"), ("/a/nowhere", "Nowhere")])))
        srv.route("/a/file", (302, {"Location": "file:///etc/hostname"}, b""))
        srv.route("/a/ftp", (302, {"Location": "ftp://127.0.0.1/x"}, b""))
        srv.route("/a/nowhere", (302, {}, b""))
        srv.route("/robots.txt", (302, {"Location": other.url("/robots.txt")}, b""))
        other.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n"))
        items = run_crawl(tmp_path, _one_source(tmp_path, budget=10, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
        got = {i["url"]: (i["outcome"], i.get("reason")) for i in items if i["kind"] == "failure"}
        assert got[srv.url("/a/file")] == ("refused", "redirect to a non-http(s) URL (file:)")
        assert got[srv.url("/a/ftp")] == ("refused", "redirect to a non-http(s) URL (ftp:)")
        assert got[srv.url("/a/nowhere")] == ("failed", "HTTP 302 redirect without a Location header")
        assert other.hits("/robots.txt") == 0  # another host's, which no source may fetch


def test_a_robots_txt_answering_5xx_stops_the_host_for_this_run_as_a_passing_failure(tmp_path):
    """RFC 9309 2.3.1.4: a server error on robots.txt means assume complete disallow; it was taken as allow-all.
    Not a refusal, which would be final: the listing fails with the reason and is read again next run."""
    with LoopbackServer() as srv:
        srv.route("/robots.txt", (503, {"Content-Type": "text/plain"}, b"busy"))
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, rss([("/a/1", "One")])))
        srv.route("/a/1", (200, HTML, page("One")))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
        assert [(i["kind"], i["outcome"], i["reason"]) for i in items] == [
            ("listing", "failed", "robots.txt unavailable (HTTP 503): not fetched, tried again in the next run")]
        assert srv.hits("/feed.xml") == 0 and srv.hits("/a/1") == 0


def test_refusals_recorded_per_source_and_run_are_capped(tmp_path):
    """A refusal costs no request, so the page budget never bounded them: a feed of 50,000 offsite links added
    50,000 `pages` rows to each run. Past the cap they are counted, not recorded, and the good link still goes."""
    with LoopbackServer() as srv:
        links = [(f"http://h{n}.invalid/{n}.html", f"Off {n}") for n in range(30)] + [("/a/ok", "Ok")]
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, rss(links)))
        srv.route("/a/ok", (200, HTML, page("Ok")))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"TALKWATCH_MAX_REFUSALS_PER_SOURCE": "10", "LOG_LEVEL": "INFO"})
        assert len([i for i in items if i["kind"] == "failure" and i["outcome"] == "refused"]) == 10
        assert [i["url"] for i in items if i["kind"] == "page"] == [srv.url("/a/ok")]
