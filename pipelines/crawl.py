"""Runs the Scrapy spider in a child process and reads back what it yielded.

A child process per crawl because the Twisted reactor cannot restart inside one process (the second scheduled
run in a long-lived worker would die with ReactorNotRestartable), and because a crash or a leak in the crawl
must not take the flow down with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from pipelines import progress
from pipelines.envnumbers import env_number_or_default
from spiders.items import FailureItem, ListingItem, PageItem

log = logging.getLogger(__name__)

CRAWL_TIMEOUT_S = env_number_or_default("TALKWATCH_CRAWL_TIMEOUT")
Item = PageItem | FailureItem | ListingItem


@dataclass
class CrawlResult:
    items_path: Path
    returncode: int | None  # None when the crawl was killed for running past its timeout
    duration_s: float
    log_path: Path

    @property
    def error(self) -> str | None:
        if self.returncode == 0:
            return None
        if self.returncode is None:
            return f"crawl killed after {CRAWL_TIMEOUT_S:g} s timeout"
        stderr = self.log_path.with_name(STDERR_NAME)
        reason = (last_line(stderr, _EXCEPTION) or last_line(self.log_path, _EXCEPTION) or last_line(stderr)
                  or last_line(self.log_path, _LOGGED_ERROR))
        log = self.log_path if _size(self.log_path) else stderr
        return f"crawl exited with code {self.returncode}{': ' + reason if reason else ''} (log: {log})"


LOG_NAME = "crawl.log"  # Scrapy's log of the crawl, in its work folder
STDERR_NAME = "crawl.stderr"  # beside crawl.log: what the crawl printed before (or instead of) its log file
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b(?::|$)")  # a traceback's last line
_LOGGED_ERROR = re.compile(r"\] (?:ERROR|CRITICAL):")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def last_line(path: Path, pattern: re.Pattern | None = None) -> str:
    """The last non-blank line of a file's last 16 KiB (one `pattern` finds, when given), at most 300
    characters; "" when there is none or the file cannot be read.

    Why: a crawl that dies before Scrapy opens its log file (a setting it cannot parse, an import error) says why
    only on its stderr, and "exited with code 1" alone sends the user looking for a log that does not exist.
    """
    try:
        with open(path, "rb") as f:
            f.seek(max(0, _size(path) - 16384))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    for line in reversed(tail.splitlines()):
        if line.strip() and (pattern is None or pattern.search(line)):
            return line.strip()[:300]
    return ""


@dataclass
class RunningCrawl:
    """A crawl child process under way, and where its items and log go."""

    proc: subprocess.Popen
    items: Path
    log_path: Path
    started: float
    key: str  # what it was asked to crawl: run_crawl adopts a head start only for the same request
    ended: float | None = None  # when the child exited (monotonic), noted by a watcher thread as it happens

    def __post_init__(self) -> None:
        # Why a watcher: a head start often ends before the flow asks for it (the flow waits for Prefect's API
        # server); its duration measured when the flow collects it counted that wait as crawl time, and a
        # run's `crawl.seconds` (what bench/run_overhead.py subtracts) was the server's wait, not the crawl
        self._watcher = threading.Thread(target=self._note_exit, name="crawl-exit", daemon=True)
        self._watcher.start()

    def _note_exit(self) -> None:
        self.proc.wait()
        self.ended = time.monotonic()

    def duration(self) -> float:
        """Seconds from the start to the child's exit (to now while it runs)."""
        self._watcher.join(timeout=1.0 if self.proc.returncode is not None else 0.0)
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    def wait(self, timeout: float | None = None) -> CrawlResult:
        """Wait for the crawl (killed past `timeout` seconds from its start) and say how it ended; a progress
        display, when one is installed, is told what each source has yielded so far, twice a second."""
        limit = CRAWL_TIMEOUT_S if timeout is None else timeout
        tally = _Tally(self.items) if progress.wants_items() else None
        code: int | None = None
        while True:
            left = limit - (time.monotonic() - self.started)
            try:
                code = self.proc.wait(timeout=max(0.0, min(left, 0.5) if tally else left))
                break
            except subprocess.TimeoutExpired:
                if left <= 0.5 or tally is None:
                    self.proc.kill()
                    self.proc.wait()
                    code = None
                    break
                progress.crawled(tally.read())
        if tally is not None:
            progress.crawled(tally.read())
        return CrawlResult(self.items, code, self.duration(), self.log_path)


class _Tally:
    """Counts, per source, the items a running crawl has written so far (complete lines only)."""

    _KIND = re.compile(rb'"kind": ?"(\w+)"')
    _SOURCE = re.compile(rb'"source": ?"((?:[^"\\]|\\.)*)"')
    _OUTCOME = re.compile(rb'"outcome": ?"([\w-]+)"')

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.counts: dict[str, Counter] = defaultdict(Counter)

    def read(self) -> dict[str, Counter]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return self.counts
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].splitlines():
            kind, source = self._KIND.search(line), self._SOURCE.search(line)
            if not kind or not source:
                continue
            name = source.group(1).decode("utf-8", "replace")
            what = kind.group(1).decode()
            outcome = self._OUTCOME.search(line)
            if what == "listing" and outcome and outcome.group(1) == b"failed":
                what = "listing-failed"
            elif what == "failure" and outcome:
                what = outcome.group(1).decode()
            self.counts[name][what] += 1
        return self.counts


