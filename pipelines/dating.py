"""Decide a page's publication time from all the evidence gathered for it, and say why.

The rule, in order:

1. Gather: JSON-LD, Open Graph and other metas, itemprop, the article's first ``<time>``, the hints (feed,
   news sitemap, sitemap lastmod, HTTP Last-Modified), a date in the URL (or the instant a Twitter/X post's
   Snowflake id holds), the publication date the page's own data
   layer names in an inline script (``"DateCreation": "2025-05-29"``), dates written near the headline. A byline
   right at the headline with a day and a clock but no year ("29 мая, 14:05") takes the year of other evidence
   naming that day, or - with no other dated evidence - the fetch's year (the year before for a day still to come)
   when the day then falls within the half year before the fetch; else it is set aside.
2. Reject: anything after ``fetched_at`` + 15 minutes (clock skew; a day-only or naive value is compared with the
   latest local day any time zone could be in), anything before 1995, January 1st from htmldate (its reading of a
   bare year such as a copyright line), and - the crawl-date trap - a date equal to the fetch day that only
   header-like evidence supports (a written date above the headline or in page furniture, a ``<time>`` in
   header/nav/sidebar/footer, htmldate) while real evidence elsewhere points to an older day.
3. Vote on the day: every kind of evidence gives its weight (JSON-LD/Open Graph/a Snowflake id 3, itemprop, feed
   and news sitemap 2.5, other date metas, article ``<time>``, the URL and the data layer 2, the written date nearest
   the headline and htmldate 1.5 - a written date with a clock time 2 -, ambiguous slash dates half, page furniture
   0.5, sitemap lastmod 0.3) to the day it names; a kind counts once per day. When the winning day rests on times
   written in UTC, the neighbouring day their newsroom may have lived in (early UTC hours: the day before; late
   ones: the day after) wins instead if local-clock evidence for it (URL, ``<time>``, a meta, a byline with a time:
   weight >= 2) outweighs the local evidence for the UTC day. HTTP Last-Modified never votes (dynamic sites send
   the render time). htmldate is asked only when page metadata and hints are missing or disagree and no two weaker
   kinds agree.
   Only htmldate's guess and page furniture left, naming different days (a "today" box on the fetch day excepted):
   nothing is credible, no date.
4. Within the winning day, the strongest evidence gives the value: page metadata beats hints, which beat
   ``<time>``, the URL and the text; a time beats a bare day, an offset beats none. So page metadata with a time
   beats a feed time that differs by hours; and when the winner is day-only, a time from the feed, a meta or
   ``<time>`` on that same day refines it (``date_source`` then names the refining evidence), and so does a byline
   time right at the headline unless it shows the clock of the page's modification time. A naive winning
   time takes the offset implied by an aware time of the same instant ("7:04 pm ET" beside 00:04Z: -05:00);
   failing that, the newsroom's zone (the source's configured one, a one-zone country domain or language: see
   `pipelines.newsroom`); failing that, it stays naive and the evidence says so. A winning UTC time that nothing
   on the newsroom's clock backs takes the page's stated offset - when every aware timestamp in the page that is
   not UTC has the same one (a schedule at "23:00:00 -0400") - and with it its day; else, when the newsroom's zone
   is known, it is shown on that clock (the same instant; its day the publisher's), unless that moves it off a day
   that local-clock evidence backs.
5. ``modified_at`` comes from dateModified/updated_time, an "Updated ..." line, lastmod or Last-Modified evidence
   apart, never from the vote; it is dropped when it is earlier than the publication time; a naive one is read on
   the newsroom's clock too.
6. Confidence: by the winner's tier, scaled by its share of the vote, plus a little per agreeing kind; at most 0.3
   when only header-like evidence names the fetch day (kept - fresh news is common - but doubted).
Nothing credible left: ``published_at=None``, ``precision="none"``, ``date_source="none"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo

from w3lib.encoding import html_to_unicode

from pipelines.dateevidence import YEARLESS, gather_evidence, page_language, parse_html
from pipelines.datetext import parse_date_value
from pipelines.newsroom import newsroom_zone
from pipelines.records import DateEvidence, DateHint, DatingResult

# kind -> (tier, weight, date_source name). Lower tier = stronger when choosing within a day.
_PUBLISHED_KINDS: dict[str, tuple[int, float, str]] = {
    "jsonld-published": (0, 3.0, "jsonld"),
    "og-published": (0, 3.0, "opengraph"),
    "url-id": (0, 3.0, "url"),
    "itemprop-published": (0, 2.5, "itemprop"),
    "feed": (1, 2.5, "feed"),
    "news-sitemap": (1, 2.5, "news-sitemap"),
    "meta": (1, 2.0, "meta"),
    "time": (2, 2.0, "time"),
    "url": (2, 2.0, "url"),
    "script": (2, 2.0, "script"),
    "jsonld-other": (2, 1.0, "jsonld"),
    "text": (3, 1.5, "text"),
    "htmldate": (3, 1.5, "htmldate"),
    "time-outside": (4, 0.5, "time"),
    "text-outside": (4, 0.5, "text"),
    "sitemap-lastmod": (5, 0.3, "sitemap-lastmod"),
}
# HTTP Last-Modified is not in the vote: dynamic sites send the time they rendered the page, i.e. the fetch time.
_MODIFIED_KINDS = ["jsonld-modified", "og-modified", "itemprop-modified", "meta-modified", "text-modified",
                   "sitemap-lastmod", "http-last-modified"]
_STRONG_TIER = 1  # tiers 0..1: page metadata and hints
_SKEW = timedelta(minutes=15)
_EARLIEST = datetime(1995, 1, 1)
_CONFIDENCE_BY_TIER = {0: 0.92, 1: 0.85, 2: 0.75, 3: 0.6, 4: 0.4, 5: 0.3}


def _local_day(ev: DateEvidence) -> date:
    assert ev.value is not None
    return ev.value.date()


def _is_utc(ev: DateEvidence) -> bool:
    """A time written in UTC by a CMS; an id's timestamp (a Snowflake) is an instant with no newsroom behind it."""
    return (ev.kind != "url-id" and ev.precision == "time" and ev.value is not None
            and ev.value.utcoffset() == timedelta(0))


