"""Runs per-page work in child processes, so a page that hangs or crashes the parser costs that page, not the run.

trafilatura has no timeout in its Python API and a pathological page can keep lxml busy indefinitely (adbar/
trafilatura#704); a segfault in lxml would take the whole flow down with it. Batches large enough to be worth the
start-up of the workers go through a process pool with a deadline per page; a worker that overruns it is killed
with the pool, the page is recorded as failed, and the rest go on in a fresh pool. Small batches run in-process:
same function, same results.

The workers are forked from a fork server that imported and warmed the pipeline once (pipelines.prewarm): not
forked from the flow process, which runs Prefect's threads (forking a threaded process can deadlock), and not
spawned, which made every worker import the pipeline and compile dateparser's locales itself (4-5 s of CPU each,
again for every fresh pool). Being cheap to start, a worker is replaced every TASKS_PER_WORKER pages, which bounds
what lxml's fragmented heap grows to (2 workers over 1,002 corpus pages: the pool's peak PSS 460 MiB without
replacement, 410 with; every 50 pages cost 12 s more CPU in fresh copy-on-write faults for no less memory).
Where there is no fork server (not POSIX), the workers are spawned.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from pipelines import progress
from pipelines.envnumbers import env_number_or_default

PAGE_TIMEOUT_S = env_number_or_default("TALKWATCH_PAGE_TIMEOUT")
MIN_BATCH = int(env_number_or_default("TALKWATCH_ISOLATE_MIN_PAGES"))
GIVEN_UP = "processing took longer than"  # how the error of a page whose worker was stopped begins
TASKS_PER_WORKER = 200  # pages before a forked worker is replaced by a fresh fork (its heap only grows)
PREWARM = "pipelines.prewarm"


@dataclass
class Outcome:
    """The value of one call, or why there is none."""

    value: Any = None
    error: str | None = None


def run_isolated(fn: Callable[[Any], Any], items: Sequence[Any], timeout_s: float = PAGE_TIMEOUT_S,
                 workers: int | None = None, min_batch: int = MIN_BATCH) -> list[Outcome]:
    """`fn(item)` for every item, in order. `fn` must be a module-level function (it is pickled by name)."""
    return [o for _, o in map_isolated(fn, items, timeout_s, workers, min_batch=min_batch)]


def map_isolated(fn: Callable[[Any], Any], items: Iterable[Any], timeout_s: float = PAGE_TIMEOUT_S,
                 workers: int | None = None, min_batch: int = 0,
                 window: int | None = None) -> Iterator[tuple[Any, Outcome]]:
    """`(item, Outcome of fn(item))` for every item, in input order.

    Fewer than `min_batch` items run in this process (the first `min_batch` are read ahead to know). Otherwise only
    `window` items (4 per worker by default) are at work in the pool at a time, and at most AHEAD windows' worth
    are taken from `items` before their turn to be yielded: a crawl's pages are read, processed and let go a few at
    a time, so neither the pool's queue nor the caller holds every page's HTML at once (the whole batch at once cost
    the flow process about 1.8 GB on 1,257 corpus pages).

    Why "at work" and not "taken": results are yielded in order, so one slow page (a worker's first call to
    dateparser compiles every locale's patterns: about 4 s) used to hold the window shut while the other workers
    ran out of pages and idled. Now pages that finished behind a slow one wait, already done, and the workers keep
    getting new ones.
    """
    source = iter(items)
    head = list(islice(source, min_batch))
    if len(head) < min_batch:
        for item in head:
            out = _call(fn, item)
            progress.advance()
            yield item, out
        return
    ctx, per_worker = _context()
    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    window = window or 4 * workers
    source = chain(head, source)
    if ctx.get_start_method() == "forkserver":
        _start_fork_server()
    pool = ctx.Pool(workers, maxtasksperchild=per_worker)
    finished = threading.Event()  # set by the pool's result thread whenever a page comes back

    def submit(item: Any) -> Any:
        return pool.apply_async(_call_in_worker, (fn, item), callback=_set(finished), error_callback=_set(finished))

    pending: deque[tuple[Any, Any]] = deque()  # (item, AsyncResult or _Done), in input order

    def top_up() -> None:
        at_work = sum(1 for _, h in pending if not h.ready())
        room = min(window - at_work, AHEAD * window - len(pending))
        for item in islice(source, max(0, room)):
            pending.append((item, submit(item)))

    try:
        while True:
            top_up()
            if not pending:
                return
            item, handle = pending[0]
            deadline = time.monotonic() + timeout_s
            while True:
                finished.clear()  # before looking: a page that comes back after this wakes the wait below
                if handle.ready() or time.monotonic() >= deadline:
                    break
                top_up()
                finished.wait(max(0.0, min(1.0, deadline - time.monotonic())))
            pending.popleft()
            if handle.ready():
                out = handle.get()
            else:
                out = Outcome(error=f"{GIVEN_UP} {timeout_s:.0f} s (or crashed its worker); "
                                    "the page was given up")
                # the pool is going down: keep what finished, hand the rest to a fresh one
                kept = [(it, _Done(h.get()) if h.ready() else None) for it, h in pending]
                pool.terminate()
                pool.join()
                pool = ctx.Pool(workers, maxtasksperchild=per_worker)
                pending = deque((it, done or submit(it)) for it, done in kept)
            progress.advance()
            yield item, out
    finally:
        pool.terminate()
        pool.join()
        if ctx.get_start_method() == "forkserver":
            _stop_fork_server()


_AF_UNIX_MAX = 107  # bytes of a Unix socket's path (sockaddr_un.sun_path, 108 on Linux, with its NUL)


def _socket_path_fits() -> bool:
    """Whether the fork server's socket, `<temp folder>/pymp-XXXXXXXX/listener-XXXXXXXX`, fits a Unix address.

    Why: under a long TMPDIR (a deep project folder, pytest's own temp folders) the fork server could not start
    ("AF_UNIX path too long") and `clean --manifest` failed whole with status 2 (see _short_temp_dir).
    """
    from multiprocessing import process

    made = process.current_process()._config.get("tempdir")  # multiprocessing's own folder, once it made one
    path = os.path.join(made or os.path.join(tempfile.gettempdir(), "pymp-" + "x" * 8), "listener-" + "x" * 8)
    return len(os.fsencode(path)) <= _AF_UNIX_MAX


def _short_temp_dir() -> bool:
    """Give multiprocessing a private temp folder under /tmp, for the fork server's socket, when the usual one is
    too deep; False when that is not possible either.

    What CPython does itself from 3.13 on (multiprocessing.util.get_temp_dir falls back to /tmp), done here for
    3.11 with the same bookkeeping: the folder is removed at exit. Why not spawned workers instead: each one
    imports the pipeline and compiles dateparser's locales (seconds), which a page's deadline counted.
    """
    from multiprocessing import process, util

    config = process.current_process()._config
    if config.get("tempdir") is not None:
        return False  # already made (too deep): leave it to the caller's fallback
    try:
        tempdir = tempfile.mkdtemp(prefix="pymp-", dir="/tmp")
    except OSError:
        return False
    util.Finalize(None, util._remove_temp_dir, args=(shutil.rmtree, tempdir), exitpriority=-100)
    config["tempdir"] = tempdir
    return _socket_path_fits()


def _context() -> tuple[Any, int | None]:
    """(multiprocessing context, pages per worker): a warmed fork server where there is one (and its socket path
    fits, in a short temp folder if need be), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods() or not (_socket_path_fits() or _short_temp_dir()):
        return multiprocessing.get_context("spawn"), None
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PREWARM])
    return ctx, TASKS_PER_WORKER


