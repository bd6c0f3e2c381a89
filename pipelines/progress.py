"""Live progress of a run for a person at a terminal: per stage, and per source while the crawl goes on.

The flow reports to whatever `Reporter` is installed; by default none is, so scheduled and logged runs stay quiet
and line-based (Prefect's log lines). `talkwatch run` installs `RichReporter` when its output is a terminal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Protocol

STAGES = ("prepare", "crawl", "clean", "deduplicate", "load", "report")  # "clean" also keys and dates each page


class Reporter(Protocol):
    """What the flow tells a progress display; every call must be cheap and must never raise."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def crawled(self, counts: dict[str, Counter]) -> None: ...

    def close(self) -> None: ...


_reporter: list[Reporter] = []


def install(reporter: Reporter | None) -> None:
    """Make `reporter` receive the flow's progress (None: nobody, the default)."""
    _reporter.clear()
    if reporter is not None:
        _reporter.append(reporter)


def stage(name: str, total: int | None = None) -> None:
    """A stage begins; `total` is how many steps it has when known (pages to clean, ...)."""
    for r in _reporter:
        r.stage(name, total)


def advance(n: int = 1) -> None:
    """`n` steps of the current stage are done."""
    for r in _reporter:
        r.advance(n)


def crawled(counts: dict[str, Counter]) -> None:
    """What the crawl has yielded so far, per source: listings, pages, failures."""
    for r in _reporter:
        r.crawled(counts)


def wants_items() -> bool:
    """Whether anybody listens: the crawl reads its items as they come only then."""
    return bool(_reporter)


class RichReporter:
    """A live display with `rich`: one bar per stage, and a line per source with what its crawl brought so far."""

    def __init__(self, sources: list[str], console=None) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console or Console(stderr=True)
        self.sources = sources
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.bars = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=self.console)
        self.current = None
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
        self.live.start()

    def _render(self):
        from rich.console import Group
        from rich.table import Table

        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for col in ("source", "listings", "failed", "pages", "refused"):
            table.add_column(col, justify="left" if col == "source" else "right")
        shown = sorted(self.sources, key=lambda s: -sum(self.counts[s].values()))[:12]
        for name in shown:
            c = self.counts[name]
            table.add_row(name, str(c["listing"]), str(c["listing-failed"] + c["failed"]), str(c["page"]),
                          str(c["refused"]))
        if len(self.sources) > len(shown):
            table.add_row(f"… {len(self.sources) - len(shown)} more", "", "", "", "")
        return Group(self.bars, table)

    def stage(self, name: str, total: int | None = None) -> None:
        if self.current is not None:
            task = self.bars.tasks[self.current]
            self.bars.update(self.current, total=task.total or 1, completed=task.total or 1)
        self.current = self.bars.add_task(name, total=total)
        self.live.update(self._render())

    def advance(self, n: int = 1) -> None:
        if self.current is not None:
            self.bars.advance(self.current, n)

    def crawled(self, counts: dict[str, Counter]) -> None:
        self.counts = defaultdict(Counter, counts)
        self.live.update(self._render())

    def close(self) -> None:
        if self.current is not None:
            task = self.bars.tasks[self.current]
            self.bars.update(self.current, total=task.total or 1, completed=task.total or 1)
        self.live.stop()