def _days(ev: DateEvidence) -> dict[date, float]:
    """Days an evidence backs, with the share of its weight each gets.

    Its own local day fully. A time written in UTC is often a server's normalisation, not the newsroom's clock: an
    early-morning UTC time may be the previous local day (the Americas), a late one the next (Europe, Asia), so it
    also backs that neighbour at 0.9, and other evidence for the neighbour decides.
    """
    assert ev.value is not None
    days = {ev.value.date(): 1.0}
    if _is_utc(ev):
        if ev.value.hour < 10:
            days[ev.value.date() - timedelta(days=1)] = 0.9
        elif ev.value.hour >= 14:
            days[ev.value.date() + timedelta(days=1)] = 0.9
    return days


def _too_late(ev: DateEvidence, fetched_at: datetime) -> bool:
    value = ev.value
    assert value is not None
    if value.tzinfo is not None and ev.precision == "time":
        return value > fetched_at + _SKEW
    # naive or day-only: the page's local clock may be up to 14 hours ahead of UTC
    latest_local = (fetched_at + _SKEW + timedelta(hours=14)).replace(tzinfo=None)
    if ev.precision == "day":
        return value.date() > latest_local.date()
    return value > latest_local


def _too_early(ev: DateEvidence) -> bool:
    assert ev.value is not None
    return ev.value.replace(tzinfo=None) < _EARLIEST


def _reject(ev: DateEvidence, why: str) -> None:
    """Mark evidence as set aside, keeping what was noted before (where it was found) after the reason."""
    ev.note = f"rejected: {why}" + (f" ({ev.note})" if ev.note else "")


