"""Runs per-page work in child processes, so a page that hangs or crashes the parser costs that page, not the run.

trafilatura has no timeout in its Python API and a pathological page can keep lxml busy indefinitely (adbar/
trafilatura#704); a segfault in lxml would take the whole flow down with it. Batches large enough to be worth the
start-up of two worker processes (they import trafilatura, htmldate, dateparser: a few seconds) go through a
spawn-context pool with a deadline per page; a worker that overruns it is killed with the pool, the page is
recorded as failed, and the rest go on in a fresh pool. Small batches run in-process: same function, same results.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines import progress

PAGE_TIMEOUT_S = float(os.environ.get("TALKWATCH_PAGE_TIMEOUT", "120"))
MIN_BATCH = int(os.environ.get("TALKWATCH_ISOLATE_MIN_PAGES", "40"))


@dataclass
class Outcome:
    """The value of one call, or why there is none."""

    value: Any = None
    error: str | None = None


def run_isolated(fn: Callable[[Any], Any], items: Sequence[Any], timeout_s: float = PAGE_TIMEOUT_S,
                 workers: int | None = None, min_batch: int = MIN_BATCH) -> list[Outcome]:
    """`fn(item)` for every item, in order. `fn` must be a module-level function (it is pickled by name)."""
    if len(items) < min_batch:
        done = []
        for item in items:
            done.append(_call(fn, item))
            progress.advance()
        return done
    # spawn, not fork: the flow process runs Prefect's threads, and forking a threaded process can deadlock
    ctx = multiprocessing.get_context("spawn")
    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    results: list[Outcome | None] = [None] * len(items)
    pending = list(range(len(items)))
    while pending:
        pool = ctx.Pool(workers)
        try:
            started = {i: pool.apply_async(_call, (fn, items[i])) for i in pending}
            pending = []
            broken = False
            for i, handle in started.items():
                if broken:  # the pool is going down: keep what finished, resubmit the rest to a fresh one
                    if handle.ready():
                        results[i] = handle.get()
                    else:
                        pending.append(i)
                    continue
                try:
                    results[i] = handle.get(timeout=timeout_s)
                    progress.advance()
                except multiprocessing.TimeoutError:
                    results[i] = Outcome(error=f"processing took longer than {timeout_s:.0f} s (or crashed "
                                               "its worker); the page was given up")
                    broken = True
        finally:
            pool.terminate()
            pool.join()
    return [r if r is not None else Outcome(error="not processed") for r in results]


def _call(fn: Callable[[Any], Any], item: Any) -> Outcome:
    try:
        return Outcome(value=fn(item))
    except Exception as exc:  # noqa: BLE001 - one item's failure is that item's outcome
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:300])
