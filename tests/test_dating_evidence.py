"""Evidence gathering: what each source yields, and what is set aside as page furniture."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipelines.dating.evidence import (
    gather_evidence,
    hint_evidence,
    jsonld_evidence,
    meta_evidence,
    page_language,
    parse_html,
    script_evidence,
    text_evidence,
    time_evidence,
    url_evidence,
)
from pipelines.records import DateHint

FIXTURES = Path(__file__).parent / "fixtures" / "dating"
MSK = timezone(timedelta(hours=3))


def tree_of(name: str):
    return parse_html((FIXTURES / name).read_text(encoding="utf-8"))


def test_jsonld_graph_evidence_kinds():
    evidence = jsonld_evidence(tree_of("jsonld_graph.html"))
    kinds = {ev.kind: ev for ev in evidence}
    assert kinds["jsonld-published"].value == datetime(2025, 6, 2, 13, 5, tzinfo=MSK)
    assert kinds["jsonld-modified"].value == datetime(2025, 6, 3, 9, 30, tzinfo=MSK)
    # the WebPage date is kept, but only as weaker evidence; the publisher's dateCreated is not read at all
    assert [ev.value.date().isoformat() for ev in evidence if ev.kind == "jsonld-other"] == ["2025-05-20"]
    assert all(ev.value.year != 2001 for ev in evidence)


def test_jsonld_list_ignores_item_list_members():
    evidence = jsonld_evidence(tree_of("jsonld_list.html"))
    assert all(ev.value.year == 2025 for ev in evidence)


def test_meta_kinds():
    html = """<html><head>
    <meta property="article:published_time" content="2025-05-16T10:00:00Z">
    <meta property="article:modified_time" content="2025-05-17T10:00:00Z">
    <meta name="sailthru.date" content="2025-05-16 10:00:00">
    <meta itemprop="datePublished" content="2025-05-16">
    <meta name="description" content="A story from 2024-01-01">
    </head><body><span itemprop="dateModified" datetime="2025-05-18">18 May</span></body></html>"""
    kinds = sorted(ev.kind for ev in meta_evidence(parse_html(html)))
    assert kinds == ["itemprop-modified", "itemprop-published", "meta", "og-modified", "og-published"]


def test_time_evidence_notes_furniture_and_stops_at_the_article():
    evidence = time_evidence(tree_of("time_in_article.html"))
    assert [ev.kind for ev in evidence] == ["time-outside", "time-outside", "time"]
    assert "header" in evidence[0].note
    assert "aside" in evidence[1].note
    assert evidence[-1].value == datetime(2025, 5, 19, 21, 15, tzinfo=MSK)


def test_hints_keep_their_kind_and_offset():
    evidence = hint_evidence([DateHint("feed", "Thu, 29 May 2025 09:00:00 GMT"),
                              DateHint("news-sitemap", "2025-05-29T12:00:00+03:00"),
                              DateHint("feed", "garbage")])
    assert [ev.kind for ev in evidence] == ["feed", "news-sitemap", "feed"]
    assert evidence[0].value == datetime(2025, 5, 29, 9, 0, tzinfo=timezone.utc)
    assert evidence[1].value == datetime(2025, 5, 29, 12, 0, tzinfo=MSK)
    assert evidence[2].value is None and evidence[2].note == "unparseable"


def test_url_evidence_patterns_and_non_dates():
    assert url_evidence("https://x.example/2025/05/29/story")[0].value == datetime(2025, 5, 29)
    assert url_evidence("https://x.example/2025/5/9/story")[0].value == datetime(2025, 5, 9)
    assert url_evidence("https://x.example/news_2025_06_02_talks.html")[0].value == datetime(2025, 6, 2)
    assert url_evidence("https://x.example/article/79591842.cms") == []
    assert url_evidence("https://x.example/2025/13/45/story") == []
    assert url_evidence("https://20250529.example/story") == []  # the host is not a date


def test_text_evidence_prefers_the_dateline_next_to_the_headline():
    html = """<html><body><div class="ticker">Markets 24.09.2025</div>
    <h1>Talks in Istanbul</h1><div class="byline">Reporter, <span>2 June 2025</span> 16:20</div>
    <p>On 16 May 2025 the first round took place.</p></body></html>"""
    evidence = text_evidence(parse_html(html))
    assert evidence[0].value.date().isoformat() == "2025-06-02"
    assert evidence[0].kind == "text"
    ticker = [ev for ev in evidence if ev.value.date().isoformat() == "2025-09-24"]
    assert ticker and ticker[0].kind == "text-outside"


def test_page_language_from_html_lang_or_meta():
    assert page_language(parse_html("<html lang='uk-UA'><body></body></html>")) == "uk"
    assert page_language(parse_html(
        "<html><head><meta property='og:locale' content='tr_TR'></head><body></body></html>")) == "tr"
    assert page_language(parse_html("<html><body><p>x</p></body></html>")) is None


def test_gather_evidence_collects_every_source():
    html = (FIXTURES / "opengraph_modified.html").read_text(encoding="utf-8")
    evidence = gather_evidence(parse_html(html), "https://x.example/2025/06/02/memo",
                               [DateHint("feed", "Mon, 02 Jun 2025 13:20:00 GMT")])
    kinds = {ev.kind for ev in evidence}
    assert {"og-published", "og-modified", "feed", "url", "text-modified"} <= kinds
    # "Updated 4 June 2025" under the headline is the modification, not a publication date
    assert [ev.raw for ev in evidence if ev.kind == "text-modified"] == ["4 June 2025"]


@pytest.mark.parametrize("byline", [
    "Updated: 4 June 2025, 10:15", "Обновлено 4 июня 2025, 10:15", "Оновлено: 4 червня 2025 10:15",
    "Son güncelleme: 4 Haziran 2025 10:15", "Aktualisiert am 4. Juni 2025, 10:15 Uhr",
    "Mis à jour le 4 juin 2025 à 10h15", "Actualizado el 4 de junio de 2025 10:15",
])
def test_a_written_update_time_is_modification_evidence(byline):
    html = f"<html><body><h1>Talks in Istanbul</h1><p>{byline}</p><p>Text.</p></body></html>"
    (ev,) = text_evidence(parse_html(html))[:1]
    assert ev.kind == "text-modified" and ev.value.date().isoformat() == "2025-06-04"
    published = text_evidence(parse_html(html.replace(byline, "2 June 2025, 16:20")))[0]
    assert published.kind == "text"


def test_an_update_label_in_its_own_element_still_marks_the_date_as_a_modification():
    html = ("<html><body><h1>Talks in Istanbul</h1><div><em>Last Updated:</em> January 7, 2025</div>"
            "<p>Text.</p></body></html>")
    (ev,) = text_evidence(parse_html(html))[:1]
    assert ev.kind == "text-modified" and ev.value.date().isoformat() == "2025-01-07"


def test_a_time_element_labelled_as_an_update_is_a_modification_time():
    html = ("<html><body><article><h1>Talks</h1><p><span>By Jane Doe</span> <span>Updated "
            "<time datetime='2018-07-24T18:15:58+00:00'>Jul 24, 2018, 2:15pm EDT</time></span></p>"
            "<p>Text.</p></article></body></html>")
    assert [(ev.kind, ev.raw) for ev in time_evidence(parse_html(html))] == [
        ("time-modified", "2018-07-24T18:15:58+00:00")]
    plain = html.replace("Updated ", "")
    assert [ev.kind for ev in time_evidence(parse_html(plain))] == ["time"]


def test_parse_html_handles_junk():
    assert parse_html("") is None
    assert parse_html("   ") is None
    assert parse_html("<?xml version='1.0' encoding='utf-8'?><html><body><p>x</p></body></html>") is not None


def test_a_masthead_h1_is_no_headline_and_a_today_box_is_furniture():
    evidence = text_evidence(tree_of("register_masthead_today.html"))
    today = [ev for ev in evidence if ev.value is not None and ev.value.date().isoformat() == "2025-06-03"]
    assert today and today[0].kind == "text-outside"
    assert "today" in today[0].note


def test_script_evidence_reads_the_data_layer_not_json_ld_or_external_scripts():
    html = """<html><head>
    <script src="https://cdn.example/app.js">var x = {"datePublished": "2019-01-01"};</script>
    <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-06-01T10:00:00Z"}</script>
    <script>dataLayer.push({"pageType": "article", "publishDate": "2025-05-29 18:04:04"});</script>
    </head><body><h1>Story</h1></body></html>"""
    evidence = script_evidence(parse_html(html))
    assert len(evidence) == 1
    assert evidence[0].kind == "script"
    assert evidence[0].value == datetime(2025, 5, 29, 18, 4, 4)
    assert evidence[0].precision == "time"
    assert script_evidence(parse_html("<html><body><script>var a = 1;</script></body></html>")) == []


def _snowflake(when: datetime) -> int:
    """The id Twitter/X would give a post made at `when` (sequence bits arbitrary)."""
    return ((int(when.timestamp() * 1000) - 1288834974657) << 22) | 0x2A5F


def test_url_evidence_reads_the_creation_time_of_a_twitter_post_from_its_snowflake_id():
    posted = datetime(2025, 5, 16, 12, 34, 56, tzinfo=timezone.utc)
    for url in (f"https://twitter.com/Reuters/status/{_snowflake(posted)}/photo/1",
                f"https://x.com/ZelenskyyUa/status/{_snowflake(posted)}?s=20",
                f"https://mobile.twitter.com/i/web/status/{_snowflake(posted)}"):
        (ev,) = url_evidence(url)
        assert (ev.value, ev.precision) == (posted, "time"), url
    # ids from before Snowflake (2010) were a plain counter; other sites' /status/ paths are not Snowflakes
    assert url_evidence("https://twitter.com/jack/status/20") == []
    assert url_evidence(f"https://status.example/status/{_snowflake(posted)}") == []