def _midnight_is_a_day(evidence: list[DateEvidence]) -> None:
    """A time of exactly 00:00:00 is a CMS or feed filling in a date-only field: keep its day, not a fake time.

    Why: "2025-05-29T00:00:00+03:00" beside a byline "29.05.2025 14:05" would otherwise win with its made-up
    clock, and in UTC it would even fall on the day before.
    """
    for ev in evidence:
        v = ev.value
        if ev.precision == "time" and v is not None and ev.kind != "url-id" \
                and (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            ev.value, ev.precision = v.replace(tzinfo=None), "day"
            ev.note = (ev.note + "; 00:00:00 taken for a date without a time").lstrip("; ")


def _complete_yearless(evidence: list[DateEvidence], fetched_at: datetime) -> None:
    """Give a yearless byline ("29 мая, 14:05") its year, only when that year is unambiguous.

    The year of other evidence naming the same day (a day either side: UTC) when exactly one year does; with no
    other dated evidence at all, the fetch's year - or the one before, for a day still to come - when the day then
    falls within the half year before the fetch (sites drop the year for this year's stories). Otherwise set aside.
    """
    yearless = [ev for ev in evidence if ev.value is not None and ev.note.startswith(YEARLESS)]
    if not yearless:
        return
    dated = [ev for ev in evidence if ev.value is not None and not ev.note.startswith(YEARLESS)
             and not ev.note.startswith("rejected") and ev.kind in _PUBLISHED_KINDS]
    latest = (fetched_at + _SKEW + timedelta(hours=14)).date()
    for ev in yearless:
        assert ev.value is not None
        month, day = ev.value.month, ev.value.day
        years = {other.value.year for other in dated if other.value is not None
                 and any((d.month, d.day) == (month, day) for d in
                         (other.value.date() + timedelta(days=k) for k in (-1, 0, 1)))}
        year = None
        if len(years) == 1:
            year = years.pop()
        elif not dated:
            year = latest.year if (month, day) <= (latest.month, latest.day) else latest.year - 1
            try:
                if (latest - date(year, month, day)).days > 183:
                    year = None
            except ValueError:  # 29 February in a common year
                year = None
        try:
            ev.value = ev.value.replace(year=year) if year is not None else ev.value
        except ValueError:
            year = None
        if year is None:
            _reject(ev, "a day without a year, and no evidence gives the year")
        else:
            ev.note += f"; year {year} from {'other evidence' if dated else 'the fetch time'}"


def _reject_implausible(evidence: list[DateEvidence], fetched_at: datetime) -> None:
    for ev in evidence:
        if ev.value is None or ev.note.startswith("rejected"):
            continue
        if _too_late(ev, fetched_at):
            _reject(ev, "after fetch time")
        elif _too_early(ev):
            _reject(ev, "before 1995")


def _usable(ev: DateEvidence) -> bool:
    return ev.value is not None and not ev.note.startswith("rejected") and ev.kind in _PUBLISHED_KINDS


def _header_like(ev: DateEvidence) -> bool:
    """Evidence a page header, widget or heuristic could have produced: where a 'today' banner ends up."""
    if ev.kind in ("text-outside", "time-outside", "htmldate"):
        return True
    return ev.kind == "text" and "before title" in ev.note


def _fetch_days(fetched_at: datetime) -> set[date]:
    """The local days the fetch time may be on somewhere."""
    return {fetched_at.date(), (fetched_at + timedelta(hours=14)).date(), (fetched_at - timedelta(hours=12)).date()}


def _reject_crawl_date(evidence: list[DateEvidence], fetched_at: datetime) -> None:
    """A date equal to the fetch day that only header-like evidence supports, against older real evidence, is the
    page printing today's date (e.g. 'Wednesday, September 24, 2025' above an article of 29 May): not a publication.

    Why so narrow: the flow fetches fresh news, so "published today" is common and a byline after the headline, a
    URL or page metadata saying today must stand.
    """
    fetch_days = _fetch_days(fetched_at)
    usable = [ev for ev in evidence if _usable(ev)]
    todays = [ev for ev in usable if _local_day(ev) in fetch_days]
    if not todays or not all(_header_like(ev) for ev in todays):
        return
    older = [ev for ev in usable if _local_day(ev) < min(fetch_days) and not _header_like(ev)]
    if not older:
        return
    for ev in todays:
        _reject(ev, "the fetch day, only a header/widget/heuristic says so")


def _run_htmldate(html: str, url: str, fetched_at: datetime) -> DateEvidence | None:
    """htmldate's heuristics (original date, extensive search); slow, so only asked when page metadata is missing."""
    if html.lstrip()[:4].lower() == "http" and " " not in html:
        return None  # htmldate would take a bare URL for an address to download
    try:
        from htmldate import find_date

        found = find_date(html, extensive_search=True, original_date=True, outputformat="%Y-%m-%d", url=url,
                          max_date=(fetched_at + timedelta(hours=14)).strftime("%Y-%m-%d"))
    except Exception:  # htmldate must never take the page down with it
        return None
    if not found:
        return None
    parsed = parse_date_value(found)
    if parsed is None:
        return None
    ev = DateEvidence("htmldate", found, parsed.value, "day")
    if (parsed.value.month, parsed.value.day) == (1, 1):
        # htmldate turns a bare year (a copyright line, "© 2020") into January 1st: not a publication day
        _reject(ev, "January 1st from htmldate is a year, not a day")
    return ev


def _needs_htmldate(usable: list[DateEvidence]) -> bool:
    """Ask htmldate only when page metadata and hints are missing or disagree, and no two weaker kinds agree."""
    strong_days = {_local_day(ev) for ev in usable if _PUBLISHED_KINDS[ev.kind][0] <= _STRONG_TIER}
    if len(strong_days) == 1:
        return False
    if strong_days:
        return True
    kinds_by_day: dict[date, set[str]] = {}
    for ev in usable:
        if ev.kind in ("url", "time", "text"):
            kinds_by_day.setdefault(_local_day(ev), set()).add(ev.kind)
    return not any(len(kinds) >= 2 for kinds in kinds_by_day.values())


def _vote(usable: list[DateEvidence]) -> tuple[date, float, float]:
    """The day with the most weight (each kind once per day), its weight and the total weight.

    Then the UTC correction: when the winning day rests on times written in UTC and the neighbouring day their hour
    points to (see `_days`) has real local-clock evidence (weight >= 2: a URL, a <time>, a meta, a byline with a
    time) outweighing the local evidence for the winner, the neighbour is the newsroom's day and wins.
    """
    per_kind_day: dict[tuple[str, date], float] = {}
    local: dict[tuple[str, date], float] = {}
    utc_clocks = _utc_clocks(usable)
    text_seen = False
    for ev in usable:
        weight = _weight(ev)
        if ev.kind == "text":
            weight = weight if not text_seen else 0.5  # the nearest written date speaks; the rest whisper
            text_seen = True
        key = (_PUBLISHED_KINDS[ev.kind][2], _local_day(ev))
        per_kind_day[key] = max(per_kind_day.get(key, 0.0), weight)
        if not _utc_like(ev, utc_clocks):
            local[key] = max(local.get(key, 0.0), weight)
    scores: dict[date, float] = {}
    local_weight: dict[date, float] = {}
    for (_, day), weight in per_kind_day.items():
        scores[day] = scores.get(day, 0.0) + weight
    for (_, day), weight in local.items():
        local_weight[day] = local_weight.get(day, 0.0) + weight
    preferred = _local_day(min(usable, key=_rank))
    # ties go to the strongest evidence's day, then to the day that local-clock evidence backs more
    day = max(scores, key=lambda d: (round(scores[d], 6), d == preferred, local_weight.get(d, 0.0)))
    heaviest: dict[str, float] = {}
    for (source, _), weight in per_kind_day.items():
        heaviest[source] = max(heaviest.get(source, 0.0), weight)
    total = sum(heaviest.values())
    utc_here = [ev for ev in usable if _is_utc(ev) and _local_day(ev) == day]
    if utc_here and scores[day] - local_weight.get(day, 0.0) > local_weight.get(day, 0.0):
        strongest = min(utc_here, key=_rank)
        neighbour = next((d for d in _days(strongest) if d != day), None)
        there = local_weight.get(neighbour, 0.0) if neighbour else 0.0
        if neighbour is not None and there >= 2.0 and there > local_weight.get(day, 0.0):
            return neighbour, there + 0.9 * (scores[day] - local_weight.get(day, 0.0)), total
    return day, scores[day], max(total, scores[day])


# an aware timestamp written anywhere in the page (scripts included): ISO 8601 or RFC 822 with a numeric offset
_STATED_OFFSET = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"|[0-3]?\d [A-Z][a-z]{2} (?:19|20)\d\d [0-2]\d:[0-5]\d:[0-5]\d) ?([+-])([01]\d):?([0-5]\d)(?!\d)")


