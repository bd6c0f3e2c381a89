"""Would a paragraph-level vote of several extractions beat talkwatch's body? Measure it on the three body sets.

Usage (from the repo root):
    PYTHONPATH=. .venv/bin/python bench/paragraph_vote.py [--corpus DIR] [--cache FILE] [--threshold P]

Issue 12 asks whether letting extractions vote per paragraph (trafilatura's fast, default, recall and precision
modes, readability and jusText, our own filters) beats choosing whole outputs. This script builds, for every page of
extraction/, readability/ and trafilatura-eval/ (../shared/corpus, read by path), the pool of blocks the four
trafilatura modes give (merged in page order, repeats kept), and for each block: which modes give it, whether
talkwatch keeps it, its share of 4-word shingles readability and jusText also keep, link share, link-card, residue
and standfirst flags, words, kind, position. A block's label comes from the set's truth: extraction/ and
readability/ (body text): its words appear in the truth or half its 4-shingles do; trafilatura-eval/: it holds a
`with` snippet (1) or a `without` snippet (0), else it has no label. It prints, with each set's own metric
(bench/quality.py's):

- talkwatch as shipped;
- the oracle: the labelled-good blocks of the pool (what any choice among these blocks could reach at most);
- each trafilatura mode alone, with our link-card and residue filters;
- a logistic model over the block features, trained by 5-fold cross-validation (folds by bench/quality.py's hash
  of the page id; every page weighs alike), in three modes: choose every block, only add blocks to talkwatch's
  body, only drop blocks from it; per-fold differences from talkwatch.

It prints figures and changes nothing. The features take about a minute on two cores; `--cache FILE` keeps them.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import math
import pickle
import re
import sys
from copy import deepcopy
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extraction_eval import summarise, tp_fp_fn  # noqa: E402
from quality import Page, _collapse, fold_of, load_set  # noqa: E402

SETS = ("extraction", "readability", "trafilatura-eval")
FOLDS = 5
MODES = ("fast", "full", "recall", "prec")
KINDS = ("p", "head", "item", "row", "quote", "code")
_TOKEN = re.compile(r"\w+")
_END = re.compile(r"[.!?…:;][\"'”»’)]*$")


def _key(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def _shingles(tokens: list[str], n: int = 4) -> set[str]:
    if len(tokens) < n:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _merge(order: list[str], extra: list[str]) -> list[str]:
    """`extra`'s keys merged into `order`, both orders kept where they agree."""
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, order, extra, autojunk=False).get_opcodes():
        out.extend(order[i1:i2])
        if tag != "equal":
            out.extend(k for k in extra[j1:j2] if k not in order)
    return list(dict.fromkeys(out))


