"""Stopping a run on Ctrl-C or SIGTERM: every process it started goes with it, and the command says so in one line.

Why: a run starts Prefect's temporary API server, the Scrapy crawl, the page workers' fork server and the workers.
Killed by SIGTERM, `talkwatch run` left the server running for good and the crawl fetching until it ended; a Ctrl-C
let the crawl stop early while the flow went on, stored the partial crawl as a completed run, then retried the dead
API server for minutes and ended as an internal error. Here the run's own handler stops the children and leaves at
once: what the load had not committed is not stored (a DuckDB or DuckLake transaction that never committed leaves
nothing), and the next run crawls what this one did not.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

from pipelines.clierrors import EXIT_INTERRUPTED, EXIT_TERMINATED



def proc_stat(pid: int | str) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, session, ...); None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": the command name may hold spaces and parentheses, so split after its last ')'
    return stat[stat.rfind(b")") + 2:].split()


def processes() -> dict[int, list[bytes]]:
    """Every process's proc_stat fields, by pid; {} where there is no /proc."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    found = {int(entry): proc_stat(entry) for entry in entries if entry.isdigit()}
    return {pid: fields for pid, fields in found.items() if fields and len(fields) > 3}


def descendants(pid: int | None = None) -> list[int]:
    """The process ids below `pid` (this process by default), children before their own children; [] where
    there is no /proc."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for child, fields in processes().items():
        children.setdefault(int(fields[1]), []).append(child)
    found: list[int] = []
    queue = list(children.get(root, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def stop_descendants(grace_s: float = 2.0) -> None:
    """SIGTERM every process below this one, then SIGKILL those still there after `grace_s` seconds."""
    pids = descendants()
    for pid in pids:
        _send(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid in descendants() + pids:
        if _alive(pid):
            _send(pid, signal.SIGKILL)


def _send(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie child that nobody reaped yet does not count)."""
    fields = proc_stat(pid)
    return bool(fields) and fields[0] != b"Z"


def install(say: Callable[[str], None]) -> None:
    """From now on SIGINT and SIGTERM stop this process and its children: one line (`say`), status 130 or 143.

    Prefect replaces the SIGTERM handler while a flow runs (it raises its TerminationSignal): the caller handles that
    exception with `stop` as well.
    """
    def handler(signum: int, _frame: object) -> None:
        stop(signum, say)

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # a shell's background job ignores Ctrl-C: it still does
            signal.signal(sig, handler)


_AT_STOP: list[Callable[[], None]] = []


def at_stop(hook: Callable[[], None]) -> None:
    """Run `hook` after the children are stopped (removing what the stopped run wrote for itself)."""
    _AT_STOP.append(hook)


def stop(signum: int, say: Callable[[str], None]) -> None:
    """Say why, stop the children, and leave now (no exit handlers: they would talk to the stopped API server)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
    say("interrupted" if signum == signal.SIGINT else "terminated")
    stop_descendants()
    for hook in _AT_STOP:
        try:
            hook()
        except Exception:  # noqa: BLE001 - leaving is what matters now
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED)


__all__ = ["at_stop", "descendants", "install", "proc_stat", "processes", "stop", "stop_descendants"]