def _stated_offset(html: str) -> timezone | None:
    """The page's local UTC offset when every aware timestamp in it that is not UTC states the same one.

    Why: a CMS that writes its metadata in UTC often still writes its schedules, feeds or widgets on the
    newsroom's clock ("Fri, 01 May 2020 23:00:00 -0400"); then 02:54Z is the evening before, local time. Two
    different offsets (a summer and a winter time, a foreign widget) and nothing is assumed.
    """
    offsets = set()
    for m in _STATED_OFFSET.finditer(html):
        minutes = int(m.group(2)) * 60 + int(m.group(3))
        if minutes and minutes <= 14 * 60:
            offsets.add((m.group(1), minutes))
        if len(offsets) > 1:
            return None
    if len(offsets) != 1:
        return None
    sign, minutes = offsets.pop()
    return timezone(timedelta(minutes=minutes if sign == "+" else -minutes))


def _utc_clocks(usable: list[DateEvidence]) -> set[datetime]:
    """The wall clocks (to the minute, no zone) of the times written in UTC: a naive time showing one is UTC too."""
    return {ev.value.replace(tzinfo=None, second=0, microsecond=0)
            for ev in usable if _is_utc(ev) and ev.value is not None}


def _utc_like(ev: DateEvidence, utc_clocks: set[datetime]) -> bool:
    """A time written in UTC, or a naive time showing the same clock as one (the UTC time with its "Z" dropped)."""
    assert ev.value is not None
    return _is_utc(ev) or (ev.precision == "time" and ev.value.tzinfo is None
                           and ev.value.replace(second=0, microsecond=0) in utc_clocks)


