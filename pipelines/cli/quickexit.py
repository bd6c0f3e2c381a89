"""End `talkwatch run` without the interpreter's teardown, once everything it must do at exit is done.

Why: a run imports Prefect, Scrapy's settings, DuckDB, numpy and pyarrow, and Python's finalization then frees
all of it object by object: 0.7 s of a bare import-and-exit of those modules, and 1.1-1.4 s after a run's summary
was printed (measured on a 2-core box), every run, after the data is committed. The handler here is registered before
anything else the run registers (Prefect's event loop thread, the temporary API server's stop, multiprocessing's
clean-up), so those run first (exit handlers run last-registered first), and Prefect's log and event workers have
drained before any of them (`threading` runs its own exit hooks before `atexit`'s). It then closes logging (which
registered its handler earlier), flushes the standard streams and leaves with the command's exit status. What is
skipped is only freeing memory and closing what the operating system closes: DuckDB's committed transactions are
in its file or its write-ahead log either way.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys

_CODE: list[int] = []  # the exit status main() returned; empty: exit the normal way


def install() -> None:
    """Register the handler; call it first thing, before the command registers exit handlers of its own."""
    atexit.register(_leave)


def arm(code: int) -> None:
    """Leave quickly with `code` once the exit handlers have run. Only for a command that returned normally: an
    exception or a signal on the way out takes the normal exit."""
    _CODE[:] = [code]


def _leave() -> None:
    if not _CODE:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more can be said on it
            pass
    os._exit(_CODE[0])
