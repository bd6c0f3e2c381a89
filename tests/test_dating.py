"""date_page: each kind of evidence, and the traps (crawl-date header, future dates, feed vs page, modified dates)."""

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipelines.dating import date_page
from pipelines.records import DateHint, DatingResult

FIXTURES = Path(__file__).parent / "fixtures" / "dating"
MSK = timezone(timedelta(hours=3))
FETCHED = datetime(2025, 9, 24, 8, 0, tzinfo=timezone.utc)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def page(body: str, head: str = "", lang: str = "en") -> str:
    return f"<html lang='{lang}'><head><title>Story</title>{head}</head><body>{body}</body></html>"


def test_jsonld_graph_picks_the_article_not_the_webpage_or_publisher():
    # htmldate silent: the article's datePublished (jsonld-published) outweighs the WebPage's (jsonld-other); the
    # publisher's dateCreated is not read at all. (When htmldate names the WebPage's day too, the two agreeing
    # sources outweigh the article's date: their measured rates say so, see pipelines/dating/weights.py.)
    result = date_page(fixture("jsonld_graph.html"), "https://news.example/talks", FETCHED, htmldate_answer=None)
    assert {ev.kind: ev.value.date().isoformat() for ev in result.evidence if ev.kind.startswith("jsonld")} == {
        "jsonld-published": "2025-06-02", "jsonld-other": "2025-05-20", "jsonld-modified": "2025-06-03"}
    assert result.published_at == datetime(2025, 6, 2, 13, 5, tzinfo=MSK)
    assert result.precision == "time"
    assert result.date_source == "jsonld"
    assert result.modified_at == datetime(2025, 6, 3, 9, 30, tzinfo=MSK)
    assert result.iso() == "2025-06-02T13:05:00+03:00"


def test_jsonld_list_skips_nested_item_lists():
    result = date_page(fixture("jsonld_list.html"), "https://news.example/exchange", FETCHED)
    assert result.published_at == datetime(2025, 5, 25, 18, 40, tzinfo=timezone(timedelta(hours=2)))
    assert result.date_source == "jsonld"


def test_sloppy_jsonld_is_still_read():
    result = date_page(fixture("sloppy_jsonld.html"), "https://news.example/resume", FETCHED)
    assert result.published_at == datetime(2025, 7, 23, 12, 0, tzinfo=MSK)


def test_opengraph_with_newer_modified_date_kept_apart():
    result = date_page(fixture("opengraph_modified.html"), "https://news.example/memo", FETCHED)
    assert result.published_at == datetime(2025, 6, 2, 16, 20, tzinfo=MSK)
    assert result.date_source == "opengraph"
    assert result.modified_at == datetime(2025, 6, 4, 11, 0, tzinfo=MSK)
    assert result.modified_at > result.published_at


@pytest.mark.parametrize("name", ["pubdate", "publishdate", "date", "dc.date", "sailthru.date", "parsely-pub-date",
                                  "DC.date.issued", "article:published"])
def test_other_metas(name):
    html = page("<h1>Story</h1><p>Text.</p>", f'<meta name="{name}" content="2025-05-16T15:30:00+03:00">')
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2025, 5, 16, 15, 30, tzinfo=MSK)


def test_meta_modified_is_not_a_publication_date():
    html = page("<h1>Story</h1>", '<meta name="pubdate" content="2025-05-16">'
                                   '<meta name="last-modified" content="2025-06-01T10:00:00Z">')
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.iso() == "2025-05-16"
    assert result.modified_at == datetime(2025, 6, 1, 10, 0, tzinfo=timezone.utc)


def test_itemprop_day_only_is_marked_as_day():
    result = date_page(fixture("itemprop_day.html"), "https://news.example/hour", FETCHED)
    assert result.precision == "day"
    assert result.published_at == datetime(2025, 6, 2)
    assert result.published_at.tzinfo is None
    assert result.iso() == "2025-06-02"
    assert result.date_source == "itemprop"


def test_time_inside_the_article_beats_header_sidebar_and_footer():
    result = date_page(fixture("time_in_article.html"), "https://news.example/ceasefire", FETCHED)
    assert result.published_at == datetime(2025, 5, 19, 21, 15, tzinfo=MSK)
    assert result.date_source == "time"
    outside = [ev for ev in result.evidence if ev.kind == "time-outside"]
    assert outside and all(ev.note for ev in outside)