def _local_evidence_for(day: date, usable: list[DateEvidence]) -> bool:
    """Whether anything on the newsroom's clock (not a UTC time, not page furniture or htmldate) names `day`."""
    utc_clocks = _utc_clocks(usable)
    return any(_local_day(ev) == day and not _utc_like(ev, utc_clocks) and not _header_like(ev) for ev in usable)


def _weight(ev: DateEvidence) -> float:
    """The kind's weight; a written date with a clock time is a byline more often than a 'today' banner."""
    weight = _PUBLISHED_KINDS[ev.kind][1]
    if ev.kind in ("text", "text-outside") and ev.precision == "time":
        weight += 0.5
    if "ambiguous" in ev.note:
        weight *= 0.5  # 05/06/2025: the month may be the day
    return weight


def _rank(ev: DateEvidence) -> tuple:
    """Sort key: stronger tier first, then a time before a bare day, an offset before none, heavier first."""
    tier, weight, _ = _PUBLISHED_KINDS[ev.kind]
    assert ev.value is not None
    return (tier, ev.precision != "time", ev.value.tzinfo is None, -weight)


def _localize(value: datetime, usable: list[DateEvidence]) -> datetime:
    """Give a naive local time the offset an aware time of the same instant implies ("7:04 pm ET" vs 00:04Z).

    Why: the page's written time names the newsroom's day, the metadata's UTC time the instant; together they
    give both. Only whole quarter-hour offsets of at most 14 hours count, so a mere coincidence is unlikely.
    """
    for ev in usable:
        if ev.precision != "time" or ev.value is None or ev.value.tzinfo is None:
            continue
        instant = ev.value.astimezone(timezone.utc).replace(tzinfo=None)
        # written times rarely show seconds: compare to the minute
        delta = value.replace(second=0, microsecond=0) - instant.replace(second=0, microsecond=0)
        if abs(delta) <= timedelta(hours=14) and delta % timedelta(minutes=15) == timedelta(0):
            return value.replace(tzinfo=timezone(delta))
    return value


