"""Score talkwatch and the bare libraries on the five corpus sets in one run: body, titles, days, times, speed.

Usage (from the repo root):
    PYTHONPATH=. .venv/bin/python bench/quality.py [--corpus DIR] [--sets a,b] [--tools a,b] [--limit N]
                                                   [--folds K] [--json FILE] [--dump FILE]
                                                   [--errors METRIC --error-folds 0,1 [--error-set S]]

The corpus (default ../shared/corpus, read by path, never copied) has five sets: extraction/, dates/,
readability/, trafilatura-eval/, htmldate-default/ (its README says what each holds). Every page goes through
three tools in one loop:

- talkwatch: exactly `talkwatch clean --manifest -`: the page's raw bytes are written to a temporary file and one
  manifest line {"path", "url"} (the truth's URL; none for readability/, whose truth has none, so the CLI gives the
  file's URI as it would) goes through the CLI's own `_clean_manifest_line` with the sources file the CLI reads
  from the repo root (config/sources.toml, for newsroom time zones). Its JSON record is what is scored.
- trafilatura, default settings: `trafilatura.extract(html, url=url)` for the body and
  `trafilatura.extract_metadata(html, default_url=url)` (what `bare_extraction(with_metadata=True)` runs; its date
  is htmldate in extensive mode) for the title and the day.
- htmldate: `find_date(html, extensive_search=True, original_date=True, url=url)` for the day.
The libraries get the page decoded once by talkwatch's own decoder (pipelines/cleaning/decoding.py); talkwatch gets
the bytes.

Metrics (a page a tool fails on counts as empty output):
- body (extraction/, readability/): the Article Extraction Benchmark metric of bench/extraction_eval.py: 4-token
  shingles of \\w+ runs, per-page TP/FP/FN normalised by their sum, precision and recall averaged over pages, F1
  their harmonic mean. readability/'s truth is Readability's reader view (captions, some bylines): a guide.
- snippets (trafilatura-eval/): trafilatura's metric: over all pages, a `with` snippet found in the body is a true
  positive, a `without` snippet found a false positive, a `with` snippet missing a false negative; P, R, F1 of
  those counts, whitespace collapsed in both texts.
- title (readability/, trafilatura-eval/): exact match after collapsing whitespace and case, over pages whose truth
  has a title.
- day (dates/, htmldate-default/: every page, a null truth is right when nothing is returned, bench/dates_eval.py's
  `right`; trafilatura-eval/: pages whose truth is a valid YYYY-MM-DD, malformed or empty annotations skipped;
  readability/: the day written in `published`, pages that state one). talkwatch's day is the day of its
  `published_at` in the page's own offset.
- time (readability/ pages whose `published` has a time of day): the stated time within 60 s. When both sides carry
  a UTC offset the instants are compared, else the wall-clock readings; a day-only answer is wrong. htmldate and
  trafilatura return days only, so their time figure is 0 (shown as "days only").
- pages/s: pages divided by the CPU time (time.process_time) of that tool's own calls, in the same loop on the
  same pages; one unbilled warm-up call per tool first (model and dateparser loading).

`--folds K` splits every set into K folds by a hash of the page id (sha256 of "<set>/<id>", mod K, the same split
every run) and prints each metric per fold for talkwatch and the library it is compared with, their mean and
standard deviation, and talkwatch minus the library per fold: a change is judged on folds it was not developed on.
`--errors title --error-folds 0,1` lists talkwatch's wrong titles (or `day`, `time`) on those folds only.
`--dump FILE` writes every page's truth and outputs as JSON lines for closer study.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dates_eval import right as day_right  # noqa: E402
from extraction_eval import summarise, tp_fp_fn  # noqa: E402
from peers import _listify  # noqa: E402  (trafilatura-eval writes its snippet lists as list literals in strings)

SETS = ("extraction", "dates", "readability", "trafilatura-eval", "htmldate-default")
TOOLS = ("talkwatch", "trafilatura", "htmldate")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}$")
_HAS_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


# -- the corpus ------------------------------------------------------------------------------------------------

@dataclass
class Page:
    """One corpus page and what its set's truth says about it (None: the set does not score that)."""

    set: str
    id: str
    file: Path
    url: str | None
    body: str | None = None
    snippets: tuple[list[str], list[str]] | None = None
    title: str | None = None
    day_scored: bool = False
    day: str | None = None
    time: str | None = None  # an ISO time with a time of day
    fold: int = 0


