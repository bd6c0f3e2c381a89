"""Choose a page's publication day by the agreement of its evidence, each kind weighted by how often it is right.

Every candidate day gets the features of the evidence that backs it - one per kind of evidence (JSON-LD, Open Graph,
the URL, the first written date near the headline, htmldate's extensive search, ...), and "the day before an early
UTC time" / "the day after a late one" for a time written in UTC, which may be the newsroom's neighbouring day.
A day's score is the sum of its features' weights; the highest score wins. A feature's weight is the log-odds of
the rate at which the day it backs was the true day, measured on the corpus sets with each set weighing the same
(`feature_rate`); a kind right less often than not does not vote (`weights_from_rates`). Those rates and the rate
at which each winning pattern was right (the stored ``date_confidence``) are measured by ``bench/date_weights.py``
and kept in `pipelines.dating.weights`; nothing here is a hand-set priority.

The crawl-time hints (feed, news sitemap, sitemap lastmod) cannot be measured on saved pages, which have none: they
take the weight of the page field they repeat (see `HINT_PEERS`), and their absence is no feature at all.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pipelines.records import DateEvidence

HTMLDATE = "htmldate"
UTC_BEFORE, UTC_AFTER = "utc-day-before", "utc-day-after"
MODIFIED = "modified"  # the page also names the day as a modification: a feature of a day, never a candidate
# An exact statement, not a heuristic: a post id's Snowflake holds its creation instant. Too rare on the corpus to
# measure, and nothing it could be weighed against is more exact: the day it names wins.
EXACT_KINDS = {"url-id"}
# modification evidence the page itself writes (hints are absent from saved pages: they must not be learned)
MODIFIED_KINDS = {"jsonld-modified", "og-modified", "itemprop-modified", "meta-modified", "time-modified",
                  "text-modified"}
# The first written date near the headline is right about 0.92 of the time within 6 text blocks of it, 0.78
# beyond (corpus sets): beyond, it is a feature of its own ("text-far"), measured apart.
_FAR_BLOCKS = 6
# The hints repeat a field the publisher also writes into the page: the feed's pubDate and the news sitemap's
# publication_date are the CMS's publication time (like Open Graph's and JSON-LD's), a sitemap's lastmod is a
# modification time, trusted like a date in page furniture.
HINT_PEERS = {"feed": "og-published", "news-sitemap": "jsonld-published", "sitemap-lastmod": "time-outside"}
# Early UTC hours may still be the evening before in the Americas; late ones already the next day east of Europe.
_EARLY_UTC_HOUR, _LATE_UTC_HOUR = 10, 14


MIN_SEEN = 10  # a feature seen on fewer pages is not weighed (a hint takes its peer's weight, anything else none)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


SET_SHRINK = 5  # a set's rate for a feature counts as that many more pages at the feature's rate over all sets


def feature_rate(per_set: Mapping[str, tuple[int, int]], set_pages: Mapping[str, int]) -> float:
    """How often a feature's day was right, each set weighing the same: a page of a set of N pages counts as
    mean(N)/N pages (so 339 general pages do not outvote 33 news pages tenfold). A set's own rate is first shrunk
    toward the feature's rate over all pages by `SET_SHRINK` pages' worth (as `Weights.confidence` shrinks a
    pattern's rate), so a feature seen on 2 pages of a small set does not count as 13 pages at rate 0 or 1; the pooled
    rate has one right and one wrong page added, so a handful of pages cannot make it 0 or 1."""
    right_all = sum(r for s, (r, _) in per_set.items() if set_pages.get(s))
    seen_all = sum(n for s, (_, n) in per_set.items() if set_pages.get(s))
    pooled = (right_all + 1) / (seen_all + 2)
    mean = sum(set_pages.values()) / max(len(set_pages), 1)
    weighed = sum(n * mean / set_pages[s] for s, (_, n) in per_set.items() if set_pages.get(s) and n)
    if not weighed:
        return pooled
    return sum(n * mean / set_pages[s] * (r + SET_SHRINK * pooled) / (n + SET_SHRINK)
               for s, (r, n) in per_set.items() if set_pages.get(s) and n) / weighed


def weights_from_rates(rates: Mapping[str, Mapping[str, tuple[int, int]]],
                       set_pages: Mapping[str, int]) -> dict[str, float]:
    """Each feature's weight: the log-odds of its measured rate, so independent voters would combine as evidence
    does; a kind right less often than not gets 0 (it never speaks against a day, and a day it alone backs loses
    to any other)."""
    out = {}
    for feature, per_set in rates.items():
        if sum(seen for _, seen in per_set.values()) >= MIN_SEEN:
            out[feature] = round(max(0.0, _logit(feature_rate(per_set, set_pages))), 4)
    return out


@dataclass(frozen=True)
class Weights:
    """The fitted vote: a weight per feature, and the measured rate of each winning pattern."""

    features: Mapping[str, float]
    rates: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # pattern -> (right, seen)
    prior: float = 0.5  # how often a winner was right over all the pages measured

    def weight(self, feature: str) -> float:
        """A feature's weight; a hint's is its page peer's; a feature never measured weighs nothing."""
        return float(self.features.get(feature, self.features.get(HINT_PEERS.get(feature, ""), 0.0)))

    def confidence(self, pattern: tuple[str, str, str]) -> float:
        """The measured rate of a winning pattern (strongest kind, htmldate's stand, split or not), shrunk toward
        the rate of its coarser pattern when few pages showed it: 5 pages' worth of the coarser rate."""
        kind, htmldate, split = pattern
        kind = HINT_PEERS.get(kind, kind)
        rate = self.prior
        for key in (kind, f"{kind}|{htmldate}", f"{kind}|{htmldate}|{split}"):
            right, seen = self.rates.get(key, (0, 0))
            rate = (right + 5 * rate) / (seen + 5)
        return rate


_BLOCKS = re.compile(r"(\d+) blocks (?:from|before) title")


def evidence_kind(ev: DateEvidence, first_text: bool) -> str:
    """The feature an evidence gives its day: its kind, with the written dates told apart by what makes them
    more or less reliable: the one nearest the headline (with a clock time; within a few blocks of it, or
    further), the others, and a slash date whose day and month may be swapped."""
    if ev.kind == "text" or ev.kind == "text-outside":
        if "ambiguous" in ev.note:
            return f"{ev.kind}-ambiguous"
        if ev.kind == "text-outside":
            return ev.kind
        if not first_text:
            return "text-more"
        if ev.precision == "time":
            return "text-time"
        m = _BLOCKS.search(ev.note)
        return "text-far" if m and int(m.group(1)) > _FAR_BLOCKS else "text"
    return ev.kind


def _is_utc_time(ev: DateEvidence) -> bool:
    """A time written in UTC by a CMS; an id's timestamp (a Snowflake) is an instant with no newsroom behind it."""
    return (ev.kind not in EXACT_KINDS and ev.precision == "time" and ev.value is not None
            and ev.value.utcoffset() == timedelta(0))


def utc_clocks(usable: Sequence[DateEvidence]) -> set[datetime]:
    """The wall clocks (to the minute, no zone) of the times written in UTC: a naive time showing one is UTC too."""
    return {ev.value.replace(tzinfo=None, second=0, microsecond=0)
            for ev in usable if _is_utc_time(ev) and ev.value is not None}


def utc_like(ev: DateEvidence, clocks: set[datetime]) -> bool:
    """A time written in UTC, or a naive time showing the same clock as one (the UTC time with its "Z" dropped)."""
    assert ev.value is not None
    return _is_utc_time(ev) or (ev.precision == "time" and ev.value.tzinfo is None
                                and ev.value.replace(second=0, microsecond=0) in clocks)


def _utc_step(ev: DateEvidence, clocks: set[datetime]) -> int:
    """For a UTC time (or a naive one showing a UTC time's clock): -1 when its hour is early enough to be the
    evening before in the Americas, +1 when late enough to be the next day east of Europe; else 0."""
    assert ev.value is not None
    if ev.kind in EXACT_KINDS or ev.precision != "time" or not utc_like(ev, clocks):
        return 0
    if ev.value.hour < _EARLY_UTC_HOUR:
        return -1
    return 1 if ev.value.hour >= _LATE_UTC_HOUR else 0


def _states_local_day(ev: DateEvidence, clocks: set[datetime]) -> bool:
    """Evidence on the newsroom's own clock that says when: a field (URL, metadata, <time>, data layer) or a written
    date with a clock time, not in UTC. A written day alone may be any date the story mentions."""
    if utc_like(ev, clocks) or ev.kind == HTMLDATE:
        return False
    return ev.precision == "time" or not ev.kind.startswith("text")


def _shifted_days(usable: Sequence[DateEvidence], clocks: set[datetime]) -> dict[date, date]:
    """Days that rest only on UTC times pointing the same way, whose neighbour that way has evidence stating the
    newsroom's own day: the UTC times are that newsroom's neighbouring day written in UTC. Measured on the corpus
    sets (`bench/date_weights.py --rates`): the neighbour was the true day on 16 of the 17 such pages."""
    by_day: dict[date, list[DateEvidence]] = {}
    for ev in usable:
        if ev.kind != HTMLDATE and ev.value is not None:
            by_day.setdefault(ev.value.date(), []).append(ev)
    shifted = {}
    for day, evs in by_day.items():
        steps = {_utc_step(ev, clocks) for ev in evs}
        if len(steps) != 1 or 0 in steps:
            continue
        neighbour = day + timedelta(days=steps.pop())
        if any(_states_local_day(ev, clocks) for ev in by_day.get(neighbour, ())):
            shifted[day] = neighbour
    return shifted


def backed_days(ev: DateEvidence, kind: str, clocks: set[datetime] | None = None,
                shifted: Mapping[date, date] | None = None) -> dict[date, str]:
    """The days an evidence backs and the feature it gives each: its own day, and for a UTC time (or a naive one
    showing a UTC time's clock) the neighbouring day its hour points to (the newsroom may have lived in it). On a
    shifted day (see `_shifted_days`) a UTC time backs the newsroom's day instead, with its full kind."""
    assert ev.value is not None
    day = ev.value.date()
    if shifted and ev.kind != HTMLDATE and day in shifted:
        return {shifted[day]: kind}
    days = {day: kind}
    step = _utc_step(ev, clocks or set())
    if step:
        days[day + timedelta(days=step)] = UTC_BEFORE if step < 0 else UTC_AFTER
    return days


def candidate_features(usable: Sequence[DateEvidence],
                       modified: Sequence[DateEvidence] = ()) -> dict[date, set[str]]:
    """Each candidate day and the features backing it; a kind counts once per day however often it repeats.
    A day that page evidence backs and a modification evidence names as well gets the `MODIFIED` feature (it may
    be the last update). Not a day htmldate alone names: htmldate may have read that very modification field, so
    the two are one voice, not two."""
    out: dict[date, set[str]] = {}
    clocks = utc_clocks(usable)
    shifted = _shifted_days(usable, clocks)
    text_seen = False
    for ev in usable:
        kind = evidence_kind(ev, not text_seen)
        text_seen = text_seen or ev.kind == "text"
        for day, feature in backed_days(ev, kind, clocks, shifted).items():
            out.setdefault(day, set()).add(feature)
    for ev in modified:
        if ev.value is not None and ev.kind in MODIFIED_KINDS and out.get(ev.value.date(), {HTMLDATE}) - {HTMLDATE}:
            out[ev.value.date()].add(MODIFIED)
    return out


def scores(features: Mapping[date, set[str]], weights: Weights) -> dict[date, float]:
    return {day: sum(weights.weight(f) for f in fs) for day, fs in features.items()}


def best_day(features: Mapping[date, set[str]], weights: Weights) -> date:
    """The day with the highest score; a tie goes to the day with the single heaviest feature, then the earlier.
    A day an exact kind names wins outright."""
    exact = [d for d, fs in features.items() if fs & EXACT_KINDS]
    if exact:
        return min(exact)
    score = scores(features, weights)
    return max(score, key=lambda d: (round(score[d], 9), max(weights.weight(f) for f in features[d]),
                                     -d.toordinal()))


def htmldate_may_change(features: Mapping[date, set[str]], weights: Weights) -> bool:
    """Whether htmldate's answer, whatever day it names, could change the winner: it adds its weight to the day it
    names (a new day gets nothing else). Asking it costs a second parse of the page."""
    if any(fs & EXACT_KINDS for fs in features.values()):
        return False
    score = sorted(scores(features, weights).values(), reverse=True)
    if not score:
        return True
    runner_up = score[1] if len(score) > 1 else 0.0
    return score[0] - runner_up <= weights.weight(HTMLDATE) or score[0] <= weights.weight(HTMLDATE)


def pattern(features: Mapping[date, set[str]], day: date, weights: Weights, htmldate_asked: bool,
            htmldate_day: date | None) -> tuple[str, str, str]:
    """What the winner rests on: its heaviest kind besides htmldate, htmldate's stand, and whether other days
    have backing too (split evidence)."""
    own = [f for f in features[day] if f not in (HTMLDATE, MODIFIED, UTC_BEFORE, UTC_AFTER)]
    kind = max(own, key=lambda f: (weights.weight(f), f)) if own else HTMLDATE
    if not htmldate_asked:
        stand = "not-asked"
    elif htmldate_day is None:
        stand = "silent"
    else:
        stand = "agrees" if htmldate_day == day else "differs"
    split = "split" if any(d != day for d in features) else "alone"
    return kind, stand, split