def page_blocks(page: Page) -> dict | None:
    """The pool of one page's blocks with their features and labels, and talkwatch's body."""
    from trafilatura import bare_extraction
    from trafilatura.external import basic_cleaning, try_justext, try_readability

    from pipelines.cleaning import (EXTRACTION_SETTINGS, _clean, _drop_standfirst, _is_link_card, _measure_links,
                                    body_blocks)
    from pipelines.cleaning.decoding import decode_html
    from pipelines.cleaning.htmltree import load_page
    from pipelines.cleaning.metadata import read_metadata
    from pipelines.cleaning.residue import remove_residue

    html = decode_html(gzip.decompress(page.file.read_bytes()))
    url = page.url or f"file:///{page.id}"
    tree = load_page(html[:3_000_000])
    if tree is None:
        return None
    meta = read_metadata(tree, url)
    ours = _clean(html, url, None)[0]
    settings = {"fast": EXTRACTION_SETTINGS, "full": {**EXTRACTION_SETTINGS, "fast": False},
                "recall": {**EXTRACTION_SETTINGS, "favor_recall": True},
                "prec": {**EXTRACTION_SETTINGS, "favor_precision": True}}
    pool, order, given = {}, [], {}
    for mode in ("recall", "full", "fast", "prec"):
        doc = bare_extraction(deepcopy(tree), url=url, with_metadata=False, **settings[mode])
        keys, seen = [], {}
        for block in body_blocks(doc.body) if doc is not None and doc.body is not None else []:
            key = _key(block.text)
            if key:
                seen[key] = seen.get(key, 0) + 1
                keys.append(f"{key}\x00{seen[key]}")  # a repeated paragraph is a block of its own
                pool.setdefault(keys[-1], block)
        given[mode] = {k.split("\x00")[0] for k in keys}
        order = _merge(order, keys) if order else list(dict.fromkeys(keys))
    blocks = [pool[k] for k in order]
    _measure_links(blocks, tree)
    cards = [_is_link_card(b) for b in blocks]
    prose = [b for b, card in zip(blocks, cards) if not card]
    standfirst = {id(b) for b in prose} - {id(b) for b in _drop_standfirst(prose, meta)}
    kept, dropped = remove_residue([b.text for b in prose], title=meta.title, title_variants=meta.title_variants)
    residue = {_key(t) for _, t in dropped} - {_key(t) for t in kept}
    others = {}
    for name, run in (("rd", lambda: try_readability(deepcopy(tree))),
                      ("jt", lambda: try_justext(basic_cleaning(deepcopy(tree)), url, None))):
        try:
            others[name] = _shingles(_TOKEN.findall(" ".join(run().itertext()).casefold()))
        except Exception:  # noqa: BLE001 - a fallback that fails agrees with nothing
            others[name] = set()
    ours_keys = {_key(t) for t in ours.paragraphs}
    truth_sh = _shingles(_TOKEN.findall(page.body.casefold())) if page.body is not None else None
    truth_key = f" {_key(page.body)} " if page.body is not None else ""
    rows = []
    for i, (pool_key, block) in enumerate(zip(order, blocks)):
        key = pool_key.split("\x00")[0]
        sh = _shingles(key.split())
        f = {f"in_{m}": float(key in given[m]) for m in MODES}
        f.update(ours=float(key in ours_keys), link=block.link_share, card=float(cards[i]),
                 standfirst=float(id(block) in standfirst), residue=float(key in residue),
                 words=len(key.split()), end=float(bool(_END.search(block.text))), kind=block.kind,
                 pos=i / max(1, len(order) - 1))
        for name, other in others.items():
            f[name] = len(sh & other) / len(sh) if sh else 0.0
        label = None
        if truth_sh is not None:
            label = int(f" {key} " in truth_key or (bool(sh) and len(sh & truth_sh) >= 0.5 * len(sh)))
        elif page.snippets is not None:
            text = _collapse(block.text)
            if any(_collapse(s) and _collapse(s) in text for s in page.snippets[1]):
                label = 0
            elif any(_collapse(s) and _collapse(s) in text for s in page.snippets[0]):
                label = 1
        rows.append((block.text, f, label))
    return {"set": page.set, "id": page.id, "fold": fold_of(page, FOLDS), "rows": rows,
            "ours": "\n".join(ours.paragraphs)}


def score(pages: dict[tuple[str, str], Page], texts: dict[tuple[str, str], str]) -> dict[str, float]:
    """Each set's metric (bench/quality.py's): body F1 for extraction/ and readability/, snippet F1 for the other."""
    by_set: dict[str, list] = {}
    for ident, text in texts.items():
        by_set.setdefault(ident[0], []).append((pages[ident], text))
    out = {}
    for name, items in by_set.items():
        if name != "trafilatura-eval":
            out[name] = summarise([tp_fp_fn(p.body, t) for p, t in items])[2]
            continue
        tp = fp = fn = 0
        for p, text in items:
            text = _collapse(text)
            tp += sum(_collapse(w) in text for w in p.snippets[0])
            fn += sum(_collapse(w) not in text for w in p.snippets[0])
            fp += sum(_collapse(w) in text for w in p.snippets[1] if _collapse(w))
        prec, rec = tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)
        out[name] = 2 * prec * rec / ((prec + rec) or 1)
    return out


def features(page: dict) -> np.ndarray:
    """One row a block: its own features, its neighbours' agreement, where it sits against talkwatch's body."""
    fs = [f for _, f, _ in page["rows"]]
    kept = [i for i, f in enumerate(fs) if f["ours"]]
    lo, hi = (kept[0], kept[-1]) if kept else (0, -1)
    X = []
    for i, f in enumerate(fs):
        prev, nxt = (fs[i - 1] if i else None), (fs[i + 1] if i + 1 < len(fs) else None)
        inside = float(lo <= i <= hi)
        X.append([*(f[f"in_{m}"] for m in MODES), f["ours"], f["rd"], f["jt"], f["link"], f["card"],
                  f["standfirst"], f["residue"], math.log1p(f["words"]), f["end"], f["pos"], f["pos"] ** 2,
                  *(float(f["kind"] == k) for k in KINDS),
                  prev["ours"] if prev else 0.0, nxt["ours"] if nxt else 0.0,
                  prev["jt"] if prev else 0.0, nxt["jt"] if nxt else 0.0,
                  (1 - f["ours"]) * f["jt"], (1 - f["ours"]) * f["rd"], (1 - f["ours"]) * f["in_full"],
                  inside, (1 - f["ours"]) * inside])
    return np.array(X, dtype=float).reshape(len(fs), -1)


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted, L2-regularised logistic regression by Newton's method, features standardised."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    beta = np.zeros(Z.shape[1])
    ridge = l2 * np.diag(np.r_[np.ones(Z.shape[1] - 1), 0.0])
    for _ in range(30):
        p = 1 / (1 + np.exp(-Z @ beta))
        step = np.linalg.solve((Z * (w * p * (1 - p))[:, None]).T @ Z + ridge, Z.T @ (w * (p - y)) + ridge @ beta)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta, mu, sd


