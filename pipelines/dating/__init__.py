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
3. Vote on the day (`pipelines.dating.vote`): every kind of evidence backs the day it names with a weight measured on
   the corpus sets - the log-odds of how often that kind's day was the true day, each set weighing the same - and
   the day with the most weight wins; a kind counts once per day, a kind right less often than not weighs nothing.
   The written dates are told apart (the one nearest the headline, with a clock time or not, further off, the
   others); htmldate's extensive search is one more voter, asked only when its answer could change the winner. A
   day resting only on UTC times whose neighbour (early UTC hours: the day before; late ones: the day after) has
   evidence on the newsroom's own clock is read as that neighbour. A Snowflake id's day wins outright (an exact
   instant). HTTP Last-Modified never votes (dynamic sites send the render time); the feed, news sitemap and
   lastmod hints - absent from saved pages, so never measured - vote with the weight of the page field they repeat.
   Only htmldate's guess and page furniture left, naming different days (a "today" box on the fetch day excepted):
   nothing is credible, no date.
4. Within the winning day, the strongest evidence gives the value: page metadata beats hints, which beat
   ``<time>``, the URL and the text; a time beats a bare day, an offset beats none. So page metadata with a time
   beats a feed time that differs by hours; and when the winner is day-only, a time from the feed, a meta or
   ``<time>`` on that same day refines it (``date_source`` then names the refining evidence), and so does a byline
   time right at the headline unless it shows the clock of the page's modification time. A naive winning
   time takes the offset implied by an aware time of the same instant ("7:04 pm ET" beside 00:04Z: -05:00);
   failing that, the newsroom's zone (the source's configured one, a one-zone country domain or language: see
   `pipelines.dating.newsroom`); failing that, it stays naive and the evidence says so. A winning UTC time that nothing
   on the newsroom's clock backs takes the page's stated offset - when every aware timestamp in the page that is
   not UTC has the same one (a schedule at "23:00:00 -0400") - and with it its day; else, when the newsroom's zone
   is known, it is shown on that clock (the same instant; its day the publisher's), unless that moves it off a day
   that local-clock evidence backs.
5. ``modified_at`` comes from dateModified/updated_time, an "Updated ..." line or ``<time>``, lastmod or
   Last-Modified evidence apart, never from the vote; it is dropped when it is earlier than the publication time; a
   naive one is read on the newsroom's clock too.
6. Confidence: the measured rate at which winners of the same pattern (their heaviest kind, htmldate agreeing,
   differing, silent or not asked, other days backed or not) were right on the corpus sets; at most 0.3 when only
   header-like evidence names the fetch day (kept - fresh news is common - but doubted).
Nothing credible left: ``published_at=None``, ``precision="none"``, ``date_source="none"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo

from lxml import etree
from w3lib.encoding import html_to_unicode

from pipelines.dating.evidence import YEARLESS, gather_evidence, page_language, parse_html
from pipelines.dating.newsroom import newsroom_zone
from pipelines.dating.text import parse_date_value
from pipelines.dating.vote import (HTMLDATE, Weights, backed_days, best_day, candidate_features, htmldate_may_change,
                                pattern, utc_clocks, utc_like)
from pipelines.dating.weights import load_weights
from pipelines.records import DateEvidence, DateHint, DatingResult

# kind -> (tier, date_source name). The day is chosen by the measured vote (`pipelines.dating.vote`); the tier only
# says, within the chosen day, whose value to show: a machine-written field states the exact time the publisher
# meant, a written date or htmldate's reading may only give the day. Lower tier first; within a tier, this order.
_PUBLISHED_KINDS: dict[str, tuple[int, str]] = {
    "jsonld-published": (0, "jsonld"),
    "og-published": (0, "opengraph"),
    "url-id": (0, "url"),
    "itemprop-published": (0, "itemprop"),
    "feed": (1, "feed"),
    "news-sitemap": (1, "news-sitemap"),
    "meta": (1, "meta"),
    "time": (2, "time"),
    "url": (2, "url"),
    "script": (2, "script"),
    "jsonld-other": (2, "jsonld"),
    "text": (3, "text"),
    "htmldate": (3, "htmldate"),
    "time-outside": (4, "time"),
    "text-outside": (4, "text"),
    "sitemap-lastmod": (5, "sitemap-lastmod"),
}
_KIND_ORDER = {kind: i for i, kind in enumerate(_PUBLISHED_KINDS)}
# HTTP Last-Modified is not in the vote: dynamic sites send the time they rendered the page, i.e. the fetch time.
_MODIFIED_KINDS = ["jsonld-modified", "og-modified", "itemprop-modified", "meta-modified", "time-modified",
                   "text-modified", "sitemap-lastmod", "http-last-modified"]
_SKEW = timedelta(minutes=15)
_EARLIEST = datetime(1995, 1, 1)
_ASK = object()  # date_page's htmldate_answer when htmldate is to be asked, not given


def _local_day(ev: DateEvidence) -> date:
    assert ev.value is not None
    return ev.value.date()


def _days(ev: DateEvidence, clocks: set[datetime]) -> dict[date, str]:
    """Days an evidence backs: its own, and for a time written in UTC the neighbour its hour points to."""
    return backed_days(ev, ev.kind, clocks)


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


def run_htmldate_day(html: str, url: str, fetched_at: datetime) -> str | None:
    """htmldate's day for the page (original date, extensive search), "YYYY-MM-DD", or None; never raises.

    htmldate gets the page's text, not dating's tree: handed the tree it works on a copy, in two thirds of the CPU,
    but answered 3 of 1,002 corpus pages differently, 2 of them wrongly (measured 2026-11-30)."""
    if html.lstrip()[:4].lower() == "http" and " " not in html:
        return None  # htmldate would take a bare URL for an address to download
    try:
        from htmldate import find_date

        return find_date(html, extensive_search=True, original_date=True, outputformat="%Y-%m-%d", url=url,
                         max_date=(fetched_at + timedelta(hours=14)).strftime("%Y-%m-%d")) or None
    except Exception:  # htmldate must never take the page down with it
        return None


def _htmldate_evidence(found: str | None) -> DateEvidence | None:
    """htmldate's answer as evidence; a January 1st is set aside (a bare year read as a day)."""
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


# an aware timestamp written anywhere in the page (scripts included): ISO 8601 or RFC 822 with a numeric offset
_STATED_OFFSET = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"|[0-3]?\d [A-Z][a-z]{2} (?:19|20)\d\d [0-2]\d:[0-5]\d:[0-5]\d) ?([+-])([01]\d):?([0-5]\d)(?!\d)")


