"""Unit tests for spiders.listings: every listing format, gzip, hostile and broken XML."""

from __future__ import annotations

import gzip

import pytest

from spiders.listings import DEFAULT_MAX_SIZE, ListingError, maybe_gunzip, parse_listing

BASE = "https://news.example.org/rss/all"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel>
  <title>Example News</title>
  <link>https://news.example.org/</link>
  <item>
   <title>Delegations meet in Istanbul</title>
   <link>https://news.example.org/2025/05/16/talks</link>
   <pubDate>Fri, 16 May 2025 10:30:00 +0300</pubDate>
  </item>
  <item>
   <title><![CDATA[Second <b>round</b> ends]]></title>
   <link> /2025/06/02/round-two </link>
   <dc:date>2025-06-02T18:00:00+03:00</dc:date>
  </item>
  <item>
   <title>Guid only</title>
   <guid isPermaLink="true">https://news.example.org/guid-only</guid>
  </item>
  <item>
   <title>Not a permalink</title>
   <guid isPermaLink="false">tag:news.example.org,2025:42</guid>
  </item>
 </channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
 <title>Example Atom</title>
 <link rel="self" href="https://news.example.org/atom.xml"/>
 <entry>
  <title>Both dates</title>
  <link rel="alternate" type="text/html" href="https://news.example.org/a/1"/>
  <published>2025-05-15T08:00:00Z</published>
  <updated>2025-05-17T09:00:00Z</updated>
 </entry>
 <entry>
  <title type="html">Updated only</title>
  <link rel="self" href="https://news.example.org/api/2"/>
  <link href="/a/2"/>
  <updated>2025-05-18T07:00:00+02:00</updated>
 </entry>
</feed>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
 <sitemap><loc>https://news.example.org/sitemap-2025-05.xml</loc><lastmod>2025-05-31</lastmod></sitemap>
 <sitemap><loc>/sitemap-news.xml.gz</loc></sitemap>
</sitemapindex>"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
 <url><loc>https://news.example.org/a/10</loc><lastmod>2025-05-16T12:00:00+00:00</lastmod></url>
 <url><loc>https://news.example.org/a/11</loc></url>
 <url><lastmod>2025-05-16</lastmod></url>
</urlset>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url>
  <loc>https://news.example.org/a/20</loc>
  <lastmod>2025-05-17T00:00:00Z</lastmod>
  <news:news>
   <news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
   <news:publication_date>2025-05-16T14:05:00+03:00</news:publication_date>
   <news:title>Prisoner exchange agreed</news:title>
  </news:news>
 </url>
</urlset>"""


def test_rss_items_links_titles_and_dates():
    listing = parse_listing(RSS, BASE)
    assert listing.kind == "rss" and listing.listed_via == "rss"
    urls = [e.url for e in listing.entries]
    assert urls == [
        "https://news.example.org/2025/05/16/talks",
        "https://news.example.org/2025/06/02/round-two",  # relative link joined, whitespace stripped
        "https://news.example.org/guid-only",
    ]
    first, second, third = listing.entries
    assert first.title == "Delegations meet in Istanbul"
    assert first.date_raw == "Fri, 16 May 2025 10:30:00 +0300" and first.date_kind == "feed"
    assert second.title == "Second <b>round</b> ends"  # CDATA kept verbatim
    assert second.date_raw == "2025-06-02T18:00:00+03:00" and second.date_kind == "feed"
    assert third.date_raw is None and third.date_kind is None


def test_atom_prefers_published_then_updated_and_alternate_link():
    listing = parse_listing(ATOM, "https://news.example.org/atom.xml")
    assert listing.kind == "atom" and listing.listed_via == "atom"
    assert [(e.url, e.date_raw) for e in listing.entries] == [
        ("https://news.example.org/a/1", "2025-05-15T08:00:00Z"),
        ("https://news.example.org/a/2", "2025-05-18T07:00:00+02:00"),
    ]
    assert listing.entries[1].title == "Updated only"


def test_sitemap_index_lists_child_sitemaps_only():
    listing = parse_listing(SITEMAP_INDEX, "https://news.example.org/sitemap.xml")
    assert listing.kind == "sitemap-index"
    assert listing.entries == []
    assert listing.sitemaps == [
        "https://news.example.org/sitemap-2025-05.xml",
        "https://news.example.org/sitemap-news.xml.gz",
    ]
    assert listing.sitemap_lastmods == {"https://news.example.org/sitemap-2025-05.xml": "2025-05-31"}


def test_plain_sitemap_lastmod():
    listing = parse_listing(SITEMAP, "https://news.example.org/sitemap-2025-05.xml")
    assert listing.kind == "sitemap" and listing.listed_via == "sitemap"
    assert [(e.url, e.date_raw, e.date_kind) for e in listing.entries] == [
        ("https://news.example.org/a/10", "2025-05-16T12:00:00+00:00", "sitemap-lastmod"),
        ("https://news.example.org/a/11", None, None),
    ]


def test_news_sitemap_keeps_publication_date_and_title():
    listing = parse_listing(NEWS_SITEMAP, "https://news.example.org/sitemap-news.xml")
    assert listing.kind == "news-sitemap" and listing.listed_via == "news-sitemap"
    (entry,) = listing.entries
    assert entry.url == "https://news.example.org/a/20"
    assert entry.title == "Prisoner exchange agreed"
    assert entry.date_raw == "2025-05-16T14:05:00+03:00"
    assert entry.date_kind == "news-sitemap"


def test_gzipped_sitemap_is_decompressed():
    listing = parse_listing(gzip.compress(NEWS_SITEMAP), "https://news.example.org/sitemap-news.xml.gz")
    assert [e.url for e in listing.entries] == ["https://news.example.org/a/20"]


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(b"<urlset>" + b" " * (2 * 1024 * 1024) + b"</urlset>")
    with pytest.raises(ListingError, match="larger than"):
        maybe_gunzip(bomb, max_size=1024 * 1024)
    assert maybe_gunzip(b"<rss/>") == b"<rss/>"  # not gzip: unchanged


def test_billion_laughs_does_not_expand():
    lol = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel>
 <item><title>&g;</title><link>https://news.example.org/lol</link></item>
</channel></rss>"""
    with pytest.raises(ListingError, match="XML resource limit hit"):
        parse_listing(lol, BASE)


