"""pipelines.deadline: one call in a forked child, its value or its exception back, killed past its deadline."""

from __future__ import annotations

import faulthandler
import os
import time
from pathlib import Path

import pytest

from pipelines.deadline import ChildDied, DeadlineExceeded, call_with_deadline


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no pickling")


def _raise(exc: BaseException):
    raise exc


def test_the_value_comes_back_from_the_child():
    assert call_with_deadline(lambda x: {"pid": os.getpid(), "x": x * 2}, 21, 30)["x"] == 42
    assert call_with_deadline(lambda _: os.getpid(), None, 30) != os.getpid()


def test_the_childs_exception_is_raised_here():
    with pytest.raises(ValueError, match="bad page"):
        call_with_deadline(_raise, ValueError("bad page"), 30)
    with pytest.raises(RuntimeError, match="Unpicklable: odd"):  # as its type and message when it cannot travel
        call_with_deadline(_raise, Unpicklable("odd"), 30)


def _note_pid_and_sleep(path: Path) -> None:
    path.write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(60)


def test_a_call_past_its_deadline_is_killed(tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        call_with_deadline(_note_pid_and_sleep, tmp_path / "pid", 1.0)
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process is left, not even a zombie
        os.kill(int((tmp_path / "pid").read_text(encoding="utf-8")), 0)


def test_a_child_that_dies_without_an_answer_is_reported():
    with pytest.raises(ChildDied, match="SIGABRT"):
        call_with_deadline(lambda _: (faulthandler.disable(), os.abort()), None, 30)  # quietly: pytest's dumps