def _valid_day(value: object) -> str | None:
    """The YYYY-MM-DD a truth field starts with, or None when it is empty or malformed ("2022-11-1")."""
    if not isinstance(value, str) or not _DAY.match(value.strip()[:10]):
        return None
    try:
        datetime.strptime(value.strip()[:10], "%Y-%m-%d")
    except ValueError:
        return None
    return value.strip()[:10]


def _null(value: object) -> object:
    return None if value in (None, "", "None", "null") else value


def load_set(base: Path, name: str) -> list[Page]:
    """The pages of one set, in a fixed order, with the truth each metric needs."""
    folder = base / name
    pages: list[Page] = []
    if name == "extraction":
        truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
        for pid, t in truth.items():
            pages.append(Page(name, pid, folder / "html" / f"{pid}.html.gz", t.get("url") or None,
                              body=t.get("articleBody") or ""))
    elif name in ("dates", "htmldate-default"):
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        for url, t in truth.items():
            pages.append(Page(name, url, folder / "html" / t["file"], url, day_scored=True, day=_null(t.get("date"))))
    elif name == "readability":
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        for pid, t in truth.items():
            published = _null(t.get("published"))
            day = _valid_day(published)
            pages.append(Page(name, pid, folder / "html" / f"{pid}.html.gz", None, body=t.get("text") or "",
                              title=_null(t.get("title")), day_scored=day is not None, day=day,
                              time=published if day and _HAS_TIME.match(published) else None))
    elif name == "trafilatura-eval":
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        for pid, t in truth.items():
            day = _valid_day(t.get("date"))
            pages.append(Page(name, pid, folder / "html" / pid, t.get("url") or None,
                              snippets=(_listify(t.get("with")), _listify(t.get("without"))),
                              title=_null(t.get("title")), day_scored=day is not None, day=day))
    else:
        raise ValueError(f"unknown set {name!r}; the sets are {', '.join(SETS)}")
    return sorted(pages, key=lambda p: p.id)


def fold_of(page: Page, k: int) -> int:
    """The page's fold: a hash of its id, so the split is the same every run and independent of the order."""
    return int(hashlib.sha256(f"{page.set}/{page.id}".encode()).hexdigest(), 16) % k if k > 1 else 0


# -- the tools -------------------------------------------------------------------------------------------------

@dataclass
class Output:
    """What one tool said of one page; `at` is an ISO day or time, `precision` "day" | "time" | "none"."""

    text: str = ""
    title: str | None = None
    at: str | None = None
    precision: str = "none"
    error: str | None = None
    extra: dict = field(default_factory=dict)


class Talkwatch:
    """`talkwatch clean --manifest -`, one manifest line per page, through the CLI's own line handler."""

    def __init__(self) -> None:
        from pipelines.cli import _clean_manifest_line, _sources_for_clean
        from pipelines.cli.cleaninput import ManifestLine

        self._line = _clean_manifest_line
        self._manifest_line = ManifestLine
        sources_file = ROOT / "config" / "sources.toml"
        self._sources = _sources_for_clean(str(sources_file)) if sources_file.is_file() else []
        self._dir = tempfile.TemporaryDirectory(prefix="talkwatch-quality-")
        self._n = 0

    def prepare(self, page: Page, raw: bytes) -> str:
        """The manifest line of a page, its bytes saved where the line points (not billed to the tool)."""
        path = Path(self._dir.name) / f"{page.set}-{page.file.name.removesuffix('.gz')}"
        if not path.suffix:
            path = path.with_suffix(".html")
        path.write_bytes(raw)
        entry = {"path": str(path)}
        if page.url:
            entry["url"] = page.url
        return json.dumps(entry)

    def run(self, line: str) -> Output:
        self._n += 1
        record = self._line(self._manifest_line(self._n, line), self._sources, None, None)
        Path(json.loads(line)["path"]).unlink(missing_ok=True)
        if "error" in record:
            return Output(error=record["error"])
        return Output(text=record.get("text") or "", title=record.get("title"), at=record.get("published_at"),
                      precision=record.get("date_precision") or "none",
                      extra={"date_source": record.get("date_source"), "warning": record.get("warning")})

    def close(self) -> None:
        self._dir.cleanup()


