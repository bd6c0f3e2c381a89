"""`talkwatch report` on real DuckDB files, opened in a real headless Chromium: every chart draws its SVG marks, the
page makes no network request and logs no error, the filter works, empty and thin data say what is missing, the
period options narrow the counts, bad input is refused in one line, and crawled text cannot inject markup."""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from analysis.report import ReportResult, write_report
from analysis.sqlfiles import sql
from pipelines.cli import main
from storage.db import connect
from tests import coverage_db
from tests.storagerows import write_lock_held

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FIXTURE_CHARTS = {"coverage", "copies", "outlets", "syndication", "framing", "hours", "precision", "confidence",
                  "pages", "failures"}
# marks as Plotly draws them in SVG: bars (with an area: a zero bar is no mark), scatter points, lines
MARKS_JS = """(el) => {
  const area = (n) => { const b = n.getBBox(); return b.width * b.height; };
  return {
    bars: [...el.querySelectorAll('g.trace.bars path')].filter((n) => area(n) > 0).length,
    points: [...el.querySelectorAll('g.trace.scatter path.point')].filter((n) => area(n) > 0).length,
    lines: el.querySelectorAll('g.trace.scatter path.js-line').length,
  };
}"""
DRAWN_JS = "() => [...document.querySelectorAll('[data-chart]')].every((c) => c.querySelector('svg.main-svg'))"
EVIL_TITLE = "</td><script>alert(1)</script><img src=x onerror=alert(2)>"


def run(*argv: str) -> tuple[int, str, str]:
    """`talkwatch report ...` in-process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", *argv])
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    """stderr holds exactly one line, ours, and no traceback."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("talkwatch report: ") and "Traceback" not in err
    return lines[0]


def stats(html_text: str) -> dict[str, int]:
    """The header's counts, by name."""
    return {k: int(v) for k, v in re.findall(r'<li data-stat="(\w+)"><b>(\d+)</b>', html_text)}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "t.duckdb"
    coverage_db.build(path)
    return path


@pytest.fixture(scope="module")
def report(db, tmp_path_factory) -> tuple[Path, str]:
    """The fixture database's report written through the CLI into a folder that does not exist yet."""
    out = tmp_path_factory.mktemp("out") / "data" / "report.html"
    code, stdout, stderr = run("--db", str(db), "--out", str(out))
    assert code == 0, stderr
    return out, stdout


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's, never a download) for the module."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: the report must be checked in a real browser in CI")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Opened:
    """A page showing a report, with every request, console message, page error and dialog it caused."""

    def __init__(self, page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, d) -> None:
        self.dialogs.append(d.message)
        d.dismiss()

    def marks(self, chart: str) -> dict[str, int]:
        return self.page.evaluate(MARKS_JS, self.page.query_selector(f'[data-chart="{chart}"]'))

    def assert_clean(self, path: Path) -> None:
        """Only the file itself was requested, and nothing complained."""
        assert self.requests == [path.as_uri()]
        assert [m for m in self.console if m[0] in ("error", "warning")] == []
        assert self.errors == [] and self.dialogs == []


@contextlib.contextmanager
def opened(browser, path: Path) -> Iterator[Opened]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        o = Opened(ctx.new_page())
        o.page.goto(path.as_uri())
        o.page.wait_for_load_state("load")
        o.page.wait_for_function(DRAWN_JS)
        yield o
    finally:
        ctx.close()


