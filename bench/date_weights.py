"""Measure how often each kind of date evidence names the right day, turn those rates into the dating vote's
weights, and score date_page against bare htmldate on the four corpus sets with a day truth, by cross-validation.

Usage (from the repo root):
  PYTHONPATH=. python bench/date_weights.py                 # date_page as shipped, per set and per fold
  PYTHONPATH=. python bench/date_weights.py --rates         # per kind: how often it is right, with/against htmldate
  PYTHONPATH=. python bench/date_weights.py --cv            # fit on K-1 folds, score the held-out fold
  PYTHONPATH=. python bench/date_weights.py --write         # fit on every page, write pipelines/dating/weights.py
Options: --folds K (5), --sets a,b (all four), --refresh (recompute the cached htmldate/language facts), --wrong,
--show FEATURE (with --rates: the pages with that feature), --logit L2 (with --cv: a conditional logit instead of the rate vote, for comparison).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(1, str(Path(__file__).resolve().parent))

from datesets import SETS, Facts, Page, day_of, day_right, facts_for, fetch_time, load_all, minute_right  # noqa: E402


class Scores:
    """Counts per (set, fold): dated pages and how many each answer gets right, undated pages, stated times."""

    COLUMNS = ("dated", "ours", "bare", "orig", "undated", "ours_none", "bare_none", "timed", "ours_minute")

    def __init__(self) -> None:
        self.cells: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(self.COLUMNS, 0))

    def add(self, page: Page, fold: int, ours: str | None, ours_time: object, facts: Facts) -> None:
        cell = self.cells[(page.set, fold)]
        if page.day is None:
            cell["undated"] += 1
            cell["ours_none"] += day_right(ours, page)
            cell["bare_none"] += day_right(day_of(facts.htmldate_bare), page)
        else:
            cell["dated"] += 1
            cell["ours"] += day_right(ours, page)
            cell["bare"] += day_right(day_of(facts.htmldate_bare), page)
            cell["orig"] += day_right(day_of(facts.htmldate_ours), page)
        if page.time is not None:
            cell["timed"] += 1
            cell["ours_minute"] += minute_right(ours_time, page)

    def total(self, name: str | None = None) -> dict[str, int]:
        out = dict.fromkeys(self.COLUMNS, 0)
        for (set_name, _), cell in self.cells.items():
            if name is None or set_name == name:
                for key, value in cell.items():
                    out[key] += value
        return out

    def print(self, folds: int) -> None:
        """Per set, on the dated pages: day accuracy of ours, bare htmldate and htmldate as the dating asks it
        (original date); the undated pages apart (right = nothing returned); time within a minute; per-fold spread."""
        print(f"{'set':<17} {'dated':>5} {'ours day':>8} {'htmldate':>8} {'orig':>6} {'gain':>6} {'vs orig':>7}  "
              f"{'undated':>7} {'ours':>4} {'htmld':>5}  {'time<=1min':>11}")
        for name in (*SETS, None):
            s = self.total(name)
            if not s["dated"] and not s["undated"]:
                continue
            d = max(s["dated"], 1)
            minute = f"{s['ours_minute']}/{s['timed']}" if s["timed"] else "-"
            print(f"{name or 'all':<17} {s['dated']:>5} {s['ours'] / d:>8.3f} {s['bare'] / d:>8.3f} "
                  f"{s['orig'] / d:>6.3f} {(s['ours'] - s['bare']) / d:>+6.3f} {(s['ours'] - s['orig']) / d:>+7.3f}  "
                  f"{s['undated']:>7} {s['ours_none']:>4} {s['bare_none']:>5}  {minute:>11}")
            if name is not None:
                cells = [self.cells[(name, k)] for k in range(folds) if self.cells.get((name, k), {}).get("dated")]
                print(f"{'':<17} folds ours-htmldate: "
                      + " ".join(f"{(c['ours'] - c['bare']) / c['dated']:+.3f}" for c in cells)
                      + "   ours-orig: " + " ".join(f"{(c['ours'] - c['orig']) / c['dated']:+.3f}" for c in cells))


@dataclass
class Item:
    """A dated page ready for fitting: its html, cached facts, and the vote's candidate days with their features."""

    page: Page
    html: str
    facts: Facts
    features: dict[date, set[str]]
    shifts: dict[date, date]  # days read as their newsroom's neighbouring day (pipelines.dating.vote._shifted_days)