def run_trafilatura(html: str, url: str | None) -> Output:
    import trafilatura
    from trafilatura.metadata import extract_metadata

    out = Output()
    try:
        out.text = trafilatura.extract(html, url=url) or ""
        meta = extract_metadata(html, default_url=url)
    except Exception as exc:  # noqa: BLE001 - a library failure is an empty answer, as for talkwatch
        out.error = f"{type(exc).__name__}: {exc}"
        return out
    out.title = meta.title
    out.at = meta.date
    out.precision = "day" if meta.date else "none"
    return out


def run_htmldate(html: str, url: str | None) -> Output:
    from htmldate import find_date

    try:
        day = find_date(html, extensive_search=True, original_date=True, url=url)
    except Exception as exc:  # noqa: BLE001
        return Output(error=f"{type(exc).__name__}: {exc}")
    return Output(at=day, precision="day" if day else "none")


# -- scoring ---------------------------------------------------------------------------------------------------

def _collapse(text: str) -> str:
    return " ".join(text.split())


def norm_title(title: str | None) -> str:
    return " ".join((title or "").split()).casefold()


def _parse_time(value: str) -> datetime | None:
    value = value.strip().replace("Z", "+00:00")
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def time_right(found: Output, truth: str) -> bool:
    """Within 60 s of the stated time: instants when both carry an offset, else the wall-clock readings."""
    if found.precision != "time" or not found.at:
        return False
    ours, theirs = _parse_time(found.at), _parse_time(truth)
    if ours is None or theirs is None:
        return False
    if (ours.tzinfo is None) != (theirs.tzinfo is None):
        ours, theirs = ours.replace(tzinfo=None), theirs.replace(tzinfo=None)
    return abs((ours - theirs).total_seconds()) <= 60


def day_of(found: Output) -> str | None:
    return found.at[:10] if found.at else None


# metric name -> (sets it is scored on, tools that give it, the library talkwatch is compared with)
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "body_f1": (("extraction", "readability"), ("talkwatch", "trafilatura"), "trafilatura"),
    "body_p": (("extraction", "readability"), ("talkwatch", "trafilatura"), "trafilatura"),
    "body_r": (("extraction", "readability"), ("talkwatch", "trafilatura"), "trafilatura"),
    "snippet_f1": (("trafilatura-eval",), ("talkwatch", "trafilatura"), "trafilatura"),
    "snippet_p": (("trafilatura-eval",), ("talkwatch", "trafilatura"), "trafilatura"),
    "snippet_r": (("trafilatura-eval",), ("talkwatch", "trafilatura"), "trafilatura"),
    "title": (("readability", "trafilatura-eval"), ("talkwatch", "trafilatura"), "trafilatura"),
    "day": (("dates", "htmldate-default", "trafilatura-eval", "readability"), TOOLS, "htmldate"),
    "time": (("readability",), TOOLS, "htmldate"),
}
# the metrics the fold table shows (P and R are in the main table and the JSON)
FOLD_METRICS = ("body_f1", "snippet_f1", "title", "day", "time")