def test_the_report_draws_every_chart_offline_and_its_filter_works(report, browser, tmp_path):
    path, stdout = report
    assert stdout.strip() == f"talkwatch report: wrote {path} (9 articles, {len(FIXTURE_CHARTS)} charts)"
    assert path.is_absolute() and path.parent.name == "data"  # the missing folder was created
    text = path.read_text(encoding="utf-8")
    assert stats(text) == {"articles": 9, "originals": 7, "copies": 2, "outlets": 4, "languages": 4}
    head, plotly_js, ours = text.partition(get_plotlyjs())
    assert plotly_js and get_plotlyjs() not in ours and "</head>" in ours[:20]  # inlined once, in the head
    assert "<script src" not in head + ours and "https://" not in head + ours.replace('href="https://', "")
    with opened(browser, path) as o:
        charts = {e.get_attribute("data-chart") for e in o.page.query_selector_all("[data-chart]")}
        assert charts == FIXTURE_CHARTS
        marks = {c: o.marks(c) for c in charts}
        for chart, m in marks.items():
            assert m["bars"] + m["points"] > 0, (chart, m)
        # exact marks where the fixture fixes them
        assert marks["coverage"]["bars"] == 7  # 4 groups on May 16, 2 on May 17, 1 on May 18 (the undated one)
        assert marks["copies"]["bars"] == 2
        assert marks["syndication"]["points"] == 2  # world_news -> moscow_daily, world_news -> ankara_post
        assert marks["hours"]["bars"] == 7  # the 7 articles dated to the minute, each its own group and hour
        assert marks["pages"]["bars"] == 3 and marks["failures"]["bars"] == 1
        assert marks["framing"]["lines"] > 0 and marks["framing"]["points"] > 0
        assert o.page.query_selector_all(".missing") == []

        # the coverage chart's buttons restack it by language
        legend = '[data-chart="coverage"] .legendtext'
        assert sorted(o.page.locator(legend).all_text_contents()) == [
            "international", "russian-state", "turkish", "ukrainian"]
        o.page.locator('[data-chart="coverage"] .updatemenu-button').nth(1).click()
        o.page.wait_for_function(f"() => document.querySelector('{legend}').textContent.length <= 2")
        assert sorted(o.page.locator(legend).all_text_contents()) == ["en", "ru", "tr", "uk"]

        # so do the publication hours', by country
        legend = '[data-chart="hours"] .legendtext'
        o.page.locator('[data-chart="hours"] .updatemenu-button').nth(2).click()
        o.page.wait_for_function(f"() => document.querySelector('{legend}').textContent.length == 2")
        assert sorted(o.page.locator(legend).all_text_contents()) == ["GB", "RU", "TR", "UA"]
        assert o.marks("hours")["bars"] == 7

        # and the framing menu offers every top concept by group, language and country
        menu = o.page.evaluate("""el => el.layout.updatemenus[0].buttons.map(b => b.label)""",
                               o.page.query_selector('[data-chart="framing"] .js-plotly-plot'))
        assert "“ceasefire” by group" in menu and "“ceasefire” by language" in menu
        assert "“ceasefire” by country" in menu

        # the latest-articles filter: case-insensitive, Cyrillic too, with a live count
        rows = "#latest-table tbody tr:not([hidden])"
        assert o.page.locator(rows).count() == 9
        o.page.fill("#latest-filter", "MEMORANDUM")
        assert o.page.locator(rows).count() == 3
        assert o.page.text_content("#latest-count") == "3 of 9 articles shown"
        o.page.fill("#latest-filter", "МЕМОРАНДУМ")  # Мединский о меморандуме, Меморандум про перемир'я
        assert sorted(o.page.locator(f"{rows} td.title").all_text_contents()) == [
            "Мединский о меморандуме", "Меморандум про перемир'я"]
        o.page.fill("#latest-filter", "")
        assert o.page.locator(rows).count() == 9

        # a header click sorts the outlets table
        o.page.click('[data-table="outlets"] th:has-text("outlet")')
        first = o.page.locator('[data-table="outlets"] tbody tr td').first.text_content()
        assert first == "ankara_post"

        shot = tmp_path / "report.png"
        o.page.screenshot(path=str(shot), full_page=True)
        o.assert_clean(path)
    assert shot.stat().st_size > 0


def test_an_empty_database_gives_a_valid_report_of_placeholders(browser, tmp_path):
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    out = tmp_path / "empty.html"
    code, stdout, stderr = run("--db", str(db), "--out", str(out))
    assert code == 0, stderr
    assert "(0 articles, 0 charts)" in stdout
    text = out.read_text(encoding="utf-8")
    assert stats(text)["articles"] == 0
    assert "What is missing" in text and "the database is empty" in text
    with opened(browser, out) as o:
        assert o.page.query_selector_all("[data-chart]") == []
        assert o.page.locator("g.trace").count() == 0 and o.page.locator("svg.main-svg").count() == 0
        assert o.page.locator(".missing").count() >= 10
        assert "No articles in this period." in o.page.locator(".missing").all_text_contents()
        o.assert_clean(out)


def test_since_and_until_narrow_the_period(db, tmp_path):
    out = tmp_path / "r.html"
    code, stdout, _ = run("--db", str(db), "--out", str(out), "--since", "2025-05-17")
    assert code == 0 and "(3 articles," in stdout  # May 17: two articles; May 18: the undated one, first seen then
    text = out.read_text(encoding="utf-8")
    assert stats(text) == {"articles": 3, "originals": 3, "copies": 0, "outlets": 3, "languages": 3}
    assert "2025-05-17 to the last article" in text
    assert 'data-missing="copies"' in text and 'data-missing="syndication"' in text  # no copies after May 16
    code, stdout, _ = run("--db", str(db), "--out", str(out), "--until", "2025-05-16")
    assert code == 0 and stats(out.read_text(encoding="utf-8"))["articles"] == 6
    code, stdout, _ = run("--db", str(db), "--out", str(out), "--since", "2025-05-17", "--until", "2025-05-17")
    assert code == 0 and stats(out.read_text(encoding="utf-8"))["articles"] == 2
    code, _, _ = run("--db", str(db), "--out", str(out), "--since", "2026-01-01")
    text = out.read_text(encoding="utf-8")
    assert code == 0 and stats(text)["articles"] == 0 and "the database holds 9 outside it" in text


