"""How long a manual run spends outside its crawl: `talkwatch run` on a loopback web with nothing new.

Usage: PYTHONPATH=. python bench/run_overhead.py [--outlets 40] [--runs 3] [--api-url URL]

Starts --outlets loopback outlets (127.0.0.x, one port each; an RSS feed that answers 304 to its ETag, and three
article pages), runs `talkwatch run` once to load them, then --runs times with nothing new, each a fresh process
as a user would start it. For each no-change run it prints the wall time, the crawl's own time (`seconds` in the
run's crawl counts: the crawl child's lifetime, from its start to its exit, whether or not the flow was ready to
take it then) and the difference: the overhead (start-up, Prefect's API server, bookkeeping). The issue's
aim: under 5 s. With --api-url the runs use that Prefect server (PREFECT_API_URL) instead of a temporary one.
Nothing is asserted; PREFECT_HOME is a fresh temp folder, so the figures include the first migration of
Prefect's own database in run 0 only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.loopback import LoopbackServer  # noqa: E402
from tests.newsweb import TALKS, article_html, conditional, rss  # noqa: E402


def start_outlets(n: int) -> list[LoopbackServer]:
    servers = []
    for i in range(n):
        srv = LoopbackServer(host=f"127.0.0.{i % 200 + 1}").start()
        base = srv.url("")
        items = []
        for k in range(3):
            path = f"/news/{i}-{k}.html"
            srv.route(path, (200, {"Content-Type": "text/html; charset=utf-8"}, article_html(
                f"Outlet {i}: delegations meet in Istanbul, day {k}", TALKS, f"2025-06-0{k + 1}T10:00:00+03:00",
                site=f"Outlet {i}").encode()))
            items.append((path, f"Story {k}", f"Mon, 0{k + 1} Jun 2025 07:00:00 GMT"))
        srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"))
        srv.route("/rss.xml", conditional("application/rss+xml", rss(base, items)))
        servers.append(srv)
    return servers


def write_config(tmp: Path, servers: list[LoopbackServer]) -> tuple[Path, Path]:
    sources = tmp / "sources.toml"
    sources.write_text("".join(
        f'[[source]]\nname = "outlet_{i}"\nlanguage = "en"\nfeeds = ["{srv.url("/rss.xml")}"]\n\n'
        for i, srv in enumerate(servers)), encoding="utf-8")
    topic = tmp / "topic.toml"
    topic.write_text('name = "bench"\nkeep_all = true\n\n[terms]\nen = ["talks"]\n', encoding="utf-8")
    return sources, topic


def run_once(sources: Path, topic: Path, db: Path, env: dict[str, str]) -> tuple[float, dict]:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources), "--topic",
                        str(topic), "--db", str(db), "--json", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_ENABLED=False"], cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1):
        raise SystemExit(f"run failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, json.loads(p.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outlets", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--api-url", help="a running Prefect server's API URL to use instead of a temporary one")
    args = ap.parse_args()
    servers = start_outlets(args.outlets)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            sources, topic = write_config(tmp, servers)
            env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PYTHONPATH": str(REPO)}
            env.pop("PREFECT_API_URL", None)
            if args.api_url:
                env["PREFECT_API_URL"] = args.api_url
            db = tmp / "bench.duckdb"
            wall, first = run_once(sources, topic, db, env)
            print(f"run 0 (loads {first['counts']['load']['articles_new']} articles): {wall:.1f} s")
            overheads = []
            for r in range(1, args.runs + 1):
                wall, summary = run_once(sources, topic, db, env)
                crawl = float(summary["counts"]["crawl"].get("seconds", 0.0))
                new = summary["counts"]["load"]["articles_new"]
                overheads.append(wall - crawl)
                print(f"run {r} (no change: {new} new, "
                      f"{summary['counts']['crawl']['listings_not_modified']} feeds not modified): "
                      f"wall {wall:.1f} s, crawl {crawl:.1f} s, overhead {wall - crawl:.1f} s")
            print(f"overhead of a no-change run over {args.outlets} outlets: median {statistics.median(overheads):.1f} s "
                  f"(aim: < 5 s)")
    finally:
        for srv in servers:
            srv.stop()


if __name__ == "__main__":
    main()