def test_crawl_date_in_the_page_header_is_not_the_publication_date():
    # the header prints the fetch day above the headline; the URL says the story is from 29 May
    result = date_page(fixture("crawl_header.html"), "https://daily.example/2025/05/29/delegation", FETCHED)
    assert result.iso() == "2025-05-29"
    assert result.date_source == "url"
    rejected = [ev for ev in result.evidence if ev.value and ev.value.date().isoformat() == "2025-09-24"]
    assert rejected and all(ev.note.startswith("rejected") for ev in rejected)


def test_crawl_date_header_against_an_older_byline():
    html = fixture("crawl_header.html").replace(
        "<p>The ministry said", "<p class='byline'>29.05.2025 14:05</p><p>The ministry said")
    result = date_page(html, "https://daily.example/delegation", FETCHED)
    assert result.published_at == datetime(2025, 5, 29, 14, 5)
    assert result.date_source == "text"


def test_header_date_alone_is_kept_when_nothing_contradicts_it_but_doubted():
    # maybe published the day it was fetched: no older evidence, so today's date is the best we have
    result = date_page(fixture("crawl_header.html"), "https://daily.example/delegation", FETCHED)
    assert result.iso() == "2025-09-24"
    assert result.confidence <= 0.3


def test_fresh_article_dated_today_by_its_byline_is_not_taken_for_the_crawl_date():
    html = page("<div class='top'>Wednesday, September 24, 2025</div><h1>Talks</h1>"
                "<p class='byline'>September 24, 2025 06:40</p><p>Text.</p>"
                "<p>The first round was held on 16 May 2025 in Istanbul.</p>")
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2025, 9, 24, 6, 40)
    assert result.confidence > 0.3


def test_future_and_pre_1995_dates_are_rejected():
    result = date_page(fixture("future_jsonld.html"), "https://news.example/round-three", FETCHED)
    assert result.published_at == datetime(2025, 7, 23, 18, 45)
    assert result.date_source == "text"
    notes = {ev.kind: ev.note for ev in result.evidence}
    assert notes["jsonld-published"].startswith("rejected: after fetch")
    assert notes["meta"].startswith("rejected: before 1995")


def test_clock_skew_of_a_few_minutes_is_tolerated():
    html = page("<h1>Story</h1>", '<meta property="article:published_time" content="2025-09-24T08:10:00+00:00">')
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2025, 9, 24, 8, 10, tzinfo=timezone.utc)
    late = page("<h1>Story</h1>", '<meta property="article:published_time" content="2025-09-24T09:10:00+00:00">')
    assert date_page(late, "https://news.example/story", FETCHED).date_source != "opengraph"


def test_page_time_beats_a_feed_time_hours_apart_in_another_zone():
    hints = [DateHint("feed", "Thu, 29 May 2025 09:00:00 GMT")]
    result = date_page(fixture("feed_page_time.html"), "https://news.example/kremlin", FETCHED, hints)
    assert result.published_at == datetime(2025, 5, 29, 14, 5, tzinfo=MSK)
    assert result.date_source == "jsonld"
    assert any(ev.kind == "feed" for ev in result.evidence)


def test_feed_time_refines_a_day_only_page_date():
    hints = [DateHint("feed", "Mon, 02 Jun 2025 17:36:00 +0300")]
    result = date_page(fixture("itemprop_day.html"), "https://news.example/hour", FETCHED, hints)
    assert result.published_at == datetime(2025, 6, 2, 17, 36, tzinfo=MSK)
    assert result.precision == "time"
    assert result.date_source == "feed"


def test_feed_on_another_day_does_not_refine():
    hints = [DateHint("feed", "Wed, 04 Jun 2025 08:00:00 +0300")]
    result = date_page(fixture("itemprop_day.html"), "https://news.example/hour", FETCHED, hints)
    assert result.iso() == "2025-06-02"


def test_news_sitemap_hint_dates_a_bare_page():
    hints = [DateHint("news-sitemap", "2025-06-02T12:00:00+03:00")]
    result = date_page(fixture("no_date.html"), "https://news.example/about", FETCHED, hints)
    assert result.published_at == datetime(2025, 6, 2, 12, 0, tzinfo=MSK)
    assert result.date_source == "news-sitemap"


