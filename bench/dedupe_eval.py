"""Precision/recall of near-duplicate detection (LSH candidates + confirmation) on pairs built from real article texts.

Usage: PYTHONPATH=. python bench/dedupe_eval.py [CORPUS_DIR] [--seeds DIR] [--seed N] [--sweep]

CORPUS_DIR defaults to ../shared/corpus/extraction (its ground-truth.json: {id: {"articleBody", "url"}}); --seeds to
../shared/seeds (the five seed texts: different articles on one event). Nothing is copied from them.

Labelled pairs (seeded RNG):
  positives  template   one text inside two different site templates (furniture lines above and below)
             edited     a copy with 1-10% of its words replaced, deleted or inserted
             teaser     the first paragraphs up to 30-120 words (at most half the article) against the article
             dropped    a copy with one paragraph removed
  negatives  same-site  the two articles of one hostname, both inside that site's template (shared boilerplate)
             short-bp   the first paragraph(s) (~25-70 words) of two same-site articles inside one template
             subject   the article pairs with the highest content-word overlap in the corpus
             same-event all pairs of the seed texts
             random     random article pairs
Every text (all variants) goes into one LSH index as storage would keep it: a pair counts as found only when the
two share a (band, key) AND `is_near_duplicate` confirms it. It also prints confirmed pairs between variants of
DIFFERENT source articles that nobody labelled (a wider false-positive check), and with --sweep the exact
Jaccard/containment distribution per category for shingle sizes 2-5.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import dedupe  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# Furniture written for this benchmark (not taken from any page): what templates put around an article.
FURNITURE_HEAD = [
    "Home › World › Europe",
    "Share",
    "Advertisement",
    "Listen to this article 4 min",
    "Updated 12 minutes ago",
    "By Staff Reporter",
    "0 0",
    "Skip to main content",
    "Menu Search Sign in",
    "May 29, 2025 - 20:36",
    "Photo: file image, for illustration",
    "Share on Facebook Share on X Share via email",
]
FURNITURE_FOOT = [
    "Read more",
    "Related articles",
    "Sign up for our morning newsletter and get the day's top stories straight to your inbox.",
    "Follow us on social media for the latest updates from our newsroom.",
    "Copyright 2025 Example Media Group. All rights reserved.",
    "Our journalism depends on readers like you. Support independent reporting today.",
    "Comments are closed for this article.",
    "Subscribe to our channel to watch more videos like this one every week.",
    "We use cookies to improve your experience on our website and to show you relevant ads.",
    "Have a news tip? Write to our editors at the address on our contact page and we will get back to you.",
    "This story has been updated with additional information since it was first published.",
    "Trending now",
]
# Sentence-like lines a site appends to every article: not caught as furniture by normalize_text.
SITE_BOILERPLATE = [
    "Thanks for reading our coverage. Independent journalism costs money, and we rely on readers who chip in.",
    "Stay informed with our free briefing, delivered every weekday at seven with the stories that matter most to you.",
    "The views expressed by contributors are their own and do not necessarily reflect the editorial line of this paper.",
    "Reporting by our correspondents in the region, with additional material from wire services and local partners.",
]


def load_corpus(path: Path) -> list[dict]:
    data = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    docs = []
    for doc_id, rec in sorted(data.items()):
        body = (rec.get("articleBody") or "").strip()
        if body:
            docs.append({"id": doc_id, "text": body, "host": urlsplit(rec.get("url", "")).hostname or ""})
    return docs


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if p.strip()]


def site_template(rng: random.Random, boilerplate: bool) -> tuple[list[str], list[str]]:
    head = rng.sample(FURNITURE_HEAD, rng.randint(2, 4))
    foot = rng.sample(FURNITURE_FOOT, rng.randint(2, 4))
    if boilerplate:
        foot = rng.sample(SITE_BOILERPLATE, 2) + foot
    return head, foot


def wrap(text: str, template: tuple[list[str], list[str]]) -> str:
    head, foot = template
    return "\n\n".join(head + [text] + foot)


def edit_words(text: str, rate: float, vocab: list[str], rng: random.Random) -> str:
    out_paras = []
    for para in paragraphs(text):
        words = para.split()
        new: list[str] = []
        for w in words:
            if rng.random() < rate:
                op = rng.random()
                if op < 0.7:
                    new.append(rng.choice(vocab))
                elif op < 0.85:
                    continue
                else:
                    new.extend([w, rng.choice(vocab)])
            else:
                new.append(w)
        out_paras.append(" ".join(new))
    return "\n\n".join(out_paras)


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) >= 5}


def build_pairs(docs: list[dict], seeds: list[str], rng: random.Random) -> tuple[list[str], list[tuple[int, int, str, bool]], list[int]]:
    """Texts, labelled pairs (i, j, category, is_dup) and, per text, the id of the source article (for unlabelled checks)."""
    texts: list[str] = []
    source: list[int] = []
    pairs: list[tuple[int, int, str, bool]] = []

    def add(text: str, src: int) -> int:
        texts.append(text)
        source.append(src)
        return len(texts) - 1

    vocab = sorted({w for d in docs for w in d["text"].split() if w.isalpha()})
    base = [add(d["text"], n) for n, d in enumerate(docs)]

    for n, d in enumerate(docs):
        paras = paragraphs(d["text"])
        a = add(wrap(d["text"], site_template(rng, boilerplate=False)), n)
        b = add(wrap(d["text"], site_template(rng, boilerplate=rng.random() < 0.5)), n)
        pairs.append((a, b, "template", True))
        e = add(edit_words(d["text"], rng.uniform(0.01, 0.10), vocab, rng), n)
        pairs.append((base[n], e, "edited", True))
        if len(paras) >= 2:
            total = len(d["text"].split())
            take, words = 0, 0
            target = rng.randint(30, 120)  # what a feed summary or a "read the full story" teaser carries
            while take < len(paras) - 1 and words < target and words + len(paras[take].split()) <= total / 2:
                words += len(paras[take].split())
                take += 1
            take = max(take, 1)
            teaser = "\n\n".join(paras[:take] + (["Read more"] if rng.random() < 0.5 else []))
            t = add(teaser, n)
            pairs.append((base[n], t, "teaser", True))
            drop = rng.randrange(len(paras))
            dr = add("\n\n".join(p for k, p in enumerate(paras) if k != drop), n)
            pairs.append((base[n], dr, "dropped", True))

    by_host: dict[str, list[int]] = defaultdict(list)
    for n, d in enumerate(docs):
        by_host[d["host"]].append(n)
    for host, members in sorted(by_host.items()):
        for x, y in itertools.combinations(members, 2):
            tpl = site_template(rng, boilerplate=True)
            a = add(wrap(docs[x]["text"], tpl), x)
            b = add(wrap(docs[y]["text"], tpl), y)
            pairs.append((a, b, "same-site", False))
            tpl = site_template(rng, boilerplate=True)
            shorts = []
            for z in (x, y):
                words, kept = 0, []
                for p in paragraphs(docs[z]["text"]):
                    if words >= 25:
                        break
                    kept.append(" ".join(p.split()[:70 - words]))
                    words += len(kept[-1].split())
                shorts.append(add(wrap("\n\n".join(kept), tpl), z))
            pairs.append((shorts[0], shorts[1], "short-bp", False))

    cw = [content_words(d["text"]) for d in docs]
    overlap = []
    for x, y in itertools.combinations(range(len(docs)), 2):
        inter = len(cw[x] & cw[y])
        if inter:
            overlap.append((inter / len(cw[x] | cw[y]), x, y))
    overlap.sort(reverse=True)
    for _, x, y in overlap[:100]:
        pairs.append((base[x], base[y], "subject", False))

    seed_ids = [add(s, len(docs) + k) for k, s in enumerate(seeds)]
    for a, b in itertools.combinations(seed_ids, 2):
        pairs.append((a, b, "same-event", False))

    seen = set()
    while len(seen) < 2000:
        x, y = rng.sample(range(len(docs)), 2)
        seen.add((min(x, y), max(x, y)))
    for x, y in sorted(seen):
        pairs.append((base[x], base[y], "random", False))
    return texts, pairs, source


def candidate_pairs(texts: list[str]) -> tuple[set[tuple[int, int]], float]:
    """All pairs sharing at least one (band, key), as a join on article_bands would return them."""
    t0 = time.perf_counter()
    index: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, t in enumerate(texts):
        for band, key in enumerate(dedupe.band_keys(dedupe.signature(t))):
            index[(band, key)].append(i)
    elapsed = time.perf_counter() - t0
    cands: set[tuple[int, int]] = set()
    for ids in index.values():
        for x, y in itertools.combinations(sorted(set(ids)), 2):
            cands.add((x, y))
    return cands, elapsed


def sweep(texts: list[str], pairs: list[tuple[int, int, str, bool]]) -> None:
    print(f"\nlead cover (share of the shorter text's first {dedupe.LEAD_WINDOW} tokens' shingles found in the other),"
          f" k={dedupe.SHINGLE_K}, pairs whose shorter text has < {dedupe.LEAD_CHECK_BELOW} shingles:")
    covers: dict[str, list[float]] = defaultdict(list)
    for a, b, cat, _ in pairs:
        if cat == "random":
            continue
        _, na, nb, cover = dedupe._overlap(texts[a], texts[b])
        if min(na, nb) < dedupe.LEAD_CHECK_BELOW:
            covers[cat].append(cover)
    for cat, vals in covers.items():
        print(f"  {cat:10s} n={len(vals):4d}  min={min(vals):.3f} median={statistics.median(vals):.3f} max={max(vals):.3f}")
    original = dedupe.SHINGLE_K
    try:
        for k in (2, 3, 4, 5):
            dedupe.SHINGLE_K = k
            print(f"\nshingle k={k}: exact Jaccard / containment per category (min, p05, median)")
            by_cat: dict[str, list[tuple[float, float]]] = defaultdict(list)
            for a, b, cat, _ in pairs:
                if cat == "random":
                    continue
                s = dedupe.similarity(texts[a], texts[b])
                by_cat[cat].append((s.jaccard, s.containment))
            for cat, vals in by_cat.items():
                js = sorted(v[0] for v in vals)
                cs = sorted(v[1] for v in vals)
                q = lambda xs, f: xs[min(len(xs) - 1, int(f * len(xs)))]  # noqa: E731
                agg = max if cat in NEGATIVE_CATS else min
                print(
                    f"  {cat:10s} n={len(vals):4d}  J min={js[0]:.3f} p05={q(js, .05):.3f} med={statistics.median(js):.3f}"
                    f" max={js[-1]:.3f} | C min={cs[0]:.3f} p05={q(cs, .05):.3f} med={statistics.median(cs):.3f}"
                    f" max={cs[-1]:.3f}" + ("" if agg is min else "  (negative)")
                )
    finally:
        dedupe.SHINGLE_K = original


NEGATIVE_CATS = {"same-site", "short-bp", "subject", "same-event", "random"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default=str(REPO / "../shared/corpus/extraction"))
    ap.add_argument("--seeds", default=str(REPO / "../shared/seeds"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sweep", action="store_true", help="print exact similarity distributions for k=2..5")
    args = ap.parse_args(argv)

    docs = load_corpus(Path(args.corpus))
    seed_dir = Path(args.seeds)
    seeds = [p.read_text(encoding="utf-8") for p in sorted(seed_dir.glob("*.txt"))] if seed_dir.is_dir() else []
    rng = random.Random(args.seed)
    texts, pairs, source = build_pairs(docs, seeds, rng)
    print(f"{len(docs)} articles, {len(seeds)} seeds, {len(texts)} texts indexed, {len(pairs)} labelled pairs")

    cands, t_sig = candidate_pairs(texts)
    print(f"signature+band keys: {1000 * t_sig / len(texts):.2f} ms/text; candidate pairs from bands: {len(cands)}")

    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, candidate, decided-dup
    tp = fp = fn = 0
    misses: list[str] = []
    for a, b, cat, dup in pairs:
        key = (min(a, b), max(a, b))
        is_cand = key in cands
        decided = is_cand and dedupe.is_near_duplicate(texts[a], texts[b])
        s = stats[cat]
        s[0] += 1
        s[1] += is_cand
        s[2] += decided
        if dup and decided:
            tp += 1
        elif dup:
            fn += 1
            sim = dedupe.similarity(texts[a], texts[b])
            misses.append(f"  miss {cat}: cand={is_cand} J={sim.jaccard:.3f} C={sim.containment:.3f} "
                          f"words={len(texts[a].split())}/{len(texts[b].split())}")
        elif decided:
            fp += 1
            sim = dedupe.similarity(texts[a], texts[b])
            misses.append(f"  false {cat}: J={sim.jaccard:.3f} C={sim.containment:.3f} "
                          f"words={len(texts[a].split())}/{len(texts[b].split())}")

    print("\ncategory    kind  pairs  candidates  decided-dup  rate")
    for cat in ("template", "edited", "teaser", "dropped", "same-site", "short-bp", "subject", "same-event", "random"):
        n, c, d = stats[cat]
        if n:
            kind = "neg" if cat in NEGATIVE_CATS else "pos"
            label = "recall" if kind == "pos" else "false-pos rate"
            print(f"{cat:11s} {kind}  {n:5d}  {c:10d}  {d:11d}  {label} {d / n:.4f}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"\nlabelled pairs: precision {precision:.4f}  recall {recall:.4f}  (tp={tp} fp={fp} fn={fn})")
    short_teasers = sum(
        1 for a, b, cat, _ in pairs if cat == "teaser" and len(dedupe.shingles(texts[b])) < dedupe.CONTAINMENT_MIN_SHINGLES
    )
    print(f"teasers under CONTAINMENT_MIN_SHINGLES={dedupe.CONTAINMENT_MIN_SHINGLES} (not trusted by design): {short_teasers}")
    for line in misses[:30]:
        print(line)

    unl = [(x, y) for x, y in cands if source[x] != source[y]]
    unl_fp = sum(dedupe.is_near_duplicate(texts[x], texts[y]) for x, y in unl)
    print(f"unlabelled candidate pairs between different source articles: {len(unl)}, confirmed as duplicates: {unl_fp}")

    exact_same = sum(dedupe.exact_key(texts[a]) == dedupe.exact_key(texts[b]) for a, b, cat, _ in pairs if cat == "template")
    print(f"template copies with equal exact_key: {exact_same}/{stats['template'][0]}")

    if args.sweep:
        sweep(texts, pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
