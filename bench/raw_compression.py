"""CPU and size of the raw pages' gzip (raw_pages.body_gzip): zlib at levels 1 and 6 against ISA-L's igzip.

Usage (from the repo root):
    .venv/bin/python bench/raw_compression.py [--pages N]

The pages are those of bench/pipeline_cpu.py (the corpus pages of ../shared/corpus, read by path). Prints, for
each compressor, CPU ms a page (`time.process_time`) and the compressed share of the raw bytes, and checks that
Python's own gzip reads back what each wrote. It asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from isal import igzip  # noqa: E402

from peers import CORPUS, SETS  # noqa: E402
from pipeline_cpu import corpus_pages  # noqa: E402

COMPRESSORS = {
    "zlib level 1": lambda b: gzip.compress(b, 1),
    "zlib level 6": lambda b: gzip.compress(b, 6),
    "ISA-L level 1 (stored)": lambda b: igzip.compress(b, 1),
    "ISA-L level 3": lambda b: igzip.compress(b, 3),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--pages", type=int, default=0, help="only N pages (default: every page)")
    args = ap.parse_args(argv)
    bodies = [body for _, body in corpus_pages(args.corpus, list(SETS), args.pages)]
    raw = sum(map(len, bodies))
    print(f"{len(bodies)} pages, {raw / 1e6:.1f} MB of HTML")
    for name, compress in COMPRESSORS.items():
        t0 = time.process_time()
        out = [compress(b) for b in bodies]
        cpu = time.process_time() - t0
        readable = all(gzip.decompress(c) == b for c, b in zip(out, bodies))
        print(f"  {name:<24} {1000 * cpu / len(bodies):6.2f} ms CPU a page   {sum(map(len, out)) / raw:6.1%} of the "
              f"raw bytes   read back by Python's gzip: {'yes' if readable else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
