"""`talkwatch report`: one self-contained HTML file of coverage charts and tables, read-only over the public views."""

from __future__ import annotations

import argparse
import os
import secrets
import stat
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from analysis import charts
from analysis.html import GENERATOR_META, Cell, esc, missing, num, page, section, table
from analysis.sqlfiles import sql
from pipelines.clierrors import EXIT_BAD_INPUT, EXIT_BUSY, EXIT_STORAGE, fail, internal_error
from storage.backend import is_lake_url
from storage.db import DatabaseBusy, DatabaseRefused, StorageUnavailable, connect, describe_database

Row = dict[str, Any]

PROG = "talkwatch report"
LATEST_LIMIT = 200
HEAD_BYTES = 4096  # our generator tag sits in the first lines; plotly.js (4.7 MB) comes after it
WEEKLY_AFTER_DAYS = 45  # a longer period is framed per week: daily shares of a few articles are mostly noise
STALE_AFTER = timedelta(hours=48)


class ReportRefused(ValueError):
    """Bad input, nothing written: a bad date, no database, or an --out that is not ours to replace (exit 2)."""


class ReportFailed(RuntimeError):
    """The input was fine but reading the database or writing the file failed (exit 4)."""


@dataclass(frozen=True)
class ReportResult:
    """What `write_report` wrote: the absolute path, the articles covered, and the charts drawn (not placeholders)."""

    path: Path
    articles: int
    charts: tuple[str, ...]


@dataclass
class ReportData:
    """Every query's rows, read in one short read-only connection so a run's load waits as little as possible."""

    db: Path | str  # the DuckDB file, or the DuckLake URL without its password
    since: date | None
    until: date | None
    totals: Row
    all_articles: int
    unassigned: list[Row]
    coverage: list[Row]
    outlets: list[Row]
    syndication: list[Row]
    framing: list[Row]
    framing_unit: str
    hours: list[Row]
    precision: list[Row]
    confidence: list[Row]
    pages: list[Row]
    failures: list[Row]
    health: list[Row]
    latest: list[Row]


# ---------------------------------------------------------------------------------------------------------- input


def parse_day(text: str | None, option: str) -> date | None:
    """An ISO 8601 day from --since/--until (None when not given); anything else is refused with the option named."""
    if text is None:
        return None
    if not text.strip():  # `--since "$START"` with START unset must not quietly mean the whole period
        raise ReportRefused(f"{option} is empty: give a day (YYYY-MM-DD, UTC), or leave {option} out")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportRefused(f"{option} {text!r} is not a date (use YYYY-MM-DD, a UTC day)") from None