def test_deeply_nested_xml_is_refused():
    deep = b"<rss><channel>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</channel></rss>"
    with pytest.raises(ListingError, match="XML resource limit hit"):
        parse_listing(deep, BASE)


def test_external_entity_is_not_loaded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://' + str(secret).encode() + b'">]>'
        b"<rss><channel><item><title>&x;</title><link>https://news.example.org/x</link></item></channel></rss>"
    )
    listing = parse_listing(xxe, BASE)
    assert [e.url for e in listing.entries] == ["https://news.example.org/x"]
    assert all("TOP-SECRET" not in (e.title or "") for e in listing.entries)


def test_broken_xml_is_recovered_when_possible():
    broken = (
        b"<rss><channel>"
        b"<item><title>Talks & more</title><link>https://news.example.org/ok</link></item>"
        b"<item><title>unclosed<link>https://news.example.org/two</link></item>"
    )
    listing = parse_listing(broken, BASE)
    assert "https://news.example.org/ok" in [e.url for e in listing.entries]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty listing"),
        (b"   \n", "empty listing"),
        (b"this is not xml at all", "not parseable as XML"),
        (b"<html><body><p>Just a web page</p></body></html>", "not a feed or sitemap (root element <html>)"),
        (b"\x1f\x8bnot really gzip", "broken gzip data"),
    ],
)
def test_unusable_documents_raise_a_clear_reason(body, reason):
    with pytest.raises(ListingError) as info:
        parse_listing(body, BASE)
    assert reason in str(info.value)


def test_non_http_links_are_kept_for_the_spider_to_refuse():
    rss = (
        b"<rss><channel>"
        b"<item><link>ftp://files.example.org/a.txt</link></item>"
        b"<item><link>javascript:alert(1)</link></item>"
        b"</channel></rss>"
    )
    assert [e.url for e in parse_listing(rss, BASE).entries] == ["ftp://files.example.org/a.txt", "javascript:alert(1)"]


def test_default_max_size_is_ten_megabytes():
    assert DEFAULT_MAX_SIZE == 10 * 1024 * 1024


def test_html_named_entities_in_a_feed_do_not_eat_the_rest_of_the_text():
    rss = (
        b"<rss><channel><item><title>Talks&nbsp;resume &amp; stall &mdash; again</title>"
        b"<link>https://news.example.org/a?x=1&amp;y=2</link></item></channel></rss>"
    )
    (entry,) = parse_listing(rss, BASE).entries
    assert entry.title == "Talks resume & stall \u2014 again"
    assert entry.url == "https://news.example.org/a?x=1&y=2"