@pytest.mark.parametrize("argv", [["--since", "yesterday"], ["--until", "2025-13-01"],
                                  ["--since", "2025-05-18", "--until", "2025-05-16"]])
def test_a_bad_date_is_refused_in_one_line(db, tmp_path, argv):
    out = tmp_path / "r.html"
    code, stdout, stderr = run("--db", str(db), "--out", str(out), *argv)
    assert code == 2 and stdout == ""
    one_error_line(stderr)
    assert not out.exists()


def test_an_out_that_is_not_ours_is_left_untouched(db, report, tmp_path):
    folder = tmp_path / "a folder"
    folder.mkdir()
    code, _, stderr = run("--db", str(db), "--out", str(folder))
    assert code == 2 and "is a folder" in one_error_line(stderr)
    assert list(folder.iterdir()) == []
    notes = tmp_path / "notes.html"
    notes.write_text("<html><body>my notes</body></html>")
    code, _, stderr = run("--db", str(db), "--out", str(notes))
    assert code == 2 and "not a talkwatch report" in one_error_line(stderr)
    assert notes.read_text() == "<html><body>my notes</body></html>"
    code, _, stderr = run("--db", str(db), "--out", str(db))  # the database itself
    assert code == 2 and "not a talkwatch report" in one_error_line(stderr)
    path, _ = report
    link = tmp_path / "link.html"  # even to a report of ours: we never write where a link points
    link.symlink_to(path)
    code, _, stderr = run("--db", str(db), "--out", str(link))
    assert code == 2 and "symlink" in one_error_line(stderr) and link.is_symlink()
    # an earlier report of ours is replaced, and no temporary file is left beside it
    before = path.stat().st_ino
    code, _, stderr = run("--db", str(db), "--out", str(path))
    assert code == 0, stderr
    assert path.stat().st_ino != before  # a new file renamed over the old one, not rewritten in place
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_a_missing_database_is_refused(tmp_path):
    out = tmp_path / "r.html"
    code, _, stderr = run("--db", str(tmp_path / "nowhere.duckdb"), "--out", str(out))
    assert code == 2 and "no database" in one_error_line(stderr)
    assert not out.exists() and not (tmp_path / "nowhere.duckdb").exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    fake = tmp_path / "fake.duckdb"
    fake.write_text("not a database")
    code, _, stderr = run("--db", str(fake), "--out", str(tmp_path / "r.html"))
    assert code == 2
    one_error_line(stderr)


def test_a_busy_database_exits_3(db, tmp_path):
    with write_lock_held(db, 30.0):
        code, _, stderr = run("--db", str(db), "--out", str(tmp_path / "r.html"), "--lock-timeout", "0.3")
    assert code == 3 and "locked" in one_error_line(stderr)
    assert not (tmp_path / "r.html").exists()


def test_an_out_beneath_a_file_is_refused(db, tmp_path):
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    code, _, stderr = run("--db", str(db), "--out", str(blocker / "report.html"))  # its folder would be a file
    assert code == 2
    one_error_line(stderr)
    assert [p.name for p in tmp_path.iterdir()] == ["plain-file"] and blocker.read_text() == "x"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc: a folder nobody, root included, "
                                                             "can create files in")
def test_an_unwritable_folder_exits_4(db):
    code, stdout, stderr = run("--db", str(db), "--out", "/proc/talkwatch-report.html")
    assert code == 4 and stdout == ""
    assert one_error_line(stderr).startswith("talkwatch report: cannot write /proc/talkwatch-report.html")
    assert not any(p.name.startswith(".talkwatch-report.html.tmp-") for p in Path("/proc").iterdir())


def test_write_report_is_the_flows_entry(db, tmp_path):
    result = write_report(db, tmp_path / "sub" / "r.html")
    assert isinstance(result, ReportResult)
    assert result.path == (tmp_path / "sub" / "r.html") and result.path.is_absolute()
    assert result.articles == 9 and set(result.charts) == FIXTURE_CHARTS


