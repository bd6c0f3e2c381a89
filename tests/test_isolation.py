"""Per-page work in child processes: a page that hangs, crashes its worker or raises costs that page only."""

from __future__ import annotations

import os
import time

from pipelines.isolation import map_isolated, run_isolated


def work(item: str) -> str:
    if item == "hang":
        time.sleep(600)
    if item == "crash":
        os._exit(1)  # as a segfault in lxml would: the worker dies without a word
    if item == "bad":
        raise ValueError("unparseable")
    return item.upper()


def finish_time(item: str) -> float:
    """When this item finished; "slow" takes a while, as a worker's first dateparser call does."""
    time.sleep(3 if item == "slow" else 0.01)
    return time.monotonic()


def test_a_slow_page_does_not_keep_the_other_workers_waiting():
    # results still come back in input order, but the pages behind a slow one are processed meanwhile, beyond the
    # window of pages at work (2 here): before, the other worker stopped after the window and idled
    items = ["slow"] + [f"p{i}" for i in range(30)]
    out = list(map_isolated(finish_time, items, timeout_s=60, workers=2, window=2))
    assert [item for item, _ in out] == items
    slow_done = out[0][1].value
    done_before = [item for item, o in out[1:] if o.value < slow_done]
    assert len(done_before) > 2 * 2, done_before


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


def worker_state(_: int) -> tuple[int, bool]:
    """(this worker's pid, whether it started warm: the pipeline imported, dateparser's locales compiled and
    jusText's all-language stop-word set built)."""
    import sys

    warm = "pipelines.prewarm" in sys.modules
    if warm:
        from htmldate.extractors import get_external_parser
        from justext.core import define_stoplist
        from trafilatura import external

        warm = (get_external_parser.cache_info().currsize == 1 and external.JT_STOPLIST is not None
                and define_stoplist.cache_info().currsize == 1)
    return os.getpid(), warm


def _children_cmdlines() -> list[str]:
    me = os.getpid()
    kids = open(f"/proc/{me}/task/{me}/children").read().split()
    out = []
    for kid in kids:
        try:
            out.append(open(f"/proc/{kid}/cmdline", "rb").read().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return out


def test_workers_start_warm_are_replaced_and_the_fork_server_goes(monkeypatch):
    import pipelines.isolation as isolation

    monkeypatch.setattr(isolation, "TASKS_PER_WORKER", 3)
    out = run_isolated(worker_state, list(range(20)), workers=2, min_batch=0)
    assert all(o.error is None for o in out), [o.error for o in out]
    # forked from the warmed fork server: no worker compiles dateparser's locales (3.5 s of CPU) for itself
    assert all(o.value[1] for o in out)
    # a worker is replaced after TASKS_PER_WORKER pages: 20 pages, 3 each, at least 7 workers in all
    assert len({o.value[0] for o in out}) >= 7
    # and once the pages are done, the fork server holding the warm pipeline is gone
    assert not [c for c in _children_cmdlines() if "forkserver" in c]


def test_a_temp_folder_too_deep_for_the_fork_servers_socket_gets_a_short_one(tmp_path, monkeypatch):
    """Under a long TMPDIR the fork server could not start ("AF_UNIX path too long") and a manifest failed whole.
    Spawned workers (the first remedy) import the pipeline per worker, which a 2 s page deadline counted; now
    multiprocessing gets a private folder under /tmp for the socket, as CPython 3.13 does itself."""
    import tempfile
    from multiprocessing import process

    from pipelines import isolation

    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    monkeypatch.setitem(process.current_process()._config, "tempdir", None)
    assert not isolation._socket_path_fits()
    ctx, per_worker = isolation._context()
    assert ctx.get_start_method() == "forkserver" and per_worker == isolation.TASKS_PER_WORKER
    assert process.current_process()._config["tempdir"].startswith("/tmp/pymp-")
    assert isolation._socket_path_fits()
    assert [o.value for o in isolation.run_isolated(abs, [-1, -2, -3], workers=2, min_batch=0)] == [1, 2, 3]
