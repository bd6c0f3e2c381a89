"""Peak memory of the load stage alone: the corpus pages' run batch stored into a fresh DuckDB file, as a run does.

Usage (from the repo root):
    .venv/bin/python bench/load_memory.py [--pages N] [--cache FILE] [--tracemalloc] [--repeat R]

The pages are the corpus pages of ../shared/corpus in the order bench/peers.py takes them (bench/pipeline_cpu.py's
`corpus_pages`), each through `process.page_job` against a keep_all topic (what the flow's workers hand back: no
HTML, the raw body gzip'd) and `batch.collapse_url_variants`. That takes a few minutes, so the processed pages are
pickled to `--cache` (default: a file in the system temp folder) and read back by later runs.

Each measurement then runs in a fresh child process (nothing of the processing is left in its heap): it reads the
pickled pages, imports what the flow process has loaded by then (Prefect included, so the baseline is comparable),
builds the batch (`batch.build_batch`) and calls `storage.load.load_batch` into a freshly migrated DuckDB file,
while a thread samples the process's RSS every 5 ms. It prints RSS before the load, the peak during it and after
it, the peak's growth over the baseline, the RSS at the end of each step of `load_into` (steps are timed by
wrapping the step functions), and with `--tracemalloc` the Python-side peak (allocations of Python objects and of
pyarrow buffers are not all seen by tracemalloc: pyarrow allocates natively, like DuckDB).
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "talkwatch-load-memory-pages.pkl"
STEPS = ("_claim_serial", "_new_articles", "_group", "_insert_articles", "index_articles", "_repoint",
         "_per_source", "_write_pages", "_write_raw", "_write_listings", "_write_sources", "_write_source_state",
         "_write_run")


def rss() -> int:
    """This process's resident set size, bytes."""
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE_SIZE


def prepare(cache: Path, pages: int) -> None:
    """Process the corpus pages as the flow's workers do and pickle what comes back."""
    from peers import CORPUS, SETS
    from pipeline_cpu import corpus_pages, inputs
    from pipelines import process
    from pipelines.batch import collapse_url_variants
    from pipelines.relevance import load_topic

    raw = corpus_pages(CORPUS, list(SETS), pages)
    with tempfile.TemporaryDirectory() as tmp:
        topic_file = Path(tmp) / "topic.toml"
        topic_file.write_text('name = "bench-every-page"\nkeep_all = true\n\n[terms]\nen = ["news"]\n',
                              encoding="utf-8")
        topic = load_topic(topic_file)
    now = datetime.now(timezone.utc)
    t0 = time.monotonic()
    processed = [process.page_job((inp, topic)) for inp in inputs(raw, now)]
    collapse_url_variants(processed)
    with open(cache, "wb") as fh:
        pickle.dump(processed, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"processed {len(processed)} pages in {time.monotonic() - t0:.0f} s into {cache}", flush=True)


class Sampler:
    """RSS sampled every 5 ms in a thread: the peak between `mark`s, so each step's own peak is seen."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            self._stop.wait(0.005)

    def mark(self) -> int:
        """The peak since the last mark (the current RSS included); the next interval starts now."""
        peak, self.peak = max(self.peak, rss()), rss()
        return peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def measure(cache: Path, use_tracemalloc: bool) -> None:
    """One load of the cached pages in this (fresh) process, with its memory figures."""
    import prefect  # noqa: F401 - the flow process has it loaded: its heap is part of the baseline

    from pipelines.batch import build_batch, judge_duplicate, source_rows
    from pipelines.polling import next_interval
    from spiders.sources import parse_source
    from storage import load as loadmod
    from storage import searchindex
    from storage.db import connect
    from storage.records import RunRow

    with open(cache, "rb") as fh:
        pages = pickle.load(fh)
    with tempfile.TemporaryDirectory(prefix="talkwatch-load-memory-") as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        connect(db).close()  # created and migrated before: a run's `prepare` opens the file first too
        gc.collect()
        sampler = Sampler()
        steps: list[tuple[str, int, int, float]] = []

        def wrap(module: object, name: str) -> None:
            fn = getattr(module, name)

            def wrapped(*a: object, **k: object) -> object:
                before = sampler.mark()
                t0 = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    steps.append((name, before, sampler.mark(), time.perf_counter() - t0))

            setattr(module, name, wrapped)

        for name in STEPS:
            wrap(searchindex if name == "index_articles" else loadmod, name)
        if use_tracemalloc:
            import tracemalloc
            tracemalloc.start()
        base = sampler.mark()
        now = datetime.now(timezone.utc)
        run = RunRow(run_id=f"bench-{time.time_ns()}", trigger="bench", started_at=now, ended_at=now,
                     status="completed")
        t0 = time.perf_counter()
        batch = build_batch(run, pages, [], [])
        batch.crawled_sources = {"bench": 60.0}
        batch.sources = source_rows([parse_source({"name": "bench", "feeds": ["https://bench.example/rss.xml"]}, 0)])
        built = sampler.mark()
        t1 = time.perf_counter()
        report = loadmod.load_batch(db, batch, judge_duplicate, poll=next_interval)
        t2 = time.perf_counter()
        loaded = sampler.mark()
        if use_tracemalloc:
            _, py_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        time.sleep(0.05)
        after = sampler.mark()
        sampler.stop()
        size = Path(db).stat().st_size
    peak = max(built, loaded, *(s[2] for s in steps))
    print(f"{len(pages)} pages, {report.articles_new} articles new; load {t2 - t1:.1f} s; DuckDB file {size / MIB:.0f} MiB")
    print(f"  RSS before {base / MIB:.0f} MiB; batch built {built / MIB:.0f} ({t1 - t0:.1f} s); "
          f"peak in the load {peak / MIB:.0f} MiB (+{(peak - base) / MIB:.0f}); after {after / MIB:.0f} MiB")
    for name, before, top, secs in steps:
        print(f"    {name:<20} peak {top / MIB:6.0f} MiB  (+{(top - before) / MIB:4.0f} over its start)  {secs:6.2f} s")
    if use_tracemalloc:
        print(f"  tracemalloc: Python-side peak {py_peak / MIB:.0f} MiB above the start of tracing")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--pages", type=int, default=0, help="only N corpus pages (default: all; read when the cache is made)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="the pickled processed pages")
    ap.add_argument("--tracemalloc", action="store_true", help="also the Python-side peak (slower)")
    ap.add_argument("--repeat", type=int, default=1, help="measurements, each in a fresh process (default 1)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        measure(args.cache, args.tracemalloc)
        return 0
    if not args.cache.exists():
        prepare(args.cache, args.pages)
    cmd = [sys.executable, __file__, "--child", "--cache", str(args.cache)] + (
        ["--tracemalloc"] if args.tracemalloc else [])
    for _ in range(args.repeat):
        subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