def _decide_modified(evidence: list[DateEvidence], published: datetime | None,
                     newsroom: tzinfo | None = None) -> datetime | None:
    """The last-modified time apart from the vote; an offsetless time is read on the newsroom's clock too."""
    candidates = [ev for ev in evidence if ev.kind in _MODIFIED_KINDS and ev.value is not None
                  and not ev.note.startswith("rejected")]
    candidates.sort(key=lambda ev: (_MODIFIED_KINDS.index(ev.kind), ev.precision != "time"))
    for ev in candidates:
        value = ev.value
        assert value is not None
        if newsroom is not None and value.tzinfo is None and ev.precision == "time":
            value = value.replace(tzinfo=newsroom)
        if published is not None and _comparable(value) < _comparable(published):
            ev.note = "ignored: earlier than the publication time"
            continue
        return value
    return None


_BYLINE_DISTANCE = re.compile(r"(\d+) blocks (from|before) title")


def _is_byline(ev: DateEvidence) -> bool:
    """A written date with a time right at the headline (up to 3 blocks after it, 1 before): the byline."""
    m = _BYLINE_DISTANCE.search(ev.note)
    return (ev.kind == "text" and ev.precision == "time" and m is not None
            and int(m.group(1)) <= (3 if m.group(2) == "from" else 2))


def _shows_modified_clock(ev: DateEvidence, evidence: list[DateEvidence]) -> bool:
    """Whether a written time shows the clock of the page's modification time ("07:02pm" beside updated 19:02)."""
    assert ev.value is not None
    clock = ev.value.replace(tzinfo=None, second=0, microsecond=0)
    return any(other.kind in _MODIFIED_KINDS and other.value is not None and other.precision == "time"
               and other.value.replace(tzinfo=None, second=0, microsecond=0) == clock for other in evidence)


