"""pipelines.cleaning.bylines.find_byline against trafilatura's extract_author on every corpus page: same answers,
CPU of each.

Usage (from the repo root):
    PYTHONPATH=. .venv/bin/python bench/bylines_eval.py [--sets extraction,dates,...]

The pages are those of ../shared/corpus (read by path), parsed once by trafilatura's load_html; each function gets
the same trees. Prints how many pages each found an author on, how many answers differ (listing them) and the CPU
ms per page of each (time.process_time, one core). It asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from trafilatura.metadata import extract_author  # noqa: E402
from trafilatura.utils import load_html  # noqa: E402

from peers import CORPUS, SETS  # noqa: E402
from pipeline_cpu import corpus_pages  # noqa: E402
from pipelines.cleaning.bylines import find_byline  # noqa: E402
from pipelines.cleaning.decoding import decode_html  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--sets", default=",".join(SETS))
    args = ap.parse_args(argv)
    pages = corpus_pages(args.corpus, [s for s in args.sets.split(",") if s], 0)
    trees = [(url, tree) for url, body in pages if (tree := load_html(decode_html(body, "text/html", None))) is not None]
    t0 = time.process_time()
    theirs = [extract_author(tree) for _, tree in trees]
    t1 = time.process_time()
    ours = [find_byline(tree) for _, tree in trees]
    t2 = time.process_time()
    differ = [(url, a, b) for (url, _), a, b in zip(trees, theirs, ours) if a != b]
    n = len(trees)
    print(f"{n} pages; an author found by trafilatura on {sum(1 for a in theirs if a)}, "
          f"by find_byline on {sum(1 for b in ours if b)}; answers that differ: {len(differ)}")
    for url, a, b in differ:
        print(f"  {url}: trafilatura {a!r}, find_byline {b!r}")
    print(f"CPU ms/page: extract_author {1000 * (t1 - t0) / n:.2f}, find_byline {1000 * (t2 - t1) / n:.2f}, "
          f"ratio {(t2 - t1) / (t1 - t0):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