# the end every such timestamp has: a colon and minutes, maybe seconds, then the offset; its literal first character
# lets the regex engine skip ahead, so the page is scanned about fifty times faster than by _STATED_OFFSET alone
_OFFSET_TAIL = re.compile(r":[0-5]\d(?::[0-5]\d(?:\.\d+)?)? ?[+-][01]\d:?[0-5]\d(?!\d)")
_BEFORE_TAIL = 20  # "YYYY-MM-DDTHH" or "DD Mon YYYY HH": a timestamp starts at most this far before its tail


def _stated_timestamps(html: str):
    """The matches of _STATED_OFFSET in `html`, found near the matches of _OFFSET_TAIL only."""
    done = 0
    for tail in _OFFSET_TAIL.finditer(html):
        for m in _STATED_OFFSET.finditer(html, max(done, tail.start() - _BEFORE_TAIL), tail.end() + 1):
            done = m.end()
            yield m


def _stated_offset(html: str) -> timezone | None:
    """The page's local UTC offset when every aware timestamp in it that is not UTC states the same one.

    Why: a CMS that writes its metadata in UTC often still writes its schedules, feeds or widgets on the
    newsroom's clock ("Fri, 01 May 2020 23:00:00 -0400"); then 02:54Z is the evening before, local time. Two
    different offsets (a summer and a winter time, a foreign widget) and nothing is assumed.
    """
    offsets = set()
    for m in _stated_timestamps(html):
        minutes = int(m.group(2)) * 60 + int(m.group(3))
        if minutes and minutes <= 14 * 60:
            offsets.add((m.group(1), minutes))
        if len(offsets) > 1:
            return None
    if len(offsets) != 1:
        return None
    sign, minutes = offsets.pop()
    return timezone(timedelta(minutes=minutes if sign == "+" else -minutes))


