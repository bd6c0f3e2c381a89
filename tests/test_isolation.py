"""Per-page work in child processes: a page that hangs, crashes its worker or raises costs that page only."""

from __future__ import annotations

import os
import time

from pipelines.isolation import run_isolated


def work(item: str) -> str:
    if item == "hang":
        time.sleep(600)
    if item == "crash":
        os._exit(1)  # as a segfault in lxml would: the worker dies without a word
    if item == "bad":
        raise ValueError("unparseable")
    return item.upper()


def test_hang_crash_and_error_cost_only_their_item():
    items = ["a", "hang", "b", "bad", "crash", "c", "d"]
    out = run_isolated(work, items, timeout_s=5, workers=2, min_batch=0)
    assert [o.value for o in out] == ["A", None, "B", None, None, "C", "D"]
    assert "longer than 5 s" in out[1].error
    assert out[3].error == "ValueError: unparseable"
    assert "longer than 5 s" in out[4].error  # a dead worker's task never returns: given up at the deadline


def test_small_batches_run_in_process_with_the_same_results():
    out = run_isolated(work, ["x", "bad"], min_batch=10)
    assert out[0].value == "X" and out[1].error == "ValueError: unparseable"
