"""Scale check of dedup: insert N synthetic articles (10k, then 100k) with LSH bands in DuckDB and print the costs.

Usage: PYTHONPATH=. python bench/dedupe_scale.py [--sizes 10000,100000] [--batch 1000]
       [--insert storage|numpy|executemany]
       [--no-band-index] [--no-compare]

By default every batch goes through the real loader, ``storage.load.load_into`` (one transaction per batch, as a
run). ``--insert numpy|executemany`` measures the bare dedup path instead: each size runs on a fresh temp DuckDB
file with the shapes storage uses (``article_store`` with ``exact_key`` and
``text``, ``article_bands(article_id, band, key)`` with its (band, key) index). Articles arrive in batches; each
batch goes through ``insert_batch``: signature + band keys, exact-key join, the (band, key) candidate join against
stored and same-batch articles, confirmation with ``is_near_duplicate`` on the texts, then the inserts. Prints time
per article (split into signature / database / confirmation), candidates per article, planted vs found duplicates,
the time ratio between the sizes (target <= 12 for 10x the articles), peak RSS and the file size.

Synthetic text: words from a 30k-word made-up vocabulary drawn with Zipf weights (so frequent trigrams recur
across articles, as in real text), 150-600 words in 4-12 paragraphs; 40 "outlets" each append their own 15-word
sign-off to half of their articles; 3% of articles are 1-10%-edited copies and 2% are teasers of a recent article.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import dedupe  # noqa: E402

SCHEMA = """
CREATE TABLE article_store (article_id VARCHAR PRIMARY KEY, exact_key VARCHAR NOT NULL, text VARCHAR NOT NULL);
CREATE INDEX article_store_exact_key ON article_store (exact_key);
CREATE TABLE article_bands (article_id VARCHAR NOT NULL, band SMALLINT NOT NULL, key BIGINT NOT NULL,
                            PRIMARY KEY (article_id, band));