def is_report(path: Path) -> bool:
    """Whether `path` is a report we wrote: its head carries our generator tag."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return False
    return GENERATOR_META.encode() in head


def check_target(out: str | os.PathLike) -> Path:
    """The absolute path to write, refusing before any work what is not ours to replace: a folder, a symlink,
    a device, or a file that is not a talkwatch report (a mistyped --out must not eat someone's notes)."""
    text = os.fspath(out)
    if not text.strip():
        raise ReportRefused("--out is empty: give an HTML file name, e.g. data/report.html")
    if text.endswith(("/", os.sep)):  # os.path.abspath drops the slash: "newdir/" would become a file "newdir"
        raise ReportRefused(f"{text} ends with '/', so it names a folder; give a file name, e.g. "
                            f"{text}report.html")
    absolute = Path(os.path.abspath(text))
    path = absolute.parent.resolve() / absolute.name  # the folder's real place; the name itself is never followed
    try:
        st = path.lstat()
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise ReportRefused(f"cannot inspect {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ReportRefused(f"{path} is a folder; give a file name, e.g. {path / 'report.html'}")
    if stat.S_ISLNK(st.st_mode):
        raise ReportRefused(f"{path} is a symlink; refusing to replace it")
    if not stat.S_ISREG(st.st_mode):
        raise ReportRefused(f"{path} is not a regular file; refusing to replace it")
    if not is_report(path):
        raise ReportRefused(f"{path} exists and is not a talkwatch report; refusing to overwrite it "
                            "(remove it or choose another --out)")
    return path


# ------------------------------------------------------------------------------------------------------- queries


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: list[Any]) -> list[Row]:
    """The rows of analysis/sql/<name>.sql as dicts keyed by column name."""
    cur = con.execute(sql(name), params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def framing_unit(first: date | None, last: date | None) -> str:
    """'day' for a short period, 'week' for a long one."""
    if first is None or last is None:
        return "day"
    return "day" if (last - first).days <= WEEKLY_AFTER_DAYS else "week"


def collect(db_path: str | os.PathLike, since: date | None, until: date | None,
            timeout: float | None = None) -> ReportData:
    """Run every report query against the views, read-only."""
    lake = is_lake_url(db_path)
    # made absolute for the messages, but an empty --db stays empty: abspath("") would be the current folder
    target = db_path if lake or not os.fspath(db_path).strip() else Path(os.path.abspath(os.fspath(db_path)))
    try:
        # inside the try: describing a malformed DuckLake URL already refuses it (it was an internal error, 70)
        db = describe_database(db_path) if lake else target
        con = connect(target, read_only=True, timeout=timeout)
    except (FileNotFoundError, DatabaseRefused) as exc:  # missing, not talkwatch's, or older (names `upgrade`)
        raise ReportRefused(str(exc)) from exc
    except StorageUnavailable as exc:  # PostgreSQL down: the input is fine, reading failed
        raise ReportFailed(str(exc)) from exc
    except duckdb.Error as exc:  # not a DuckDB file, a file of a newer DuckDB, a folder
        raise ReportRefused(f"cannot open {db} as a talkwatch database: {exc}") from exc
    period = [since, until]
    try:
        totals = _rows(con, "report_totals", period)[0]
        everything = totals if since is None and until is None else _rows(con, "report_totals", [None, None])[0]
        unit = framing_unit(totals["first_day"], totals["last_day"])
        return ReportData(
            db=db, since=since, until=until, totals=totals, all_articles=int(everything["articles"]),
            unassigned=_rows(con, "report_unassigned", period),
            coverage=_rows(con, "report_coverage", period),
            outlets=_rows(con, "report_outlets", period),
            syndication=_rows(con, "report_syndication", period),
            framing=_rows(con, "report_framing", [*period, unit]), framing_unit=unit,
            hours=_rows(con, "report_hours", period),
            precision=_rows(con, "report_precision", period),
            confidence=_rows(con, "report_confidence", period),
            pages=_rows(con, "report_pages", []),
            failures=_rows(con, "report_failures", []),
            health=_rows(con, "report_health", []),
            latest=_rows(con, "report_latest", [*period, LATEST_LIMIT]),
        )
    except duckdb.Error as exc:
        raise ReportFailed(f"cannot read {db}: {exc}") from exc
    finally:
        con.close()


# -------------------------------------------------------------------------------------------------------- render


def _view(name: str, query: str) -> str:
    """The caption's pointer to a view and to the query file that reproduces the chart."""
    return f"<code>{esc(name)}</code> (query <code>analysis/sql/{esc(query)}.sql</code>)"


def period_text(data: ReportData) -> str:
    """The covered period as people say it, with where each end comes from."""
    first, last = data.totals["first_day"], data.totals["last_day"]
    if data.since is None and data.until is None:
        if first is None:
            return "no articles yet"
        return f"{first.isoformat()} to {last.isoformat()} (UTC days; the whole database)"
    start = data.since.isoformat() if data.since else "the first article"
    end = data.until.isoformat() if data.until else "the last article"
    found = f"; articles found from {first.isoformat()} to {last.isoformat()}" if first else "; no articles in it"
    return f"{start} to {end} (UTC days{found})"


def gaps(data: ReportData) -> list[str]:
    """What the data lacks, in words, so a thin report says so instead of drawing empty axes."""
    t = data.totals
    out: list[str] = []
    if not t["articles"]:
        if data.all_articles:
            out.append(f"No articles in this period (the database holds {data.all_articles} outside it).")
        else:
            out.append("No articles yet: the database is empty. Run `talkwatch run` first.")
    else:
        if not t["copies"]:
            out.append("No syndicated copies: every article of the period is an original, so the copy and "
                       "syndication charts are left out.")
        if not t["timed"]:
            out.append("No article is dated to the minute: the publication-hour chart is left out.")
        if not t["with_concepts"]:
            out.append("No topic concepts or matched terms are recorded for these articles: the framing chart is "
                       "left out (see [concepts] in config/topic.toml).")
        if t["undated"]:
            n = t["undated"]
            out.append(f"{n} article{' has' if n == 1 else 's have'} no publication date: "
                       f"{'it counts' if n == 1 else 'they count'} on the day talkwatch first saw "
                       f"{'it' if n == 1 else 'them'}.")
    if data.unassigned:
        names = ", ".join(r["source"] for r in data.unassigned)
        out.append(f"Outlets without a group or country in config/sources.toml (counted as “unknown”): {names}.")
    if not data.pages:
        out.append("No crawl records (table pages is empty): the crawl charts are left out.")
    return out


def header(data: ReportData, generated_at: datetime) -> str:
    """Title, period, counts, provenance, how to read, what is missing, and a table of contents."""
    t = data.totals
    stats = [("articles", t["articles"]), ("originals", t["originals"]), ("copies", t["copies"]),
             ("outlets", t["outlets"]), ("languages", t["languages"])]
    items = "".join(f'<li data-stat="{k}"><b>{esc(v)}</b><span>{k}</span></li>' for k, v in stats)
    found = gaps(data)
    box = ""
    if found:
        box = ('<div class="gaps" id="missing"><h2>What is missing</h2><ul>'
               + "".join(f"<li>{esc(g)}</li>" for g in found) + "</ul></div>")
    nav = "".join(f'<a href="#{a}">{esc(n)}</a>' for a, n in NAV)
    return (f'<header><h1>Coverage report</h1>'
            f'<p class="meta">Period: <b data-period>{esc(period_text(data))}</b> · generated '
            f'{esc(generated_at)} · database <code>{esc(data.db)}</code></p>'
            f'<ul class="stats">{items}</ul>'
            '<p class="howto">How to read: each section answers one question and names the SQL view it comes from; '
            'days are UTC; an <i>original</i> is the first stored version of a text, a <i>copy</i> is the same text '
            'published again (by another outlet or the same one). Hover a chart for exact numbers; the buttons '
            'above a chart switch what it shows.</p>'
            f'{box}<nav>{nav}</nav></header>')


NAV = [("coverage", "Coverage over time"), ("outlets", "Outlets"), ("syndication", "Syndication"),
       ("framing", "Framing"), ("hours", "Publication hour"), ("quality", "Data quality"),
       ("latest", "Latest articles")]


class _Charts:
    """Collects the drawn charts' names while the sections are rendered."""

    def __init__(self) -> None:
        self.drawn: list[str] = []

    def show(self, name: str, fig: Any, absent: str) -> str:
        """The chart, or the placeholder saying why there is none."""
        if fig is None:
            return f'<div class="chart-missing" data-missing="{esc(name)}">{missing(absent)}</div>'
        self.drawn.append(name)
        return charts.to_div(name, fig)


def outlets_table(rows: list[Row]) -> str:
    """Per outlet: the numbers behind the bar chart, sortable by any column."""
    body = [[Cell(r["source"]), Cell(r["group"]), Cell(r["country"]), num(int(r["articles"])),
             num(int(r["originals"])), num(int(r["copies_of_others"])),
             num(float(r["copy_share"]), f"{float(r['copy_share']) * 100:.0f}%"),
             num(r["median_copy_delay_minutes"], charts.minutes_text(r["median_copy_delay_minutes"]) or "–")]
            for r in rows]
    heads = ["outlet", "group", "country", ("articles", "num"), ("originals", "num"),
             ("copies of others", "num"), ("copy share", "num"), ("median copy delay", "num")]
    return table(heads, body, cls="sortable", data_table="outlets")


def concept_table(rows: list[Row]) -> str:
    """Concept × group over the whole period: the share of each group's articles using each concept, shaded."""
    volume: dict[str, dict[date, int]] = defaultdict(dict)
    used: dict[tuple[str, str], int] = defaultdict(int)
    rows = [r for r in rows if r["dimension"] == "group"]
    for r in rows:
        volume[r["value"]][r["bucket"]] = int(r["articles"])
        used[(r["term"], r["value"])] += int(r["mentions"])
    groups = sorted(volume)
    totals = {g: sum(volume[g].values()) for g in groups}
    body = []
    for concept in charts.top_concepts(rows, n=1000):
        cells = [Cell(concept)]
        for g in groups:
            share = used[(concept, g)] / totals[g] if totals[g] else 0.0
            shade = f"background: rgba(78, 121, 167, {0.06 + 0.44 * share:.2f})" if share else ""
            cells.append(Cell(f"{share * 100:.0f}%", sort=round(share, 4), cls="num", style=shade))
        body.append(cells)
    heads: list[str | tuple[str, str]] = ["concept"] + [(f"{g} ({totals[g]})", "num") for g in groups]
    return table(heads, body, cls="sortable", data_table="concepts")


def health_table(rows: list[Row], now: datetime) -> str:
    """Each source's last success and last error; a row without a success in 48 h is marked stale."""
    body, classes = [], []
    for r in rows:
        ok = r["last_success_at"]
        stale = ok is None or now - ok > STALE_AFTER
        classes.append("stale" if stale else "")
        state = "never succeeded" if ok is None else ("no success in 48 h" if stale else "ok")
        body.append([Cell(r["source"]), Cell(r["group"]), Cell(state),
                     Cell(ok if ok else "never", sort=ok.isoformat() if ok else "", cls="when"),
                     Cell(r["last_error_at"], sort=r["last_error_at"].isoformat() if r["last_error_at"] else "",
                          cls="when"),
                     Cell(r["last_error"]), num(int(r["articles_24h"] or 0)),
                     Cell(r["next_poll_at"], cls="when"), num(r["poll_minutes"])])
    heads = ["source", "group", "state", "last success", "last error at", "last error", ("articles 24 h", "num"),
             "next poll", ("poll minutes", "num")]
    return table(heads, body, cls="sortable", data_table="health", row_classes=classes)


def _published(r: Row) -> Cell:
    """When an article was published, as precisely as it is known, sortable."""
    at, prec = r["published_at"], r["published_precision"]
    if at is None:
        return Cell(f"undated (seen {r['day'].isoformat()})", sort="", cls="when")
    text = at.strftime("%Y-%m-%d %H:%M") if prec == "time" else f"{at:%Y-%m-%d} (day)"
    return Cell(text, sort=at.isoformat(), cls="when")


def _title_link(r: Row) -> Cell:
    """The title linking to the article; a URL that is not http(s) stays plain text (no javascript: links)."""
    title, url = r["title"] or "(no title)", r["url"] or ""
    if url.lower().startswith(("http://", "https://")):
        return Cell(markup=f'<a href="{esc(url)}" rel="noopener noreferrer" target="_blank">{esc(title)}</a>',
                    cls="title")
    return Cell(title, cls="title")


def latest_table(rows: list[Row]) -> str:
    """The newest articles with a client-side filter above them."""
    body = [[_published(r), _title_link(r), Cell(r["source"]), Cell(r["group"]), Cell(r["language"]),
             Cell(markup='<span class="badge copy">copy</span>' if r["is_copy"] else '<span class="badge">original'
                  '</span>', sort=int(bool(r["is_copy"])))]
            for r in rows]
    tools = ('<div class="latest-tools"><input type="search" id="latest-filter" placeholder="Filter: title, outlet, '
             'group, language…" aria-label="Filter the latest articles" autocomplete="off">'
             f'<span id="latest-count" aria-live="polite">{len(rows)} of {len(rows)} articles shown</span></div>')
    heads = ["published (UTC)", "title", "source", "group", "language", "kind"]
    return tools + '<div class="scroll">' + table(heads, body, table_id="latest-table", cls="sortable",
                                                  data_table="latest") + "</div>"


def sections(data: ReportData, now: datetime, c: _Charts) -> list[str]:
    """The report's sections in reading order."""
    none_here = "No articles in this period."
    empty = not data.totals["articles"]

    def absent(why: str) -> str:
        """Why a chart is left out: the specific reason, or simply that there are no articles."""
        return none_here if empty else why

    colors = charts.colors_for(r["value"] for r in data.coverage if r["dimension"] == "group")
    unit_word = "day" if data.framing_unit == "day" else "week (from Monday)"
    framing_fig = charts.framing(data.framing, data.framing_unit, colors)
    out = [
        section("coverage", "Coverage over time",
                f"Original articles per UTC day, stacked by the outlets' group (buttons: language, country), and "
                f"syndicated copies apart below; from the view {_view('daily_coverage', 'report_coverage')}.",
                c.show("coverage", charts.coverage(data.coverage, colors), none_here)
                + "<h3>Syndicated copies per day</h3>"
                + c.show("copies", charts.copies(data.coverage, colors),
                         absent("No syndicated copies in this period: every article is an original."))),
        section("outlets", "Per outlet: volume, copying and delay",
                f"Articles per outlet split into originals and copies, with the share of copies of another "
                f"outlet's article and their median delay after it; from the view "
                f"{_view('outlet_stats', 'report_outlets')} restricted to the period.",
                c.show("outlets", charts.outlets(data.outlets), none_here)
                + (outlets_table(data.outlets) if data.outlets else "")),
        section("syndication", "Syndication: who copies whom",
                f"Each square counts the articles the outlet of its column published as a copy of an article first "
                f"published by the outlet of its row; from the view "
                f"{_view('syndication_pairs', 'report_syndication')}.",
                c.show("syndication", charts.syndication(data.syndication),
                       absent("No outlet copied another outlet's article in this period."))),
        section("framing", "Framing: which concepts each side uses",
                f"Share of each group's articles per {esc(unit_word)} that use a topic concept (menu: the "
                f"{charts.TOP_CONCEPTS} most used), and the same over the whole period in the table; from the views "
                f"{_view('term_usage', 'report_framing')} and <code>daily_coverage</code>.",
                c.show("framing", framing_fig,
                       absent("No topic concepts or matched terms are recorded for the articles of this period."))
                + (concept_table(data.framing) if framing_fig is not None else "")),
        section("hours", "Publication hour (UTC)",
                f"Articles per hour of publication, per group, counting only articles dated to the minute; from "
                f"the view {_view('article_sides', 'report_hours')}.",
                c.show("hours", charts.hours(data.hours, colors),
                       absent("No article of this period is dated to the minute, so no publication hour can be "
                              "told."))),
        section("quality", "Data quality and crawl health",
                f"How precisely and how surely articles are dated ({_view('article_sides', 'report_precision')}, "
                f"<code>report_confidence.sql</code>), what became of every fetched page "
                f"({_view('pages', 'report_pages')}, <code>report_failures.sql</code>; the whole database), and "
                f"each source's last success ({_view('source_health', 'report_health')}).",
                "<h3>Date precision per group</h3>"
                + c.show("precision", charts.precision(data.precision), none_here)
                + "<h3>Date confidence</h3>"
                + c.show("confidence", charts.confidence(data.confidence), none_here)
                + "<h3>Pages by outcome</h3>"
                + c.show("pages", charts.pages(data.pages), "No crawl records yet (table pages is empty).")
                + "<h3>Failed pages by reason</h3>"
                + c.show("failures", charts.failures(data.failures), "No page has failed.")
                + "<h3>Source health</h3>"
                + (health_table(data.health, now) if data.health else missing("No source health recorded yet."))),
        section("latest", f"Latest articles (up to {LATEST_LIMIT})",
                f"The newest articles of the period, newest publication first (undated ones last); the box filters "
                f"the rows as you type; from the view {_view('article_sides', 'report_latest')}.",
                latest_table(data.latest) if data.latest else missing(none_here)),
    ]
    return out


@cache
def plotly_js() -> str:
    """plotly.js, inlined once per page so the report opens offline (about 4.7 MB)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def render(data: ReportData, generated_at: datetime | None = None) -> tuple[str, tuple[str, ...]]:
    """The whole HTML page, and the names of the charts drawn in it."""
    now = generated_at or datetime.now(timezone.utc)
    c = _Charts()
    body = sections(data, now, c)
    footer = (f"<footer>Written by talkwatch report. Every chart is one query over the public views: "
              f"<code>analysis/sql/report_*.sql</code> (bind each <code>?</code> to a DATE or NULL, "
              f"e.g. in the duckdb shell or <code>talkwatch query</code>). Database <code>{esc(data.db)}</code>."
              f"</footer>")
    text = page(f"talkwatch coverage report: {period_text(data)}", header(data, now), body, footer, plotly_js())
    return text, tuple(c.drawn)


# --------------------------------------------------------------------------------------------------------- write


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot open a folder, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(out: Path, text: str) -> None:
    """Write beside the target, fsync, then rename over it: a reader sees the old report or the new, never half.

    The temporary file is removed on any failure (disk full, permission, an interrupt).
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportFailed(f"cannot create the folder {out.parent}: {exc.strerror or exc}") from exc
    tmp = out.parent / f".{out.name}.tmp-{secrets.token_hex(6)}"
    created = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        created = True
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException as exc:
        if created:
            try:
                tmp.unlink()
            except OSError:
                pass
        if isinstance(exc, OSError):
            raise ReportFailed(f"cannot write {out}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(out.parent)


def write_report(db_path: str | os.PathLike, out_path: str | os.PathLike, since: date | None = None,
                 until: date | None = None, timeout: float | None = None) -> ReportResult:
    """Read the database (read-only) and write the report to `out_path` atomically; the flow calls this after a run.

    Raises ReportRefused (bad input, nothing done), DatabaseBusy (a run holds the lock past `timeout`) or
    ReportFailed (reading or writing failed; the previous report, if any, is left as it was).
    """
    if since and until and since > until:
        raise ReportRefused(f"--since {since} is after --until {until}")
    out = check_target(out_path)
    data = collect(db_path, since, until, timeout)
    text, drawn = render(data)
    write_atomic(out, text)
    return ReportResult(path=out, articles=int(data.totals["articles"]), charts=drawn)


def cmd_report(args: argparse.Namespace) -> int:
    """`talkwatch report`: 0 written, 2 bad input, 3 database busy, 4 reading or writing failed."""
    try:
        since = parse_day(getattr(args, "since", None), "--since")
        until = parse_day(getattr(args, "until", None), "--until")
        result = write_report(args.db, args.out, since, until, timeout=getattr(args, "lock_timeout", None))
    except ReportRefused as exc:
        return fail(PROG, exc, EXIT_BAD_INPUT)
    except DatabaseBusy as exc:
        return fail(PROG, exc, EXIT_BUSY)
    except ReportFailed as exc:
        return fail(PROG, exc, EXIT_STORAGE)
    except (OSError, duckdb.Error) as exc:  # reading or writing failed in a way the paths above did not foresee
        return fail(PROG, f"failed: {type(exc).__name__}: {exc}", EXIT_STORAGE)
    except Exception as exc:  # noqa: BLE001 - a bug: one line (70) naming the log that holds its traceback
        return internal_error("report", exc)
    print(f"talkwatch report: wrote {result.path} ({result.articles} articles, {len(result.charts)} charts)")
    return 0
