"""Throughput and memory of the per-page stages (decode, clean, relevance, dedup keys, dating) on real pages.

Usage (from the repo root):
    .venv/bin/python bench/pipeline_speed.py [PATH ...] [--repeat N]

PATH defaults to ../shared/corpus/extraction/html and ../shared/corpus/dates/html (gzip-compressed pages). Prints
pages per second per stage and overall, the share of time each stage takes, and the peak resident memory, so a
change to one stage can be judged by the whole run it costs.
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from pipelines import process
from pipelines.isolation import run_isolated
from pipelines.process import PageInput
from pipelines.relevance import load_topic

REPO = Path(__file__).resolve().parents[1]
CLEAN = "clean (decode, extract, relevance)"
DEFAULT = [REPO.parent / "shared/corpus/extraction/html", REPO.parent / "shared/corpus/dates/html"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--isolated", action="store_true",
                    help="also time the clean stage through the worker-process path the flow takes for large batches")
    args = ap.parse_args(argv)
    bodies = [gzip.decompress(f.read_bytes()) for p in args.paths for f in sorted(p.glob("*.gz"))]
    if not bodies:
        print("no pages found", file=sys.stderr)
        return 2
    topic = load_topic(REPO / "config/topic.toml")
    now = datetime.now(timezone.utc)
    spent: dict[str, float] = defaultdict(float)
    outcomes: dict[str, int] = defaultdict(int)
    process.date(process.clean(PageInput("https://x.test/a", "https://x.test/a", "s", bodies[0], now), topic))
    for _ in range(args.repeat):
        for n, body in enumerate(bodies):
            inp = PageInput(f"https://bench.test/{n}", f"https://bench.test/{n}", "bench", body, now)
            t0 = time.perf_counter()
            p = process.clean(inp, topic)
            t1 = time.perf_counter()
            p.outcome = "loaded" if p.page is not None and p.page.is_article else p.outcome  # time every stage
            process.dedupe_keys(p)
            t2 = time.perf_counter()
            process.date(p)
            t3 = time.perf_counter()
            spent[CLEAN] += t1 - t0
            spent["dedup keys"] += t2 - t1
            spent["date"] += t3 - t2
            outcomes[p.outcome] += 1
    pages = len(bodies) * args.repeat
    total = sum(spent.values())
    print(f"{pages} pages ({len(bodies)} distinct), {total:.2f} s: {pages / total:.1f} pages/s overall")
    for stage, secs in spent.items():
        print(f"  {stage:36s} {pages / secs:8.1f} pages/s  {1000 * secs / pages:7.2f} ms/page  "
              f"{100 * secs / total:5.1f}% of the time")
    print(f"  outcomes: {dict(outcomes)}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.isolated:
        jobs = [(PageInput(f"https://bench.test/{n}", f"https://bench.test/{n}", "bench", b, now), topic)
                for n, b in enumerate(bodies)]
        t0 = time.perf_counter()
        out = run_isolated(process.page_job, jobs, min_batch=0)
        secs = time.perf_counter() - t0
        failed = sum(o.error is not None for o in out)
        print(f"clean stage (page_job: clean, keys, date, compress) in worker processes ({os.cpu_count()} cores, start-up included): {len(jobs) / secs:.1f} "
              f"pages/s ({failed} given up); in-process above: {pages / spent[CLEAN]:.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