_worker_log: list[str] = []  # the fork server's output file while it runs


def _start_fork_server() -> None:
    """Start the fork server with its stdout and stderr, which every worker inherits, in a log file.

    Why: what a worker prints is not the command's output. A worker that Ctrl-C overtook while it started (the
    interrupted parent had already removed the semaphores it unpickles) printed a traceback on the user's terminal
    under "talkwatch: interrupted", and a worker's print would land in `clean --manifest`'s JSON lines. The file
    (`workers-<time>-<pid>.log` in the error-log folder) is removed at the end when nothing was written to it.
    """
    from multiprocessing import forkserver

    from pipelines.clierrors import open_log

    if getattr(forkserver._forkserver, "_forkserver_pid", None) is not None:  # running: nothing to redirect
        return
    opened = open_log("workers")
    path, log = (str(opened[0]), opened[1]) if opened else ("", os.open(os.devnull, os.O_WRONLY))
    saved = [os.dup(1), os.dup(2)]
    try:
        for fd in (1, 2):
            os.dup2(log, fd)
        forkserver.ensure_running()
    finally:
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
        os.close(log)
    if path:
        _worker_log.append(path)


def _stop_fork_server() -> None:
    """Let the fork server go once the pages are done: it holds the warmed pipeline (about 250 MiB) otherwise
    until the flow process ends, through the load. The next pool starts a fresh one. Its log goes if empty."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)  # private, but the only way; present in 3.8-3.14
    if stop is not None:
        stop()
    while _worker_log:
        path = _worker_log.pop()
        try:
            if os.path.getsize(path) == 0:
                os.remove(path)
        except OSError:
            pass


AHEAD = 8  # windows of pages that may be taken before their turn (done, or at work behind a slow one)


def _set(event: threading.Event) -> Callable[[Any], None]:
    """A pool callback that sets `event` (a page is back, or failed to come back)."""
    return lambda _result: event.set()


@dataclass
class _Done:
    """A result that came back before its pool was replaced: answers like an AsyncResult that is ready."""

    value: Outcome

    def get(self, timeout: float | None = None) -> Outcome:
        return self.value

    def ready(self) -> bool:
        return True


TRIM_EVERY = 16
_calls = 0


def _call_in_worker(fn: Callable[[Any], Any], item: Any) -> Outcome:
    """`_call` in a pool worker, handing freed heap back to the system every few pages.

    lxml's parses leave glibc's heap fragmented: a worker grew by 236 MB over the 1,257 corpus pages, by 175 MB
    with `malloc_trim` after each page (about 0.3 ms a call, so every 16th page).
    """
    global _calls
    out = _call(fn, item)
    _calls += 1
    if _calls % TRIM_EVERY == 0 and _malloc_trim is not None:
        _malloc_trim(0)
    return out


def _libc_malloc_trim():
    """glibc's `malloc_trim`, or None where there is none (musl, macOS)."""
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_malloc_trim()


def _call(fn: Callable[[Any], Any], item: Any) -> Outcome:
    try:
        return Outcome(value=fn(item))
    except Exception as exc:  # noqa: BLE001 - one item's failure is that item's outcome
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:300])
