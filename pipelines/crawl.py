"""Runs the Scrapy spider in a child process and reads back what it yielded.

A child process per crawl because the Twisted reactor cannot restart inside one process (the second scheduled
run in a long-lived worker would die with ReactorNotRestartable), and because a crash or a leak in the crawl
must not take the flow down with it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from spiders.items import FailureItem, ListingItem, PageItem

log = logging.getLogger(__name__)

CRAWL_TIMEOUT_S = float(os.environ.get("TALKWATCH_CRAWL_TIMEOUT", "3600"))
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
            return f"crawl killed after {CRAWL_TIMEOUT_S:.0f} s timeout"
        return f"crawl exited with code {self.returncode} (log: {self.log_path})"


def run_crawl(sources_file: str | os.PathLike, work_dir: str | os.PathLike, seen: Iterable[str] = (),
              state: dict | None = None, only: Iterable[str] | None = None,
              settings: dict[str, str] | None = None, timeout: float | None = None) -> CrawlResult:
    """Crawl every source of `sources_file` (or `only` those), skipping `seen` URLs; items land in work_dir."""
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    seen_file = work / "seen.txt"
    seen_file.write_text("\n".join(sorted(set(seen))) + "\n", encoding="utf-8")
    state_file = work / "state.json"
    state_file.write_text(json.dumps(state or {}), encoding="utf-8")
    items = work / "items.jsonl"
    log_path = work / "crawl.log"
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
    started = time.monotonic()
    limit = CRAWL_TIMEOUT_S if timeout is None else timeout
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=limit, check=False)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
    return CrawlResult(items, code, time.monotonic() - started, log_path)


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


def page_body(item: PageItem) -> bytes:
    return base64.b64decode(item.body_b64)
