"""How `talkwatch` fails: one line on stderr, a documented exit status, the details in a log file.

A scheduler reads the exit status and a person reads one line; a traceback serves neither, so it goes to a file
whose path the line names (`$TALKWATCH_LOG_DIR`, else `talkwatch-<uid>/` in the temp folder: never beside the
database, because the read-only commands must not write there).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from storage.privatedir import private_temp_folder

EXIT_OK = 0
EXIT_PARTIAL = 1  # done, but some items failed: `clean` of a page that is no article, or of a manifest's lines
EXIT_BAD_INPUT = 2  # bad arguments, configuration, input file, --db or --out: nothing was done
EXIT_BUSY = 3  # the database stayed locked by another process for --lock-timeout seconds
EXIT_STORAGE = 4  # the input was fine but reading or writing storage failed: nothing was stored
EXIT_INTERNAL = 70  # a bug (EX_SOFTWARE): the traceback is in the log file the line names
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + 15)

LOG_DIR_ENV = "TALKWATCH_LOG_DIR"
MAX_LOG_RECORDS = 2000  # kept from a run's Prefect logging for the log file; older ones are dropped


class CliError(Exception):
    """A failure the command reports in one line with its own exit status."""

    exit_code = EXIT_STORAGE

    def __init__(self, message: object, exit_code: int | None = None) -> None:
        super().__init__(str(message))
        if exit_code is not None:
            self.exit_code = exit_code


class BadInput(CliError):
    """Arguments, configuration or an input file that cannot be used: the message says what to change."""

    exit_code = EXIT_BAD_INPUT


class Busy(CliError):
    """The database is locked by another process."""

    exit_code = EXIT_BUSY


class StorageFailed(CliError):
    """Reading or writing storage failed although the input was fine."""

    exit_code = EXIT_STORAGE


# C0, DEL, C1, and the bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9), which reorder the
# rest of a terminal line ("Trojan Source"); the marks U+200E/F that Arabic and Hebrew text uses stay
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(message: object) -> str:
    """The message on one line: DuckDB's and TOML's errors span several, and a caret line means nothing here.

    Control characters left after that (ESC, BEL, NUL from an argument or a file name quoted back) are shown
    escaped: a message must not recolour, clear or retitle the user's terminal.
    """
    text = str(message)
    context = _CATALOG_SQL.search(text)
    if context:
        text = text[:context.start()]
    return escape_controls(" ".join(text.split()))


# PostgreSQL's error context for the SQL that DuckLake sent to its catalog ("LINE 2: SELECT * FROM postgres_query(
# '__ducklake_metadata_...", then a caret line): the catalog's own SQL, which tells the user nothing. The context
# of the user's own SQL (`query`'s parser errors) stays.
_CATALOG_SQL = re.compile(r"\n\s*LINE \d+: .*(?:postgres_query|__ducklake_metadata)", re.DOTALL)


def escape_controls(text: str) -> str:
    """Control characters (C0, DEL, C1, bidi overrides) shown escaped, `\\x1b` for ESC, `\\u202e`: text from an
    argument, a file or a crawled page must not recolour, clear, retitle or reorder the terminal it is printed on."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def say(prog: str, message: object) -> None:
    """Print `prog: message` as one line on stderr.

    A stderr that cannot take it (`2>/dev/full`, a closed pipe) loses the line but not the exit status: the
    failed write used to escape as an exception and end the command with Python's status 1.
    """
    try:
        print(f"{prog}: {one_line(message)}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # ValueError: the stream was closed
        stderr_to_devnull()


def stderr_to_devnull() -> None:
    """Send what is still written to stderr (and Python's flush at exit) to /dev/null."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stderr.fileno())
        os.close(devnull)
        return
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process's lifetime


def fail(prog: str, message: object, code: int) -> int:
    """Say it and return the exit status, so a command can `return fail(...)`."""
    say(prog, message)
    return code


def log_dir() -> Path:
    """Where error logs go: $TALKWATCH_LOG_DIR, else a private `talkwatch-<uid>` folder in the temp folder.

    The shared temp folder is checked: a folder of that name that is a symlink or somebody else's is not used
    (a fresh private one is made instead), so no other user can redirect our logs.
    """
    given = os.environ.get(LOG_DIR_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return _private_log_dir()


def _private_log_dir() -> Path:
    """`talkwatch-<uid>/` in the temp folder (a fresh private one where that name is not safely ours)."""
    return private_temp_folder("talkwatch-{uid}")


def write_log(command: str, lines: list[str]) -> Path | None:
    """A new log file `<command>-<UTC time>-<pid>.log` (open_log) holding `lines`; None when it cannot be written."""
    opened = open_log(command)
    if opened is None:
        return None
    path, fd, stamp = opened
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(f"talkwatch {command} at {stamp}, pid {os.getpid()}, argv {sys.argv!r}\n\n")
            fh.writelines(line if line.endswith("\n") else line + "\n" for line in lines)
    except OSError:
        return None
    return path


def open_log(name: str) -> tuple[Path, int, str] | None:
    """A new, empty log file `<name>-<UTC time>-<pid>.log` opened for writing: (path, descriptor, time); None when
    no folder takes one. $TALKWATCH_LOG_DIR first; where it cannot be written (a file, /proc, a read-only mount)
    the private temp folder, so a trace is not lost without a word. O_EXCL and O_NOFOLLOW: a name planted in the
    folder is never followed or appended to."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for folder in (log_dir, _private_log_dir):
        try:
            path = folder() / f"{name}-{stamp}-{os.getpid()}.log"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            return path, fd, stamp
        except OSError:
            continue
    return None


def log_exception(command: str, exc: BaseException, before: list[str] | None = None) -> Path | None:
    """Write `before` (e.g. captured Prefect records) and the full traceback of `exc` to a new log file."""
    trace = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return write_log(command, [*(before or []), *trace])


def details(path: Path | None) -> str:
    """The end of a failure line: where the traceback went."""
    return f" (details in {path})" if path else ""


def internal_error(command: str, exc: BaseException) -> int:
    """The top-level guard's answer to a bug: one line naming the log with the traceback, exit 70."""
    path = log_exception(command, exc)
    return fail("talkwatch", f"internal error: {type(exc).__name__}: {exc}{details(path)}", EXIT_INTERNAL)


_TERMINATED: list[int] = []  # SIGTERMs seen under sigterm_raises (by its handler or by `interruptible`'s watcher)


class Terminated(BaseException):
    """SIGTERM while a command works (sigterm_raises): it unwinds like Ctrl-C, through every `finally` (staging
    folders, worker pools, open transactions), and `main` ends it as `talkwatch: terminated`, status 143."""


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises Terminated in the main thread instead of ending the process without a word.

    Why: Python's default for SIGTERM is to die at once, silently: `reprocess` or `report` stopped by a service
    manager or `kill` printed nothing (the data was safe: nothing commits half). Child processes forked from the
    fork server start from its default handlers; a plain fork inherits this one, and raises in the child alike.
    """
    def handler(signum: int, frame: Any) -> None:
        # remembered: DuckDB runs Python's signal handlers itself while a statement runs, drops the exception they
        # raise and throws its own InterruptException, which `interruptible` must still tell from a Ctrl-C
        _TERMINATED.append(signum)
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: keep the default
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def interruptible(con: Any) -> Iterator[None]:
    """While inside, Ctrl-C stops the statement the DuckDB connection `con` runs and ends as KeyboardInterrupt
    (status 130 in `main`); so does SIGTERM under `sigterm_raises`, as Terminated (143).

    Why: DuckDB looks at Python's Ctrl-C only between some of its tasks, so a recursive CTE or a big aggregate
    went on for minutes after it; and when it did look, it raised RuntimeError("Query interrupted"), which came
    out as an internal error (70). Python's C-level handler writes the signal to a wakeup pipe at once, even
    while DuckDB holds the main thread, and a helper thread reading the pipe calls `con.interrupt()`.
    """
    import duckdb

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def watch() -> None:
        while data := os.read(read_end, 64):  # b"" once the write end is closed below
            if signal.SIGTERM in data:  # there only with sigterm_raises' handler, which may not have run yet
                _TERMINATED.append(signal.SIGTERM)
            if signal.SIGINT in data or signal.SIGTERM in data:
                con.interrupt()

    watcher = threading.Thread(target=watch, name="talkwatch-ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    except duckdb.InterruptException:
        raise (Terminated() if _TERMINATED else KeyboardInterrupt()) from None
    except RuntimeError as exc:
        if str(exc) == "Query interrupted":
            raise (Terminated() if _TERMINATED else KeyboardInterrupt()) from None
        raise
    finally:
        signal.set_wakeup_fd(previous)
        os.close(write_end)
        watcher.join(timeout=5)
        os.close(read_end)


class _Hidden(logging.Filter):
    """Keeps Prefect's tracebacks and failed-state lines of a run off the console (the capture keeps them)."""

    def __init__(self, capture: "PrefectCapture") -> None:
        super().__init__()
        self.capture = capture

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("prefect"):
            return True
        message = record.getMessage()
        noisy = (record.exc_info is not None or "Traceback (most recent call last)" in message
                 or message.startswith(("Finished in state Failed", "Finished in state Crashed", "Crash detected!")))
        if noisy:
            self.capture.hidden += 1
        return not noisy


class PrefectCapture(logging.Handler):
    """Every Prefect record of the run, formatted with its traceback, in a bounded buffer for the log file."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: deque[str] = deque(maxlen=MAX_LOG_RECORDS)
        self.hidden = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("prefect"):
            try:
                self.records.append(self.format(record))
            except Exception:  # noqa: BLE001 - a record that cannot be formatted is not worth a crash
                self.records.append(f"{record.levelname} {record.name}: {record.msg!r}")


def console_handlers() -> list[logging.Handler]:
    """The stream handlers Prefect's logging config attached (root, uvicorn, prefect._internal, ...)."""
    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    found: list[logging.Handler] = []
    for lg in loggers:
        for h in lg.handlers:
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) and h not in found:
                found.append(h)
    return found


@contextmanager
def prefect_tracebacks_captured() -> Iterator[PrefectCapture]:
    """While a flow runs: Prefect's tracebacks of a failed task or flow stay off the console and are kept.

    Why: a run that fails (a lock, a full disk) used to print two to four Prefect tracebacks, up to 89 lines,
    above its one clear line. The INFO lines Prefect prints for a normal run are left as they are.
    """
    capture = PrefectCapture()
    hide = _Hidden(capture)
    handlers = console_handlers()
    roots = [logging.getLogger(), logging.getLogger("prefect._internal")]
    for h in handlers:
        h.addFilter(hide)
    for lg in roots:
        lg.addHandler(capture)
    try:
        yield capture
    finally:
        for lg in roots:
            lg.removeHandler(capture)
        for h in handlers:
            h.removeFilter(hide)
