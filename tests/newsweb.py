"""A small web of two outlets, written for talkwatch's end-to-end tests (all text is our own).

`alpha` (127.0.0.1): English, an RSS feed and an Atom feed, robots.txt with a disallowed section.
`bravo` (127.0.0.2): a sitemap index pointing at a Google News sitemap and a plain sitemap; one article in
windows-1251 declared only in the HTTP header; a syndicated copy of an alpha story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.loopback import LoopbackServer

TALKS = [
    "Delegations from Russia and Ukraine met for a second round of direct talks in Istanbul on Monday, "
    "the first such meeting since the opening session two weeks earlier at the Ciragan Palace.",
    "The Russian side, led by presidential aide Vladimir Medinsky, handed over a memorandum setting out its "
    "conditions for a ceasefire, while the Ukrainian team headed by Defence Minister Rustem Umerov presented "
    "its own document and asked for more time to study the Russian proposals.",
    "Turkish Foreign Minister Hakan Fidan opened the session and told reporters that both delegations had "
    "agreed to continue working on a humanitarian track, including a new exchange of prisoners of war and the "
    "return of the bodies of fallen soldiers.",
    "Officials on both sides described the atmosphere as businesslike but said that the positions on territory "
    "and security guarantees remained far apart. No date was set for a third round of negotiations.",
]

PRISONERS = [
    "Russia and Ukraine carried out the largest prisoner exchange of the war on Friday, each side releasing "
    "hundreds of captured soldiers and civilians under an agreement reached at the talks in Istanbul.",
    "The swap, mediated by Turkey and the United Arab Emirates, took place on the border with Belarus. Buses "
    "carrying the released men crossed in both directions in the early afternoon, according to officials.",
    "Ukrainian President Volodymyr Zelensky said the exchange would continue over the weekend and thanked the "
    "negotiators. The Kremlin said the delegation would report to President Putin on the results.",
]

MEMORANDUM = [
    "Kremlin spokesman Dmitry Peskov said on Thursday that the text of the Russian memorandum on a peace "
    "settlement was being finalised and would be handed to the Ukrainian delegation at the next meeting.",
    "Kyiv has demanded to see the document before agreeing to travel to Istanbul, arguing that a meeting "
    "without a written proposal would be empty. Moscow called that demand unconstructive.",
    "Diplomats in Ankara said the Turkish government was ready to host the talks again and had offered the "
    "same venue, and that preparations for the delegations were under way.",
]

FOOTBALL = [
    "Galatasaray beat Fenerbahce 2-1 in a tense Istanbul derby on Sunday night, moving four points clear at "
    "the top of the Super Lig with five matches of the season left to play.",
    "The winning goal came in the eighty-third minute from a corner that the visiting goalkeeper failed to "
    "clear. Fenerbahce had equalised shortly after half-time through a long-range shot.",
    "The home coach praised the crowd and said the title race was far from over, while the visiting side "
    "complained about two refereeing decisions in the first half that went against them.",
]

RUSSIAN = [
    "Делегации России и Украины провели в Стамбуле второй раунд прямых переговоров. Встреча во дворце "
    "Чыраган продолжалась немногим более часа.",
    "Глава российской делегации Владимир Мединский сообщил журналистам, что стороны обменялись меморандумами "
    "и договорились о новом обмене пленными, а также о передаче тел погибших военных.",
    "По словам Мединского, украинская сторона получила российский проект меморандума о прекращении огня и "
    "обещала дать ответ в ближайшее время. Дата следующей встречи пока не определена.",
]

NAV = ('<header><nav><a href="/">Home</a> <a href="/news/">World</a> <a href="/sport/">Sport</a></nav>'
       '<div class="weather">8.7 C Europe</div><div class="today">Wednesday, September 24, 2025</div></header>')
FOOT = ('<aside><h3>Read more</h3><ul><li><a href="/news/other.html">Another headline from us</a></li></ul>'
        '</aside><footer><a href="#top">back to top</a> <p>&copy; 2025 Alpha News. All rights reserved.</p>'
        '</footer>')


def article_html(title: str, paragraphs: list[str], published: str, canonical: str | None = None,
                 lang: str = "en", site: str = "Alpha News", charset: str | None = "utf-8") -> str:
    meta_charset = f'<meta charset="{charset}">' if charset else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head>{meta_charset}<title>{title} | {site}</title>{link}'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="article:published_time" content="{published}">'
            f'<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",'
            f'"headline":"{title}","datePublished":"{published}","author":{{"@type":"Person","name":"Anna Example"}}}}'
            f'</script></head><body>{NAV}<main><article><h1>{title}</h1>'
            f'<p class="byline">By Anna Example</p>{body}</article></main>{FOOT}</body></html>')


HTML = {"Content-Type": "text/html; charset=utf-8"}


def conditional(content_type: str, body: bytes, etag: str = '"v1"'):
    """A route that answers 304 to a request carrying its ETag, as a well-behaved feed server does."""
    def serve(req):
        if req.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": content_type, "ETag": etag,
                     "Last-Modified": "Tue, 03 Jun 2025 08:00:00 GMT"}, body
    return serve


def rss(base: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{base}{path}</link><pubDate>{d}</pubDate></item>"
                      for path, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Alpha</title>'
            f'<link>{base}/</link>{entries}</channel></rss>').encode()


def atom(base: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(f'<entry><title>{t}</title><link href="{base}{path}"/><id>{base}{path}</id>'
                      f'<published>{d}</published><updated>{d}</updated></entry>' for path, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Alpha</title>'
            f'<id>{base}/</id><updated>2025-06-03T00:00:00Z</updated>{entries}</feed>').encode()


@dataclass
class NewsWeb:
    """Two running outlets and the config files naming them."""

    alpha: LoopbackServer
    bravo: LoopbackServer
    sources_file: Path
    topic_file: Path
    article_paths: dict[str, list[str]] = field(default_factory=dict)  # outlet -> paths of article pages

    def article_hits(self) -> int:
        return (sum(self.alpha.hits(p) for p in self.article_paths["alpha"])
                + sum(self.bravo.hits(p) for p in self.article_paths["bravo"]))


def start_newsweb(tmp: Path) -> NewsWeb:
    alpha = LoopbackServer(host="127.0.0.1").start()
    bravo = LoopbackServer(host="127.0.0.2").start()
    a, b = alpha.url(""), bravo.url("")

    alpha.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"))
    alpha.route("/news/istanbul-second-round.html", (200, HTML, article_html(
        "Russia and Ukraine hold second round of talks in Istanbul", TALKS, "2025-06-02T14:05:00+03:00").encode()))
    alpha.route("/news/prisoner-exchange.html", (200, HTML, article_html(
        "Russia and Ukraine carry out largest prisoner exchange", PRISONERS, "2025-06-06T18:20:00+03:00",
        canonical=f"{a}/news/prisoner-exchange.html").encode()))
    alpha.route("/news/memorandum.html", (200, HTML, article_html(
        "Kremlin says peace memorandum is nearly ready", MEMORANDUM, "2025-05-29T11:00:00+03:00").encode()))
    alpha.route("/sport/istanbul-derby.html", (200, HTML, article_html(
        "Galatasaray win the Istanbul derby", FOOTBALL, "2025-06-01T22:40:00+03:00").encode()))
    alpha.route("/news/gone.html", (404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"))
    alpha.route("/news/server-error.html", (500, {"Content-Type": "text/html"}, b"<html>oops</html>"))
    alpha.route("/private/leak.html", (200, HTML, article_html("Private", TALKS, "2025-06-02T10:00:00Z").encode()))
    alpha.route("/rss.xml", conditional("application/rss+xml", rss(a, [
        ("/news/istanbul-second-round.html", "Second round in Istanbul", "Mon, 02 Jun 2025 11:05:00 GMT"),
        ("/news/prisoner-exchange.html?utm_source=rss&amp;utm_medium=feed", "Prisoner exchange",
         "Fri, 06 Jun 2025 15:20:00 GMT"),
        ("/sport/istanbul-derby.html", "Derby", "Sun, 01 Jun 2025 19:40:00 GMT"),
        ("/news/gone.html", "Gone", "Sun, 01 Jun 2025 10:00:00 GMT"),
        ("/news/server-error.html", "Error", "Sun, 01 Jun 2025 10:00:00 GMT"),
        ("/private/leak.html", "Private", "Sun, 01 Jun 2025 10:00:00 GMT"),
    ])))
    alpha.route("/atom.xml", (200, {"Content-Type": "application/atom+xml"}, atom(a, [
        ("/news/memorandum.html", "Memorandum", "2025-05-29T08:00:00Z"),
        ("/news/istanbul-second-round.html", "Second round in Istanbul", "2025-06-02T11:05:00Z"),
    ])))

    copy_html = article_html("Second round of Russia-Ukraine talks held in Istanbul", TALKS,
                             "2025-06-02T16:30:00+03:00", site="Bravo Daily")
    bravo.route("/robots.txt", (404, {"Content-Type": "text/plain"}, b""))
    bravo.route("/world/2025/06/02/talks-istanbul.html", (200, HTML, copy_html.encode()))
    ru_html = article_html("В Стамбуле прошел второй раунд переговоров России и Украины", RUSSIAN,
                           "2025-06-02T19:10:00+03:00", lang="ru", site="Браво", charset=None)
    bravo.route("/ru/2025/06/02/peregovory.html",
                (200, {"Content-Type": "text/html; charset=windows-1251"}, ru_html.encode("cp1251")))
    bravo.route("/sitemap_index.xml", (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<sitemap><loc>{b}/news-sitemap.xml</loc></sitemap><sitemap><loc>{b}/sitemap-2025.xml</loc></sitemap>'
        '</sitemapindex>').encode()))
    bravo.route("/news-sitemap.xml", (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f'<url><loc>{b}/world/2025/06/02/talks-istanbul.html</loc><news:news><news:publication>'
        '<news:name>Bravo</news:name><news:language>en</news:language></news:publication>'
        '<news:publication_date>2025-06-02T16:30:00+03:00</news:publication_date>'
        '<news:title>Second round of talks</news:title></news:news></url>'
        '<url><loc>http://offsite.invalid/story.html</loc></url>'
        '</urlset>').encode()))
    bravo.route("/sitemap-2025.xml", (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>{b}/ru/2025/06/02/peregovory.html</loc><lastmod>2025-06-02T19:10:00+03:00</lastmod></url>'
        '</urlset>').encode()))

    sources = tmp / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "alpha"\nlanguage = "en"\nfeeds = ["{a}/rss.xml", "{a}/atom.xml"]\nsitemaps = []\n\n'
        f'[[source]]\nname = "bravo"\nlanguage = "en"\nfeeds = []\nsitemaps = ["{b}/sitemap_index.xml"]\n',
        encoding="utf-8")
    topic = tmp / "topic.toml"
    topic.write_text(
        'name = "test talks"\nkeep_all = false\n\n[terms]\n'
        'en = ["talks", "negotiations", "delegation", "memorandum", "ceasefire", "prisoner exchange", "Medinsky", '
        '"Umerov"]\n'
        'ru = ["переговоры", "переговоров", "делегация", "делегации", "меморандум", "меморандумами", "Мединский"]\n',
        encoding="utf-8")
    return NewsWeb(alpha, bravo, sources, topic, article_paths={
        "alpha": ["/news/istanbul-second-round.html", "/news/prisoner-exchange.html", "/news/memorandum.html",
                  "/sport/istanbul-derby.html", "/private/leak.html"],
        "bravo": ["/world/2025/06/02/talks-istanbul.html", "/ru/2025/06/02/peregovory.html"],
    })