def collect(pages: list[Page], facts: dict[str, Facts]) -> list[Item]:
    """Every page's candidate days and features, htmldate's answer always included (its features are measured
    even where the shipped vote would not need to ask it)."""
    from pipelines.dating import voting_evidence
    from pipelines.dating.vote import _shifted_days, candidate_features, utc_clocks

    fetched_at = fetch_time()
    items = []
    for page in pages:
        f = facts[f"{page.set}/{page.pid}"]
        html = page.html()
        usable, modified = voting_evidence(html, page.url, fetched_at, f.htmldate_ours, language=f.language)
        shifts = _shifted_days(usable, utc_clocks(usable))
        items.append(Item(page, html, f, candidate_features(usable, modified), shifts))
    return items


def measure_feature_rates(items: list[Item]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per feature and set: on how many pages a day had the feature, and how many of those days were the true day."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for item in items:
        if item.page.day is None:
            continue
        truth = date.fromisoformat(item.page.day)
        for day, features in item.features.items():
            for f in features:
                cell = counts[f][item.page.set]
                cell[0] += day == truth
                cell[1] += 1
    return {f: {s: (c[0], c[1]) for s, c in sorted(per_set.items())} for f, per_set in sorted(counts.items())}


def set_pages(items: list[Item]) -> dict[str, int]:
    """Dated pages per set: what each set's pages weigh in a feature's rate (`pipelines.dating.vote.feature_rate`)."""
    return dict(sorted(Counter(item.page.set for item in items if item.page.day).items()))


def balanced_accuracy(decided: list) -> float:
    """date_page's day accuracy on dated pages, each set weighing the same."""
    per_set: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, result, _ in decided:
        if item.page.day is not None:
            per_set[item.page.set][0] += day_right(day_of(result.published_at), item.page)
            per_set[item.page.set][1] += 1
    return sum(r / n for r, n in per_set.values()) / max(len(per_set), 1)


def fit_logit(items: list[Item], l2: float) -> dict[str, float]:
    """For comparison only (--logit L2): weights that make the true day the most probable candidate, a conditional
    logit over each page's candidate days (P(day) ∝ exp(Σ weights of its features)), L2-penalised, each set
    weighing the same, weights clipped at 0. Measured against the rate vote in the report; not shipped."""
    from pipelines.dating.vote import MIN_SEEN

    support = Counter(f for item in items for f in set().union(*item.features.values()))
    names = sorted(f for f, n in support.items() if n >= MIN_SEEN)
    index = {f: i for i, f in enumerate(names)}
    per_set = Counter(item.page.set for item in items)
    data = []
    for item in items:
        truth = date.fromisoformat(item.page.day) if item.page.day else None
        if truth is None or truth not in item.features or len(item.features) < 2:
            continue
        days = list(item.features)
        x = np.zeros((len(days), len(names)))
        for row, day in enumerate(days):
            for f in item.features[day] & index.keys():
                x[row, index[f]] = 1.0
        data.append((x, days.index(truth), len(items) / len(per_set) / per_set[item.page.set]))
    w = np.zeros(len(names))
    for _ in range(100):
        grad, hess = l2 * w, l2 * np.eye(len(names))
        for x, t, share in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += share * (x.T @ p - x[t])
            hess += share * (x.T @ (np.diag(p) - np.outer(p, p)) @ x)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return {name: round(float(max(v, 0.0)), 4) for name, v in zip(names, w)}


def run(items: list[Item], weights: "Weights") -> list[tuple[Item, "DatingResult", tuple | None]]:
    """date_page's decision on each page with these weights and htmldate's cached answer."""
    from pipelines.dating import decide

    fetched_at = fetch_time()
    return [(item, *decide(item.html, item.page.url, fetched_at, (), item.facts.language, item.facts.zone,
                           weights, item.facts.htmldate_ours)) for item in items]


def measure_pattern_rates(decided: list) -> tuple[dict[str, tuple[int, int]], float]:
    """How often each winning pattern was right, at three grains (kind; kind and htmldate's stand; and split or
    not), and over all: the stored date_confidence."""
    rates: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    right_all = seen_all = 0
    for item, result, won in decided:
        if won is None or item.page.day is None:
            continue
        right = day_right(day_of(result.published_at), item.page)
        kind, stand, split = won
        for key in (kind, f"{kind}|{stand}", f"{kind}|{stand}|{split}"):
            rates[key][0] += right
            rates[key][1] += 1
        right_all += right
        seen_all += 1
    return {k: (v[0], v[1]) for k, v in sorted(rates.items())}, round(right_all / max(seen_all, 1), 4)


@dataclass
class Fit:
    """What --write ships: the features' measured rates (and the set sizes they are weighed by), the winning
    patterns' rates."""

    feature_rates: dict[str, dict[str, tuple[int, int]]]
    set_pages: dict[str, int]
    pattern_rates: dict[str, tuple[int, int]]
    prior: float
    logit: dict[str, float] | None = None

    def weights(self) -> "Weights":
        from pipelines.dating.vote import Weights, weights_from_rates

        features = self.logit if self.logit is not None else \
            weights_from_rates(self.feature_rates, self.set_pages)
        return Weights(features, self.pattern_rates, self.prior)


def fit(items: list[Item], logit_l2: float | None = None) -> Fit:
    """The whole fit on these pages: the features' rates (or, with logit_l2, a conditional logit's weights), then
    the rates of the patterns the resulting vote's winners rest on."""
    dated = [i for i in items if i.page.day]
    rates = measure_feature_rates(dated)
    logit = fit_logit(dated, logit_l2) if logit_l2 is not None else None
    vote = Fit(rates, set_pages(dated), {}, 0.5, logit)
    pattern_rates, prior = measure_pattern_rates(run(dated, vote.weights()))
    return Fit(rates, set_pages(dated), pattern_rates, prior, logit)


def cross_validate(items: list[Item], folds: int, logit_l2: float | None, show_wrong: bool) -> Scores:
    """Fit on K-1 folds, decide the held-out fold; every page is scored once, by weights that never saw it."""
    scores = Scores()
    calibration: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for k in range(folds):
        train = [i for i in items if i.page.fold(folds) != k]
        test = [i for i in items if i.page.fold(folds) == k]
        fitted = fit(train, logit_l2)
        print(f"fold {k}: {len(test)} pages held out; weights "
              + " ".join(f"{f}={w:.2f}" for f, w in sorted(fitted.weights().features.items(), key=lambda kv: -kv[1])
                         if w))
        for item, result, _ in run(test, fitted.weights()):
            ours = day_of(result.published_at)
            scores.add(item.page, k, ours, result.published_at if result.precision == "time" else None, item.facts)
            if item.page.day is not None and result.published_at is not None:
                cell = calibration[min(int(result.confidence * 10), 9)]
                cell[0] += 1
                cell[1] += day_right(ours, item.page)
                cell[2] += result.confidence
            if show_wrong and not day_right(ours, item.page):
                _show(item, result)
    print("held-out date_confidence (mean) vs share right / pages, by tenth: "
          + "  ".join(f"{c[2] / c[0]:.2f}:{c[1] / c[0]:.2f}/{c[0]}" for _, c in sorted(calibration.items())))
    return scores


def _show(item: Item, result: "DatingResult") -> None:
    page, f = item.page, item.facts
    print(f"WRONG {page.set}/{page.pid} {page.url[:90]}\n  truth={page.day} ours={day_of(result.published_at)} "
          f"htmldate={f.htmldate_ours} source={result.date_source} conf={result.confidence}")
    for ev in result.evidence:
        print(f"    {ev.kind:<18} {ev.value.isoformat() if ev.value else None!s:<27} {ev.raw[:50]!r} {ev.note}")


def print_rates(items: list[Item], fitted: Fit) -> None:
    """Per feature: how often the day it backs is the true day, per set and averaged (each set the same), the
    weight that gives, and the rate when htmldate names the same day or another one (then
    also: how often htmldate was right instead)."""
    from pipelines.dating.vote import HTMLDATE, feature_rate

    weights = fitted.weights()
    stands: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        if item.page.day is None:
            continue
        truth = date.fromisoformat(item.page.day)
        htmldate = next((d for d, fs in item.features.items() if HTMLDATE in fs), None)
        for day, fs in item.features.items():
            for f in fs - {HTMLDATE}:
                if htmldate is not None:
                    stand = "agree" if htmldate == day else "differ"
                    stands[f][f"{stand} n"] += 1
                    stands[f][f"{stand} r"] += day == truth
                    stands[f]["htmldate r"] += stand == "differ" and htmldate == truth

    def rate(c: Counter, key: str) -> str:
        return f"{c[key + ' r'] / c[key + ' n']:.2f}/{c[key + ' n']}" if c[key + " n"] else "-"

    print("a feature votes with the log-odds of its rate (each set weighing the same), 0 below an even chance")
    print(f"{'feature':<22} " + " ".join(f"{s[:12]:>12}" for s in SETS)
          + f" {'rate':>5} {'weight':>6} {'htmldate same':>13} {'other':>9} {'htmldate right':>14}")
    for f, per_set in sorted(fitted.feature_rates.items(), key=lambda kv: -weights.weight(kv[0])):
        cells = " ".join(f"{per_set[s][0] / per_set[s][1]:.2f}/{per_set[s][1]:<3}".rjust(12) if s in per_set
                         else f"{'-':>12}" for s in SETS)
        c = stands[f]
        print(f"{f:<22} {cells} {feature_rate(per_set, fitted.set_pages):>5.2f} {weights.weight(f):>6.2f} "
              f"{rate(c, 'agree'):>13} {rate(c, 'differ'):>9} {c['htmldate r']:>14}")
    shifted = [(item, day, to) for item in items if item.page.day for day, to in item.shifts.items()]
    print(f"UTC-only days read as the newsroom's neighbouring day: {len(shifted)} pages; the neighbour was the "
          f"true day on {sum(to.isoformat() == i.page.day for i, _, to in shifted)}, the UTC day on "
          f"{sum(day.isoformat() == i.page.day for i, day, _ in shifted)}")


def show_feature(items: list[Item], feature: str, folds: int) -> None:
    """The dated pages where some day has `feature`: the truth, the fold, and every candidate day's features."""
    for item in items:
        if item.page.day is None or not any(feature in fs for fs in item.features.values()):
            continue
        print(f"{feature} {item.page.set}/{item.page.pid} fold={item.page.fold(folds)} truth={item.page.day}")
        for day, fs in sorted(item.features.items()):
            print(f"    {day} {'*' if day.isoformat() == item.page.day else ' '} {' '.join(sorted(fs))}")


def write(fitted: Fit, pages: int, path: Path) -> None:
    """The fit as the Python module the dating imports: the counts it was measured from, not bare numbers."""
    features = "".join(f"    {f!r}: {{{', '.join(f'{s!r}: {v}' for s, v in per_set.items())}}},\n"
                       for f, per_set in fitted.feature_rates.items())
    patterns = "".join(f"    {k!r}: {v},\n" for k, v in fitted.pattern_rates.items())
    path.write_text(
        '"""The dating vote\'s measured rates; written by bench/date_weights.py --write, not by hand."""\n\n'
        "from __future__ import annotations\n\nfrom functools import lru_cache\n\n"
        "from pipelines.dating.vote import Weights, weights_from_rates\n\n"
        f"# Written by `PYTHONPATH=. python bench/date_weights.py --write` from the {pages} dated pages of the corpus\n"
        f"# sets {', '.join(SETS)} (../shared/corpus).\n"
        "# FEATURE_RATES: feature -> set -> (days with the feature that were the true day, days with the feature).\n"
        "# SET_PAGES: dated pages per set (a page of a smaller set weighs more: each set counts the same).\n"
        "# PATTERN_RATES: winning pattern -> (winners right, winners seen): the stored date_confidence.\n"
        "FEATURE_RATES: dict[str, dict[str, tuple[int, int]]] = {\n" + features + "}\n"
        f"SET_PAGES: dict[str, int] = {fitted.set_pages}\n"
        "PATTERN_RATES: dict[str, tuple[int, int]] = {\n" + patterns + "}\n"
        f"PRIOR = {fitted.prior}\n\n\n"
        "@lru_cache(maxsize=1)\ndef load_weights() -> Weights:\n    \"\"\"The shipped vote.\"\"\"\n"
        "    return Weights(weights_from_rates(FEATURE_RATES, SET_PAGES), PATTERN_RATES, PRIOR)\n",
        encoding="utf-8")


def end_to_end(pages: list[Page], facts: dict[str, Facts], folds: int, show_wrong: bool) -> Scores:
    """date_page as the flow calls it (the cleaner's language, the source zone), beside bare htmldate."""
    from pipelines.dating import date_page

    fetched_at = fetch_time()
    scores = Scores()
    spent, with_htmldate = 0.0, 0
    for page in pages:
        f = facts[f"{page.set}/{page.pid}"]
        html = page.html()
        started = time.perf_counter()
        result = date_page(html, page.url, fetched_at, (), language=f.language, zone=f.zone)
        spent += time.perf_counter() - started
        with_htmldate += any(ev.kind == "htmldate" for ev in result.evidence)
        ours = day_of(result.published_at)
        scores.add(page, page.fold(folds), ours, result.published_at if result.precision == "time" else None, f)
        if show_wrong and not day_right(ours, page):
            print(f"WRONG {page.set}/{page.pid} {page.url[:90]}\n  truth={page.day} ours={ours} "
                  f"htmldate={f.htmldate_ours} source={result.date_source} conf={result.confidence}")
            for ev in result.evidence:
                print(f"    {ev.kind:<18} {ev.value.isoformat() if ev.value else None!s:<27} {ev.raw[:50]!r} {ev.note}")
    print(f"date_page: {len(pages)} pages in {spent:.1f} s ({len(pages) / spent:.1f} pages/s, one core, htmldate's "
          f"first call included); htmldate's answer among the evidence on {with_htmldate} pages")
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--rates", action="store_true", help="per feature: how often it names the right day")
    parser.add_argument("--cv", action="store_true", help="fit on K-1 folds, score the held-out fold")
    parser.add_argument("--logit", type=float, default=None, metavar="L2",
                        help="with --cv: fit a conditional logit with this L2 penalty instead (comparison)")
    parser.add_argument("--write", action="store_true", help="fit on every page, write pipelines/dating/weights.py")
    parser.add_argument("--refresh", action="store_true", help="recompute the cached facts")
    parser.add_argument("--wrong", action="store_true", help="list the pages date_page gets wrong")
    parser.add_argument("--show", default=None, metavar="FEATURE",
                        help="with --rates: list the pages where a day has this feature, with every day's features")
    args = parser.parse_args(argv)
    pages = load_all(tuple(s for s in args.sets.split(",") if s))
    facts = facts_for(pages, fetch_time(), args.refresh)
    if not (args.rates or args.cv or args.write):
        end_to_end(pages, facts, args.folds, args.wrong).print(args.folds)
        return 0
    items = collect(pages, facts)
    if args.cv:
        cross_validate(items, args.folds, args.logit, args.wrong).print(args.folds)
    if args.rates or args.write:
        fitted = fit(items)
        if args.rates:
            print_rates(items, fitted)
            if args.show:
                show_feature(items, args.show, args.folds)
        if args.write:
            out = Path(__file__).resolve().parent.parent / "pipelines" / "dating" / "weights.py"
            write(fitted, sum(1 for i in items if i.page.day), out)
            print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
