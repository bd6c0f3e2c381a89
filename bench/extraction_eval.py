"""Score clean_html's body text against the extraction corpus' ground truth, beside bare trafilatura.extract.

Usage (from the repo root):
    PYTHONPATH=. /work/venv/bin/python bench/extraction_eval.py [PATH] [--worst N] [--set key=value ...]

PATH defaults to ../shared/corpus/extraction (html/<id>.html.gz + ground-truth.json). The metric is the
benchmark's: tokens are runs of \\w+, each text is a multiset of 4-token shingles, per page TP/FP/FN are counted and
normalised by their sum, precision is averaged over pages that produced something, recall over pages whose truth is
non-empty, F1 is the harmonic mean of the two averages. Both extractors get the same decoded string and are timed
page by page in the same loop, so machine load hits both alike. `--set fast=false` etc. override
pipelines.cleaning.EXTRACTION_SETTINGS to compare settings.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

from pipelines import cleaning
from pipelines.cleaning import clean_html
from pipelines.cleaning.decoding import decode_html

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle (as the benchmark does)."""
    tokens = _TOKEN.findall(text or "")
    grams = [tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))]
    return Counter(g for g in grams if g)


def tp_fp_fn(truth: str, pred: str) -> tuple[float, float, float]:
    """Shingle TP/FP/FN for one page, normalised by their sum so long pages do not weigh more."""
    t, p = shingles(truth), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def summarise(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(precision, recall, F1) as the benchmark computes them."""
    ps = [precision(*r) for r in rows if r[0] + r[1] > 0]
    rs = [recall(*r) for r in rows if r[0] + r[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _parse_value(raw: str):
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(raw)
    except ValueError:
        return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "extraction"))
    parser.add_argument("--worst", type=int, default=10, help="how many worst pages to print")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override an extraction setting")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (quick checks)")
    args = parser.parse_args(argv)

    for item in args.set:
        key, _, value = item.partition("=")
        cleaning.EXTRACTION_SETTINGS[key] = _parse_value(value)

    base = Path(args.path)
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if args.limit:
        ids = ids[: args.limit]

    ours, theirs = [], []
    t_ours = t_theirs = 0.0
    per_page = []
    for page_id in ids:
        raw = gzip.decompress((base / "html" / f"{page_id}.html.gz").read_bytes())
        html = decode_html(raw)
        url = truth[page_id].get("url", "")
        expected = truth[page_id].get("articleBody", "")

        start = time.perf_counter()
        text = trafilatura.extract(html) or ""
        t_theirs += time.perf_counter() - start
        theirs.append(tp_fp_fn(expected, text))

        start = time.perf_counter()
        page = clean_html(html, url)
        t_ours += time.perf_counter() - start
        row = tp_fp_fn(expected, page.text)
        ours.append(row)
        per_page.append((precision(*row) if row[0] + row[1] > 0 else None, recall(*row), page_id, url, page))

    n = len(ids)
    p, r, f = summarise(ours)
    tp_, tr_, tf_ = summarise(theirs)
    pps_ours, pps_theirs = n / t_ours, n / t_theirs
    print(f"pages: {n}  settings: {json.dumps(cleaning.EXTRACTION_SETTINGS, sort_keys=True)}")
    print(f"clean_html           P={p:.4f} R={r:.4f} F1={f:.4f}  pages/s={pps_ours:.1f}")
    print(f"trafilatura.extract  P={tp_:.4f} R={tr_:.4f} F1={tf_:.4f}  pages/s={pps_theirs:.1f}")
    print(f"speed ratio (ours/trafilatura): {pps_ours / pps_theirs:.2f}")
    not_articles = [x for x in per_page if not x[4].is_article]
    print(f"pages marked not-an-article: {len(not_articles)}")
    for _, _, page_id, url, page in not_articles[: args.worst]:
        print(f"  {page_id[:12]} {page.reason}  {url[:90]}")
    print(f"worst {args.worst} by precision:")
    for prec, rec, page_id, url, _ in sorted(per_page, key=lambda x: -1 if x[0] is None else x[0])[: args.worst]:
        shown = "n/a" if prec is None else f"{prec:.3f}"
        print(f"  P={shown} R={rec:.3f} {page_id[:12]} {url[:90]}")
    print(f"worst {args.worst} by recall:")
    for prec, rec, page_id, url, _ in sorted(per_page, key=lambda x: x[1])[: args.worst]:
        shown = "n/a" if prec is None else f"{prec:.3f}"
        print(f"  P={shown} R={rec:.3f} {page_id[:12]} {url[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