CREATE INDEX article_bands_key ON article_bands (band, key);
"""

SCHEMA_NO_INDEX = """
CREATE TABLE article_store (article_id VARCHAR PRIMARY KEY, exact_key VARCHAR NOT NULL, text VARCHAR NOT NULL);
CREATE INDEX article_store_exact_key ON article_store (exact_key);
CREATE TABLE article_bands (article_id VARCHAR NOT NULL, band SMALLINT NOT NULL, key BIGINT NOT NULL);
"""

CANDIDATES = """
SELECT DISTINCT n.article_id AS new_id, b.article_id AS other_id
FROM new_bands n JOIN article_bands b ON b.band = n.band AND b.key = n.key
UNION
SELECT DISTINCT n.article_id, m.article_id
FROM new_bands n JOIN new_bands m ON m.band = n.band AND m.key = n.key AND m.article_id < n.article_id
"""


@dataclass
class Timings:
    signature: float = 0.0
    database: float = 0.0
    confirm: float = 0.0
    candidate_query: float = 0.0
    commit: float = 0.0
    candidates: int = 0
    exact: int = 0
    near: int = 0
    found_ids: set[str] = field(default_factory=set)


def insert_batch(con: duckdb.DuckDBPyConnection, batch: list[tuple[str, str]], t: Timings, how: str = "numpy") -> None:
    """Dedup one batch of (article_id, text) against the store and itself, then store it (bands included).

    Strings go in through one NDJSON temp file (read_json: ~0.07 s per 1,000 texts) and band keys through a
    registered dict of numeric numpy arrays (instant); registering string/object arrays costs ~1 s per 56k values,
    and ``--insert executemany`` (one statement per row) measured 133 ms of database time per article at n=1000,
    against 0.15 ms this way.
    """
    t0 = time.perf_counter()
    ids = [a for a, _ in batch]
    texts = dict(batch)
    keys = [dedupe.exact_key(x) for _, x in batch]
    bands = [dedupe.band_keys(dedupe.signature(x)) for _, x in batch]
    t1 = time.perf_counter()
    t.signature += t1 - t0

    nb = dedupe.NUM_BAND_KEYS
    if how == "numpy":
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for seq, ((aid, text), key) in enumerate(zip(batch, keys)):
                f.write(json.dumps({"seq": seq, "article_id": aid, "exact_key": key, "text": text}) + "\n")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE new_articles AS SELECT * FROM read_json(?, format='newline_delimited', "
            "columns={'seq': 'INTEGER', 'article_id': 'VARCHAR', 'exact_key': 'VARCHAR', 'text': 'VARCHAR'})",
            [path],
        )
        os.unlink(path)
        con.register("band_arrays", {
            "seq": np.repeat(np.arange(len(batch), dtype=np.int32), nb),
            "band": np.tile(np.arange(nb, dtype=np.int16), len(batch)),
            "key": np.array(bands, dtype=np.int64).reshape(-1),
        })
        con.execute(
            "CREATE OR REPLACE TEMP TABLE new_bands AS "
            "SELECT a.article_id, b.band, b.key FROM band_arrays b JOIN new_articles a USING (seq)"
        )
        con.unregister("band_arrays")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE new_articles (seq INTEGER, article_id VARCHAR, exact_key VARCHAR, text VARCHAR)")
        con.executemany("INSERT INTO new_articles VALUES (?, ?, ?, ?)",
                        [[i, a, k, x] for i, ((a, x), k) in enumerate(zip(batch, keys))])
        con.execute("CREATE OR REPLACE TEMP TABLE new_bands (article_id VARCHAR, band SMALLINT, key BIGINT)")
        con.executemany("INSERT INTO new_bands VALUES (?, ?, ?)",
                        [[a, i, k] for a, ks in zip(ids, bands) for i, k in enumerate(ks)])
    exact = con.execute(
        "SELECT n.article_id, s.article_id FROM new_articles n JOIN article_store s ON s.exact_key = n.exact_key"
    ).fetchall()
    tq = time.perf_counter()
    cands = con.execute(CANDIDATES).fetchall()
    t.candidate_query += time.perf_counter() - tq
    stored_needed = sorted({o for _, o in cands if o not in texts})
    if stored_needed:
        texts.update(con.execute(
            "SELECT article_id, text FROM article_store WHERE article_id IN (SELECT unnest(?))", [stored_needed]
        ).fetchall())
    t2 = time.perf_counter()

    t.candidates += len(cands)
    t.exact += len(exact)
    t.found_ids.update(n for n, _ in exact)
    for new_id, other_id in cands:
        if dedupe.is_near_duplicate(texts[new_id], texts[other_id]):
            t.near += 1
            t.found_ids.add(new_id)  # ids sort in arrival order: new_id is the later one
    t3 = time.perf_counter()

    con.execute("INSERT INTO article_store SELECT article_id, exact_key, text FROM new_articles")
    con.execute("INSERT INTO article_bands SELECT article_id, band, key FROM new_bands")
    t4 = time.perf_counter()
    t.database += (t2 - t1) + (t4 - t3)
    t.confirm += t3 - t2


def make_vocab(rng: random.Random, size: int = 30000) -> list[str]:
    syll = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"] + ["tra", "ste", "qui", "lon", "mar", "ves"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syll) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def synthetic_articles(n: int, seed: int = 7):
    """Yield (article_id, text, planted) where planted says the text copies an earlier one."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    vocab = np.array(make_vocab(rng), dtype=object)
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    cdf = np.cumsum(weights / weights.sum())

    def draw(k: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, nrng.random(k)), len(vocab) - 1)

    signoffs = [" ".join(vocab[draw(15)]) + "." for _ in range(40)]
    recent: deque[str] = deque(maxlen=2000)
    for i in range(n):
        aid = f"{i:08d}" + hashlib.sha256(f"a{i}".encode()).hexdigest()[:8]  # sorts in arrival order
        r = rng.random()
        if recent and r < 0.03:
            words = rng.choice(recent).split(" ")
            rate = rng.uniform(0.01, 0.10)
            text = " ".join(rng.choice(vocab) if rng.random() < rate and w != "\n\n" else w for w in words)
            planted = True
        elif recent and r < 0.05:
            text = "\n\n".join(rng.choice(recent).split("\n\n")[:2])
            planted = True
        else:
            paras = []
            for _ in range(rng.randint(4, 12)):
                paras.append(" ".join(vocab[draw(rng.randint(30, 55))]) + ".")
            if rng.random() < 0.5:
                paras.append(signoffs[i % len(signoffs)])
            text = "\n\n".join(paras)
            planted = False
        recent.append(text)
        yield aid, text, planted


def run(n: int, batch_size: int, how: str, schema: str = SCHEMA) -> tuple[float, Timings, int, int]:
    articles = list(synthetic_articles(n))  # generated before timing: only dedup and storage are measured
    planted = {a for a, _, p in articles if p}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scale.duckdb")
        con = duckdb.connect(path)
        con.execute(schema)
        t = Timings()
        start = time.perf_counter()
        for k in range(0, n, batch_size):
            con.execute("BEGIN")
            insert_batch(con, [(a, x) for a, x, _ in articles[k : k + batch_size]], t, how)
            tc = time.perf_counter()
            con.execute("COMMIT")
            t.commit += time.perf_counter() - tc
        elapsed = time.perf_counter() - start
        con.execute("CHECKPOINT")
        con.close()
        size = os.path.getsize(path)
    found_planted = len(planted & t.found_ids)
    print(
        f"n={n:>7}: {elapsed:8.1f} s total, {1000 * elapsed / n:6.2f} ms/article "
        f"(signature {1000 * t.signature / n:.2f}, database {1000 * t.database / n:.2f} of which candidate join "
        f"{1000 * t.candidate_query / n:.2f}, commit {1000 * t.commit / n:.2f}, confirm {1000 * t.confirm / n:.2f}); "
        f"candidate pairs/article {t.candidates / n:.2f}; exact {t.exact}, near {t.near}; "
        f"planted copies found {found_planted}/{len(planted)}; flagged not planted {len(t.found_ids - planted)}; "
        f"db file {size / 1e6:.0f} MB",
        flush=True,
    )
    return elapsed, t, found_planted, len(planted)


