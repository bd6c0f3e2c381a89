"""Measure the relevance filter on the hand-labelled article set: precision and recall per language and overall.

Usage (from the repository root):
    PYTHONPATH=. python bench/relevance_eval.py [--topic config/topic.toml] [--data bench/data/relevance]
        [--no-language] [--no-required] [--show-errors]
    PYTHONPATH=. python bench/relevance_eval.py --external ../shared/corpus/dates/html ../shared/corpus/extraction/html

--no-language scores every article as if its language were unknown (all term lists tried), the way an
article whose language detection failed is scored. --no-required drops the topic's [required] groups, to
show what the contract's bare rule (a title term, or two text terms) would keep.

--external DIR... scores real pages nobody labelled for this topic (gzipped HTML, body extracted with
trafilatura, language unknown) and lists those it keeps: on a folder of unrelated news, every page listed is
a false positive to look at. Slow (trafilatura); it is not part of the tests. bench/relevance_realpages.py does the
same on the five corpus sets through the flow's own cleaning and language detection, with per-set rates and the seeds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from pipelines.relevance import Topic, load_topic, score

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_rows(data_dir: Path) -> list[dict]:
    """Every labelled article in the *.jsonl files of `data_dir`."""
    rows: list[dict] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def evaluate(topic: Topic, rows: list[dict], use_language: bool = True) -> tuple[dict[str, Counts], list[tuple]]:
    """Counts per language (and "all"), plus the misclassified rows with their scores."""
    counts: dict[str, Counts] = {}
    errors: list[tuple] = []
    for row in rows:
        text = "\n\n".join(row["paragraphs"])
        rel = score(topic, row["title"], text, row["language"] if use_language else None)
        for key in (row["language"], "all"):
            counts.setdefault(key, Counts()).add(row["on_topic"], rel.relevant)
        if rel.relevant != row["on_topic"]:
            errors.append((row["id"], row["kind"], row["on_topic"], rel.score, rel.matched_terms, row["title"]))
    return counts, errors


def external(topic: Topic, dirs: list[Path]) -> int:
    """Score every *.html.gz page under `dirs` and print the ones kept; returns how many were kept."""
    import trafilatura  # only this mode needs it

    pages = extracted = 0
    kept: list[tuple[str, str | None, float, list[str]]] = []
    for folder in dirs:
        for path in sorted(folder.glob("*.gz")):
            pages += 1
            html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            doc = trafilatura.bare_extraction(html, with_metadata=True, fast=True)
            if not doc or not doc.text:
                continue
            extracted += 1
            rel = score(topic, doc.title, doc.text, None)
            if rel.relevant:
                kept.append((path.name, doc.title, rel.score, rel.matched_terms))
    print(f"external pages {pages}, with a body {extracted}, kept as relevant {len(kept)}")
    for name, title, value, terms in kept:
        print(f"KEPT {name} score={value:g} terms={terms} :: {title}")
    return len(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", type=Path, default=ROOT / "config" / "topic.toml")
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "relevance")
    parser.add_argument("--no-language", action="store_true", help="score as if the language were unknown")
    parser.add_argument("--no-required", action="store_true", help="ignore the topic's [required] groups")
    parser.add_argument("--show-errors", action="store_true", help="list the misclassified articles")
    parser.add_argument("--external", type=Path, nargs="+", metavar="DIR", help="unlabelled *.html.gz folders")
    args = parser.parse_args(argv)

    topic = load_topic(args.topic)
    if args.no_required:
        topic = replace(topic, required={}, _compiled={})
    if args.external:
        external(topic, args.external)
        return 0
    rows = load_rows(args.data)
    if not rows:
        print(f"no labelled rows under {args.data}", file=sys.stderr)
        return 1
    counts, errors = evaluate(topic, rows, use_language=not args.no_language)

    mode = "language unknown" if args.no_language else "language given"
    mode += ", no [required] groups" if args.no_required else ""
    print(f"topic {topic.name!r} on {len(rows)} labelled articles ({mode})")
    print(f"{'lang':<5} {'n':>4} {'on':>4} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}")
    for key in sorted(k for k in counts if k != "all") + ["all"]:
        c = counts[key]
        n = c.tp + c.fp + c.fn + c.tn
        print(f"{key:<5} {n:>4} {c.tp + c.fn:>4} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>10.3f} {c.recall:>7.3f}")
    if args.show_errors:
        for row_id, kind, truth, value, terms, title in errors:
            label = "FN" if truth else "FP"
            print(f"{label} {row_id} [{kind}] score={value:g} terms={terms} :: {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
