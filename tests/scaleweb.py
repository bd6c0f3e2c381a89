"""A loopback web of eight outlets for the scale-out tests (all text is our own, from newsweb and faultweb).

Each outlet is its own loopback host (127.0.0.11 ...) with an RSS feed. Their names put two outlets in each of four
shards (pipelines/scaleout/shards.py), and the stories cross the shards: exact and near syndicated copies whose original is
in another shard, and two groups whose original is the copy another shard publishes *earlier*, so a sharded run
only equals a single run when every load is matched against what the other shards stored. One page can be held:
its first request waits until the test releases it (the marker of a shard caught mid-crawl).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

from tests.faultweb import AGENDA, ROUND_TWO, RU_ROUND, RU_SWAP, SWAP
from tests.loopback import LoopbackServer, RequestInfo
from tests.newsweb import FOOTBALL, HTML, MEMORANDUM, PRISONERS, RUSSIAN, TALKS, article_html, rss

# the shards of four these names fall in (pipelines.scaleout.shards.shard_of): papa, yankee 0; bravo, delta 1;
# alpha, charlie 2; india, lima 3 (tests/test_scale_out.py checks it)
OUTLETS = ["alpha", "bravo", "charlie", "delta", "india", "lima", "papa", "yankee"]

# outlet -> [(path, title, paragraphs, published, language)]
STORIES: dict[str, list[tuple[str, str, list[str], str, str]]] = {
    "alpha": [("/news/second-round.html", "Russia and Ukraine hold second round of talks in Istanbul", TALKS,
               "2025-06-02T14:05:00+03:00", "en"),
              ("/sport/derby.html", "Galatasaray win the Istanbul derby", FOOTBALL, "2025-06-01T22:40:00+03:00",
               "en")],
    "bravo": [("/world/talks-copy.html", "Second round of Russia-Ukraine talks held in Istanbul", TALKS,
               "2025-06-02T16:30:00+03:00", "en"),
              ("/world/prisoners.html", "Russia and Ukraine carry out largest prisoner exchange", PRISONERS,
               "2025-06-06T18:20:00+03:00", "en")],
    "charlie": [("/a/memorandum-first.html", "Peace memorandum nearly ready, Kremlin says", MEMORANDUM,
                 "2025-05-29T09:00:00+03:00", "en")],
    "delta": [("/story/memorandum.html", "Kremlin says peace memorandum is nearly ready", MEMORANDUM,
               "2025-05-29T11:00:00+03:00", "en"),
              ("/story/round-two.html", "Negotiators meet again in Istanbul", ROUND_TWO,
               "2025-06-02T15:00:00+03:00", "en")],
    "india": [("/p/round-two-near.html", "Istanbul talks: negotiators sit down again", ROUND_TWO + [
                  "This report was first published by Delta and is republished here with a note from our desk "
                  "on the delegations' travel plans for the next round of the peace talks."],
               "2025-06-02T18:00:00+03:00", "en"),
              ("/p/swap.html", "Hundreds come home in prisoner exchange", SWAP, "2025-06-14T13:00:00+03:00", "en")],
    "lima": [("/l/agenda.html", "Kremlin ready for third round of peace talks", AGENDA, "2025-06-18T10:00:00+03:00",
              "en"),
             ("/l/ru-round.html", "Делегации провели в Стамбуле второй раунд переговоров", RUSSIAN,
              "2025-06-02T19:10:00+03:00", "ru")],
    "papa": [("/x/swap-copy.html", "Prisoner exchange: hundreds of soldiers return home", SWAP,
              "2025-06-14T17:45:00+03:00", "en"),
             ("/x/ru-round.html", "Новый раунд переговоров в Стамбуле", RU_ROUND, "2025-06-16T12:00:00+03:00", "ru")],
    "yankee": [("/y/agenda-early.html", "Moscow says delegation ready for third round of talks", AGENDA,
                "2025-06-18T08:30:00+03:00", "en"),
               ("/y/ru-swap.html", "Обмен пленными по итогам переговоров", RU_SWAP, "2025-06-15T09:00:00+03:00",
                "ru")],
}


@dataclass
class ScaleWeb:
    """The running outlets, the config files naming them, and the hold on one page."""

    outlets: dict[str, LoopbackServer]
    sources_file: Path
    topic_file: Path
    held: tuple[str, str] | None = None
    reached: threading.Event = field(default_factory=threading.Event)  # the held page was requested
    released: threading.Event = field(default_factory=threading.Event)

    def hold(self, outlet: str, path: str) -> None:
        """The next request for `path` of `outlet` waits until release(); later ones are answered at once."""
        self.reached.clear()
        self.released.clear()
        self.held = (outlet, path)

    def release(self) -> None:
        self.held = None
        self.released.set()

    def stop(self) -> None:
        self.release()
        for srv in self.outlets.values():
            srv.stop()


def _page(web: ScaleWeb, outlet: str, path: str, body: bytes):
    def serve(req: RequestInfo):
        if web.held == (outlet, path):
            web.held = None
            web.reached.set()
            web.released.wait(300)
        return 200, HTML, body
    return serve


def _pubdate(iso: str) -> str:
    return format_datetime(datetime.fromisoformat(iso))


def start_scaleweb(tmp: Path) -> ScaleWeb:
    outlets = {name: LoopbackServer(host=f"127.0.0.{11 + i}").start() for i, name in enumerate(OUTLETS)}
    web = ScaleWeb(outlets, tmp / "sources.toml", tmp / "topic.toml")
    web.released.set()
    config = []
    for name, srv in outlets.items():
        base = srv.url("")
        items = []
        for path, title, paragraphs, published, lang in STORIES[name]:
            body = article_html(title, paragraphs, published, lang=lang, site=name.title()).encode()
            srv.route(path, _page(web, name, path, body))
            items.append((path, title, _pubdate(published)))
        srv.route("/robots.txt", (404, {"Content-Type": "text/plain"}, b""))
        srv.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"}, rss(base, items)))
        config.append(f'[[source]]\nname = "{name}"\nlanguage = "en"\nfeeds = ["{base}/rss.xml"]\nsitemaps = []\n')
    web.sources_file.write_text("\n".join(config), encoding="utf-8")
    web.topic_file.write_text(
        'name = "test talks"\nkeep_all = false\n\n[terms]\n'
        'en = ["talks", "negotiations", "negotiators", "delegation", "delegations", "memorandum", "ceasefire", '
        '"prisoner exchange", "Medinsky", "Umerov"]\n'
        'ru = ["переговоры", "переговоров", "делегация", "делегации", "меморандум", "меморандумами", "Мединский", '
        '"пленными"]\n', encoding="utf-8")
    return web