def crawl_key(sources_file: str | os.PathLike, seen: Iterable[str], state: dict | None,
              only: Iterable[str] | None, settings: dict[str, str] | None) -> str:
    """A digest of everything a crawl depends on: two requests with the same key fetch the same things."""
    text = json.dumps([str(Path(sources_file).resolve()), sorted(set(seen)), state or {}, sorted(only or []),
                       sorted((settings or {}).items())], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start_crawl(sources_file: str | os.PathLike, work_dir: str | os.PathLike, seen: Iterable[str] = (),
                state: dict | None = None, only: Iterable[str] | None = None,
                settings: dict[str, str] | None = None) -> RunningCrawl:
    """Start the spider on every source of `sources_file` (or `only` those), skipping `seen` URLs; items land in
    work_dir. Returns at once."""
    seen = sorted(set(seen))
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    STARTED.append(work)
    seen_file = work / "seen.txt"
    seen_file.write_text("\n".join(seen) + "\n", encoding="utf-8")
    state_file = work / "state.json"
    state_file.write_text(json.dumps(state or {}), encoding="utf-8")
    items = work / "items.jsonl"
    log_path = work / LOG_NAME
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news",
           "-a", f"sources={Path(sources_file).resolve()}",
           "-a", f"seen={seen_file.resolve()}",
           "-a", f"state={state_file.resolve()}",
           "-O", f"{items.resolve()}:jsonlines",
           "-s", f"LOG_FILE={log_path.resolve()}"]
    if only:
        cmd += ["-a", "only=" + ",".join(only)]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings")
    with open(work / STDERR_NAME, "wb") as stderr:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    return RunningCrawl(proc, items, log_path, time.monotonic(), crawl_key(sources_file, seen, state, only, settings))


_HEAD_START: list[RunningCrawl] = []  # at most one: a crawl started before the flow that will want it
STARTED: list[Path] = []  # the work folders of the crawls this process started (an interrupted run removes them)


def head_start(sources_file: str | os.PathLike, work_dir: str | os.PathLike, seen: Iterable[str] = (),
               state: dict | None = None, only: Iterable[str] | None = None,
               settings: dict[str, str] | None = None) -> RunningCrawl:
    """Start a crawl now that the flow's crawl task will adopt if it asks for the same thing.

    Why: a manual run waits several seconds for Prefect's temporary API server before its first task; the crawl,
    which needs nothing from Prefect, runs meanwhile. The flow still decides: a crawl task asking for anything
    else (another source list, new stored URLs in between) ends the head start and crawls afresh.
    """
    drop_head_start()
    running = start_crawl(sources_file, work_dir, seen, state, only, settings)
    _HEAD_START.append(running)
    return running


def remove_started() -> None:
    """Remove the work folders of this process's crawls, and their `runs/` folder when that leaves it empty: what an
    interrupted run crawled is not stored, and the next run fetches it again."""
    while STARTED:
        remove_work(STARTED.pop(), prune_parent=True)


def remove_work(work: Path, keep_log: bool = False, prune_parent: bool = False) -> None:
    """A crawl's work folder; with `keep_log`, all but the crawl's log files (crawl.log, crawl.stderr), which a
    failed crawl's error names (its items, bodies and state never stay: one folder of them per failed crawl filled
    the disk); with `prune_parent`, its parent (`runs/`) too when that leaves it empty."""
    if not keep_log:
        shutil.rmtree(work, ignore_errors=True)
    elif work.is_dir():
        for entry in work.iterdir():
            if entry.name in (LOG_NAME, STDERR_NAME):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    if prune_parent:
        try:
            work.parent.rmdir()  # only when empty
        except OSError:
            pass


def drop_head_start() -> None:
    """Stop and forget an unclaimed head start, and remove its folder (nothing in it was used)."""
    while _HEAD_START:
        running = _HEAD_START.pop()
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait()
        remove_work(running.items.parent)


def run_crawl(sources_file: str | os.PathLike, work_dir: str | os.PathLike, seen: Iterable[str] = (),
              state: dict | None = None, only: Iterable[str] | None = None,
              settings: dict[str, str] | None = None, timeout: float | None = None) -> CrawlResult:
    """Crawl every source of `sources_file` (or `only` those), skipping `seen` URLs, and wait for the end: the
    head start of the same request when there is one (its items stay in its own folder), else a new crawl
    whose items land in work_dir."""
    seen = list(seen)
    key = crawl_key(sources_file, seen, state, only, settings)
    if _HEAD_START and _HEAD_START[0].key == key:
        return _HEAD_START.pop().wait(timeout)
    drop_head_start()
    return start_crawl(sources_file, work_dir, seen, state, only, settings).wait(timeout)


_KINDS = {"page": PageItem, "failure": FailureItem, "listing": ListingItem}


def read_items(path: str | os.PathLike) -> Iterator[Item]:
    """The spider's items, one per JSON line; a line cut short by a crash is skipped, not fatal."""
    p = Path(path)
    if not p.exists():
        return
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                raw = json.loads(line)
                cls = _KINDS[raw.get("kind", "")]
            except (json.JSONDecodeError, KeyError):
                log.warning("%s:%d: unreadable item line skipped", p, n)
                continue
            names = {f.name for f in fields(cls)}
            yield cls(**{k: v for k, v in raw.items() if k in names})


def count_pages(path: str | os.PathLike) -> int:
    """How many page items the file holds, by a scan of its lines (no JSON parsing: the bodies are most of it)."""
    try:
        with Path(path).open("rb") as fh:
            return sum(1 for line in fh if (m := _Tally._KIND.search(line)) and m.group(1) == b"page")
    except OSError:
        return 0


def page_body(item: PageItem) -> bytes:
    return base64.b64decode(item.body_b64)
