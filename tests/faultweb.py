"""One loopback outlet that serves every fault talkwatch must survive, next to a few good articles (our own text).

Outlet `faulty` on 127.0.0.1: an RSS feed listing the good articles and every faulty page, a plain sitemap
listing one more good article, a feed cut off mid-item that still lists one, plus three broken listings (a
billion-laughs feed, a billion-laughs sitemap and a feed that is not XML). `FAULTS` and `LISTING_FAULTS` say, per
faulty path, what talkwatch must store for it. Also here: a dedicated `prefect server` for the tests' flow runs.
"""

from __future__ import annotations

import gzip
import os
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.loopback import LoopbackServer, Raw, RequestInfo
from tests.newsweb import HTML, article_html, rss

DOWNLOAD_TIMEOUT = 3  # seconds; the slow and stalling pages take longer than this
MB = 1024 * 1024

ROUND_TWO = [
    "Russian and Ukrainian negotiators sat down again in Istanbul on Monday for a second round of direct peace "
    "talks, meeting in the Ciragan Palace on the shore of the Bosphorus for a little over an hour.",
    "The Russian delegation, headed once more by the presidential aide Vladimir Medinsky, handed its Ukrainian "
    "counterparts a written memorandum describing the terms Moscow wants before any ceasefire can begin.",
    "The Ukrainian side, led by Defence Minister Rustem Umerov, brought a document of its own and asked for a "
    "week to study the Russian paper. Both teams agreed to prepare a further exchange of prisoners of war.",
    "Turkish officials who hosted the meeting said the tone was calm and professional, but diplomats from "
    "both countries told reporters that the gap on territory and on security guarantees had not narrowed.",
]

SWAP = [
    "Hundreds of soldiers came home on Saturday as Russia and Ukraine completed the first stage of the prisoner "
    "exchange that their delegations agreed on during the peace talks in Istanbul earlier this month.",
    "Buses carrying the freed men crossed the border with Belarus in the afternoon. Relatives waited for hours "
    "at the reception point, holding photographs and flags, and several mothers wept as the names were read.",
    "Negotiators on both sides said further stages of the exchange would follow over the next days, including "
    "wounded soldiers and civilians held since the first months of the war, if the lists were confirmed.",
    "The Turkish foreign ministry, which helped to broker the swap, called it the most concrete result of the "
    "Istanbul process so far and urged both delegations to keep working towards a ceasefire.",
]

AGENDA = [
    "The Kremlin said on Wednesday that its delegation was ready to travel to Istanbul for a third round of peace "
    "talks with Ukraine, and that Vladimir Medinsky would again lead the Russian negotiators.",
    "Kyiv has not yet confirmed a date. Ukrainian officials said they first wanted a reply to the proposals "
    "they had handed over in the second round, including an unconditional ceasefire of at least thirty days.",
    "Turkish diplomats said the government in Ankara was prepared to host the delegations at short notice and "
    "was in contact with both capitals about the agenda, which is expected to cover further prisoner exchanges.",
    "Analysts in Moscow and Kyiv warned that expectations should stay low, since the memoranda of the two "
    "sides still describe very different paths to a settlement of the war and its borders.",
]

RU_ROUND = [
    "Делегации России и Украины провели в Стамбуле новый раунд прямых переговоров. Встреча во дворце Чыраган "
    "на берегу Босфора продолжалась немногим более часа и прошла, по словам участников, в деловой обстановке.",
    "Глава российской делегации Владимир Мединский сообщил журналистам, что стороны обменялись меморандумами "
    "и договорились о новом обмене пленными, а также о передаче тел погибших военных в ближайшие дни.",
    "Украинская сторона получила российский проект меморандума о прекращении огня и обещала изучить его. "
    "Дата следующей встречи пока не определена, однако турецкие дипломаты готовы снова принять делегации.",
]

RU_SWAP = [
    "Россия и Украина завершили первый этап обмена пленными, о котором делегации договорились на переговорах в "
    "Стамбуле. Автобусы с освобожденными военными пересекли границу с Белоруссией во второй половине дня.",
    "По словам Мединского, следующие этапы обмена пройдут в течение недели, если стороны согласуют списки. "
    "Родственники военнопленных несколько часов ждали на пункте приема, держа в руках фотографии и флаги.",
    "В Анкаре назвали обмен самым заметным итогом стамбульских переговоров и призвали обе делегации продолжить "
    "работу над прекращением огня, несмотря на сохраняющиеся разногласия по главным вопросам.",
]