def score(pages: list[Page], outs: dict[str, list[Output]], tool: str) -> dict[str, tuple[float, int]]:
    """Every metric this tool gives on these pages: name -> (value, pages it counts)."""
    found = outs[tool]
    got: dict[str, tuple[float, int]] = {}
    rows = [tp_fp_fn(p.body, o.text) for p, o in zip(pages, found) if p.body is not None]
    if rows:
        p_, r_, f_ = summarise(rows)
        got.update(body_p=(p_, len(rows)), body_r=(r_, len(rows)), body_f1=(f_, len(rows)))
    tp = fp = fn = n = 0
    for p, o in zip(pages, found):
        if p.snippets is None or not (p.snippets[0] or p.snippets[1]):
            continue
        n += 1
        text = _collapse(o.text)
        tp += sum(_collapse(w) in text for w in p.snippets[0])
        fn += sum(_collapse(w) not in text for w in p.snippets[0])
        fp += sum(_collapse(w) in text for w in p.snippets[1] if _collapse(w))
    if n:
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        got.update(snippet_p=(prec, n), snippet_r=(rec, n),
                   snippet_f1=(2 * prec * rec / (prec + rec) if prec + rec else 0.0, n))
    titled = [(p, o) for p, o in zip(pages, found) if p.title is not None]
    if titled:
        got["title"] = (sum(norm_title(o.title) == norm_title(p.title) for p, o in titled) / len(titled), len(titled))
    dated = [(p, o) for p, o in zip(pages, found) if p.day_scored]
    if dated:
        got["day"] = (sum(day_right(day_of(o), p.day) for p, o in dated) / len(dated), len(dated))
    timed = [(p, o) for p, o in zip(pages, found) if p.time is not None]
    if timed:
        got["time"] = (sum(time_right(o, p.time) for p, o in timed) / len(timed), len(timed))
    return {metric: value for metric, value in got.items() if tool in METRICS[metric][1]}


# -- the run ---------------------------------------------------------------------------------------------------

@dataclass
class SetRun:
    name: str
    pages: list[Page]
    outs: dict[str, list[Output]]
    cpu: dict[str, float]


