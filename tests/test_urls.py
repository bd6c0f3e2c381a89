"""URL canonicalisation, same-site test and the choice between a page's URL and its declared canonical."""

from __future__ import annotations

import pytest

from pipelines.urls import canonical_url, registrable_domain, resolve_canonical, same_site

ARTICLE = "https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire"

CANONICAL_CASES = [
    # tracking parameters, in any case, around real ones (which are kept and sorted)
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?utm_source=rss&utm_medium=feed",
     ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?fbclid=IwAR0abc&gclid=xyz", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?yclid=1&mc_cid=2&mc_eid=3&_ga=4",
     ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?igshid=a&ref_src=twsrc&cmpid=x&ocid=y",
     ARTICLE),
    ("https://example-news.com/story?id=42&UTM_Campaign=spring&page=2", "https://example-news.com/story?id=42&page=2"),
    ("https://example-news.com/story?b=2&a=1", "https://example-news.com/story?a=1&b=2"),
    # scheme, host case, www/m/mobile, default and explicit ports, userinfo, fragments
    ("HTTP://WWW.Example-News.COM/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://m.example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://mobile.example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://example-news.com:443/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("http://example-news.com:80/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire#comments", ARTICLE),
    ("https://user:pw@example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("http://localhost:8080/a/", "https://localhost:8080/a"),
    # AMP forms
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire/amp", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire/amp/", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire.amp", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?amp", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?amp=1", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire?outputType=amp", ARTICLE),
    ("https://amp.example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://example-news.com/amp/world/2025/05/16/istanbul-talks-end-without-ceasefire", ARTICLE),
    # trailing slashes, index files, doubled slashes
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire/", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire/index.html", ARTICLE),
    ("https://example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire/index.php", ARTICLE),
    ("https://example-news.com//world/2025/05/16//istanbul-talks-end-without-ceasefire", ARTICLE),
    ("https://example-news.com/", "https://example-news.com"),
    ("https://example-news.com/index.html", "https://example-news.com"),
    # percent-encoding agrees with the raw characters; path case is kept
    ("https://example-news.com/%7Eeditor/Story", "https://example-news.com/~editor/Story"),
    ("https://example-news.com/новости/переговоры", "https://example-news.com/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/"
     "%D0%BF%D0%B5%D1%80%D0%B5%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%D1%8B"),
    # whitespace around, protocol-relative
    ("  https://example-news.com/a \n", "https://example-news.com/a"),
    ("//example-news.com/a", "https://example-news.com/a"),
]


@pytest.mark.parametrize(("raw", "expected"), CANONICAL_CASES)
def test_canonical_url_cases(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), CANONICAL_CASES)
def test_canonical_url_is_idempotent(raw: str, expected: str) -> None:
    once = canonical_url(raw)
    assert canonical_url(once) == once


def test_content_parameters_are_kept() -> None:
    assert canonical_url("https://example-news.com/article.php?id=981") == "https://example-news.com/article.php?id=981"
    assert canonical_url("https://example-news.com/a?id=1") != canonical_url("https://example-news.com/a?id=2")


def test_non_default_port_is_kept() -> None:
    assert canonical_url("http://127.0.0.1:8765/news/one") == "https://127.0.0.1:8765/news/one"
    assert canonical_url("http://127.0.0.1:8765/x") != canonical_url("http://127.0.0.1:8766/x")


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "not a url", "mailto:desk@example-news.com", "javascript:void(0)", "http://[::1", "http://example.com:99999/a",
     "ftp://example-news.com/file.txt", "https://"],
)
def test_canonical_url_never_raises(bad: str) -> None:
    assert canonical_url(bad) == bad.strip()


def test_canonical_url_non_string_gives_empty() -> None:
    assert canonical_url(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("edition.cnn.com", "cnn.com"),
        ("www.abc.net.au", "abc.net.au"),
        ("kyivindependent.com", "kyivindependent.com"),
        ("tass.ru", "tass.ru"),
        ("www.president.gov.ua", "president.gov.ua"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_same_site() -> None:
    assert same_site("https://www.bbc.co.uk/news/world-1", "https://news.bbc.co.uk/2/hi/europe/2.stm")
    assert same_site("https://edition.cnn.com/a", "http://cnn.com/b")
    assert not same_site("https://bbc.co.uk/a", "https://itv.co.uk/a")
    assert not same_site("https://example-news.com/a", "https://example-news.org/a")
    assert not same_site("https://example-news.com/a", "not a url")
    assert not same_site("", "")


def test_resolve_canonical_uses_same_site_article_canonical() -> None:
    page = "https://m.example-news.com/world/2025/05/16/istanbul-talks?utm_source=tg"
    declared = "https://www.example-news.com/world/2025/05/16/istanbul-talks-end-without-ceasefire"
    assert resolve_canonical(page, declared, None) == ARTICLE


def test_resolve_canonical_falls_back_to_og_url() -> None:
    page = "https://example-news.com/?p=123"
    assert resolve_canonical(page, None, ARTICLE + "?utm_source=og") == ARTICLE


@pytest.mark.parametrize(
    "declared",
    [
        "https://www.example-news.com/",  # every page points at the home page
        "https://example-news.com",
        "https://example-news.com/world/",  # or at its section
        "https://example-news.com/news",
        "https://syndication-partner.com/world/2025/05/16/istanbul-talks-end-without-ceasefire",  # off site
        "/world/2025/05/16/istanbul-talks-end-without-ceasefire",  # relative: not resolvable here
        "   ",
    ],
)
def test_resolve_canonical_ignores_implausible_canonical(declared: str) -> None:
    page = ARTICLE + "?utm_medium=social"
    assert resolve_canonical(page, declared, None) == ARTICLE
    assert resolve_canonical(page, None, declared) == ARTICLE


def test_resolve_canonical_accepts_one_segment_slug() -> None:
    page = "https://example-news.com/?story=77"
    slug = "https://example-news.com/russia-ukraine-delegations-meet-in-istanbul"
    assert resolve_canonical(page, slug, None) == slug


def test_resolve_canonical_home_page_may_name_itself() -> None:
    assert resolve_canonical("https://www.example-news.com/", "https://example-news.com/", None) == "https://example-news.com"


def test_a_canonical_on_another_port_of_the_same_host_is_another_site():
    """Two servers on one host are two outlets: a page on one may not take an article of the other as its identity
    (that article was then skipped as already stored, run after run)."""
    from pipelines.urls import resolve_canonical, same_site

    page = "http://127.0.0.1:8116/a/to-other-outlet"
    assert resolve_canonical(page, "http://127.0.0.1:8101/a/good3", None) == "https://127.0.0.1:8116/a/to-other-outlet"
    assert resolve_canonical(page + "?utm_source=x", page, None) == "https://127.0.0.1:8116/a/to-other-outlet"
    assert same_site("http://example.com/a", "https://www.example.com:443/b")  # default ports are no port
    assert not same_site("https://example.com/a", "https://example.com:8443/b")
