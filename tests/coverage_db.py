"""A small but complete coverage database for the analysis tests (search, report, exports): four outlets of four
sides in en/ru/uk/tr, originals and syndicated copies, topic concepts, times to the minute and day-only dates,
failed pages and listings. Built through the real loader, so every view sees what a run would have stored."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from storage.load import article_id_for, load_batch
from storage.records import ArticleRow, ListingRow, PageRow, RawPageRow, RunBatch, RunRow, SourceRow

T0 = datetime(2025, 5, 16, 9, 30, tzinfo=timezone.utc)

SOURCES = [
    SourceRow("kyiv_wire", "uk", "UA", "ukrainian", feeds=["http://127.0.0.1:9/kyiv.xml"]),
    SourceRow("moscow_daily", "ru", "RU", "russian-state", feeds=["http://127.0.0.1:9/moscow.xml"]),
    SourceRow("ankara_post", "tr", "TR", "turkish", feeds=["http://127.0.0.1:9/ankara.xml"]),
    SourceRow("world_news", "en", "GB", "international", feeds=["http://127.0.0.1:9/world.xml"]),
]

# (source, language, title, text, hours after T0 or None for undated, day-only?, concepts)
STORIES = [
    ("world_news", "en", "Ceasefire memorandum handed over in Istanbul",
     "Delegations from Russia and Ukraine exchanged draft memorandums on a ceasefire at the talks in Istanbul. "
     "The negotiators agreed to continue the negotiations next week.",
     0, False, ["ceasefire", "memorandum", "Istanbul", "negotiations"]),
    ("world_news", "en", "Prisoner exchange agreed",
     "Both sides agreed on a large prisoner exchange, officials said after the talks. The ceasefire was not agreed.",
     26, False, ["prisoner exchange", "negotiations", "ceasefire"]),
    ("moscow_daily", "ru", "Переговоры в Стамбуле завершились",
     "Делегации России и Украины провели переговоры в Стамбуле. Стороны договорились об обмене пленными, "
     "меморандум о перемирии будет подготовлен.",
     1, False, ["negotiations", "Istanbul", "prisoner exchange", "memorandum", "ceasefire"]),
    ("moscow_daily", "ru", "Мединский о меморандуме",
     "Глава делегации Мединский заявил, что меморандум передан украинской стороне, переговорами доволен.",
     30, True, ["memorandum", "negotiations", "Medinsky"]),
    ("kyiv_wire", "uk", "Перемовини у Стамбулі: обмін полоненими",
     "Українська делегація на переговорах у Стамбулі домовилася про обмін полоненими. Припинення вогню "
     "не погоджено, перемовини тривають.",
     2, False, ["negotiations", "Istanbul", "prisoner exchange", "ceasefire"]),
    ("kyiv_wire", "uk", "Меморандум про перемир'я",
     "Україна передала меморандум щодо перемир'я, повідомили у делегації після переговорів.",
     None, False, ["memorandum", "ceasefire", "negotiations"]),
    ("ankara_post", "tr", "İstanbul'da müzakereler sürüyor",
     "Rusya ve Ukrayna heyetleri İstanbul'da müzakerelere devam etti. Esir takası konusunda anlaşma sağlandı, "
     "ateşkes için mutabakat taslağı görüşüldü.",
     3, False, ["Istanbul", "negotiations", "prisoner exchange", "ceasefire", "memorandum"]),
]


def row(i: int, source: str, language: str, title: str, text: str, hours: int | None, day_only: bool,
         concepts: list[str], url: str | None = None) -> ArticleRow:
    url = url or f"http://{source}.test/article/{i}"
    published = None if hours is None else T0 + timedelta(hours=hours)
    precision = "none" if published is None else ("day" if day_only else "time")
    if day_only and published is not None:
        published = datetime(published.year, published.month, published.day)
    h = hashlib.sha256(text.lower().encode()).hexdigest()
    return ArticleRow(
        article_id=article_id_for(url), url=url, canonical_url=url, source=source, title=title,
        published_at=published, published_precision=precision, date_source="jsonld" if published else "none",
        date_confidence=0.9 if published else 0.0, modified_at=None, date_evidence="[]", language=language,
        authors=[], text=text, word_count=len(text.split()), fetched_at=T0 + timedelta(hours=40),
        exact_key=h, band_keys=[int(h[:15], 16)], relevance_score=4.0, matched_terms=list(concepts),
        topic_terms=list(concepts))


def page_html(a: ArticleRow) -> str:
    """The stored page of a fixture article: enough of an article page for `reprocess` to clean it again."""
    published = f'<meta property="article:published_time" content="{a.published_at.isoformat()}">' \
        if a.published_at and a.published_precision == "time" else ""
    body = "".join(f"<p>{a.text} {n}</p>" for n in ("", "(1)", "(2)", "(3)"))
    return (f'<html lang="{a.language}"><head><meta charset="utf-8"><title>{a.title}</title>{published}</head>'
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{a.title}</h1>{body}</article></body></html>")


def load(db: Path, articles: list[ArticleRow], run_id: str = "extra-run") -> None:
    """Load more articles into a coverage database, as a later run would."""
    run = RunRow(run_id=run_id, trigger="test", started_at=T0, ended_at=T0, status="completed")
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at, status=200,
                     canonical_url=a.canonical_url, article_id=a.article_id) for a in articles]
    load_batch(db, RunBatch(run=run, articles=articles, pages=pages), lambda a, b: 1.0 if a == b else None)


def build(db: Path, copies: bool = True) -> dict[str, str]:
    """Load the stories (and, with `copies`, two syndicated copies of the English original) into `db`.

    Returns the article ids by a short name: "en_ceasefire", "ru_talks", ..., "copy_ru", "copy_tr".
    """
    arts = [row(i, *story) for i, story in enumerate(STORIES)]
    names = ["en_ceasefire", "en_prisoners", "ru_talks", "ru_medinsky", "uk_talks", "uk_memorandum", "tr_talks"]
    ids = dict(zip(names, (a.article_id for a in arts)))
    if copies:  # the English original, syndicated word for word by two other outlets later
        src = STORIES[0]
        for name, source, hours in (("copy_ru", "moscow_daily", 4), ("copy_tr", "ankara_post", 7)):
            a = row(0, source, "en", src[2], src[3], hours, False, src[6], url=f"http://{source}.test/wire/{name}")
            arts.append(a)
            ids[name] = a.article_id
    run = RunRow(run_id="fixture-run", trigger="test", started_at=T0, ended_at=T0 + timedelta(minutes=1),
                 status="completed-with-errors", errors=[{"source": "ankara_post", "url": "http://ankara_post.test/x",
                                                          "reason": "HTTP 503"}])
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at, status=200,
                     canonical_url=a.canonical_url, article_id=a.article_id) for a in arts]
    pages += [PageRow(url="http://ankara_post.test/x", source="ankara_post", outcome="failed", reason="HTTP 503",
                      fetched_at=T0, status=503),
              PageRow(url="http://world_news.test/sport", source="world_news", outcome="off-topic",
                      reason="not relevant", fetched_at=T0, status=200)]
    raw = [RawPageRow(url=a.url, source=a.source, fetched_at=a.fetched_at, status=200, headers="{}",
                      encoding="utf-8", body=page_html(a).encode()) for a in arts]
    listings = [ListingRow(url=s.feeds[0], source=s.source, listing_type="feed", outcome="ok", fetched_at=T0,
                           status=200, entries=3) for s in SOURCES]
    batch = RunBatch(run=run, articles=arts, pages=pages, raw_pages=raw, listings=listings, sources=list(SOURCES))
    load_batch(db, batch, lambda a, b: 1.0 if a == b else None)
    return ids
