"""The newsroom's clock for times written without an offset: configured zone, country domain, language."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from pipelines.dating import date_page
from pipelines.dating.newsroom import newsroom_zone

FETCHED = datetime(2026, 1, 10, 8, 0, tzinfo=timezone.utc)


def _zone(url, language=None, configured=None):
    found = newsroom_zone(url, language, configured)
    return found[0].key if found else None


def test_the_configured_zone_comes_first_then_the_country_domain_then_a_one_zone_language():
    assert _zone("https://www.pravda.com.ua/news/1", "ru", "Europe/Kyiv") == "Europe/Kyiv"
    assert _zone("https://www.bbc.com/russian/1", "ru", "Europe/London") == "Europe/London"
    assert _zone("https://www.unn.com.ua/ru/news/1", "ru") == "Europe/Kyiv"  # Russian on a Ukrainian site
    assert _zone("https://www.hurriyet.com.tr/dunya/1", "tr") == "Europe/Istanbul"
    assert _zone("https://news.example.com/story", "uk") == "Europe/Kyiv"
    assert _zone("https://news.example.com/story", "tr") == "Europe/Istanbul"


def test_no_zone_is_guessed_where_a_country_or_language_spans_several():
    for url, lang in [("https://apnews.com/article/1", "en"), ("https://www.lapresse.ca/1", "fr"),
                      ("https://www.abc.net.au/news/1", "en"), ("https://elpais.com/1", "es"),
                      ("https://www.aljazeera.net/1", "ar"), ("http://10.0.0.1:8080/a", None)]:
        assert _zone(url, lang) is None, url
    # an unknown configured name is not trusted; the other clues still count
    assert _zone("https://www.example.de/a", None, "Europe/Atlantis") == "Europe/Berlin"


def _jsonld_page(published: str, modified: str | None = None, lang: str = "en") -> str:
    mod = f', "dateModified": "{modified}"' if modified else ""
    return (f'<html lang="{lang}"><head><script type="application/ld+json">{{"@type": "NewsArticle", '
            f'"headline": "Talks", "datePublished": "{published}"{mod}}}</script></head>'
            f"<body><h1>Talks</h1><p>Text.</p></body></html>")


def test_an_offsetless_metadata_time_is_read_on_the_newsroom_clock_with_its_summer_and_winter_time():
    summer = date_page(_jsonld_page("2025-05-29T18:47:00"), "https://www.unn.com.ua/ru/news/1", FETCHED)
    assert summer.published_at == datetime(2025, 5, 29, 15, 47, tzinfo=timezone.utc)
    assert summer.iso() == "2025-05-29T18:47:00+03:00"
    winter = date_page(_jsonld_page("2025-12-03T18:47:00"), "https://www.unn.com.ua/ru/news/2", FETCHED)
    assert winter.iso() == "2025-12-03T18:47:00+02:00"
    chosen = next(ev for ev in winter.evidence if ev.note.endswith("chosen"))
    assert "newsroom's clock, Europe/Kyiv" in chosen.note


def test_the_configured_zone_beats_the_domain_and_applies_to_the_modified_time_too():
    html = _jsonld_page("2025-06-02T10:00:00", "2025-06-02T12:30:00")
    result = date_page(html, "https://www.bbc.co.uk/ukrainian/1", FETCHED, zone="Europe/Kyiv")
    assert result.iso() == "2025-06-02T10:00:00+03:00"
    assert result.modified_at == datetime(2025, 6, 2, 9, 30, tzinfo=timezone.utc)
    assert date_page(html, "https://www.bbc.co.uk/ukrainian/1", FETCHED).iso() == "2025-06-02T10:00:00+01:00"


def test_a_stated_offset_is_never_overridden_and_an_unknown_newsroom_keeps_the_time_without_one():
    stated = date_page(_jsonld_page("2025-06-02T10:00:00+05:30"), "https://www.example.ru/a", FETCHED)
    assert stated.published_at.utcoffset() == timedelta(hours=5, minutes=30)
    unknown = date_page(_jsonld_page("2025-06-02T10:00:00"), "https://apnews.com/article/1", FETCHED)
    assert unknown.published_at == datetime(2025, 6, 2, 10, 0) and unknown.published_at.tzinfo is None
    # a day is a day: no zone turns it into a local midnight
    day = date_page(_jsonld_page("2025-06-02"), "https://www.example.ru/a", FETCHED)
    assert (day.iso(), day.precision, day.published_at.tzinfo) == ("2025-06-02", "day", None)
    assert ZoneInfo("Europe/Moscow")  # the zone database is there (tzdata on machines without one)


def test_a_broken_url_gives_no_zone_and_does_not_cost_the_date():
    assert _zone("http://[::1", "en") is None and _zone("http://[::1", "uk") == "Europe/Kyiv"
    result = date_page(_jsonld_page("2025-06-02T10:00:00+03:00"), "http://[::1", FETCHED)
    assert result.iso() == "2025-06-02T10:00:00+03:00"


def test_a_utc_time_is_shown_on_the_newsroom_clock_and_its_day_is_the_publishers():
    late = date_page(_jsonld_page("2025-06-02T22:30:00Z"), "https://www.pravda.com.ua/news/1", FETCHED)
    assert late.published_at == datetime(2025, 6, 2, 22, 30, tzinfo=timezone.utc)  # the same instant
    assert late.iso() == "2025-06-03T01:30:00+03:00"  # past midnight in Kyiv: the 3rd there
    # a date in the URL on the newsroom's clock says the 2nd: the UTC form stays, the day is not moved
    kept = date_page(_jsonld_page("2025-06-02T22:30:00Z"), "https://www.pravda.com.ua/news/2025/06/02/1", FETCHED)
    assert kept.iso() == "2025-06-02T22:30:00+00:00"
