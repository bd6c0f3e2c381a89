"""What the search index costs a run's load step, at 100,000 stored articles: with it, without it, and what
DuckDB's own `PRAGMA create_fts_index` (which cannot be updated, only rebuilt) would cost instead.

Usage: PYTHONPATH=. python bench/search_index.py [--articles 100000] [--batch 500] [--repeat 3]

1. Builds a DuckDB file of N synthetic articles (en, ru, uk, tr: made-up words in each script, 150-400 words,
   Zipf-distributed) through the real loader, `storage.load.load_into`, in batches of 5,000 (index included).
2. Copies it twice and loads the same run batch (--batch new articles, as one run) into each copy: once through
   the real loader, once with `searchindex.index_articles` switched off. Repeated --repeat times with fresh batches;
   prints the median load time of each and their ratio (the issue's bound: <= 2.0). Twice: as a run loads
   (with each page's raw HTML, ~70 KB of synthetic furniture around the text, compressed into raw_pages), and
   with articles and pages only, where the index's share is largest.
3. Times `PRAGMA create_fts_index` over every article (what keeping the extension's index fresh would add to
   every load), and a few searches at this size.
Nothing here is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage import load as loader  # noqa: E402
from storage import searchindex  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.records import ArticleRow, PageRow, RawPageRow, RunBatch, RunRow  # noqa: E402

T0 = datetime(2025, 5, 16, tzinfo=timezone.utc)
SYLLABLES = {
    "en": [c + v for c in "bcdfghklmnprstvw" for v in "aeiou"],
    "tr": [c + v for c in "bcçdfgğhklmnprsştvyz" for v in "aeıioöuü"],
    "ru": [c + v for c in "бвгдзклмнпрстфхц" for v in "аеиоуыя"],
    "uk": [c + v for c in "бвгґдзклмнпрстфхц" for v in "аеиіїоуюя"],
}
ENDINGS = {"en": ["", "s", "ed", "ing"], "tr": ["", "ler", "lar", "de", "in"], "ru": ["", "а", "ов", "ами", "е"],
           "uk": ["", "и", "ів", "ами", "і"]}
TALK_WORDS = {"en": "ceasefire memorandum negotiations", "ru": "перемирие меморандум переговоры",
              "uk": "перемир'я меморандум перемовини", "tr": "ateşkes mutabakat müzakereler"}


class Corpus:
    """Synthetic articles: a 20,000-word vocabulary per language, drawn with Zipf weights."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.vocab = {lang: self._vocab(lang) for lang in SYLLABLES}
        self.weights = [1.0 / (i + 1) ** 1.05 for i in range(20000)]

    def _vocab(self, lang: str) -> list[str]:
        words: set[str] = set()
        while len(words) < 20000:
            words.add("".join(self.rng.choice(SYLLABLES[lang]) for _ in range(self.rng.randint(1, 4))))
        return sorted(words)

    def article(self, i: int, run: str) -> ArticleRow:
        lang = ("en", "ru", "uk", "tr")[i % 4]
        words = self.rng.choices(self.vocab[lang], self.weights, k=self.rng.randint(150, 400))
        words = [w + self.rng.choice(ENDINGS[lang]) for w in words]
        if (i // 4) % 10 == 0:  # one article in ten of each language speaks of the talks
            words[5:5] = TALK_WORDS[lang].split()
        text = "\n\n".join(" ".join(words[k:k + 50]) + "." for k in range(0, len(words), 50))
        title = " ".join(self.rng.choices(self.vocab[lang], self.weights, k=8))
        url = f"http://{lang}.bench.test/{run}/{i}"
        key = hashlib.sha256(text.encode()).hexdigest()
        return ArticleRow(
            article_id=loader.article_id_for(url), url=url, canonical_url=url, source=f"outlet_{i % 40}",
            title=title, published_at=T0 + timedelta(minutes=i), published_precision="time",
            date_source="jsonld", date_confidence=0.9, modified_at=None, date_evidence="[]", language=lang,
            authors=[], text=text, word_count=len(words), fetched_at=T0, exact_key=key,
            band_keys=[int(key[:15], 16), int(key[15:30], 16)], topic_terms=["negotiations"])


    def page(self, a: ArticleRow) -> bytes:
        """The fetched page of an article as a run stores it: the text inside ~70 KB of site furniture."""
        if not hasattr(self, "_furniture"):
            nav = " ".join(f'<li><a href="/s/{w}">{w}</a></li>' for w in self.rng.choices(self.vocab["en"], k=2500))
            self._furniture = f"<header><ul>{nav}</ul></header>"
        paras = "".join(f"<p>{p}</p>" for p in a.text.split("\n\n"))
        return (f"<html><head><title>{a.title}</title></head><body>{self._furniture}<article><h1>{a.title}</h1>"
                f"{paras}</article></body></html>").encode()


def batch(articles: list[ArticleRow], run_id: str, corpus: Corpus | None = None) -> RunBatch:
    """A run's batch: its pages, and with `corpus` their raw HTML too (what a real run's load also writes)."""
    run = RunRow(run_id=run_id, trigger="bench", started_at=T0, ended_at=T0, status="completed")
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=T0, status=200,
                     canonical_url=a.canonical_url, article_id=a.article_id) for a in articles]
    raw = [RawPageRow(url=a.url, source=a.source, fetched_at=T0, status=200, headers="{}", encoding="utf-8",
                      body=corpus.page(a)) for a in articles] if corpus else []
    return RunBatch(run=run, articles=articles, pages=pages, raw_pages=raw)


