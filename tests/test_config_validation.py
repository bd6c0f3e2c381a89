"""Strict validation of the config files and of `talkwatch run -s` settings: every bad input is one clear line.

Each bad case asserts a ValueError whose message holds the words a user needs to fix it (the key, the
value, the hint). Valid edge cases and every shipped config must still load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.relevance import load_topic
from spiders.settingscheck import check_settings, known_settings
from spiders.sources import check_domain, load_sources, parse_source

ROOT = Path(__file__).resolve().parent.parent
GOOD_SOURCE = 'name = "outlet_en"\nlanguage = "en"\nfeeds = ["https://www.outlet.example/rss"]\n'
GOOD_TOPIC = 'name = "t"\nkeep_all = false\n[terms]\nen = ["talks", "ceasefire*"]\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def source_file(tmp_path: Path, extra: str = "", base: str = GOOD_SOURCE, top: str = "") -> Path:
    return write(tmp_path, "sources.toml", f"{top}[[source]]\n{base}{extra}")


# --- sources file ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ('feeeds = ["https://outlet.example/rss"]\n', ["unknown key 'feeeds'", "source 'outlet_en'",
                                                        "did you mean 'feeds'?"]),
        ("max_page = 5\n", ["unknown key 'max_page'", "did you mean 'max_pages'?"]),
        ("pool_minutes = 30\n", ["unknown key 'pool_minutes'", "did you mean 'poll_minutes'?"]),
        ("colour = 3\n", ["unknown key 'colour'", "source 'outlet_en'"]),
        ("poll_minutes = -1\n", ["source 'outlet_en'", "poll_minutes", "from 1 to 10080", "got -1"]),
        ("poll_minutes = 0\n", ["poll_minutes", "got 0"]),
        ("poll_minutes = 10081\n", ["poll_minutes", "got 10081"]),
        ("poll_minutes = nan\n", ["poll_minutes", "got nan"]),
        ("poll_minutes = inf\n", ["poll_minutes", "got inf"]),
        ("poll_minutes = true\n", ["poll_minutes", "got True"]),
        ('poll_minutes = "60"\n', ["poll_minutes", "got '60'"]),
        ("max_pages = -1\n", ["max_pages", "whole number from 0 to 100000", "got -1"]),
        ("max_pages = 100001\n", ["max_pages", "got 100001"]),
        ("max_pages = 2.5\n", ["max_pages", "whole number"]),
        ("max_pages = false\n", ["max_pages", "got False"]),
        ('allowed_domains = ["*"]\n', ["allowed_domains", "'*'", "wildcard"]),
        ('allowed_domains = ["*.outlet.example"]\n', ["allowed_domains", "wildcard"]),
        ('allowed_domains = ["com"]\n', ["allowed_domains", "'com'", "top-level domain"]),
        ('allowed_domains = ["co.uk"]\n', ["allowed_domains", "'co.uk'", "public suffix"]),
        ('allowed_domains = ["github.io"]\n', ["'github.io'", "public suffix"]),
        ('allowed_domains = ["CO.UK."]\n', ["'CO.UK.'", "public suffix"]),
        ('allowed_domains = ["рф"]\n', ["top-level domain"]),
        ('allowed_domains = ["https://outlet.example"]\n', ["allowed_domains", "scheme"]),
        ('allowed_domains = ["outlet.example/news"]\n', ["allowed_domains", "no path"]),
        ('allowed_domains = ["user@outlet.example"]\n', ["allowed_domains", "not a bare host"]),
        ('allowed_domains = ["outlet.example:0"]\n', ["bad port '0'"]),
        ('allowed_domains = ["outlet.example:70000"]\n', ["bad port '70000'"]),
        ('allowed_domains = ["outlet.example:http"]\n', ["bad port 'http'"]),
        ('allowed_domains = ["-outlet.example"]\n', ["not a valid host name"]),
        ('allowed_domains = ["outlet..example"]\n', ["not a valid host name"]),
        ('allowed_domains = ["127.1"]\n', ["not a valid IP address"]),
        ('allowed_domains = [""]\n', ["allowed_domains", "must be a host or host:port"]),
        ("allowed_domains = [3]\n", ["allowed_domains", "must be a host or host:port"]),
        ('allowed_domains = "outlet.example"\n', ["allowed_domains must be a list"]),
        ('timezone = "Europe/Atlantis"\n', ["timezone", "IANA"]),
        ('country = "XX"\n', ["country", "ISO 3166-1"]),
        ("enabled = 1\n", ["enabled must be true or false"]),
    ],
)
def test_bad_source_keys_and_values(tmp_path: Path, extra: str, words: list[str]) -> None:
    path = source_file(tmp_path, extra)
    with pytest.raises(ValueError) as info:
        load_sources(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize(
    ("base", "words"),
    [
        ('name = "a/b"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["source #1", "'a/b'",
                                                                                    "lowercase letters"]),
        ('name = "a;b"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["'a;b'", "lowercase"]),
        ('name = "Outlet"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["'Outlet'"]),
        ('name = "1outlet"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["'1outlet'",
                                                                                        "starting with a letter"]),
        (f'name = "{"a" * 65}"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["at most 64"]),
        ('nmae = "outlet"\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["unknown key 'nmae'",
                                                                                        "source #1",
                                                                                        "did you mean 'name'?"]),
        ('name = ""\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["missing or empty 'name'"]),
        ('name = 5\nlanguage = "en"\nfeeds = ["https://outlet.example/rss"]\n', ["'name' must be a string in quotes",
                                                                                 "(it is int 5)"]),
        ('name = "x"\nlanguage = "klingon"\nfeeds = ["https://outlet.example/rss"]\n', ["source 'x'", "language",
                                                                                       "'klingon'", "ISO 639-1"]),
        ('name = "x"\nlanguage = "EN"\nfeeds = ["https://o.example/rss"]\n', ["'EN'", "did you mean 'en'?"]),
        ('name = "x"\nlanguage = "ua"\nfeeds = ["https://o.example/rss"]\n', ["'ua'", "did you mean 'uk'?",
                                                                               "country code"]),
        ('name = "x"\nlanguage = "eng"\nfeeds = ["https://o.example/rss"]\n', ["'eng'", "did you mean 'en'?"]),
        ('name = "x"\nlanguage = "Russian"\nfeeds = ["https://o.example/rss"]\n', ["did you mean 'ru'?"]),
        ('name = "x"\nlanguage = "tr-TR"\nfeeds = ["https://o.example/rss"]\n', ["did you mean 'tr'?"]),
        ('name = "x"\nlanguage = "xx"\nfeeds = ["https://o.example/rss"]\n', ["'xx'", "ISO 639-1"]),
        ('name = "x"\nlanguage = ""\nfeeds = ["https://o.example/rss"]\n', ["language", "ISO 639-1"]),
        ('name = "x"\nlanguage = 7\nfeeds = ["https://o.example/rss"]\n', ["language 7", "ISO 639-1"]),
        ('name = "x"\nlanguage = "en"\nfeeds = ["ftp://o.example/rss"]\n', ["feeds URL is not an http(s) URL"]),
        ('name = "x"\nlanguage = "en"\nfeeds = ["https://o.example:99999/rss"]\n', ["feeds URL has a bad port"]),
        ('name = "x"\nlanguage = "en"\nfeeds = ["https://o.example:0/rss"]\n', ["feeds URL has a bad port",
                                                                              "from 1 to 65535"]),
        # every request off allowed_domains is refused: a listing off it could never be fetched
        ('name = "x"\nlanguage = "en"\nfeeds = ["https://feeds.example/o"]\nallowed_domains = ["o.example"]\n',
         ["source 'x'", "https://feeds.example/o is on feeds.example, which allowed_domains leaves out",
          "add 'feeds.example' to allowed_domains"]),
        ('name = "x"\nlanguage = "en"\nsitemaps = ["http://127.0.0.1:8080/s.xml"]\n'
         'allowed_domains = ["127.0.0.1:8081"]\n', ["127.0.0.1:8080, which allowed_domains leaves out"]),
        ('name = "x"\nlanguage = "en"\nsitemaps = ["http://[::1/sitemap.xml"]\n',
         ["source 'x'", "sitemaps URL cannot be read", "Invalid IPv6 URL", "'http://[::1/sitemap.xml'"]),
    ],
)
def test_bad_source_names_languages_and_urls(tmp_path: Path, base: str, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        load_sources(source_file(tmp_path, base=base))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize(
    ("top", "words"),
    [
        ("sources = 1\n", ["unknown key 'sources' at the top level", "did you mean 'source'?"]),
        ('title = "my outlets"\n', ["unknown key 'title' at the top level", "[[source]]"]),
    ],
)
def test_unknown_top_level_keys_of_a_sources_file(tmp_path: Path, top: str, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        load_sources(source_file(tmp_path, top=top))
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_duplicate_names_and_bad_tables_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sources.toml", f"[[source]]\n{GOOD_SOURCE}\n[[source]]\n{GOOD_SOURCE}")
    with pytest.raises(ValueError, match=r"sources\.toml: source 'outlet_en': duplicate name"):
        load_sources(path)


@pytest.mark.parametrize(
    ("feeds", "words"),
    [
        ('["https://www.outlet.example/rss", "HTTPS://WWW.Outlet.Example/rss"]', ["listed twice"]),
        ('["https://www.outlet.example/rss", "https://www.outlet.example/rss#top"]', ["listed twice"]),
        ('["https://www.outlet.example/rss", "https://www.outlet.example:443/rss"]', ["listed twice"]),
        ('["https://www.outlet.example/rss", "https://www.outlet.example/rss"]', ["listed twice"]),
    ],
)
def test_one_feed_spelled_twice_in_a_source_is_refused(tmp_path: Path, feeds: str, words: list[str]) -> None:
    """One resource however it is spelled: each spelling was fetched and recorded as a listing of its own."""
    base = f'name = "outlet_en"\nlanguage = "en"\nfeeds = {feeds}\n'
    with pytest.raises(ValueError) as err:
        load_sources(source_file(tmp_path, base=base))
    assert all(w in str(err.value) for w in ["source 'outlet_en'", *words]), str(err.value)


def test_one_feed_spelled_differently_in_two_sources_is_refused(tmp_path: Path) -> None:
    other = GOOD_SOURCE.replace("outlet_en", "outlet_b").replace("https://www.outlet.example/rss",
                                                                 "http://WWW.outlet.example:80/x/../rss#a")
    path = write(tmp_path, "sources.toml", f"[[source]]\n{GOOD_SOURCE}\n[[source]]\n"
                 f"{GOOD_SOURCE.replace('outlet_en', 'outlet_b').replace('https://', 'HTTPS://')}")
    with pytest.raises(ValueError, match="is already a listing of source 'outlet_en'"):
        load_sources(path)
    # another scheme or path is another resource: both load
    path = write(tmp_path, "sources.toml", f"[[source]]\n{GOOD_SOURCE}\n[[source]]\n{other}")
    assert [s.name for s in load_sources(path)] == ["outlet_en", "outlet_b"]


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]:8081", "[::1]:8081"),
        ("::1", "::1"),
        ("localhost:8000", "localhost:8000"),
        ("Outlet.Example.", "outlet.example"),
        ("outlet.co.uk", "outlet.co.uk"),
        ("someone.github.io", "someone.github.io"),
        ("cdn.outlet.example:8443", "cdn.outlet.example:8443"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),  # IDN: kept in the form request URLs carry
        ("bücher.de:8443", "xn--bcher-kva.de:8443"),
        ("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        ("outlet5.invalid", "outlet5.invalid"),
    ],
)
def test_valid_allowed_domains(entry: str, stored: str) -> None:
    assert check_domain(entry, "allowed_domains") == stored


def test_valid_edge_cases_load(tmp_path: Path) -> None:
    text = ('[[source]]\nname = "a"\nlanguage = "uk"\nfeeds = ["http://127.0.0.1:8080/rss"]\n'
            'allowed_domains = ["127.0.0.1:8080", "пример.рф"]\nmax_pages = 0\npoll_minutes = 1\n'
            '[[source]]\nname = "b_2"\nlanguage = "he"\nsitemaps = ["https://пример.рф/sitemap.xml"]\n'
            "max_pages = 100000\npoll_minutes = 10080.0\n"
            '[[source]]\nname = "c"\nfeeds = ["https://c.example/rss"]\n')  # no language: unknown, as before
    a, b, c = load_sources(write(tmp_path, "sources.toml", text))
    assert a.allowed_domains == ["127.0.0.1:8080", "xn--e1afmkfd.xn--p1ai"]
    assert (a.max_pages, a.extra) == (0, {"poll_minutes": 1})
    assert b.allowed_domains == ["xn--e1afmkfd.xn--p1ai"]  # the default from a Unicode sitemap URL too
    assert (b.language, b.max_pages, b.extra) == ("he", 100000, {"poll_minutes": 10080.0})
    assert (c.language, c.extra, c.max_pages) == ("", {}, None)


def test_parse_source_names_the_source_without_a_file() -> None:
    with pytest.raises(ValueError, match=r"^unknown key 'sitemap' in source 'x'; did you mean 'sitemaps'\?$"):
        parse_source({"name": "x", "language": "en", "sitemap": ["https://x.example/s.xml"]}, 0)


def test_shipped_sources_file_loads() -> None:
    sources = load_sources(ROOT / "config" / "sources.toml")
    assert len(sources) >= 12
    for src in sources:
        assert src.language in {"en", "ru", "uk", "tr"}, src.name
        assert src.allowed_domains, src.name


# --- topic file -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('name = "t"\nkeep_all = false\n[term]\nen = ["a"]\n', ["unknown key 'term'", "did you mean 'terms'?"]),
        ('name = "t"\nkeep_all = false\nmin_scroe = 3\n[terms]\nen = ["a"]\n', ["unknown key 'min_scroe'",
                                                                                "did you mean 'min_score'?"]),
        ('name = "t"\nkeep_all = false\nkeepall = true\n[terms]\nen = ["a"]\n', ["did you mean 'keep_all'?"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[requried.talks]\nen = ["b"]\n',
         ["unknown key 'requried'", "did you mean 'required'?"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[concept]\nx = ["a"]\n', ["did you mean 'concepts'?"]),
        ('name = "t"\nkeep_all = false\nmin_score = nan\n[terms]\nen = ["a"]\n', ["'min_score'", "got nan"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["peace ta*ks"]\n', ["'peace ta*ks'",
                                                                         "a '*' goes only at the end of a word"]),
        ('name = "t"\nkeep_all = false\nmin_score = inf\n[terms]\nen = ["a"]\n', ["'min_score'", "got inf"]),
        ('name = "t"\nkeep_all = false\nmin_score = 1e308\n[terms]\nen = ["a"]\n', ["'min_score'",
                                                                                   "from 0 to 1000"]),
        ('name = "t"\nkeep_all = false\nmin_score = 1001\n[terms]\nen = ["a"]\n', ["'min_score'", "got 1001"]),
        ('name = "t"\nkeep_all = false\nmin_score = -0.5\n[terms]\nen = ["a"]\n', ["'min_score'", "got -0.5"]),
        ('name = "t"\nkeep_all = false\nmin_score = true\n[terms]\nen = ["a"]\n', ["'min_score'", "got True"]),
        ('name = "t"\nkeep_all = false\nmin_score = "2"\n[terms]\nen = ["a"]\n', ["'min_score'", "got '2'"]),
        ('name = "t"\nkeep_all = false\n[terms]\nklingon = ["a"]\n', ["terms.klingon", "ISO 639-1"]),
        ('name = "t"\nkeep_all = false\n[terms]\neng = ["a"]\n', ["terms.eng", "did you mean 'en'?"]),
        ('name = "t"\nkeep_all = false\n[terms]\nua = ["a"]\n', ["terms.ua", "did you mean 'uk'?"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[required.talks]\nxx = ["b"]\n',
         ["required.talks.xx", "ISO 639-1"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["ceasefire*"]\n[concepts]\ntruce = ["ceasfire*"]\n',
         ["concepts.truce", "'ceasfire*'", "not one of the topic's terms", "did you mean 'ceasefire*'?"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[required.talks]\nen = "b"\n',
         ["required.talks.en", "list of non-empty strings"]),
        # a topic that could never match anything would drop every article as off-topic, without a word
        ('name = "t"\nkeep_all = false\n[terms]\nen = []\nru = []\n', ["terms holds no term"]),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[required.talks]\nen = []\n',
         ["required.talks holds no term"]),
        ('name = "t"\n[terms]\nen = ["a"]\n', ["'keep_all' must be true or false", "it is missing"]),
        ('name = "t"\nkeep_all = "yes"\n[terms]\nen = ["a"]\n', ["'keep_all' must be true or false", "got 'yes'"]),
    ],
)
def test_bad_topic_files(tmp_path: Path, body: str, words: list[str]) -> None:
    path = write(tmp_path, "topic.toml", body)
    with pytest.raises(ValueError) as info:
        load_topic(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    for word in words:
        assert word in message, (word, message)


def test_valid_topic_edge_cases(tmp_path: Path) -> None:
    topic = load_topic(write(tmp_path, "topic.toml", 'name = "t"\nkeep_all = false\nmin_score = 0\n'
                                                     '[terms]\nEN = ["a"]\nhe = ["ב"]\n[required.g]\nuk = ["c"]\n'))
    assert (topic.min_score, sorted(topic.terms)) == (0.0, ["en", "he"])
    assert load_topic(write(tmp_path, "topic.toml", GOOD_TOPIC.replace("false", "false\nmin_score = 1000"))
                      ).min_score == 1000.0


def test_shipped_topic_file_loads() -> None:
    topic = load_topic(ROOT / "config" / "topic.toml")
    assert set(topic.terms) >= {"en", "ru", "uk", "tr"} and topic.concepts


# --- talkwatch run -s ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "words"),
    [
        (["FOO"], ["-s 'FOO'", "missing '='"]),
        (["=1"], ["empty setting name"]),
        ([" =1"], ["empty setting name"]),
        (["FOO=1"], ["-s FOO", "unknown Scrapy setting"]),
        (["DOWNLOAD_DELAYY=1"], ["unknown Scrapy setting", "did you mean 'DOWNLOAD_DELAY'?"]),
        (["download_delay=1"], ["did you mean 'DOWNLOAD_DELAY'?"]),
        (["TALKWATCH_MAX_PAGES=5"], ["did you mean 'TALKWATCH_MAX_PAGES_PER_SOURCE'?"]),
        (["DOWNLOAD_DELAY=abc"], ["-s DOWNLOAD_DELAY: 'abc' is not a number"]),
        (["DOWNLOAD_DELAY="], ["-s DOWNLOAD_DELAY: '' is not a number"]),
        (["DOWNLOAD_DELAY=nan"], ["DOWNLOAD_DELAY", "not a finite number"]),
        (["DOWNLOAD_TIMEOUT=inf"], ["DOWNLOAD_TIMEOUT", "not a finite number"]),
        (["DOWNLOAD_DELAY=-1"], ["DOWNLOAD_DELAY", "'-1' must not be negative"]),
        (["DOWNLOAD_TIMEOUT=-0.5"], ["DOWNLOAD_TIMEOUT", "must not be negative"]),
        (["DOWNLOAD_MAXSIZE=-1"], ["DOWNLOAD_MAXSIZE", "must not be negative"]),
        (["RETRY_TIMES=1.5"], ["RETRY_TIMES", "'1.5' is not a whole number"]),
        (["RETRY_TIMES=two"], ["RETRY_TIMES", "is not a number"]),
        (["CONCURRENT_REQUESTS=0"], ["CONCURRENT_REQUESTS", "at least 1"]),
        (["CONCURRENT_REQUESTS_PER_DOMAIN=-2"], ["CONCURRENT_REQUESTS_PER_DOMAIN", "at least 1"]),
        (["AUTOTHROTTLE_ENABLED=yes"], ["AUTOTHROTTLE_ENABLED", "'yes' is not true/false/1/0"]),
        (["ROBOTSTXT_OBEY=2"], ["ROBOTSTXT_OBEY", "not true/false/1/0"]),
        (["RETRY_HTTP_CODES=500,abc"], ["RETRY_HTTP_CODES", "comma-separated list of whole numbers"]),
        (["DOWNLOADER_MIDDLEWARES=x"], ["DOWNLOADER_MIDDLEWARES", "not a JSON object"]),
        (["LOG_LEVEL=loud"], ["LOG_LEVEL", "not a log level"]),
        (["TALKWATCH_MAX_CRAWL_DELAY=soon"], ["TALKWATCH_MAX_CRAWL_DELAY", "not a number"]),
        (["DOWNLOAD_DELAY=0", "RETRY_TIMES=x"], ["RETRY_TIMES"]),  # the first bad pair, even after good ones
        # the crawl died at start-up on these and the run ended "completed" with an empty reason per source
        (["LOG_FILE=no-such-folder/crawl.log"], ["-s LOG_FILE", "the folder of no-such-folder/crawl.log does not"]),
        (["LOG_FILE=/"], ["-s LOG_FILE", "is a folder"]),
        (["SPIDER_MODULES=os"], ["-s SPIDER_MODULES", "talkwatch sets it itself"]),
        (["FEEDS={}"], ["-s FEEDS", "talkwatch sets it itself"]),
        # an import path Scrapy imports in the crawl's process: the crawl died there and the run exited 0
        (["TWISTED_REACTOR=nope.Reactor"], ["-s TWISTED_REACTOR", "'nope.Reactor' cannot be imported",
                                            "No module named 'nope'"]),
        (["SCHEDULER=scrapy.core.scheduler.Nope"], ["-s SCHEDULER", "cannot be imported"]),
        (["DUPEFILTER_CLASS=a b"], ["-s DUPEFILTER_CLASS", "is not an import path"]),
    ],
)
def test_bad_spider_settings(pairs: list[str], words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        check_settings(pairs)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_good_spider_settings_pass_as_strings() -> None:
    pairs = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "RETRY_TIMES=1", "DOWNLOAD_TIMEOUT=2.5",
             "LOG_LEVEL=warning", "LOG_FILE=/tmp/crawl.log", "TALKWATCH_MAX_CHILD_SITEMAPS=2", "ROBOTSTXT_OBEY=1",
             "USER_AGENT=bot/1.0 (+https://a.example/?x=y)", "RETRY_HTTP_CODES=500, 503", "DEPTH_PRIORITY=-1",
             'DOWNLOAD_SLOTS={"a.example": {"delay": 2}}', "TELNETCONSOLE_ENABLED=0", "DNS_TIMEOUT=0.5"]
    assert check_settings(pairs) == {
        "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2.5",
        "LOG_LEVEL": "WARNING", "LOG_FILE": "/tmp/crawl.log", "TALKWATCH_MAX_CHILD_SITEMAPS": "2",
        "ROBOTSTXT_OBEY": "True", "USER_AGENT": "bot/1.0 (+https://a.example/?x=y)",
        "RETRY_HTTP_CODES": "500, 503", "DEPTH_PRIORITY": "-1", "DOWNLOAD_SLOTS": '{"a.example": {"delay": 2}}',
        "TELNETCONSOLE_ENABLED": "False", "DNS_TIMEOUT": "0.5"}
    assert check_settings([]) == {}
    assert check_settings(["RETRY_TIMES=1", "RETRY_TIMES=3"]) == {"RETRY_TIMES": "3"}  # the last one wins


def test_known_settings_are_scrapys_and_the_projects() -> None:
    names = known_settings()
    assert {"DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "LOG_FILE", "TALKWATCH_MAX_PAGES_PER_SOURCE"} <= names


def test_import_path_settings_that_import_pass() -> None:
    """A reactor, a scheduler or a policy's name that Scrapy can load passes unchanged; an empty reactor too
    (Scrapy then installs none)."""
    pairs = ["TWISTED_REACTOR=twisted.internet.selectreactor.SelectReactor",
             "DUPEFILTER_CLASS=scrapy.dupefilters.BaseDupeFilter", "REFERRER_POLICY=no-referrer"]
    assert check_settings(pairs) == {"TWISTED_REACTOR": "twisted.internet.selectreactor.SelectReactor",
                                     "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
                                     "REFERRER_POLICY": "no-referrer"}
    assert check_settings(["TWISTED_REACTOR="]) == {"TWISTED_REACTOR": ""}