def predict(model: tuple[np.ndarray, np.ndarray, np.ndarray], X: np.ndarray) -> np.ndarray:
    beta, mu, sd = model
    return 1 / (1 + np.exp(-(((X - mu) / sd) @ beta[:-1] + beta[-1])))


def learned(data: list[dict], mode: str, threshold: float) -> dict[tuple[str, str], str]:
    """Every page's body as the model trained on the other folds chooses it (`mode`: all, add, drop)."""
    X = {id(p): features(p) for p in data}
    out = {}
    for fold in range(FOLDS):
        rows, labels, weights = [], [], []
        for page in data:
            idx = [i for i, (_, _, lab) in enumerate(page["rows"]) if lab is not None]
            if page["fold"] == fold or not idx:
                continue
            rows.append(X[id(page)][idx])
            labels += [page["rows"][i][2] for i in idx]
            weights += [100.0 / len(idx)] * len(idx)
        model = fit(np.vstack(rows), np.array(labels, float), np.array(weights))
        for page in (p for p in data if p["fold"] == fold):
            if not page["rows"] or not page["ours"]:
                out[(page["set"], page["id"])] = page["ours"]
                continue
            keep = []
            for (text, f, _), p in zip(page["rows"], predict(model, X[id(page)])):
                good = p >= threshold
                if (mode == "all" and good) or (mode == "add" and (f["ours"] or good)) or \
                        (mode == "drop" and f["ours"] and good):
                    keep.append(text)
            out[(page["set"], page["id"])] = "\n".join(keep)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--cache", help="keep the block features in this file (read it when it exists)")
    ap.add_argument("--threshold", type=float, default=0.5, help="the model's probability to keep a block")
    args = ap.parse_args(argv)
    pages = [p for name in SETS for p in load_set(Path(args.corpus), name)]
    for p in pages:
        p.fold = fold_of(p, FOLDS)
    if args.cache and Path(args.cache).is_file():
        with open(args.cache, "rb") as fh:
            data = pickle.load(fh)
    else:
        with Pool(2) as pool:
            data = [d for d in pool.map(page_blocks, pages, chunksize=4) if d]
        if args.cache:
            with open(args.cache, "wb") as fh:
                pickle.dump(data, fh)
    by_id = {(p.set, p.id): p for p in pages}
    ours = {(d["set"], d["id"]): d["ours"] for d in data}

    def show(name: str, texts: dict[tuple[str, str], str]) -> None:
        got = score(by_id, texts)
        print(f"{name:<24}" + "".join(f"{got[s]:>18.4f}" for s in SETS))

    print(f"{'':<24}" + "".join(f"{s:>18}" for s in SETS))
    show("talkwatch", ours)
    show("oracle (pool, labels)", {(d["set"], d["id"]): "\n".join(
        t for t, f, lab in d["rows"] if lab == 1 or (lab is None and f["ours"])) for d in data})
    for mode in MODES:
        show(f"{mode} + our filters", {(d["set"], d["id"]): "\n".join(
            t for t, f, _ in d["rows"] if f[f"in_{mode}"] and not f["card"] and not f["residue"]) for d in data})
    for mode in ("all", "add", "drop"):
        texts = learned(data, mode, args.threshold)
        show(f"model, {mode} (p>={args.threshold})", texts)
        for name in SETS:
            diffs = []
            for fold in range(FOLDS):
                ids = [(d["set"], d["id"]) for d in data if d["set"] == name and d["fold"] == fold]
                diffs.append(score(by_id, {i: texts[i] for i in ids})[name]
                             - score(by_id, {i: ours[i] for i in ids})[name])
            print(f"    {name:<20} per fold minus talkwatch: " + " ".join(f"{d:+.4f}" for d in diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