GOOD = {  # path -> (title, paragraphs, published)
    "/news/second-round.html": ("Second round of peace talks held in Istanbul", ROUND_TWO,
                                "2025-06-02T15:10:00+03:00"),
    "/news/prisoner-swap.html": ("First prisoners freed under the Istanbul talks deal", SWAP,
                                 "2025-06-07T17:45:00+03:00"),
    "/news/third-round.html": ("Kremlin ready for a third round of peace talks in Istanbul", AGENDA,
                               "2025-06-11T12:00:00+03:00"),
}
FLAKY = "/news/flaky.html"  # 503 first, then the article: loaded after one retry
SITEMAP_ARTICLE = "/news/from-sitemap.html"  # listed only by the plain sitemap
RECOVERED_ARTICLE = "/news/recovered.html"  # listed only by a feed cut off in its second item (lxml recovers it)
WRONG_CHARSET = "/ru/wrong-charset.html"  # declared utf-8 (header and meta), bytes are windows-1251
NO_CHARSET = "/ru/no-charset.html"  # windows-1251, no declaration anywhere
RUSSIAN_WORD = "Стамбуле"  # in the text of both Russian articles


@dataclass(frozen=True)
class Expect:
    """What talkwatch must store for a faulty URL: its outcome and words its reason must contain (any of them)."""

    outcome: str
    reason_words: tuple[str, ...]


FAULTS: dict[str, Expect] = {
    "/fault/timeout.html": Expect("failed", ("timeout",)),
    "/fault/reset.html": Expect("failed", ("connection", "lost", "reset", "closed")),
    "/fault/truncated.html": Expect("failed", ("truncated",)),
    "/fault/loop.html": Expect("failed", ("redirect loop", "max redirections")),
    "/fault/away.html": Expect("refused", ("redirect to offsite host elsewhere.invalid",)),
    "/fault/huge.html": Expect("failed", ("larger than 10 MB",)),
    "/fault/huge-stream.html": Expect("failed", ("larger than 10 MB",)),
    "/fault/gzip-bomb.html": Expect("failed", ("larger than 10 MB (decompressed)",)),
    "/fault/binary.html": Expect("refused", ("not HTML (PNG image",)),
    "/fault/stall.html": Expect("failed", ("timeout",)),
}

LISTING_FAULTS: dict[str, Expect] = {
    "/bomb-feed.xml": Expect("failed", ("XML resource limit",)),
    "/bomb-sitemap.xml": Expect("failed", ("XML resource limit",)),
    "/broken-feed.xml": Expect("failed", ("not parseable as XML",)),
}

_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE {root} [\n <!ENTITY a "' + "a" * 100 + '">\n'
    + "".join(f' <!ENTITY {n} "{("&" + p + ";") * 20}">\n' for p, n in zip("abcdef", "bcdefg"))
    + "]>\n"
)


def billion_laughs_feed(base: str) -> bytes:
    """An RSS feed whose title expands to 6.4 GB if a parser resolves its entities."""
    return (_LAUGHS.format(root="rss") + f'<rss version="2.0"><channel><title>&g;</title><item><title>&g;</title>'
            f"<link>{base}/news/bomb-listed.html</link></item></channel></rss>").encode()


