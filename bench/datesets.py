"""The four corpus sets with a day truth, read as the corpus README says, plus the costly per-page facts, cached.

Shared by bench/date_weights.py (fitting and scoring the dating weights). The cache holds derived facts only
(the cleaner's language, the source zone, htmldate's answers), never page text, under $TALKWATCH_BENCH_CACHE or
/tmp/talkwatch-bench-cache, so a rerun costs seconds instead of minutes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("TALKWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
CACHE = Path(os.environ.get("TALKWATCH_BENCH_CACHE", "/tmp/talkwatch-bench-cache"))
SETS = ("dates", "htmldate-default", "trafilatura-eval", "readability")
_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")


@dataclass
class Page:
    """One page of a set and its truth: `day` None means the set says the page has no date."""

    set: str
    pid: str
    url: str
    path: Path
    day: str | None
    time: datetime | None = None  # the stated publication time (readability/ only), naive when written so

    def html(self) -> str:
        """The page decoded the way `talkwatch clean` decodes a saved file."""
        from pipelines.cleaning.decoding import decode_html

        return decode_html(gzip.decompress(self.path.read_bytes()))

    def fold(self, folds: int) -> int:
        """The page's fold: a hash of its URL (or set and id when it has none), so the split never depends on order
        or on the truth, and a page that two sets share (htmldate-default and trafilatura-eval do) is held out of
        both at once."""
        key = self.url if self.url.startswith("http") else f"{self.set}/{self.pid}"
        return int(hashlib.sha1(key.encode()).hexdigest(), 16) % folds


def _real_day(text: str) -> bool:
    try:
        return bool(_DAY.match(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


def load_set(name: str) -> list[Page]:
    """The pages of one set that can be scored for their day (malformed truths are skipped, as the README says).

    readability/ gives a time for 33 pages and null for the rest, which means "Readability shows no time", not
    "the page has no date": only its dated pages are kept.
    """
    folder = CORPUS / name
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, entry in truth.items():
        if name in ("dates", "htmldate-default"):
            pages.append(Page(name, key, key, folder / "html" / entry["file"], entry["date"]))
        elif name == "trafilatura-eval":
            day = entry.get("date")
            if day is not None and not _real_day(day):
                continue  # "", "2022-11-1", "2022-29-11": a malformed annotation
            pages.append(Page(name, key, entry.get("url") or "", folder / "html" / key, day))
        else:
            published = entry.get("published")
            if not published:
                continue
            path = folder / "html" / f"{key}.html.gz"
            when = datetime.fromisoformat(published.replace("Z", "+00:00"))
            time = when if len(published) > 10 else None
            pages.append(Page(name, key, path.resolve().as_uri(), path, published[:10], time))
    return pages


def load_all(sets: tuple[str, ...] = SETS) -> list[Page]:
    return [p for name in sets for p in load_set(name)]


def fetch_time() -> datetime:
    """One fetch time for a whole run (today, 00:00 UTC): the pages were fetched long before, as in a manifest."""
    today = datetime.now(timezone.utc).date()
    return datetime(today.year, today.month, today.day, tzinfo=timezone.utc)


@dataclass
class Facts:
    """What costs time to learn about a page: the cleaner's language, the source zone, htmldate's answers."""

    language: str | None
    zone: str | None
    htmldate_bare: str | None  # find_date(html, extensive_search=True): the baseline
    htmldate_ours: str | None  # as the dating asks it (original date, the URL, the fetch day as max_date)


def _facts(page: Page, html: str, fetched_at: datetime, sources: list) -> Facts:
    from htmldate import find_date

    from pipelines.cleaning import clean_html
    from pipelines.cli import _zone_for
    from pipelines.dating import run_htmldate_day

    try:
        bare = find_date(html, extensive_search=True)
    except Exception:  # noqa: BLE001 - a baseline that crashes returns nothing
        bare = None
    return Facts(clean_html(html, page.url).language, _zone_for(page.url, sources, None), bare,
                 run_htmldate_day(html, page.url, fetched_at))


def facts_for(pages: list[Page], fetched_at: datetime, refresh: bool = False) -> dict[str, Facts]:
    """Facts per page key ("set/id"), computed once and kept in the cache file of this fetch day."""
    from pipelines.cli import _sources_for_clean

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"date-facts-{fetched_at.date().isoformat()}.json"
    known = {} if refresh or not path.exists() else json.loads(path.read_text(encoding="utf-8"))
    sources = _sources_for_clean(None)
    missing = [p for p in pages if f"{p.set}/{p.pid}" not in known]
    for i, page in enumerate(missing):
        known[f"{page.set}/{page.pid}"] = _facts(page, page.html(), fetched_at, sources).__dict__
        if i % 100 == 99:
            path.write_text(json.dumps(known), encoding="utf-8")
    if missing:
        path.write_text(json.dumps(known), encoding="utf-8")
    return {key: Facts(**value) for key, value in known.items()}


def day_of(value: str | datetime | None) -> str | None:
    """The day a result names: its own local day, as the page's newsroom wrote it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10] if value else None
    return value.date().isoformat()


def day_right(found: str | None, page: Page) -> bool:
    """Right when the day matches, or when the set says no date and nothing was returned (corpus README)."""
    return (found or None) == page.day


def minute_right(found: datetime | None, page: Page) -> bool:
    """Within a minute of the stated time: instants when both carry an offset, wall clocks otherwise."""
    if page.time is None or found is None:
        return False
    truth = page.time
    if (truth.tzinfo is None) != (found.tzinfo is None):
        found, truth = found.replace(tzinfo=None), truth.replace(tzinfo=None)
    return abs(found - truth) <= timedelta(minutes=1)