def run_storage(n: int, batch_size: int) -> tuple[float, Timings, int, int]:
    """The same articles through the real loader (storage.load.load_into: schema, Arrow staging, candidate join,
    confirmation by the flow's judge, group re-pointing, pages), one transaction per batch as a run would."""
    from datetime import datetime, timezone

    from pipelines.batch import judge_duplicate
    from storage.db import connect
    from storage.load import load_into
    from storage.records import ArticleRow, PageRow, RunBatch, RunRow

    articles = list(synthetic_articles(n))
    planted = {a for a, _, p in articles if p}
    now = datetime.now(timezone.utc)
    t = Timings()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scale.duckdb")
        con = connect(path)
        start = time.perf_counter()
        for k in range(0, n, batch_size):
            rows, pages = [], []
            t0 = time.perf_counter()
            for aid, text, _ in articles[k : k + batch_size]:
                url = f"https://outlet{int(aid[:8]) % 40}.test/{aid}"
                rows.append(ArticleRow(
                    article_id=aid, url=url, canonical_url=url, source=f"outlet{int(aid[:8]) % 40}", title=aid,
                    published_at=now, published_precision="time", date_source="jsonld", date_confidence=0.9,
                    modified_at=None, date_evidence="[]", language="en", authors=[], text=text,
                    word_count=len(text.split()), fetched_at=now, exact_key=dedupe.exact_key(text),
                    band_keys=dedupe.band_keys(dedupe.signature(text))))
                pages.append(PageRow(url=url, source=rows[-1].source, outcome="loaded", reason=None,
                                     fetched_at=now, status=200, url_key=url, canonical_url=url, article_id=aid))
            t.signature += time.perf_counter() - t0
            run = RunRow(run_id=f"r{k}", trigger="bench", started_at=now, ended_at=now, status="completed")
            load_into(con, RunBatch(run=run, articles=rows, pages=pages), judge_duplicate)
        elapsed = time.perf_counter() - start
        t.database = elapsed - t.signature
        found = {r[0] for r in con.execute("SELECT article_id FROM article_store WHERE duplicate_of IS NOT NULL "
                                           "OR article_id IN (SELECT duplicate_of FROM article_store)").fetchall()}
        t.found_ids = found
        con.execute("CHECKPOINT")
        con.close()
        size = os.path.getsize(path)
    found_planted = len(planted & found)
    print(f"n={n:>7} (storage.load): {elapsed:8.1f} s total, {1000 * elapsed / n:6.2f} ms/article (signature "
          f"{1000 * t.signature / n:.2f}, loader {1000 * t.database / n:.2f}); planted copies in a group "
          f"{found_planted}/{len(planted)}; db file {size / 1e6:.0f} MB", flush=True)
    return elapsed, t, found_planted, len(planted)


def compare_minhash(reps: int = 200) -> None:
    """Own numpy MinHash vs datasketch on the shingles of one synthetic article (same number of permutations)."""
    from datasketch import MinHash

    _, text, _ = next(synthetic_articles(1, seed=11))
    vals = dedupe._shingle_array(dedupe._text_tokens(text))
    a, b = dedupe._PERM_A[: dedupe.NUM_PERM], dedupe._PERM_B[: dedupe.NUM_PERM]
    as_bytes = [int(v).to_bytes(8, "little") for v in vals]
    runs = {
        "own numpy minhash": lambda: dedupe._minhash(vals, a, b),
        "datasketch update_batch": lambda: MinHash(num_perm=dedupe.NUM_PERM).update_batch(as_bytes),
        "datasketch update loop": lambda: [m.update(x) for m in [MinHash(num_perm=dedupe.NUM_PERM)] for x in as_bytes],
        "whole signature (tokenise+shingle+both minhashes)": lambda: dedupe.signature(text),
    }
    print(f"MinHash of {len(vals)} shingles, {dedupe.NUM_PERM} permutations, {reps} reps each:")
    for name, fn in runs.items():
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        print(f"  {name:50s} {1000 * (time.perf_counter() - t0) / reps:7.3f} ms")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--insert", choices=("storage", "numpy", "executemany"), default="storage",
                    help="storage: the real loader (default); numpy/executemany: the bare dedup path alone")
    ap.add_argument("--no-band-index", action="store_true",
                    help="article_bands without its primary key and (band, key) index (ART indexes are rewritten at checkpoints)")
    ap.add_argument("--no-compare", action="store_true", help="skip the MinHash implementation comparison")
    args = ap.parse_args(argv)
    if not args.no_compare:
        compare_minhash()
    sizes = [int(s) for s in args.sizes.split(",")]
    schema = SCHEMA_NO_INDEX if args.no_band_index else SCHEMA
    if args.insert == "storage":
        results = [run_storage(n, args.batch)[0] for n in sizes]
    else:
        results = [run(n, args.batch, args.insert, schema)[0] for n in sizes]
    if len(sizes) >= 2:
        print(f"time ratio {sizes[-1]}/{sizes[0]}: {results[-1] / results[0]:.2f} (articles x{sizes[-1] / sizes[0]:g}; target <= 12)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
