"""Score date_page's day accuracy on a dated page set beside bare htmldate and trafilatura, in the same run.

Usage: PYTHONPATH=. python bench/dates_eval.py [PATH] [--no-baselines] [--quiet]
PATH defaults to ../shared/corpus/dates (relative to the repo root): truth.json plus html/<file>.gz.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

from w3lib.encoding import html_to_unicode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.dating import date_page  # noqa: E402


def load_pages(path: Path) -> list[tuple[str, str | None, str]]:
    """(url, true day or None, decoded html) for every page of the set, decoded as the page declares."""
    truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    pages = []
    for url, entry in truth.items():
        body = gzip.decompress((path / "html" / entry["file"]).read_bytes())
        _, html = html_to_unicode(None, body)
        pages.append((url, entry["date"], html))
    return pages


def right(found: str | None, truth: str | None) -> bool:
    """A page is right when the day matches, or when the truth has no date and nothing was returned."""
    return (found or None) == truth


def run_htmldate(html: str, url: str) -> str | None:
    from htmldate import find_date

    try:
        return find_date(html, extensive_search=True, original_date=True)
    except Exception:
        return None


def run_trafilatura(html: str, url: str) -> str | None:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    except Exception:
        return None
    return doc.date if doc is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "dates"))
    parser.add_argument("--no-baselines", action="store_true", help="score date_page only")
    parser.add_argument("--quiet", action="store_true", help="do not list the pages date_page gets wrong")
    args = parser.parse_args(argv)
    pages = load_pages(Path(args.path))
    n = len(pages)

    # one warm-up call each: htmldate's first call loads dateparser (seconds), which no page should be billed for
    date_page(pages[0][2], pages[0][0])
    if not args.no_baselines:
        run_htmldate(pages[0][2], pages[0][0])
        run_trafilatura(pages[0][2], pages[0][0])

    ours_right, wrong = 0, []
    started = time.perf_counter()
    results = []
    for url, truth, html in pages:
        result = date_page(html, url)  # fetched_at=None: "now", never chosen from the truth
        results.append(result)
    ours_time = time.perf_counter() - started
    for (url, truth, _), result in zip(pages, results):
        found = result.published_at.date().isoformat() if result.published_at else None
        if right(found, truth):
            ours_right += 1
        else:
            wrong.append((url, truth, found, result))
    asked = sum(any(ev.kind == "htmldate" for ev in r.evidence) for r in results)
    wrong_ids = {id(r) for *_, r in wrong}
    right_conf = [r.confidence for r in results if id(r) not in wrong_ids and r.published_at is not None]
    wrong_conf = [r.confidence for r in results if id(r) in wrong_ids and r.published_at is not None]
    print(f"date_page     accuracy {ours_right / n:.3f} ({ours_right}/{n})  {n / ours_time:.1f} pages/s"
          f"  (htmldate asked on {asked} pages)")
    if right_conf and wrong_conf:
        print(f"              mean confidence: right dates {sum(right_conf) / len(right_conf):.2f}, "
              f"wrong dates {sum(wrong_conf) / len(wrong_conf):.2f}")

    if not args.no_baselines:
        for name, fn in (("htmldate", run_htmldate), ("trafilatura", run_trafilatura)):
            started = time.perf_counter()
            found = [fn(html, url) for url, _, html in pages]
            elapsed = time.perf_counter() - started
            hits = sum(right(f, t) for f, (_, t, _) in zip(found, pages))
            print(f"{name:<13} accuracy {hits / n:.3f} ({hits}/{n})  {n / elapsed:.1f} pages/s")

        # date_page again, now that dateparser (inside htmldate) has compiled its per-language patterns
        started = time.perf_counter()
        for url, _, html in pages:
            date_page(html, url)
        print(f"date_page     (second pass, warm caches)  {n / (time.perf_counter() - started):.1f} pages/s")

    if not args.quiet:
        for url, truth, found, result in wrong:
            print(f"\nWRONG {url}\n  truth={truth} ours={found} source={result.date_source} "
                  f"confidence={result.confidence}")
            for ev in result.evidence:
                value = ev.value.isoformat() if ev.value else None
                print(f"    {ev.kind:<18} {value!s:<27} {ev.raw[:60]!r} {ev.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