def _local_evidence_for(day: date, usable: list[DateEvidence]) -> bool:
    """Whether anything on the newsroom's clock (not a UTC time, not page furniture or htmldate) names `day`."""
    clocks = utc_clocks(usable)
    return any(_local_day(ev) == day and not utc_like(ev, clocks) and not _header_like(ev) for ev in usable)


def _rank(ev: DateEvidence) -> tuple:
    """Sort key within the chosen day: stronger tier first, then a time before a bare day, an offset before none."""
    tier, _ = _PUBLISHED_KINDS[ev.kind]
    assert ev.value is not None
    return (tier, ev.precision != "time", ev.value.tzinfo is None, _KIND_ORDER[ev.kind])


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
              zone: str | None = None, *, weights: Weights | None = None,
              htmldate_answer: object = _ASK, tree: etree._Element | None = None) -> DatingResult:
    """Date one page: gather evidence, reject the implausible, vote on the day, take the strongest value in it.

    `zone` is the source's configured IANA time zone, for times the page writes without an offset (see
    `pipelines.dating.newsroom`). `weights` replaces the shipped vote (`pipelines.dating.weights`) and `htmldate_answer` gives
    htmldate's answer instead of asking it: both for bench/date_weights.py, which fits and scores the vote. `tree` is
    the page already parsed from `html` (cleaning's tree, `pipelines.cleaning.htmltree.load_page`), so it is not parsed
    twice. Never raises on bad HTML; returns ``DatingResult(None, "none", "none", 0.0)`` when nothing is credible.
    """
    if fetched_at is None:
        fetched_at = datetime.now(timezone.utc)
    elif fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    return decide(html, url, fetched_at, hints, language, zone, weights or load_weights(), htmldate_answer,
                  tree=tree)[0]


def decide(html: str, url: str, fetched_at: datetime, hints: Sequence[DateHint], language: str | None,
           zone: str | None, weights: Weights, htmldate_answer: object = _ASK,
           tree: etree._Element | None = None) -> tuple[DatingResult, tuple | None]:
    """date_page's decision and the pattern the winner rests on (`pipelines.dating.vote.pattern`; None when nothing
    was chosen): bench/date_weights.py measures how often each pattern is right."""
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    try:
        return _date_page(html, url, fetched_at, hints, language, zone, weights, htmldate_answer, tree)
    except Exception:  # a dating bug must not lose the page: it is stored undated
        return DatingResult(None, "none", "none", 0.0), None


def _collect(html: str | bytes, url: str, fetched_at: datetime, hints: Sequence[DateHint], language: str | None,
             tree: etree._Element | None = None) -> tuple[str, list[DateEvidence], str | None] | None:
    """Parse the page (unless its tree is given) and gather its evidence, with the implausible set aside; None when
    there is no page."""
    if isinstance(html, bytes):  # tolerated: decode as the page declares (meta charset, BOM), else UTF-8
        html = html_to_unicode(None, html)[1]
    if tree is None:
        tree = parse_html(html) if isinstance(html, str) else None
    if tree is None:
        return None
    language = language or page_language(tree)  # read once: the evidence and the newsroom's zone both use it
    evidence = gather_evidence(tree, url, hints, language)
    _midnight_is_a_day(evidence)
    _complete_yearless(evidence, fetched_at)
    _reject_implausible(evidence, fetched_at)
    return html, evidence, language


def _add_htmldate(evidence: list[DateEvidence], found: str | None, fetched_at: datetime) -> None:
    """htmldate's answer as evidence, set aside when it is a year (January 1st) or a future date's month."""
    extra = _htmldate_evidence(found)
    if extra is None:
        return
    evidence.append(extra)
    _reject_implausible([extra], fetched_at)
    if extra.value is not None and extra.value.day == 1 and any(
            ev.note.startswith("rejected: after fetch time") and ev.value is not None
            and (ev.value.year, ev.value.month) == (extra.value.year, extra.value.month) for ev in evidence):
        # htmldate cuts a date beyond its max_date down to that date's month: no day at all
        _reject(extra, "the 1st from htmldate is the month of a date after the fetch")