def _comparable(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value


def date_page(html: str, url: str, fetched_at: datetime | None = None,
              hints: Sequence[DateHint] = (), language: str | None = None,
              zone: str | None = None) -> DatingResult:
    """Date one page: gather evidence, reject the implausible, vote on the day, take the strongest value in it.

    `zone` is the source's configured IANA time zone, for times the page writes without an offset (see
    `pipelines.newsroom`). Never raises on bad HTML; returns ``DatingResult(None, "none", "none", 0.0)`` when
    nothing is credible.
    """
    if fetched_at is None:
        fetched_at = datetime.now(timezone.utc)
    elif fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    try:
        return _date_page(html, url, fetched_at, hints, language, zone)
    except Exception:  # a dating bug must not lose the page: it is stored undated
        return DatingResult(None, "none", "none", 0.0)


def _date_page(html: str, url: str, fetched_at: datetime, hints: Sequence[DateHint],
               language: str | None, zone: str | None) -> DatingResult:
    if isinstance(html, bytes):  # tolerated: decode as the page declares (meta charset, BOM), else UTF-8
        html = html_to_unicode(None, html)[1]
    tree = parse_html(html) if isinstance(html, str) else None
    if tree is None:
        return DatingResult(None, "none", "none", 0.0)
    language = language or page_language(tree)  # read once: the evidence and the newsroom's zone both use it
    evidence = gather_evidence(tree, url, hints, language)
    _midnight_is_a_day(evidence)
    _complete_yearless(evidence, fetched_at)
    _reject_implausible(evidence, fetched_at)
    usable = [ev for ev in evidence if _usable(ev)]
    if _needs_htmldate(usable):
        extra = _run_htmldate(html, url, fetched_at)
        if extra is not None:
            evidence.append(extra)
            _reject_implausible([extra], fetched_at)
            if extra.value is not None and extra.value.day == 1 and any(
                    ev.note.startswith("rejected: after fetch time") and ev.value is not None
                    and (ev.value.year, ev.value.month) == (extra.value.year, extra.value.month) for ev in evidence):
                # htmldate cuts a date beyond its max_date down to that date's month: no day at all
                _reject(extra, "the 1st from htmldate is the month of a date after the fetch")
    _reject_crawl_date(evidence, fetched_at)
    usable = [ev for ev in evidence if _usable(ev)]
    if not usable:
        return DatingResult(None, "none", "none", 0.0, _decide_modified(evidence, None), evidence)
    # only htmldate's guess and page furniture, and they contradict each other: nothing is credible. Furniture naming
    # the fetch day is a "today" banner that says nothing about the page, so it contradicts nobody.
    weak_days = {_local_day(ev) for ev in usable if _header_like(ev) and _local_day(ev) not in _fetch_days(fetched_at)}
    if len(weak_days) > 1 and all(_header_like(ev) for ev in usable) \
            and any(ev.kind == "htmldate" for ev in usable):
        for ev in usable:
            ev.note = (ev.note + "; set aside: only weak evidence, and it disagrees").lstrip("; ")
        return DatingResult(None, "none", "none", 0.0, _decide_modified(evidence, None), evidence)
    day, weight, total = _vote(usable)
    backing = sorted((ev for ev in usable if day in _days(ev)), key=_rank)
    winner = backing[0]
    # prefer a value whose own local day is the winning day (an aware time may only back it through UTC)
    local = [ev for ev in backing if _local_day(ev) == day]
    if local:
        winner = local[0]
    value, precision, source = winner.value, winner.precision, _PUBLISHED_KINDS[winner.kind][2]
    refiner: DateEvidence | None = None
    refined: datetime | None = None
    if precision == "day":
        # a time on the same day refines it: from metadata, a hint or <time>, or a written time that an aware
        # time of the same instant corroborates ("5:50 PM" beside 01:50Z the next day)
        for ev in local:
            if ev.precision != "time" or ev.value is None:
                continue
            if _PUBLISHED_KINDS[ev.kind][0] <= 2:
                refiner, refined = ev, ev.value
                break
            if ev.value.tzinfo is None and _localize(ev.value, usable).tzinfo is not None:
                refiner, refined = ev, _localize(ev.value, usable)
                break
            if _is_byline(ev) and not _shows_modified_clock(ev, evidence):
                refiner, refined = ev, ev.value  # "15.10.2020 21:55" under the headline: the page states a time
                break
        if refiner is not None and refined is not None:
            refiner.note = (refiner.note + f"; refines the {source} day").lstrip("; ")
            value, precision, source = refined, "time", _PUBLISHED_KINDS[refiner.kind][2]
        else:
            value = datetime(value.year, value.month, value.day)
    if precision == "time" and value.tzinfo is None:
        value = _localize(value, usable)
    newsroom = newsroom_zone(url, language, zone)
    if precision == "time" and value.tzinfo is None:
        giver = refiner if refiner is not None else winner
        if newsroom is not None:
            value = value.replace(tzinfo=newsroom[0])
            giver.note = (giver.note + f"; no offset given: on the newsroom's clock, {newsroom[1]}").lstrip("; ")
        else:
            giver.note = (giver.note + "; no offset given, and the newsroom's zone is unknown").lstrip("; ")
    if precision == "time" and value.utcoffset() == timedelta(0) and _local_day(winner) == day \
            and not _local_evidence_for(day, usable):
        stated = _stated_offset(html)
        if stated is not None:
            # the same instant on the newsroom's clock, as the page states it elsewhere ("... 23:00:00 -0400")
            value = value.astimezone(stated)
            winner.note = (winner.note + f"; in the page's stated offset {value.strftime('%z')}").lstrip("; ")
            day = value.date()
    if precision == "time" and value.utcoffset() == timedelta(0) and newsroom is not None \
            and winner.kind != "url-id":
        local_value = value.astimezone(newsroom[0])
        if local_value.date() == day or not _local_evidence_for(day, usable):
            # the same instant on the newsroom's clock: its day is the publisher's day
            value = local_value
            winner.note = (winner.note + f"; shown on the newsroom's clock, {newsroom[1]}").lstrip("; ")
            day = value.date()
    winner.note = (winner.note + "; chosen").lstrip("; ")
    kinds = {_PUBLISHED_KINDS[ev.kind][2] for ev in backing}
    confidence = _CONFIDENCE_BY_TIER[_PUBLISHED_KINDS[winner.kind][0]] * (weight / total) ** 0.5
    confidence = min(0.99, confidence + 0.04 * (len(kinds) - 1))
    if all(_header_like(ev) for ev in backing) and day >= (fetched_at - timedelta(hours=12)).date():
        confidence = min(confidence, 0.3)  # only a 'today' banner may be saying this: kept, but doubted
    assert value is not None
    modified = _decide_modified(evidence, value, newsroom[0] if newsroom is not None else None)
    return DatingResult(value, precision, source, round(confidence, 3), modified, evidence)