def test_the_period_queries_are_the_views_for_those_days(db):
    """The report's per-outlet and syndication rows come from the views' own macros, narrowed to the period."""
    con = connect(db, read_only=True)
    try:
        everything = con.execute(sql("report_syndication"), [None, None]).fetchall()
        assert sorted(everything) == sorted(con.execute("SELECT * FROM syndication_pairs").fetchall())
        assert {(r[0], r[1], r[2]) for r in everything} == {("world_news", "moscow_daily", 1),
                                                            ("world_news", "ankara_post", 1)}
        # both copies appeared on 2025-05-16 (UTC): a period from the 17th has none
        assert con.execute(sql("report_syndication"), ["2025-05-17", None]).fetchall() == []
        later = {r[0]: r for r in con.execute(sql("report_outlets"), ["2025-05-17", None]).fetchall()}
        assert set(later) == {"world_news", "moscow_daily", "kyiv_wire"}  # ankara_post wrote only on the 16th
        outlets = {r[0]: r for r in con.execute(sql("report_outlets"), [None, "2025-05-16"]).fetchall()}
        view = {r[0]: r for r in con.execute("SELECT * FROM outlet_stats").fetchall()}
        assert outlets["ankara_post"] == view["ankara_post"]  # all of its articles fall on that day
    finally:
        con.close()


def test_crawled_text_is_escaped_everywhere(browser, tmp_path):
    db = tmp_path / "evil.duckdb"
    coverage_db.build(db)
    evil = coverage_db.row(90, "world_news", "en", EVIL_TITLE,
                           "A hostile page about the ceasefire talks in Istanbul, with markup in its title.",
                           50, False, ["ceasefire"], url="javascript:alert(3)")
    unknown = coverage_db.row(91, "<b>bold</b> outlet", "en", "An outlet nobody configured",
                              "Another page on the Istanbul negotiations, from an outlet without a sources entry.",
                              49, False, ["negotiations"])
    coverage_db.load(db, [evil, unknown])
    out = tmp_path / "r.html"
    code, _, stderr = run("--db", str(db), "--out", str(out))
    assert code == 0, stderr
    text = out.read_text(encoding="utf-8")
    assert EVIL_TITLE not in text and "<b>bold</b>" not in text
    assert "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert 'href="javascript:' not in text
    with opened(browser, out) as o:
        first = o.page.locator("#latest-table tbody tr").first
        assert first.locator("td.title").text_content() == EVIL_TITLE  # shown as text, not run
        assert first.locator("td.title a").count() == 0  # a javascript: URL is no link
        assert o.page.locator("#latest-table img").count() == 0
        # Plotly reads its strings as HTML: the outlet name must come out as written, not in bold
        ticks = o.page.locator('[data-chart="outlets"] .ytick text').all_text_contents()
        assert "<b>bold</b> outlet" in ticks
        missing = o.page.locator("#missing").text_content()
        assert "<b>bold</b> outlet" in missing  # an outlet without group or country is named
        o.assert_clean(out)


@pytest.mark.parametrize("when", [datetime(2015, 1, 2, 10, tzinfo=timezone.utc),
                                  datetime(1, 1, 1, tzinfo=timezone.utc),
                                  datetime(9999, 12, 31, 12, tzinfo=timezone.utc)], ids=["2015", "year-1", "year-9999"])
def test_a_few_days_years_apart_give_a_report_that_opens(browser, tmp_path, when):
    """A day tick for each day of the span (chosen for a few distinct days) asked Chromium for hundreds of
    thousands of ticks: the report never finished loading; a year-1 date overflowed the axis range (status 4)."""
    db = tmp_path / "far.duckdb"
    coverage_db.build(db)
    old = coverage_db.row(200, "world_news", "en", "Background", "ceasefire Istanbul talks", 0, False, ["ceasefire"],
                          url="http://w.test/old")
    old.published_at = when
    coverage_db.load(db, [old])
    out = tmp_path / "far.html"
    code, stdout, stderr = run("--db", str(db), "--out", str(out))
    assert code == 0, stderr
    with opened(browser, out) as o:  # DRAWN_JS waits for every chart; the browser's own 30 s timeout bounds it
        assert o.page.query_selector_all("[data-chart]") != []
        o.assert_clean(out)


def test_a_bug_in_the_report_is_an_internal_error_with_its_log_not_a_storage_failure(db, tmp_path, monkeypatch):
    """Status 4 says the storage failed; a bug was reported so, with no traceback anywhere."""
    import analysis.report as reportmod

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(reportmod, "write_report", broken)
    monkeypatch.setenv("TALKWATCH_LOG_DIR", str(tmp_path / "logs"))
    code, _, err = run("--db", str(db), "--out", str(tmp_path / "r.html"))
    lines = err.splitlines()
    assert code == 70 and len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("talkwatch: internal error: ValueError: a bug (details in ")  # README's status table
    logs = list((tmp_path / "logs").iterdir())
    assert len(logs) == 1 and "Traceback" in logs[0].read_text()
