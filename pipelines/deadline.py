"""One call in a forked child with a deadline: how `talkwatch clean` bounds a page that would parse for minutes.

Why: trafilatura has no timeout and libxml2 is superlinear on some inputs (one tag with 40,000 attributes takes 10 s
to parse, 80,000 minutes); a C call cannot be interrupted from Python. The flow's pages run in worker processes
with a deadline (pipelines.isolation); `clean` runs one page at a time, so a plain fork per page is enough (about
2 ms; no fork server to warm). `clean` starts no threads, so forking it is safe. The child's exception comes back
and is raised here, so callers keep their own error handling; where there is no fork, the call runs in-process.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The call ran past its deadline and its child was killed."""


class ChildDied(Exception):
    """The child died without an answer (a crash in C code, the kernel's OOM killer)."""


def call_with_deadline(fn: Callable[[Any], T], arg: Any, timeout_s: float) -> T:
    """`fn(arg)` computed in a forked child; DeadlineExceeded past `timeout_s` seconds, ChildDied if it crashed."""
    if not hasattr(os, "fork"):
        return fn(arg)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer through the pipe, and leave without running the parent's exit handlers
        status = 0
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, fn(arg)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - raised again in the parent
                payload = _pickled_error(exc)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001 - the parent reports a child without an answer
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        data = _read_until(read_end, time.monotonic() + timeout_s)
    except BaseException:  # the deadline, or Ctrl-C while waiting: no child is left behind
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    _, wait_status = os.waitpid(pid, 0)
    if not data:
        code = os.waitstatus_to_exitcode(wait_status)
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        raise ChildDied(f"the cleaning process died ({how})")
    ok, value = pickle.loads(data)
    if ok:
        return value
    raise value


def _read_until(fd: int, deadline: float) -> bytes:
    """Everything the child writes until it closes the pipe; DeadlineExceeded past `deadline`."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
        if not ready:
            raise DeadlineExceeded
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _pickled_error(exc: BaseException) -> bytes:
    """The exception itself when it pickles, else a RuntimeError with its type and message."""
    try:
        return pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


__all__ = ["ChildDied", "DeadlineExceeded", "call_with_deadline"]