def run_set(base: Path, name: str, tools: tuple[str, ...], limit: int, k: int, tw: Talkwatch | None) -> SetRun:
    """Every page of the set through every tool, in one loop; CPU time billed to each tool's own calls."""
    from pipelines.cleaning.decoding import decode_html

    pages = load_set(base, name)
    if limit:
        pages = pages[:limit]
    for p in pages:
        p.fold = fold_of(p, k)
    outs: dict[str, list[Output]] = {t: [] for t in tools}
    cpu = dict.fromkeys(tools, 0.0)
    libraries: dict[str, Callable[[str, str | None], Output]] = {"trafilatura": run_trafilatura,
                                                                 "htmldate": run_htmldate}
    for i, p in enumerate(pages, 1):
        raw = gzip.decompress(p.file.read_bytes())
        html = decode_html(raw)
        for tool in tools:
            if tool == "talkwatch":
                line = tw.prepare(p, raw)
                start = time.process_time()
                out = tw.run(line)
            else:
                start = time.process_time()
                out = libraries[tool](html, p.url)
            cpu[tool] += time.process_time() - start
            outs[tool].append(out)
        if sys.stderr.isatty():
            print(f"\r  {name}: {i}/{len(pages)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return SetRun(name, pages, outs, cpu)


def warm_up(base: Path, sets: list[str], tools: tuple[str, ...], tw: Talkwatch | None) -> None:
    """One unbilled call per tool: the language model and dateparser load on first use."""
    from pipelines.cleaning.decoding import decode_html

    page = load_set(base, sets[0])[0]
    raw = gzip.decompress(page.file.read_bytes())
    html = decode_html(raw)
    if "talkwatch" in tools:
        tw.run(tw.prepare(page, raw))
    if "trafilatura" in tools:
        run_trafilatura(html, page.url)
    if "htmldate" in tools:
        run_htmldate(html, page.url)


# -- printing --------------------------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.3f}"


def print_table(runs: list[SetRun], tools: tuple[str, ...]) -> dict:
    """The main table: one row per set and metric, one column per tool; returns the same figures as a dict."""
    figures: dict = {}
    head = f"{'set':<17} {'metric':<11} {'n':>4}  " + "  ".join(f"{t:>11}" for t in tools)
    print(head)
    print("-" * len(head))
    for run in runs:
        scores = {t: score(run.pages, run.outs, t) for t in tools}
        figures[run.name] = {"pages": len(run.pages), "metrics": {}, "pages_per_s": {}}
        for metric, (sets, givers, _) in METRICS.items():
            if run.name not in sets or not any(metric in scores[t] for t in tools):
                continue
            n = max(scores[t][metric][1] for t in tools if metric in scores[t])
            cells, values = [], {}
            for t in tools:
                if metric in scores[t]:
                    value = scores[t][metric][0]
                    values[t] = value
                    days_only = metric == "time" and t != "talkwatch"
                    cells.append(f"{'0 (days only)' if days_only else _fmt(value):>11}")
                else:
                    cells.append(f"{'':>11}")
            figures[run.name]["metrics"][metric] = {"n": n, **values}
            print(f"{run.name:<17} {metric:<11} {n:>4}  " + "  ".join(cells))
        pps = {t: (len(run.pages) / run.cpu[t] if run.cpu[t] else 0.0) for t in tools}
        figures[run.name]["pages_per_s"] = pps
        print(f"{run.name:<17} {'pages/s':<11} {len(run.pages):>4}  " + "  ".join(f"{pps[t]:>11.1f}" for t in tools))
    total = sum(len(r.pages) for r in runs)
    spent = {t: sum(r.cpu[t] for r in runs) for t in tools}
    overall = {t: total / spent[t] if spent[t] else 0.0 for t in tools}
    figures["all"] = {"pages": total, "pages_per_s": overall}
    print(f"{'all sets':<17} {'pages/s':<11} {total:>4}  " + "  ".join(f"{overall.get(t, 0.0):>11.1f}" for t in tools))
    return figures


def print_folds(runs: list[SetRun], tools: tuple[str, ...], k: int) -> dict:
    """Per set and metric: each fold's figure for talkwatch and its library, mean, sd, and talkwatch minus library."""
    figures: dict = {}
    print(f"\nper-fold figures ({k} folds by a hash of the page id; sd = standard deviation over folds)")
    folds = " ".join(f"{'f' + str(i):>6}" for i in range(k))
    head = f"{'set':<17} {'metric':<11} {'tool':<13} {'mean':>6} {'sd':>6}  {folds}"
    print(head)
    print("-" * len(head))
    for run in runs:
        by_fold = [[i for i, p in enumerate(run.pages) if p.fold == f] for f in range(k)]
        fold_scores = []
        for idx in by_fold:
            pages = [run.pages[i] for i in idx]
            outs = {t: [run.outs[t][i] for i in idx] for t in tools}
            fold_scores.append({t: score(pages, outs, t) for t in tools})
        figures[run.name] = {}
        for metric in FOLD_METRICS:
            sets, givers, library = METRICS[metric]
            if run.name not in sets:
                continue
            shown = [t for t in ("talkwatch", library) if t in tools and t in givers]
            if library != "trafilatura" and "trafilatura" in tools and "trafilatura" in givers and metric != "time":
                shown.append("trafilatura")
            series: dict[str, list[float | None]] = {}
            for t in shown:
                series[t] = [fs[t].get(metric, (None, 0))[0] for fs in fold_scores]
            if "talkwatch" in series and library in series and library != "talkwatch":
                series[f"tw - {library}"] = [None if a is None or b is None else a - b
                                             for a, b in zip(series["talkwatch"], series[library])]
            figures[run.name][metric] = series
            for label, values in series.items():
                known = [v for v in values if v is not None]
                if not known:
                    continue
                mean = statistics.fmean(known)
                sd = statistics.stdev(known) if len(known) > 1 else 0.0
                sign = "+" if label.startswith("tw -") else ""
                cells = " ".join(f"{v:>+6.3f}" if sign and v is not None else f"{_fmt(v):>6}" for v in values)
                mean_s = f"{mean:>+6.3f}" if sign else f"{mean:>6.3f}"
                print(f"{run.name:<17} {metric:<11} {label:<13} {mean_s} {sd:>6.3f}  {cells}")
    return figures


def print_errors(runs: list[SetRun], metric: str, folds: set[int] | None, only_set: str | None) -> None:
    """talkwatch's wrong answers for one metric, on the chosen folds only (so the others stay unseen)."""
    print(f"\ntalkwatch's wrong {metric} answers" + (f" on folds {sorted(folds)}" if folds is not None else ""))
    for run in runs:
        if only_set and run.name != only_set:
            continue
        tw = run.outs.get("talkwatch")
        lib = run.outs.get("trafilatura") if metric == "title" else run.outs.get("htmldate")
        if tw is None:
            continue
        for i, p in enumerate(run.pages):
            if folds is not None and p.fold not in folds:
                continue
            o = tw[i]
            other = lib[i] if lib else None
            if metric == "title" and p.title is not None and norm_title(o.title) != norm_title(p.title):
                print(f"[{run.name} f{p.fold}] {p.id[:40]}\n   truth: {p.title!r}\n   ours:  {o.title!r}"
                      + (f"\n   lib:   {other.title!r}" if other else ""))
            elif metric == "day" and p.day_scored and not day_right(day_of(o), p.day):
                print(f"[{run.name} f{p.fold}] {p.id[:70]} truth={p.day} ours={o.at} "
                      f"source={o.extra.get('date_source')} lib={other.at if other else None}")
            elif metric == "time" and p.time is not None and not time_right(o, p.time):
                print(f"[{run.name} f{p.fold}] {p.id[:40]} truth={p.time} ours={o.at} "
                      f"source={o.extra.get('date_source')}")


def dump(runs: list[SetRun], path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for run in runs:
            for i, p in enumerate(run.pages):
                row = {"set": p.set, "id": p.id, "fold": p.fold, "url": p.url, "title": p.title, "day": p.day,
                       "time": p.time}
                for t, outs in run.outs.items():
                    o = outs[i]
                    row[t] = {"title": o.title, "at": o.at, "precision": o.precision, "error": o.error,
                              "chars": len(o.text), **o.extra}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sets (default: all five)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated tools (default: all three)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each set (quick checks)")
    parser.add_argument("--folds", type=int, default=0, help="also print per-fold figures for K folds")
    parser.add_argument("--json", help="save the figures to this file")
    parser.add_argument("--dump", help="write every page's truth and outputs as JSON lines to this file")
    parser.add_argument("--errors", choices=("title", "day", "time"), help="list talkwatch's wrong answers")
    parser.add_argument("--error-folds", help="comma-separated folds whose errors --errors lists (default: all)")
    parser.add_argument("--error-set", help="list errors of this set only")
    args = parser.parse_args(argv)

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    tools = tuple(t.strip() for t in args.tools.split(",") if t.strip())
    for s in sets:
        if s not in SETS:
            parser.error(f"unknown set {s!r}; the sets are {', '.join(SETS)}")
    for t in tools:
        if t not in TOOLS:
            parser.error(f"unknown tool {t!r}; the tools are {', '.join(TOOLS)}")
    base = Path(args.corpus)
    k = args.folds if args.folds > 1 else 0

    tw = Talkwatch() if "talkwatch" in tools else None
    try:
        warm_up(base, sets, tools, tw)
        runs = [run_set(base, name, tools, args.limit, k, tw) for name in sets]
    finally:
        if tw is not None:
            tw.close()

    print(f"corpus {base}  sets {', '.join(sets)}" + (f"  (first {args.limit} pages of each)" if args.limit else ""))
    figures = {"table": print_table(runs, tools)}
    if k:
        figures["folds"] = print_folds(runs, tools, k)
    if args.errors:
        folds = {int(f) for f in args.error_folds.split(",")} if args.error_folds else None
        print_errors(runs, args.errors, folds, args.error_set)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.dump:
        dump(runs, args.dump)
    return 0


if __name__ == "__main__":
    sys.exit(main())
