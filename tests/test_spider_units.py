"""Unit tests for the spider's building blocks: the sources file, the host policy, lastmod skipping, Crawl-delay."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import TextResponse
from scrapy.settings import Settings

from spiders.middlewares import CrawlDelayMiddleware
from spiders.sources import load_sources
from spiders.spiders.news import lastmod_before, newest_first, read_seen, read_state
from spiders.urlpolicy import HostPolicy

GOOD = """
[[source]]
name = "moscowtimes"
language = "en"
feeds = ["https://www.themoscowtimes.com/rss/news"]
poll_minutes = 30

[[source]]
name = "local"
language = "uk"
feeds = []
sitemaps = ["http://127.0.0.1:8081/sitemap.xml"]
max_pages = 5

[[source]]
name = "explicit"
language = "ru"
feeds = ["https://feeds.example.org/x.rss"]
allowed_domains = ["Example.org", "cdn.example.net:8443"]
enabled = false
"""


def write(tmp_path, text):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_sources_defaults_and_extras(tmp_path):
    mt, local, explicit = load_sources(write(tmp_path, GOOD))
    assert (mt.name, mt.language, mt.sitemaps, mt.enabled) == ("moscowtimes", "en", [], True)
    assert mt.allowed_domains == ["themoscowtimes.com"]  # www. dropped: the site and its subdomains
    assert mt.extra == {"poll_minutes": 30}
    assert local.allowed_domains == ["127.0.0.1:8081"]  # explicit port kept: exact match only
    assert local.max_pages == 5
    assert local.listings == [("http://127.0.0.1:8081/sitemap.xml", "sitemap")]
    assert explicit.allowed_domains == ["example.org", "cdn.example.net:8443"]
    assert explicit.enabled is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[source]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n[[source]]\nname = "a"\nfeeds = ["https://b.example/rss"]\n', "source 'a': duplicate name"),
        ('[[source]]\nname = "nolist"\nlanguage = "en"\n', "source 'nolist': needs at least one feed or sitemap"),
        ('[[source]]\nname = "ftp"\nfeeds = ["ftp://a.example/rss"]\n', "source 'ftp': feeds URL is not an http(s) URL"),
        ('[[source]]\nname = "rel"\nsitemaps = ["/sitemap.xml"]\n', "source 'rel': sitemaps URL is not an http(s) URL"),
        ('[[source]]\nlanguage = "en"\nfeeds = ["https://a.example/rss"]\n', "source #1: missing or empty 'name'"),
        ('[[source]]\nname = "b"\nfeeds = "https://a.example/rss"\n', "source 'b': feeds must be a list"),
        ('[[source]]\nname = "c"\nfeeds = ["https://a.example/rss"]\nmax_pages = -1\n', "source 'c': max_pages"),
        ("[[source]\nname=", "not valid TOML"),
    ],
)
def test_load_sources_rejects_bad_entries_naming_the_source(tmp_path, text, message):
    with pytest.raises(ValueError) as info:
        load_sources(write(tmp_path, text))
    assert message in str(info.value)


POLICY = HostPolicy.for_source(
    ["https://www.outlet.example/rss", "http://127.0.0.1:8081/sitemap.xml"],
    ["outlet.example", "127.0.0.1:8081"],
)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.outlet.example/news/1", None),
        ("https://outlet.example/news/1", None),
        ("https://deep.sub.outlet.example:8443/x", None),  # a bare domain allows subdomains and any port
        ("http://127.0.0.1:8081/a/1", None),  # exactly the source's own loopback host:port
        ("https://notoutlet.example/x", "offsite host notoutlet.example"),
        ("https://outlet.example.evil.test/x", "offsite host outlet.example.evil.test"),
        ("http://127.0.0.1:8082/a/1", "private address 127.0.0.1:8082"),
        ("http://127.0.0.2:8081/a/1", "private address 127.0.0.2:8081"),
        ("http://192.168.1.1/", "private address 192.168.1.1"),
        ("http://169.254.169.254/latest/meta-data", "private address 169.254.169.254"),
        ("http://[::1]:8081/x", "private address [::1]:8081"),
        ("http://2130706433/", "private address 2130706433"),  # 127.0.0.1 spelt as one number
        ("http://8.8.8.8/", "offsite host 8.8.8.8"),
        ("ftp://outlet.example/file", "unsupported scheme ftp"),
        ("javascript:alert(1)", "unsupported scheme javascript"),
        ("mailto:desk@outlet.example", "unsupported scheme mailto"),
        ("http:///nohost", "no host in URL"),
    ],
)
def test_host_policy(url, reason):
    assert POLICY.refusal(url) == reason


def test_redirect_refusal_is_worded_as_a_redirect():
    assert POLICY.redirect_refusal("https://evil.test/x") == "redirect to offsite host evil.test"
    assert POLICY.redirect_refusal("https://outlet.example/y") is None


def test_two_outlets_on_one_ip_stay_apart():
    a = HostPolicy.for_source(["http://127.0.0.1:9001/feed"], ["127.0.0.1:9001"])
    assert a.refusal("http://127.0.0.1:9001/p") is None
    assert a.refusal("http://127.0.0.1:9002/p") == "private address 127.0.0.1:9002"


@pytest.mark.parametrize(
    ("lastmod", "expected"),
    [
        ("2025-05-01T00:00:00Z", True),
        ("2025-05-10T11:59:59+00:00", True),
        ("2025-05-10T12:00:01+00:00", False),
        ("2025-05-10T14:30:00+03:00", True),  # 11:30 UTC
        ("2025-05-10", False),  # day-only on the day of the last run: may have changed later that day
        ("2025-05-09", True),
        ("not a date", False),
        (None, False),
    ],
)
def test_lastmod_before_last_success(lastmod, expected):
    assert lastmod_before(lastmod, datetime(2025, 5, 10, 12, 0, tzinfo=timezone.utc)) is expected


def test_seen_file_lines_are_keys_and_missing_state_is_empty(tmp_path):
    seen = tmp_path / "seen.txt"
    seen.write_text("https://outlet.example/a/1\n\n  https://outlet.example/a/2 \n", encoding="utf-8")
    assert read_seen(str(seen)) == {"https://outlet.example/a/1", "https://outlet.example/a/2"}
    assert read_state(str(tmp_path / "absent.json")) == {}
    assert read_seen(None) == set()


class _FakeSlot:
    def __init__(self):
        self.delay, self.jitter = 0.0, 0.5


def _fake_crawler(slots):
    downloader = SimpleNamespace(slots=slots, get_slot_key=lambda request: request.url.split("/")[2].split(":")[0])
    stats = SimpleNamespace(values={}, set_value=lambda k, v: stats.values.__setitem__(k, v))
    settings = Settings({"USER_AGENT": "talkwatch/0.1", "TALKWATCH_MAX_CRAWL_DELAY": 10})
    return SimpleNamespace(engine=SimpleNamespace(downloader=downloader), stats=stats, settings=settings)


def _robots(url, body):
    request = Request(url, meta={"dont_obey_robotstxt": True})
    return request, TextResponse(url, body=body, encoding="utf-8", request=request)


def test_crawl_delay_is_applied_capped_and_restored_after_autothrottle():
    slots = {"a.example": _FakeSlot(), "b.example": _FakeSlot()}
    mw = CrawlDelayMiddleware(_fake_crawler(slots))
    mw.process_response(*_robots("https://a.example/robots.txt", b"User-agent: *\nCrawl-delay: 4\n"))
    mw.process_response(*_robots("https://b.example/robots.txt", b"User-agent: *\nCrawl-delay: 600\n"))
    assert (slots["a.example"].delay, slots["a.example"].jitter) == (4.0, 0)
    assert slots["b.example"].delay == 10.0  # capped
    slots["a.example"].delay = 1.0  # AutoThrottle lowered it
    mw.process_request(Request("https://a.example/news/1"))
    assert slots["a.example"].delay == 4.0


def test_robots_without_crawl_delay_leaves_the_slot_alone():
    slots = {"c.example": _FakeSlot()}
    mw = CrawlDelayMiddleware(_fake_crawler(slots))
    mw.process_response(*_robots("https://c.example/robots.txt", b"User-agent: *\nDisallow: /private/\n"))
    mw.process_request(Request("https://c.example/x"))
    assert (slots["c.example"].delay, slots["c.example"].jitter) == (0.0, 0.5)


def test_loopback_server_routes_counts_and_logs_headers():
    from urllib.error import HTTPError
    from urllib.request import Request as UrlRequest
    from urllib.request import urlopen

    from tests.loopback import LoopbackServer

    def echo(info):
        return 201, {"Content-Type": "text/plain"}, f"{info.method} {info.target}".encode()

    with LoopbackServer({"/static": (200, {"Content-Type": "text/plain", "ETag": '"x"'}, b"hello")}) as one, LoopbackServer(
        host="127.0.0.2"
    ) as two:
        one.route("/echo", echo)
        with urlopen(UrlRequest(one.url("/static"), headers={"If-None-Match": '"old"'})) as resp:
            assert (resp.status, resp.read(), resp.headers["ETag"]) == (200, b"hello", '"x"')
        with urlopen(one.url("/echo?q=1")) as resp:
            assert (resp.status, resp.read()) == (201, b"GET /echo?q=1")
        with pytest.raises(HTTPError) as info:
            urlopen(two.url("/nothing"))
        assert info.value.code == 404
        assert one.hits("/static") == 1 and one.hits("/echo") == 1 and one.hits("/never") == 0
        assert one.requests("/static")[0]["if-none-match"] == '"old"'
        assert two.netloc.startswith("127.0.0.2:") and two.hits("/nothing") == 1
        assert one.all_paths() == ["/static", "/echo"]


def test_child_sitemaps_newest_first_undated_last():
    urls = ["https://o.example/s-2023.xml", "https://o.example/s-undated.xml", "https://o.example/s-2025.xml",
            "https://o.example/s-2024.xml", "https://o.example/s-undated-2.xml"]
    lastmods = {"https://o.example/s-2023.xml": "2023-12-31", "https://o.example/s-2025.xml": "2025-05-20T10:00:00Z",
                "https://o.example/s-2024.xml": "2024-12-31T23:00:00+00:00"}
    assert newest_first(urls, lastmods) == [
        "https://o.example/s-2025.xml", "https://o.example/s-2024.xml", "https://o.example/s-2023.xml",
        "https://o.example/s-undated.xml", "https://o.example/s-undated-2.xml",
    ]


def test_robots_txt_is_read_up_to_its_first_500_kib_as_search_engines_read_it():
    """A 10 MB robots.txt took 7 s to parse and 0.26 s per URL on the crawl's only thread; its first 500 KiB are
    read, cut at a line break, and the rules there still hold."""
    from scrapy.utils.project import get_project_settings

    from spiders.robots import MAX_ROBOTSTXT_BYTES, CappedProtegoRobotParser, first_part

    rules = b"User-agent: *\nDisallow: /private/\n" + b"".join(b"Disallow: /p%d/*/x*y$\n" % i for i in range(450000))
    body = rules + b"Disallow: /news/\n"  # past the first 500 KiB: not read
    rp = CappedProtegoRobotParser(body, None)
    assert not rp.allowed("https://a.example/private/1", "talkwatch")
    assert rp.allowed("https://a.example/news/1", "talkwatch")
    kept = first_part(body)
    assert len(kept) <= MAX_ROBOTSTXT_BYTES and kept.endswith(b"\n") and body.startswith(kept)
    assert first_part(b"User-agent: *\n") == b"User-agent: *\n"
    assert get_project_settings()["ROBOTSTXT_PARSER"] == "spiders.robots.CappedProtegoRobotParser"