def _modifications(evidence: list[DateEvidence]) -> list[DateEvidence]:
    return [ev for ev in evidence if ev.value is not None and not ev.note.startswith("rejected")
            and ev.kind in _MODIFIED_KINDS]


def voting_evidence(html: str, url: str, fetched_at: datetime, htmldate_day: str | None,
                    language: str | None = None,
                    hints: Sequence[DateHint] = ()) -> tuple[list[DateEvidence], list[DateEvidence]]:
    """Every evidence the vote may weigh for a page, htmldate's given answer included, and the modification
    evidence: what bench/date_weights.py measures the kinds' rates on. The rejections are the decision's own."""
    collected = _collect(html, url, fetched_at, hints, language)
    if collected is None:
        return [], []
    _, evidence, _ = collected
    _add_htmldate(evidence, htmldate_day, fetched_at)
    _reject_crawl_date(evidence, fetched_at)
    return [ev for ev in evidence if _usable(ev)], _modifications(evidence)


def _date_page(html: str, url: str, fetched_at: datetime, hints: Sequence[DateHint],
               language: str | None, zone: str | None, weights: Weights,
               htmldate_answer: object, tree: etree._Element | None = None) -> tuple[DatingResult, tuple | None]:
    collected = _collect(html, url, fetched_at, hints, language, tree)
    if collected is None:
        return DatingResult(None, "none", "none", 0.0), None
    html, evidence, language = collected
    _reject_crawl_date(evidence, fetched_at)
    usable = [ev for ev in evidence if _usable(ev)]
    asked = htmldate_may_change(candidate_features(usable, _modifications(evidence)), weights)
    if asked:
        found = run_htmldate_day(html, url, fetched_at) if htmldate_answer is _ASK else htmldate_answer
        _add_htmldate(evidence, found if isinstance(found, str) else None, fetched_at)
        _reject_crawl_date(evidence, fetched_at)
        usable = [ev for ev in evidence if _usable(ev)]
    if not usable:
        return DatingResult(None, "none", "none", 0.0, _decide_modified(evidence, None), evidence), None
    # only htmldate's guess and page furniture, and they contradict each other: nothing is credible. Furniture naming
    # the fetch day is a "today" banner that says nothing about the page, so it contradicts nobody.
    weak_days = {_local_day(ev) for ev in usable if _header_like(ev) and _local_day(ev) not in _fetch_days(fetched_at)}
    if len(weak_days) > 1 and all(_header_like(ev) for ev in usable) \
            and any(ev.kind == "htmldate" for ev in usable):
        for ev in usable:
            ev.note = (ev.note + "; set aside: only weak evidence, and it disagrees").lstrip("; ")
        return DatingResult(None, "none", "none", 0.0, _decide_modified(evidence, None), evidence), None
    features = candidate_features(usable, _modifications(evidence))
    day = best_day(features, weights)
    htmldate_day = next((_local_day(ev) for ev in usable if ev.kind == HTMLDATE), None)
    won = pattern(features, day, weights, asked, htmldate_day)
    confidence = weights.confidence(won)
    clocks = utc_clocks(usable)
    backing = sorted((ev for ev in usable if day in _days(ev, clocks)), key=_rank)
    winner = backing[0]
    # prefer a value whose own local day is the winning day (an aware time may only back it through UTC)
    local = [ev for ev in backing if _local_day(ev) == day]
    if local:
        winner = local[0]
    value, precision, source = winner.value, winner.precision, _PUBLISHED_KINDS[winner.kind][1]
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
            value, precision, source = refined, "time", _PUBLISHED_KINDS[refiner.kind][1]
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
    if all(_header_like(ev) for ev in backing) and day >= (fetched_at - timedelta(hours=12)).date():
        confidence = min(confidence, 0.3)  # only a 'today' banner may be saying this: kept, but doubted
    assert value is not None
    modified = _decide_modified(evidence, value, newsroom[0] if newsroom is not None else None)
    return DatingResult(value, precision, source, round(confidence, 3), modified, evidence), won
