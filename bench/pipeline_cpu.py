"""The whole pipeline's CPU per page beside bare trafilatura.extract + htmldate.find_date, and 2 workers vs 1.

Usage (from the repo root):
    .venv/bin/python bench/pipeline_cpu.py [--pages N] [--sets extraction,dates,...] [--rounds R]
                                           [--skip-cpu | --skip-workers]

The pages are the corpus pages of ../shared/corpus (all five sets by default, read by path; `--pages N` takes the
same fixed pseudo-random order that bench/peers.py takes), each with its truth's URL (readability/ pages have none
and get an invented one); a URL that two sets share is taken once, as a crawl would fetch it once.

1. One core (the process is pinned to one CPU; CPU seconds are `time.process_time`, all threads of the process,
   DuckDB's too): the pipeline as the flow runs it -- process.page_job (decode, extract, relevance against a
   keep_all topic so every article page goes on, dedup keys, dating, the raw body compressed for storage),
   batch.collapse_url_variants (URL variants), then batch.build_batch and storage.load.load_batch into a DuckDB
   file migrated beforehand -- beside bare
   `trafilatura.extract(body, url=url)` + `htmldate.find_date(body, extensive_search=True, url=url)` on the same
   raw bytes. Clean and bare alternate page by page, so machine load hits both alike; one untimed warm-up page
   each first, and the workers' own warm-up (pipelines/prewarm.py: dateparser compiles every locale), so
   dateparser's start-up is billed to nobody. Prints CPU ms per page of each, per stage, and the
   ratio pipeline/bare (the aim of issue 11: <= 1.0).
2. All cores: the same pipeline through the flow's own worker-process path (pipelines.isolation.map_isolated,
   one pool from the warmed fork server, start-up included, as the flow does) with 1 worker and with 2, then the
   URL variants and the load in the parent as the flow does; pages per second of each and the ratio
   (aim: >= 1.7x). `--rounds R` repeats the pair (1, 2, 2, 1, ...) and prints each round.

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import trafilatura  # noqa: E402
from htmldate import find_date  # noqa: E402

from peers import CORPUS, SETS, choose, load_corpus  # noqa: E402
# imported, it warms what the workers warm (dateparser compiles every locale: 3.5 s, shared by both sides through
# htmldate), which one warm-up page may not reach: it was billed to whichever side first met such a date string
from pipelines import prewarm, process  # noqa: E402,F401
from pipelines.batch import build_batch, collapse_url_variants, judge_duplicate, source_rows  # noqa: E402
from pipelines.isolation import map_isolated, run_isolated  # noqa: E402
from pipelines.polling import next_interval  # noqa: E402
from pipelines.process import PageInput, ProcessedPage  # noqa: E402
from pipelines.relevance import load_topic  # noqa: E402
from spiders.sources import parse_source  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.load import load_batch  # noqa: E402
from storage.records import RunRow  # noqa: E402

SOURCE = parse_source({"name": "bench", "feeds": ["https://bench.example/rss.xml"]}, 0)


def corpus_pages(base: Path, sets: list[str], n: int) -> list[tuple[str, bytes]]:
    import gzip

    out: dict[str, bytes] = {}
    for p in choose(load_corpus(base), 0):
        url = p.orig_url or f"https://{p.host}.example/{p.key.split('/', 1)[1]}.html"
        if p.set in sets and url not in out:  # a crawl fetches a URL once; some pages are in two sets
            out[url] = gzip.decompress(p.file.read_bytes())
        if n and len(out) >= n:
            break
    return list(out.items())


def inputs(pages: list[tuple[str, bytes]], now: datetime) -> list[PageInput]:
    return [PageInput(url=url, final_url=url, source="bench", body=body, fetched_at=now,
                      content_type="text/html") for url, body in pages]


def bare(body: bytes, url: str) -> None:
    trafilatura.extract(body, url=url)
    find_date(body, extensive_search=True, url=url)


def fresh_db(work: Path, name: str) -> str:
    db = str(work / f"{name}.duckdb")
    connect(db).close()  # created and migrated outside the timed load: a running deployment has its file
    return db


def load(db: str, pages: list[ProcessedPage]) -> None:
    now = datetime.now(timezone.utc)
    run = RunRow(run_id=f"bench-{time.time_ns()}", trigger="bench", started_at=now, ended_at=now, status="completed")
    batch = build_batch(run, pages, [], [])
    batch.crawled_sources = {"bench": 60.0}
    batch.sources = source_rows([SOURCE])
    load_batch(db, batch, judge_duplicate, poll=next_interval)


def one_core(pages: list[tuple[str, bytes]], topic, work: Path) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[0]})
    try:
        now = datetime.now(timezone.utc)
        warm = inputs(pages[:1], now)[0]
        bare(warm.body, warm.url)
        process.page_job((warm, topic))
        cpu: Counter[str] = Counter()
        processed: list[ProcessedPage] = []
        for i, inp in enumerate(inputs(pages, now)):
            for side in (("bare", "page") if i % 2 == 0 else ("page", "bare")):
                t0 = time.process_time()
                if side == "bare":
                    bare(inp.body, inp.url)
                else:
                    processed.append(process.page_job((inp, topic)))
                cpu[side] += time.process_time() - t0
        t0 = time.process_time()
        collapse_url_variants(processed)
        cpu["collapse"] += time.process_time() - t0
        db = fresh_db(work, "one-core")
        t0 = time.process_time()
        load(db, processed)
        cpu["load"] += time.process_time() - t0
    finally:
        os.sched_setaffinity(0, set(allowed))
    n = len(pages)
    outcomes = Counter(p.outcome for p in processed)
    pipeline = sum(v for k, v in cpu.items() if k != "bare")
    print(f"one core (CPU {allowed[0]}), {n} pages; pipeline outcomes {dict(outcomes)} "
          f"(only 'loaded' pages are dated; bare dates every page)")
    for stage, what in (("page", "page_job (clean, dedup keys, date, compress)"), ("collapse", "URL variants"),
                        ("load", "load")):
        print(f"  pipeline {what:<46} {1000 * cpu[stage] / n:8.2f} ms CPU/page")
    print(f"  pipeline total       {1000 * pipeline / n:8.2f} ms CPU/page")
    print(f"  bare extract+find_date {1000 * cpu['bare'] / n:6.2f} ms CPU/page")
    print(f"  ratio pipeline/bare  {pipeline / cpu['bare']:8.2f}   (aim <= 1.0)")


def _cpu() -> float:
    """CPU seconds of this process plus its waited-for children (the pool workers, once their pool is joined)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _noop(x: int) -> int:
    return x


