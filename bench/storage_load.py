"""Load time per 1,000 articles: a DuckDB file against a DuckLake (catalog in the service PostgreSQL, data files in a
temp folder), through the real loader (`storage.load.load_batch`: one transaction per batch, as a run).

Usage: PYTHONPATH=. python bench/storage_load.py [--articles 1000] [--batches 3] [--writers 2]

Each batch is a run's worth of new articles with their pages, gzip'd raw pages (about 20 KB of HTML each), the
real exact keys and MinHash/LSH band keys (pipelines/dedupe.py) and the real duplicate judge; 3% of each batch are
edited copies of an article of an earlier batch, so the candidate join and the re-pointing of groups have work.
Prints seconds per batch and per 1,000 articles for both backends (the first batch into empty storage, the later
ones into storage that holds the earlier batches). With --writers N it then starts N processes that each load one
batch into the same DuckLake at the same moment and prints the wall time, the commit conflicts retried and whether
every article was stored once.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import dedupe  # noqa: E402
from pipelines.batch import judge_duplicate  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.load import article_id_for, load_batch  # noqa: E402
from storage.records import ArticleRow, PageRow, RawPageRow, RunBatch, RunRow  # noqa: E402
from tests import pgdb  # noqa: E402

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc)
VOCABULARY = [f"w{i:05d}" for i in range(30000)]
WEIGHTS = [1.0 / (i + 1) for i in range(len(VOCABULARY))]


def text_of(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.randint(4, 10)):
        words = rng.choices(VOCABULARY, WEIGHTS, k=rng.randint(40, 80))
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)


def article(n: int, text: str, batch_no: int) -> ArticleRow:
    url = f"http://outlet{n % 40}.test/news/{n}.html"
    fetched = T0 + timedelta(days=batch_no, minutes=n % 600)
    return ArticleRow(
        article_id=article_id_for(url), url=url, canonical_url=url, source=f"outlet{n % 40}",
        title=text.split(".")[0][:80], published_at=fetched - timedelta(hours=1), published_precision="time",
        date_source="jsonld", date_confidence=0.9, modified_at=None, date_evidence="[]", language="en",
        authors=["A. Writer"], text=text, word_count=len(text.split()), fetched_at=fetched,
        exact_key=dedupe.exact_key(text), band_keys=dedupe.band_keys(dedupe.signature(text)), relevance_score=3.0,
        matched_terms=["talks"], topic_terms=["negotiations"])


def make_batch(batch_no: int, size: int, earlier: list[str], seed: int = 7) -> tuple[RunBatch, list[str]]:
    """`size` new articles; 3% of them lightly edited copies of texts from `earlier` batches."""
    rng = random.Random(seed * 1000 + batch_no)
    arts, texts = [], []
    for i in range(size):
        n = batch_no * 1_000_000 + i
        if earlier and rng.random() < 0.03:
            words = rng.choice(earlier).split(" ")
            words[rng.randrange(len(words))] = "edited"
            text = " ".join(words)
        else:
            text = text_of(rng)
        texts.append(text)
        arts.append(article(n, text, batch_no))
    run = RunRow(run_id=f"bench-{batch_no}-{seed}", trigger="bench", started_at=T0, ended_at=T0, status="completed")
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at,
                     status=200, canonical_url=a.canonical_url, article_id=a.article_id) for a in arts]
    filler = "<div class='nav'>" + "<a href='/x'>section</a>" * 400 + "</div>"
    raw = [RawPageRow(url=a.url, source=a.source, fetched_at=a.fetched_at, status=200, headers="{}",
                      encoding="utf-8", body=f"<html><body>{filler}<article>{a.text}</article></body></html>".encode())
           for a in arts]
    return RunBatch(run=run, articles=arts, pages=pages, raw_pages=raw), texts


def timed_loads(db: str, batches: list[RunBatch]) -> list[float]:
    out = []
    for b in batches:
        t = time.perf_counter()
        load_batch(db, b, judge_duplicate)
        out.append(time.perf_counter() - t)
    return out


def _writer(db: str, batch: RunBatch, start, results) -> None:
    conflicts = 0
    import storage.ducklake as lake

    original = lake.is_conflict

    def counting(exc: BaseException) -> bool:
        nonlocal conflicts
        hit = original(exc)
        conflicts += hit
        return hit

    lake.is_conflict = counting
    start.wait(600)
    t = time.perf_counter()
    load_batch(db, batch, judge_duplicate)
    results.put((time.perf_counter() - t, conflicts))


def concurrent(db: str, batches: list[RunBatch]) -> tuple[float, list[tuple[float, int]]]:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(len(batches) + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(db, b, start, results)) for b in batches]
    for p in procs:
        p.start()
    start.wait(600)
    t = time.perf_counter()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t
    return wall, [results.get(timeout=10) for _ in procs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=1000, help="articles per batch (default 1000)")
    ap.add_argument("--batches", type=int, default=3, help="batches loaded one after the other (default 3)")
    ap.add_argument("--writers", type=int, default=2, help="concurrent DuckLake writers afterwards (0: none)")
    args = ap.parse_args()

    t = time.perf_counter()
    batches, earlier = [], []
    for i in range(args.batches):
        b, texts = make_batch(i, args.articles, earlier)
        batches.append(b)
        earlier += texts
    print(f"made {args.batches} batches of {args.articles} articles in {time.perf_counter() - t:.1f} s "
          f"(band keys per article: {len(batches[0].articles[0].band_keys)})")

    with tempfile.TemporaryDirectory(prefix="talkwatch-bench-") as tmp, pgdb.temporary("talkwatch_bench") as name:
        file_db = str(Path(tmp) / "bench.duckdb")
        lake = pgdb.lake_url(name, str(Path(tmp) / "lake"))
        per_k = 1000 / args.articles
        results = {}
        for label, db in (("duckdb file", file_db), ("ducklake", lake)):
            connect(db).close()  # migrations outside the timing: a run's first open does them once
            results[label] = timed_loads(db, copy.deepcopy(batches))
            secs = results[label]
            print(f"{label:12s}: " + ", ".join(f"batch {i + 1} {s:.2f} s" for i, s in enumerate(secs))
                  + f"; per 1,000 articles: first {secs[0] * per_k:.2f} s, later mean "
                  f"{sum(secs[1:]) / max(len(secs) - 1, 1) * per_k:.2f} s")
        ratio = [lk / f for lk, f in zip(results["ducklake"], results["duckdb file"])]
        print("ducklake / duckdb file per batch: " + ", ".join(f"{r:.2f}" for r in ratio))

        if args.writers > 1:
            extra = []
            for w in range(args.writers):
                b, _ = make_batch(100 + w, args.articles, earlier, seed=11 + w)
                extra.append(b)
            overlap = extra[0].articles[: args.articles // 10]  # every writer also lists the first 10% of writer 1
            for b in extra[1:]:
                b.articles += overlap
                b.pages += [p for p in extra[0].pages if p.article_id in {a.article_id for a in overlap}]
            wall, per = concurrent(lake, extra)
            con = connect(lake, read_only=True)
            try:
                total, distinct = con.execute(
                    "SELECT count(*), count(DISTINCT canonical_url) FROM article_store").fetchone()
            finally:
                con.close()
            print(f"{args.writers} ducklake writers at once ({args.articles} articles each, 10% shared): wall "
                  f"{wall:.2f} s; per writer " + ", ".join(f"{s:.2f} s ({c} conflicts retried)" for s, c in per)
                  + f"; articles stored {total}, distinct canonical URLs {distinct}")


if __name__ == "__main__":
    main()