def never_duplicate(a: str, b: str) -> float | None:
    return None


def timed_load(db: Path, b: RunBatch) -> float:
    con = connect(db)
    try:
        t = time.perf_counter()
        loader.load_into(con, b, never_duplicate)
        return time.perf_counter() - t
    finally:
        con.close()


def compare(base: Path, tmp: Path, corpus: Corpus, size: int, repeat: int, raw_pages: bool) -> tuple[float, float]:
    """Median load times of the same run batches into copies of `base`, with and without the search index."""
    with_index, without_index = [], []
    for r in range(repeat):
        arts = [corpus.article(i, f"run{r}") for i in range(size)]
        for label, out in (("with", with_index), ("without", without_index)):
            copy = tmp / f"{label}.duckdb"
            shutil.copy(base, copy)
            original = searchindex.index_articles
            if label == "without":
                searchindex.index_articles = lambda con, todo="": None
            try:
                out.append(timed_load(copy, batch(list(arts), f"run{r}-{label}", corpus if raw_pages else None)))
            finally:
                searchindex.index_articles = original
            copy.unlink()
    return statistics.median(with_index), statistics.median(without_index)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpus = Corpus()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        t = time.perf_counter()
        con = connect(base)
        for start in range(0, args.articles, 5000):
            arts = [corpus.article(i, "base") for i in range(start, min(start + 5000, args.articles))]
            loader.load_into(con, batch(arts, f"base-{start}"), never_duplicate)
        docs, terms = con.execute("SELECT (SELECT count(*) FROM search_docs), (SELECT count(*) FROM search_terms)"
                                  ).fetchone()
        con.close()
        print(f"built {args.articles} articles in {time.perf_counter() - t:.1f} s "
              f"(index: {docs} docs, {terms} term rows; file {base.stat().st_size / 2**20:.0f} MiB)")

        for raw_pages in (True, False):
            w, wo = compare(base, Path(tmp), corpus, args.batch, args.repeat, raw_pages)
            what = "a run's load (articles, pages and their raw HTML)" if raw_pages else \
                "articles and pages only (no raw HTML: the index's share at its largest)"
            print(f"{what}, {args.batch} new into {args.articles}: with the index {w:.2f} s, without {wo:.2f} s "
                  f"(medians of {args.repeat}); ratio {w / wo:.2f} (bound: <= 2.0)")

        con = connect(base)
        try:
            t = time.perf_counter()
            con.execute("PRAGMA create_fts_index('article_store', 'article_id', 'title', 'text', "
                        "stemmer='none', overwrite=1)")
            rebuild = time.perf_counter() - t
            print(f"PRAGMA create_fts_index over all {args.articles} articles: {rebuild:.1f} s, which every load "
                  f"would add: ratio {(wo + rebuild) / wo:.1f} against the load without an index")
            queries = ("ceasefire memorandum", "переговоры", "перемовини меморандум", "müzakere",
                       '"ceasefire memorandum"')
            for q in queries:
                t = time.perf_counter()
                n = con.execute("SELECT count(*) FROM search_articles(?)", [q]).fetchone()[0]
                print(f"search {q!r}: {n} hits in {time.perf_counter() - t:.2f} s")
        finally:
            con.close()


if __name__ == "__main__":
    main()