def test_http_last_modified_is_only_a_modified_date():
    hints = [DateHint("http-last-modified", "Wed, 24 Sep 2025 07:59:00 GMT")]
    result = date_page(fixture("no_date.html"), "https://news.example/about", FETCHED, hints)
    assert result.published_at is None
    assert result.modified_at == datetime(2025, 9, 24, 7, 59, tzinfo=timezone.utc)


def test_sitemap_lastmod_is_a_last_resort():
    hints = [DateHint("sitemap-lastmod", "2025-06-03T10:00:00+03:00")]
    bare = date_page(fixture("no_date.html"), "https://news.example/about", FETCHED, hints)
    assert bare.date_source == "sitemap-lastmod"
    dated = date_page(fixture("itemprop_day.html"), "https://news.example/hour", FETCHED, hints)
    assert dated.iso() == "2025-06-02"
    assert dated.modified_at == datetime(2025, 6, 3, 10, 0, tzinfo=MSK)
    # a lastmod alone is trusted like a date in page furniture (it cannot be measured on saved pages)
    assert bare.confidence < dated.confidence


@pytest.mark.parametrize(
    "url, day",
    [
        ("https://news.example/2025/05/29/talks-resume", "2025-05-29"),
        ("https://news.example/world/2025-06-02-istanbul-round", "2025-06-02"),
        ("https://news.example/a/20250716/story.html", "2025-07-16"),
    ],
)
def test_url_dates(url, day):
    result = date_page(fixture("no_date.html"), url, FETCHED)
    assert result.iso() == day
    assert result.date_source == "url"
    assert result.precision == "day"


def test_a_twitter_post_is_dated_to_the_second_by_its_id_not_by_the_viewers_clock():
    posted = datetime(2025, 5, 16, 23, 10, 5, tzinfo=timezone.utc)
    post_id = ((int(posted.timestamp() * 1000) - 1288834974657) << 22) | 1
    # the page as a crawler gets it: the clock in the viewer's zone, a day later than UTC, no metadata
    html = page("<article><p>Talks in Istanbul ended without a ceasefire.</p>"
                "<p>2:10 AM · May 17, 2025</p></article>")
    result = date_page(html, f"https://x.com/Reuters/status/{post_id}", FETCHED)
    assert result.published_at == posted
    assert (result.precision, result.date_source) == ("time", "url")


KYIV, MOSCOW, ISTANBUL = ZoneInfo("Europe/Kyiv"), ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Istanbul")


@pytest.mark.parametrize(
    "lang, byline, expected",
    [
        ("en", "By Jane Doe | May 28, 2025", datetime(2025, 5, 28)),
        # a written time without an offset is on the newsroom's clock: the zone of a one-zone language
        ("ru", "Опубликовано 29 мая 2025, 14:05", datetime(2025, 5, 29, 14, 5, tzinfo=MOSCOW)),
        ("uk", "29 травня 2025 р., 09:12", datetime(2025, 5, 29, 9, 12, tzinfo=KYIV)),
        ("tr", "Mayıs 29, 2025 - 20:36", datetime(2025, 5, 29, 20, 36, tzinfo=ISTANBUL)),
        ("tr", "29 Mayıs 2025 Perşembe", datetime(2025, 5, 29)),
        ("de", "Veröffentlicht am 29. Mai 2025", datetime(2025, 5, 29)),
        # French is written in many zones (Paris, Montréal, Dakar): the time stays without an offset
        ("fr", "Publié le 29 mai 2025 à 14h05", datetime(2025, 5, 29, 14, 5)),
        ("es", "Publicado el 29 de mayo de 2025", datetime(2025, 5, 29)),
    ],
)
def test_written_byline_in_each_language(lang, byline, expected):
    html = page(f"<h1>Переговоры в Стамбуле</h1><div class='meta'>{byline}</div><p>Text of the story.</p>", lang=lang)
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == expected
    assert result.published_at.utcoffset() == expected.utcoffset()
    assert result.date_source == "text"