def billion_laughs_sitemap(base: str) -> bytes:
    return (_LAUGHS.format(root="urlset") + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/news/bomb-listed-&g;.html</loc></url></urlset>").encode()


def _reset(sock: socket.socket) -> None:
    """Close without answering, with SO_LINGER 0: the client gets a TCP RST."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _truncated(body: bytes) -> Raw:
    """Headers announce the whole body; half of it is sent, then the connection closes."""
    def write(sock: socket.socket) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        sock.sendall(head + body[: len(body) // 2])
    return Raw(write)


def _stall(stop: threading.Event) -> Raw:
    """Headers and a first chunk of the body, then nothing until the test ends."""
    def write(sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 50000\r\n\r\n"
                     b"<!DOCTYPE html><html><head><title>Talks in Istanbul</title></head><body><p>Delegations")
        stop.wait(120)
    return Raw(write)


def _stream_without_length(total: int) -> Raw:
    """A body of `total` bytes with no Content-Length (ends at close): the size cap must act while downloading."""
    def write(sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
                     b"<html><body><p>")
        chunk = b"talks " * 10922  # 64 KB
        sent = 0
        while sent < total:
            sock.sendall(chunk)
            sent += len(chunk)
    return Raw(write)


@dataclass
class FaultWeb:
    """The running outlet, its config files, and the per-path hit counts the routes keep."""

    server: LoopbackServer
    sources_file: Path
    topic_file: Path
    stop: threading.Event
    flaky_calls: Counter = field(default_factory=Counter)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def close(self) -> None:
        self.stop.set()
        self.server.stop()


def write_topic(path: Path) -> Path:
    path.write_text(
        'name = "fault test talks"\nkeep_all = false\n\n[terms]\n'
        'en = ["peace talks", "talks", "delegation*", "negotiators", "ceasefire", "prisoner*", "Medinsky", '
        '"Istanbul"]\n'
        'ru = ["переговор*", "делегаци*", "меморандум*", "Мединск*", "Стамбул*"]\n',
        encoding="utf-8")
    return path


def start_faultweb(tmp: Path) -> FaultWeb:
    """Start the outlet and write `sources.toml` and `topic.toml` for it into `tmp`."""
    server = LoopbackServer(host="127.0.0.1").start()
    stop = threading.Event()
    base = server.url("")
    web = FaultWeb(server, tmp / "sources.toml", write_topic(tmp / "topic.toml"), stop)

    server.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"))
    for path, (title, paras, published) in GOOD.items():
        server.route(path, (200, HTML, article_html(title, paras, published, site="Faulty Times").encode()))

    flaky_html = article_html("Negotiators in Istanbul agree on a new prisoner exchange", [
        "Delegations meeting in Istanbul agreed on Tuesday to a new exchange of prisoners, the negotiators said "
        "after a session of the peace talks that lasted well into the evening at the Ciragan Palace.",
        "Under the agreement each side will release one thousand captured soldiers, starting with the wounded "
        "and the youngest, and hand over the bodies of the fallen according to lists agreed by the delegations.",
        "Vladimir Medinsky, who led the Russian negotiators, said the exchange could start within days. Ukrainian "
        "officials said they would check the lists first and insisted on a full ceasefire as the next step.",
    ], "2025-06-03T20:30:00+03:00", site="Faulty Times").encode()

    def flaky(info: RequestInfo) -> tuple[int, dict[str, str], bytes]:
        web.flaky_calls[info.path] += 1
        if web.flaky_calls[info.path] == 1:
            return 503, {"Content-Type": "text/html", "Retry-After": "0"}, b"<html>busy</html>"
        return 200, HTML, flaky_html
    server.route(FLAKY, flaky)

    sitemap_html = article_html("Ukraine studies the Russian memorandum from the Istanbul peace talks", [
        "Ukrainian officials said on Thursday that they were still studying the Russian memorandum handed over "
        "during the peace talks in Istanbul and would answer once the whole delegation had met in Kyiv.",
        "The memorandum sets out conditions for a ceasefire that Kyiv has called unacceptable in the past, "
        "including limits on the size of its army and the withdrawal of troops from four regions.",
        "A senior negotiator said Ukraine would propose a meeting of the two presidents instead, while Moscow "
        "said the delegations should first finish their work on a document and on further prisoner exchanges.",
    ], "2025-06-05T09:15:00+03:00", site="Faulty Times").encode()
    server.route(SITEMAP_ARTICLE, (200, HTML, sitemap_html))
    recovered_html = article_html("Turkey offers to host Russia and Ukraine leaders after Istanbul talks", [
        "Turkish President Recep Tayyip Erdogan offered on Friday to host a meeting of the Russian and Ukrainian "
        "presidents in Istanbul, saying the peace talks between the two delegations had prepared the ground.",
        "Speaking after a cabinet meeting in Ankara, he said the negotiators had shown that direct contact was "
        "possible and that a ceasefire could follow if the leaders themselves took the next step together.",
        "The Kremlin said a summit would only make sense once the delegations had agreed on a text. Kyiv welcomed "
        "the offer and said it was ready to send its negotiators back to Istanbul for a third round at any time.",
    ], "2025-06-13T16:00:00+03:00", site="Faulty Times").encode()
    server.route(RECOVERED_ARTICLE, (200, HTML, recovered_html))

    ru_round = article_html("В Стамбуле прошел новый раунд переговоров России и Украины", RU_ROUND,
                            "2025-06-02T19:10:00+03:00", lang="ru", site="Фолти", charset="utf-8")
    server.route(WRONG_CHARSET, (200, HTML, ru_round.encode("cp1251")))  # says utf-8 twice, is cp1251
    ru_swap = article_html("Делегации завершили первый этап обмена пленными после переговоров", RU_SWAP,
                           "2025-06-07T20:00:00+03:00", lang="ru", site="Фолти", charset=None)
    server.route(NO_CHARSET, (200, {"Content-Type": "text/html"}, ru_swap.encode("cp1251")))

    def slow(info: RequestInfo) -> tuple[int, dict[str, str], bytes]:
        stop.wait(DOWNLOAD_TIMEOUT * 2 + 1)
        return 200, HTML, article_html("Late", ROUND_TWO, "2025-06-02T10:00:00Z").encode()
    server.route("/fault/timeout.html", slow)
    server.route("/fault/reset.html", Raw(_reset))
    server.route("/fault/truncated.html", _truncated(
        article_html("Truncated talks report", ROUND_TWO * 4, "2025-06-02T10:00:00Z").encode()))
    server.route("/fault/loop.html", (302, {"Location": base + "/fault/loop.html"}, b""))
    server.route("/fault/away.html", (301, {"Location": "http://elsewhere.invalid/story.html"}, b""))
    big = b"<html><body><p>" + b"talks " * (20 * MB // 6) + b"</p></body></html>"
    server.route("/fault/huge.html", (200, HTML, big))
    server.route("/fault/huge-stream.html", _stream_without_length(20 * MB))
    bomb = gzip.compress(b"<html><body><p>" + b"\0" * (30 * MB) + b"</p></body></html>", 9)
    server.route("/fault/gzip-bomb.html", (200, {**HTML, "Content-Encoding": "gzip"}, bomb))
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64 + os.urandom(4096)
    server.route("/fault/binary.html", (200, HTML, png))
    server.route("/fault/stall.html", _stall(stop))

    listed = list(GOOD) + [FLAKY, WRONG_CHARSET, NO_CHARSET] + list(FAULTS)
    server.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"},
                              rss(base, [(p, f"Item {i}", "Mon, 02 Jun 2025 11:05:00 GMT")
                                         for i, p in enumerate(listed)])))
    server.route("/sitemap.xml", (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}{SITEMAP_ARTICLE}</loc><lastmod>2025-06-05T09:15:00+03:00</lastmod></url>"
        "</urlset>").encode()))
    server.route("/bomb-feed.xml", (200, {"Content-Type": "application/rss+xml"}, billion_laughs_feed(base)))
    server.route("/bomb-sitemap.xml", (200, {"Content-Type": "application/xml"}, billion_laughs_sitemap(base)))
    server.route("/cut-feed.xml", (200, {"Content-Type": "application/rss+xml"}, (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Faulty</title>'
        f"<item><title>Erdogan offers a summit</title><link>{base}{RECOVERED_ARTICLE}</link>"
        "<pubDate>Fri, 13 Jun 2025 13:00:00 GMT</pubDate></item><item><title>Half an ite").encode()))
    server.route("/broken-feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                      b"\x00\x01 this is not a feed <<< >>> &&& \xff\xfe"))

    web.sources_file.write_text(
        f'[[source]]\nname = "faulty"\nlanguage = "en"\n'
        f'feeds = ["{base}/rss.xml", "{base}/bomb-feed.xml", "{base}/broken-feed.xml", "{base}/cut-feed.xml"]\n'
        f'sitemaps = ["{base}/sitemap.xml", "{base}/bomb-sitemap.xml"]\n', encoding="utf-8")
    return web


def good_paths() -> list[str]:
    """Every path that must end as exactly one article."""
    return list(GOOD) + [FLAKY, SITEMAP_ARTICLE, RECOVERED_ARTICLE, WRONG_CHARSET, NO_CHARSET]