def pool_startup(workers: int) -> float:
    """Seconds for run_isolated to start a pool of `workers` (the fork server warms the pipeline) and stop."""
    t0 = time.perf_counter()
    run_isolated(_noop, list(range(workers)), workers=workers, min_batch=0)
    return time.perf_counter() - t0


def with_workers(pages: list[tuple[str, bytes]], topic, work: Path, workers: int) -> tuple[float, float]:
    """(pages/s of the whole pipeline, pages/s of page_job alone) through map_isolated with `workers`."""
    now = datetime.now(timezone.utc)
    ins = inputs(pages, now)
    db = fresh_db(work, f"workers-{workers}-{time.time_ns()}")
    cpu0 = _cpu()
    t0 = time.perf_counter()
    processed = [o.value if o.error is None else process.given_up(job[0], o.error)
                 for job, o in map_isolated(process.page_job, [(inp, topic) for inp in ins], workers=workers)]
    t1 = time.perf_counter()
    collapse_url_variants(processed)
    t2 = time.perf_counter()
    load(db, processed)
    t3 = time.perf_counter()
    cores = (_cpu() - cpu0) / (t3 - t0)
    n = len(pages)
    print(f"  {workers} worker{'s' if workers > 1 else ' '}: {n / (t3 - t0):6.2f} pages/s whole pipeline "
          f"({t3 - t0:.1f} s: page_job in workers {t1 - t0:.1f}, URL variants {t2 - t1:.1f}, load {t3 - t2:.1f}); "
          f"page_job alone {n / (t1 - t0):.2f} pages/s; cores busy on average {cores:.2f} "
          f"(CPU s of this process and its workers / wall s)", flush=True)
    return n / (t3 - t0), n / (t1 - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--pages", type=int, default=0, help="only N pages (default: every page of the sets)")
    ap.add_argument("--rounds", type=int, default=1, help="pairs of 1-worker / 2-worker runs (default 1)")
    ap.add_argument("--skip-cpu", action="store_true", help="only the worker comparison")
    ap.add_argument("--skip-workers", action="store_true", help="only the one-core CPU comparison")
    args = ap.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    pages = corpus_pages(args.corpus, sets, args.pages)
    with tempfile.TemporaryDirectory(prefix="talkwatch-pipeline-cpu-") as tmp:
        work = Path(tmp)
        topic_file = work / "topic.toml"
        topic_file.write_text('name = "bench-every-page"\nkeep_all = true\n\n[terms]\nen = ["news"]\n',
                              encoding="utf-8")
        topic = load_topic(topic_file)
        print(f"{len(pages)} pages from {', '.join(sets)}; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        if not args.skip_cpu:
            one_core(pages, topic, work)
        if not args.skip_workers:
            print(f"worker processes (run_isolated, fork-server pools with start-up, as the flow runs them), "
                  f"{len(os.sched_getaffinity(0))} cores available:", flush=True)
            results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
            for r in range(args.rounds):
                for w in ((1, 2) if r % 2 == 0 else (2, 1)):
                    results[w].append(with_workers(pages, topic, work, w))
            one = sum(x[0] for x in results[1]) / len(results[1])
            two = sum(x[0] for x in results[2]) / len(results[2])
            one_cd = sum(x[1] for x in results[1]) / len(results[1])
            two_cd = sum(x[1] for x in results[2]) / len(results[2])
            print(f"  one pool's start-up and stop (the flow starts one per run): "
                  f"{pool_startup(1):.1f} s with 1 worker, {pool_startup(2):.1f} s with 2")
            print(f"  speed-up 2 workers / 1: {two / one:.2f}x whole pipeline, {two_cd / one_cd:.2f}x page_job "
                  f"alone   (aim >= 1.7x)  load average now {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