def test_body_dates_far_from_the_title_do_not_win_over_the_byline():
    filler = "".join(f"<p>Paragraph {i} about the negotiations.</p>" for i in range(5))
    html = page(f"<h1>Talks</h1><p class='date'>2 June 2025</p>{filler}<p>The first round was on 16 May 2025.</p>")
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.iso() == "2025-06-02"


def test_no_date_at_all_gives_none():
    result = date_page(fixture("no_date.html"), "https://news.example/about", FETCHED)
    assert result.published_at is None
    assert result.precision == "none"
    assert result.date_source == "none"
    assert result.confidence == 0.0
    assert result.iso() is None


@pytest.mark.parametrize("html", ["", "   ", "<<<>>>", "\x00\x01\x02", "<html><body></body></html>",
                                  "<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>",
                                  "https://news.example/2025/05/29/story"])
def test_bad_html_never_raises(html):
    result = date_page(html, "https://news.example/x", FETCHED)
    assert isinstance(result, DatingResult)
    if not html.strip().startswith("http"):
        assert result.published_at is None
        assert result.date_source == "none"


def test_agreement_gives_higher_confidence_than_a_contested_text_date():
    # measured: a date written further down the page that htmldate confirms is about as reliable as page metadata;
    # one that htmldate contradicts is not
    strong = date_page(fixture("opengraph_modified.html"), "https://news.example/2025/06/02/memo", FETCHED)
    far = page("<h1>Story</h1>" + "".join(f"<p>Paragraph {i} of the story.</p>" for i in range(8))
               + "<p>29 May 2025</p>")
    confirmed = date_page(far, "https://news.example/story", FETCHED, htmldate_answer="2025-05-29")
    contested = date_page(far, "https://news.example/story", FETCHED, htmldate_answer="2025-05-20")
    assert 0.0 < contested.confidence < 0.7 < strong.confidence <= 1.0
    assert confirmed.iso() == "2025-05-29" and confirmed.confidence > 0.9


def test_fetched_at_defaults_to_now_and_naive_is_taken_as_utc():
    html = page("<h1>Story</h1>", '<meta property="article:published_time" content="2025-05-16T15:30:00+03:00">')
    assert date_page(html, "https://news.example/story").iso() == "2025-05-16T15:30:00+03:00"
    naive = date_page(html, "https://news.example/story", datetime(2025, 9, 24, 8, 0))
    assert naive.iso() == "2025-05-16T15:30:00+03:00"


def test_written_local_time_takes_the_offset_of_the_same_instant_in_utc():
    # the byline says 7:04 pm (New York), the metadata 00:04 UTC the next day: the newsroom's day wins, with -05:00
    html = page("<article><h1>Talks</h1><time>Nov. 18, 2019 7:04 pm ET</time><p>Text.</p></article>",
                '<meta property="article:published_time" content="2019-11-19T00:04:00.000Z">')
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2019, 11, 18, 19, 4, tzinfo=timezone(timedelta(hours=-5)))
    assert result.published_at.astimezone(timezone.utc) == datetime(2019, 11, 19, 0, 4, tzinfo=timezone.utc)


def test_bytes_are_decoded_as_the_page_declares():
    html = page("<h1>Переговоры</h1><p>29 мая 2025, 14:05</p>", '<meta charset="windows-1251">', lang="ru")
    result = date_page(html.encode("cp1251"), "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2025, 5, 29, 14, 5, tzinfo=MOSCOW)


def test_htmldate_is_asked_when_nothing_near_the_title_or_in_metadata_dates_the_page():
    filler = "<p>Paragraph about the talks.</p>" * 40
    html = page(f"<h1>Story</h1>{filler}<p class='date'>Posted on 2025/05/29</p>")
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.iso() == "2025-05-29"
    assert result.date_source == "htmldate"
    assert result.precision == "day"


def test_a_bare_copyright_year_is_not_a_publication_day():
    html = page("<h1>About</h1><p>Text.</p><footer>&copy; 2024 Example News</footer>")
    result = date_page(html, "https://news.example/about", FETCHED)
    assert result.published_at is None
    assert all(ev.note.startswith("rejected") for ev in result.evidence if ev.value is not None)


def test_htmldate_is_not_asked_when_page_metadata_agrees():
    meta = '<meta property="article:published_time" content="2025-05-16T15:30:00+03:00">'
    result = date_page(page("<h1>Story</h1><p>Text.</p>", meta), "https://news.example/story", FETCHED)
    assert all(ev.kind != "htmldate" for ev in result.evidence)


def test_utc_metadata_yields_to_the_newsrooms_day_when_local_evidence_says_so():
    # 01:50 UTC on the 20th is the evening of the 19th in Los Angeles: the URL and the byline say the 19th
    html = page("<article><h1>Talks</h1><p class='byline'>Nov. 19, 2019 5:50 PM</p><p>Text.</p></article>",
                '<meta property="article:published_time" content="2019-11-20T01:50:59.403Z">')
    result = date_page(html, "https://news.example/story/2019-11-19/talks", FETCHED)
    assert result.published_at == datetime(2019, 11, 19, 17, 50, tzinfo=timezone(timedelta(hours=-8)))
    assert result.date_source == "text"


def test_utc_metadata_keeps_its_day_against_a_lone_stray_written_day():
    # an early UTC time with only a day-only date elsewhere on the page (a related story): the metadata stands
    html = page("<article><h1>Talks</h1><p>Text.</p><p>See also: 28 May 2025</p></article>",
                '<meta property="article:published_time" content="2025-05-29T07:00:00Z">')
    result = date_page(html, "https://news.example/story", FETCHED)
    assert result.published_at == datetime(2025, 5, 29, 7, 0, tzinfo=timezone.utc)
    assert result.date_source == "opengraph"


def test_utc_metadata_takes_the_local_offset_the_page_states_elsewhere():
    # 01:30 UTC on the 30th; the page's own schedule is written at -04:00: the story is from the evening of the 29th
    result = date_page(fixture("utc_meta_stated_offset.html"), "https://tv.example/traffic/bridge-closes/", FETCHED)
    assert result.published_at == datetime(2025, 5, 29, 21, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert result.published_at.astimezone(timezone.utc) == datetime(2025, 5, 30, 1, 30, tzinfo=timezone.utc)
    assert result.date_source == "opengraph"


def test_utc_metadata_keeps_its_day_when_the_page_states_two_offsets():
    html = fixture("utc_meta_stated_offset.html").replace("05:00:00 -0400", "05:00:00 +0200")
    result = date_page(html, "https://tv.example/traffic/bridge-closes/", FETCHED)
    assert result.published_at == datetime(2025, 5, 30, 1, 30, tzinfo=timezone.utc)


def test_utc_metadata_keeps_its_day_when_local_evidence_names_it():
    # the URL (the newsroom's clock) says the 30th: the stated offset does not move the day
    result = date_page(fixture("utc_meta_stated_offset.html"), "https://tv.example/2025/05/30/bridge-closes/", FETCHED)
    assert result.published_at.date().isoformat() == "2025-05-30"


REGISTER_URL = "https://register.example/details/438"


def test_only_htmldate_and_furniture_that_disagree_give_no_date():
    # a records page: the site's "today" box says 3 June, htmldate reads 29 May from a script: neither is credible
    result = date_page(fixture("register_masthead_today.html"), REGISTER_URL, FETCHED)
    assert result.published_at is None
    assert result.date_source == "none"
    assert {ev.kind for ev in result.evidence if ev.value is not None} == {"text-outside", "htmldate"}


def test_a_today_box_on_the_fetch_day_does_not_contradict_htmldate():
    fetched = datetime(2025, 6, 3, 8, 0, tzinfo=timezone.utc)
    result = date_page(fixture("register_masthead_today.html"), REGISTER_URL, fetched)
    assert result.iso() == "2025-05-29"
    assert result.date_source == "htmldate"


def test_utc_metadata_yields_to_the_day_of_the_pages_own_data_layer():
    # every visible or meta time is the UTC 00:23 of the 30th (the meta only drops the "Z"); the CMS's data layer
    # names the newsroom's day, the 29th (evening in the Americas)
    result = date_page(fixture("utc_cms_local_datalayer.html"), "https://nouvelles.example/nouvelle/4471", FETCHED)
    assert result.iso() == "2025-05-29"
    assert result.date_source == "script"


def test_a_yearless_byline_takes_the_fetch_year_when_it_is_recent():
    fetched = datetime(2025, 6, 2, 8, 0, tzinfo=timezone.utc)
    result = date_page(fixture("yearless_byline.html"), "https://news.example/talks", fetched)
    assert result.published_at == datetime(2025, 5, 29, 14, 5, tzinfo=MOSCOW)
    assert result.date_source == "text"


def test_a_yearless_byline_in_early_january_is_last_years_december():
    html = fixture("yearless_byline.html").replace("29 мая, 14:05", "30 декабря, 18:40")
    result = date_page(html, "https://news.example/talks", datetime(2026, 1, 3, 9, 0, tzinfo=timezone.utc))
    assert result.published_at == datetime(2025, 12, 30, 18, 40, tzinfo=MOSCOW)


def test_a_yearless_byline_far_from_the_fetch_gets_no_year():
    # fetched in January: "29 May" is seven months back, maybe another year - nothing is claimed
    fetched = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    result = date_page(fixture("yearless_byline.html"), "https://news.example/talks", fetched)
    assert result.published_at is None
    assert any(ev.note.startswith("rejected: a day without a year") for ev in result.evidence)


def test_a_yearless_byline_takes_the_year_of_other_evidence_for_that_day():
    html = fixture("yearless_byline.html").replace(
        "</title>", '</title><meta property="article:published_time" content="2024-05-29T11:05:00Z">')
    result = date_page(html, "https://news.example/talks", FETCHED)
    assert result.published_at.date().isoformat() == "2024-05-29"
    yearless = [ev for ev in result.evidence if ev.raw == "29 мая, 14:05"]
    assert yearless and yearless[0].value == datetime(2024, 5, 29, 14, 5)


def test_a_byline_time_under_the_headline_refines_a_day_only_date_on_the_newsrooms_clock():
    html = page("<article><h1>Talks in Istanbul</h1><p class='byline'>02.06.2025 16:20</p>"
                "<p>The delegations met at the palace.</p></article>",
                head='<meta itemprop="datePublished" content="2025-06-02">', lang="uk")
    result = date_page(html, "https://news.example.com.ua/talks", FETCHED)
    assert result.iso() == "2025-06-02T16:20:00+03:00"
    assert (result.precision, result.date_source) == ("time", "text")
    # the same clock as the page's modification time: that is what the byline shows, the day stays a day
    modified = html.replace("</head>", '<meta property="article:modified_time" content="2025-06-02T16:20:00+03:00">'
                                       "</head>")
    assert date_page(modified, "https://news.example.com.ua/talks", FETCHED).iso() == "2025-06-02"


def test_an_update_line_neither_dates_the_publication_nor_is_lost():
    html = page("<article><h1>Talks in Istanbul</h1><p class='byline'>Updated 4 June 2025, 10:15</p>"
                "<p>The delegations met at the palace.</p></article>", lang="en")
    result = date_page(html, "https://news.example/2025/06/02/talks", FETCHED)
    assert (result.iso(), result.date_source) == ("2025-06-02", "url")
    assert result.modified_at == datetime(2025, 6, 4, 10, 15)  # .example in English: no zone is guessed


def test_htmldate_cutting_a_future_date_down_to_its_month_is_no_date():
    # everything on the page is after the fetch; htmldate, told the fetch day as its max_date, answers "the 1st"
    html = page("<article><h1>Talks</h1><p>The delegations met at the palace in Istanbul.</p></article>",
                head="<meta property='article:published_time' content='2025-09-29T11:00:00+03:00'>")
    result = date_page(html, "https://news.example/talks", FETCHED)
    assert result.published_at is None and result.date_source == "none"
    (guess,) = [ev for ev in result.evidence if ev.kind == "htmldate"]
    assert guess.value == datetime(2025, 9, 1) and "month of a date after the fetch" in guess.note


def test_a_midnight_in_metadata_is_a_date_without_a_time():
    head = '<meta property="article:published_time" content="2025-06-02T00:00:00+03:00">'
    alone = date_page(page("<article><h1>Talks</h1><p>The delegations met.</p></article>", head=head),
                      "https://news.example/talks", FETCHED)
    assert (alone.iso(), alone.precision) == ("2025-06-02", "day")  # not 2025-06-01T21:00Z
    with_byline = date_page(page("<article><h1>Talks</h1><p class='byline'>June 2, 2025, 14:05</p>"
                                 "<p>The delegations met.</p></article>", head=head),
                            "https://news.example.com.tr/talks", FETCHED)
    assert with_byline.iso() == "2025-06-02T14:05:00+03:00" and with_byline.date_source == "text"


def test_an_update_shown_under_the_headline_is_the_modification_not_the_publication():
    html = page("<article><h1>Talks</h1><p class='byline'>Updated <time datetime='2018-07-24T18:15:58+00:00'>"
                "Jul 24, 2018, 2:15pm</time></p><p>Text.</p></article>",
                head='<meta property="article:published_time" content="2017-12-15T08:50:02-05:00">'
                     '<meta property="article:modified_time" content="2018-07-24T14:15:58-04:00">')
    result = date_page(html, "https://news.example/story", FETCHED, htmldate_answer="2017-12-15")
    assert result.iso() == "2017-12-15T08:50:02-05:00"
    assert result.modified_at == datetime(2018, 7, 24, 14, 15, 58, tzinfo=timezone(timedelta(hours=-4)))


def test_the_vote_weights_are_the_log_odds_of_measured_rates_each_set_weighing_the_same():
    from pipelines.dating.vote import weights_from_rates

    sizes = {"news": 100, "general": 300}
    rates = {
        "field": {"news": (90, 100), "general": (270, 300)},  # right 90% in both sets
        "text": {"news": (40, 100), "general": (270, 300)},  # 40% on news, 90% on general: about 65% overall
        "stray": {"news": (3, 10), "general": (10, 30)},  # right less often than not: no vote
        "rare": {"news": (3, 3)},  # seen on 3 pages: not weighed
    }
    weights = weights_from_rates(rates, sizes)
    assert weights["field"] == pytest.approx(2.2, abs=0.05)  # log(0.9 / 0.1), one right and one wrong added
    assert 0.4 < weights["text"] < 0.8  # each set counts the same: news pulls it down as much as general lifts it
    assert weights["stray"] == 0.0
    assert "rare" not in weights


def test_a_small_sets_rate_is_shrunk_toward_the_pooled_rate_before_the_sets_are_averaged():
    from pipelines.dating.vote import SET_SHRINK, feature_rate

    sizes = {"small": 30, "big": 300}
    # 2 pages of the small set count as 2 * 165 / 30 = 11 pages: at their raw rate (0 right) they would drag the
    # feature from 0.9 to about 0.6; shrunk toward the pooled rate (about 0.85) by SET_SHRINK pages, far less
    rates = {"small": (0, 2), "big": (45, 50)}
    pooled = (45 + 1) / (52 + 2)
    small = (0 + SET_SHRINK * pooled) / (2 + SET_SHRINK)
    big = (45 + SET_SHRINK * pooled) / (50 + SET_SHRINK)
    expected = (2 / 30 * small + 50 / 300 * big) / (2 / 30 + 50 / 300)
    assert feature_rate(rates, sizes) == pytest.approx(expected)
    assert 0.7 < feature_rate(rates, sizes) < 0.85
    # many pages of a set keep their own rate: the shrinkage fades as a set's count grows
    assert feature_rate({"small": (0, 200), "big": (450, 500)}, sizes) < 0.4
    assert feature_rate({}, sizes) == 0.5  # never seen: an even chance


def test_hints_vote_with_the_weight_of_the_page_field_they_repeat():
    from pipelines.dating.vote import HINT_PEERS
    from pipelines.dating.weights import load_weights

    weights = load_weights()
    for hint, peer in HINT_PEERS.items():
        assert weights.weight(hint) == weights.weight(peer)
    assert weights.weight("feed") > weights.weight("text-more")
    # no feature stands for a hint's absence: saved pages have no hints, the flow's pages do
    assert not any(name.startswith(("feed", "news-sitemap", "sitemap")) for name in weights.features)


def test_htmldate_is_asked_when_the_page_evidence_is_split_and_it_decides():
    # a lone written date far below the headline against htmldate: neither is strong, htmldate's extensive search
    # is not overruled
    html = page("<h1>Story</h1>" + "".join(f"<p>Paragraph {i} of the story.</p>" for i in range(8))
                + "<p>29 May 2025</p>")
    result = date_page(html, "https://news.example/story", FETCHED, htmldate_answer="2025-05-20")
    assert result.iso() == "2025-05-20" and result.date_source == "htmldate"
    # strong page metadata is not overruled by htmldate alone
    meta = '<meta property="article:published_time" content="2025-05-16T15:30:00+03:00">'
    strong = date_page(page("<h1>Story</h1><p>Text.</p>", meta), "https://news.example/story", FETCHED,
                       htmldate_answer="2025-05-20")
    assert strong.iso() == "2025-05-16T15:30:00+03:00"


def test_a_written_date_under_the_headline_outweighs_htmldate_alone():
    # measured with each set's rate shrunk toward the pooled one (vote.feature_rate): the first written date right
    # under the headline names the true day a little more often than htmldate's extensive search, so htmldate's
    # answer, a day nothing else names, could not change the winner and is not asked
    html = page("<h1>Story</h1><p>29 May 2025</p><p>Text.</p>")
    result = date_page(html, "https://news.example/story", FETCHED, htmldate_answer="2025-05-20")
    assert result.iso() == "2025-05-29" and result.date_source == "text"
    assert not any(ev.kind == "htmldate" for ev in result.evidence)


@pytest.mark.parametrize("html", [
    '<meta content="2025-05-16T12:30:00+03:00"><p>Fri, 16 May 2025 09:30:00 +0000</p>',
    "<script>{\"a\":\"2025-05-16 12:30:00.123456+0300\",\"b\":\"16 May 2025 12:31:00 -0400\"}</script>",
    "<p>12025-05-16T12:30:00+03:00 2025-05-16T12:30+0300x 2025-05-16T12:30:00+0330</p>",
    "<p>time 12:30+03:00, 2025-05-16T12:30:00+03:002025-05-17T01:02:03-05:00</p>",
    "<p>2025-05-16T24:30:00+03:00 and 1 Jan 2025 23:59:59 +1400 and 01 jan 2025 23:59:59 +1400</p>",
    "<p>nothing here but 12:30 and +0300</p>",
])
def test_stated_timestamps_are_the_full_patterns_matches(html: str) -> None:
    """The fast scan (anchored on the offset's tail) finds exactly what the full pattern finds."""
    from pipelines.dating import _STATED_OFFSET, _stated_timestamps

    page = "<html><body>" + "filler 10:00 text " * 50 + html + "</body></html>"
    assert [m.span() for m in _stated_timestamps(page)] == [m.span() for m in _STATED_OFFSET.finditer(page)]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_cleaning_tree_gives_the_same_dating_as_parsing_again(name):
    # the worker hands dating the tree cleaning parsed; dating's own parse is the same loader, so nothing changes
    from pipelines.cleaning.htmltree import load_page

    html = fixture(name)
    url = "https://news.example/2025/09/20/talks"
    alone = date_page(html, url, FETCHED, htmldate_answer=None)
    reused = date_page(html, url, FETCHED, htmldate_answer=None, tree=load_page(html))
    assert (reused.published_at, reused.precision, reused.date_source, reused.confidence) == \
        (alone.published_at, alone.precision, alone.date_source, alone.confidence)
    kinds = [(ev.kind, ev.raw, ev.note) for ev in alone.evidence]
    assert [(ev.kind, ev.raw, ev.note) for ev in reused.evidence] == kinds


def test_the_worker_parses_each_page_once(monkeypatch):
    # process.page_job: cleaning's tree goes on to dating, which must not parse the page a second time
    from pipelines import process
    from pipelines.dating import evidence

    def no_second_parse(html):
        raise AssertionError("dating parsed the page again")

    monkeypatch.setattr(evidence, "parse_html", no_second_parse)
    monkeypatch.setattr("pipelines.dating.parse_html", no_second_parse)
    body = fixture("jsonld_graph.html").replace(
        "</body>", "<p>" + "Negotiators met in Istanbul for a second round of talks. " * 30 + "</p></body>")
    inp = process.PageInput(url="https://news.example/talks", final_url="https://news.example/talks", source="s",
                            body=body.encode(), fetched_at=FETCHED, content_type="text/html; charset=utf-8")
    p = process.page_job((inp, None))
    assert p.outcome == "loaded", p.reason
    assert p.dating is not None and p.dating.published_at is not None and p.dating.date_source == "jsonld"
