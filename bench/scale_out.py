"""Scale-out figures: pages per second of a sharded run with 1 and 2 workers on the same loopback web (and of one
`talkwatch run` process, for reference), and the load time per 1,000 articles for each storage given.

Usage (from the repo root):
    PYTHONPATH=. python bench/scale_out.py [--outlets 8] [--articles 60] [--latency 0.05] [--shards 4]
        [--limit 1] [--workers 1,2] [--repeat 1] [--load-articles 1000] [--lake URL] [--sqlite] [--skip-crawl]
        [-s SCRAPY_SETTING=VALUE ...]

1. A `prefect server` on the service PostgreSQL (its own database, dropped at the end; --sqlite for Prefect's
   SQLite), a process work pool, `prefect deploy --name ingest/shard` from prefect.yaml.
2. A loopback web of --outlets outlets (127.0.0.x, one port each), each an RSS feed of --articles distinct
   synthetic articles (the topic keeps every article, so relevance does not thin the load); every page answer
   waits --latency seconds, as a remote server would.
3. For each count in --workers: that many workers (`prefect worker start --work-queue shards --limit L`, one per
   "machine"), then `talkwatch run --shards N` into a fresh DuckLake on the service PostgreSQL (one storage slot
   per shard); pages per second = article pages fetched /
   the run's wall time (start-up of the shard processes included: it is what a user waits for). Also one
   `talkwatch run` without shards (the same server's API) on the same web. The ratio of 2 workers to 1 is printed.
4. Load time per 1,000 articles: `storage.load.load_batch` (the load task's own call) of --load-articles synthetic
   articles with their raw pages (bench/search_index.py's corpus), into a fresh store and then into that store
   again with as many more; for a DuckDB file and for a DuckLake (a fresh catalog on the service PostgreSQL, or
   --lake URL). Median of --repeat.
Nothing is asserted; every figure is printed with what produced it. On a shared 2-core box the 1/2-worker ratio says
more about the box than about talkwatch: run it where the workers have cores of their own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from tests import pgdb  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402
from tests.newsweb import HTML, article_html, rss  # noqa: E402
from tests.prefectserver import prefect_env, start_prefect_server, stop_prefect_server  # noqa: E402

T0 = datetime(2025, 5, 16, 9, 0, tzinfo=timezone.utc)


def build_web(tmp: Path, outlets: int, articles: int, latency: float) -> tuple[list[LoopbackServer], Path, Path]:
    """The outlets, and the sources and topic files naming them."""
    from search_index import Corpus  # bench/search_index.py: Zipf-drawn made-up words

    corpus = Corpus(seed=5)
    rng = random.Random(5)
    vocab, weights = corpus.vocab["en"], corpus.weights

    def slow(body: bytes):
        def serve(req):
            time.sleep(latency)
            return 200, HTML, body
        return serve

    servers, config = [], []
    for o in range(outlets):
        srv = LoopbackServer(host=f"127.0.0.{30 + o}").start()
        items = []
        for a in range(articles):
            paras = [" ".join(rng.choices(vocab, weights, k=60)) + "." for _ in range(5)]
            title = " ".join(rng.choices(vocab, weights, k=7)).capitalize()
            published = T0 + timedelta(minutes=o * articles + a)
            path = f"/{o}/{a}.html"
            srv.route(path, slow(article_html(title, paras, published.isoformat(), site=f"Outlet {o}").encode()))
            items.append((path, title, format_datetime(published)))
        srv.route("/rss.xml", (200, {"Content-Type": "application/rss+xml"}, rss(srv.url(""), items)))
        srv.route("/robots.txt", (404, {"Content-Type": "text/plain"}, b""))
        servers.append(srv)
        config.append(f'[[source]]\nname = "outlet{o:03d}"\nlanguage = "en"\nfeeds = ["{srv.url("/rss.xml")}"]\n'
                      f'max_pages = {articles + 10}\n')
    sources, topic = tmp / "sources.toml", tmp / "topic.toml"
    sources.write_text("\n".join(config), encoding="utf-8")
    topic.write_text('name = "bench"\nkeep_all = true\n\n[terms]\nen = ["talks"]\n', encoding="utf-8")
    return servers, sources, topic


def prefect(args: list[str], env: dict) -> None:
    proc = subprocess.run([sys.executable, "-m", "prefect", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    if proc.returncode:
        raise SystemExit(f"prefect {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def timed_run(sources: Path, topic: Path, db: Path, env: dict, settings: list[str],
              shards: int | None) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources), "--topic", str(topic),
           "--db", str(db), "--json", *settings]
    if shards:
        cmd += ["--shards", str(shards)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"run failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, json.loads(proc.stdout)


def start_workers(n: int, limit: int, env: dict, tmp: Path) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "local-process",
                               "--work-queue", "shards", "--limit", str(limit), "--name", f"bench-{n}-{i}"],
                              cwd=REPO, env=env, stdout=open(tmp / f"worker-{n}-{i}.log", "w"),
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL) for i in range(n)]
    time.sleep(8)  # a worker's start-up (imports, registration) is not part of a run a user waits for
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def crawl_figures(args: argparse.Namespace, tmp: Path, catalogs: list[str]) -> None:
    pg_db = None
    extra = {"PREFECT_SERVER_UI_ENABLED": "false", "PREFECT_WORKER_QUERY_SECONDS": "2",
             "PREFECT_WORKER_PREFETCH_SECONDS": "2"}
    if not args.sqlite:
        pg_db = pgdb.create("talkwatch_bench_prefect")
        extra["PREFECT_API_DATABASE_CONNECTION_URL"] = pgdb.prefect_url(pg_db)
    env = prefect_env(tmp, **extra)
    servers, sources, topic = build_web(tmp, args.outlets, args.articles, args.latency)
    server = None
    settings = [x for kv in (args.set or ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]) for x in ("-s", kv)]
    try:
        server, api = start_prefect_server(tmp, env)
        env["PREFECT_API_URL"] = api
        prefect(["work-pool", "create", "local-process", "--type", "process"], env)
        prefect(["--no-prompt", "deploy", "--name", "ingest/shard"], env)
        print(f"web: {args.outlets} outlets x {args.articles} articles, {args.latency:g} s per page; "
              f"shards {args.shards}, --limit {args.limit} per worker; Scrapy {' '.join(settings[1::2])}")
        rates: dict[int, list[float]] = {}
        for rep in range(args.repeat):
            wall, summary = timed_run(sources, topic, tmp / f"single-{rep}.duckdb", env, settings, None)
            pages = summary["counts"]["crawl"]["pages_fetched"]
            print(f"  single process (talkwatch run): {pages} pages in {wall:.1f} s = {pages / wall:.2f} pages/s")
            for n in args.workers:
                workers = start_workers(n, args.limit, env, tmp)
                try:
                    wall, summary = timed_run(sources, topic, lake(tmp, f"w{n}-{rep}", catalogs), env, settings,
                                              args.shards)
                finally:
                    stop_workers(workers)
                pages = summary["totals"]["pages_fetched"]
                rates.setdefault(n, []).append(pages / wall)
                print(f"  {n} worker(s): {pages} pages in {wall:.1f} s = {pages / wall:.2f} pages/s "
                      f"({summary['status']}, {len(summary['shards'])} shards)")
        if 1 in rates and 2 in rates:
            r1, r2 = statistics.median(rates[1]), statistics.median(rates[2])
            print(f"  ratio 2 workers / 1 worker: {r2 / r1:.2f} (median pages/s {r2:.2f} / {r1:.2f})")
    finally:
        for srv in servers:
            srv.stop()
        if server is not None:
            stop_prefect_server(server)
        if pg_db is not None:
            pgdb.drop(pg_db)


def lake(tmp: Path, name: str, catalogs: list[str]) -> str:
    """A fresh DuckLake on the service PostgreSQL (its catalog dropped at the end), data files under `tmp`."""
    catalogs.append(pgdb.create("talkwatch_bench_lake"))
    return pgdb.lake_url(catalogs[-1], str(tmp / f"{name}-lake"))


def load_figures(args: argparse.Namespace, tmp: Path, catalogs: list[str]) -> None:
    """Seconds per 1,000 articles of the load task's call, into a fresh store and into one holding as many."""
    from search_index import Corpus, batch

    from pipelines.batch import judge_duplicate
    from storage.db import connect
    from storage.load import load_batch

    corpus = Corpus(seed=11)
    n = args.load_articles
    stores = [("duckdb file", lambda r: str(tmp / f"load-{r}.duckdb")),
              ("ducklake", lambda r: args.lake.replace("{n}", str(r)) if args.lake
               else lake(tmp, f"load-{r}", catalogs))]
    for label, url_of in stores:
        fresh, again = [], []
        for r in range(args.repeat):
            db = url_of(r)
            try:
                connect(db).close()  # the schema first: migrations are not a run's load
                for out, run in ((fresh, "a"), (again, "b")):
                    b = batch([corpus.article(i, f"{r}{run}") for i in range(n)], f"bench-{r}{run}", corpus)
                    t = time.perf_counter()
                    load_batch(db, b, judge_duplicate)
                    out.append(time.perf_counter() - t)
            except Exception as exc:  # noqa: BLE001 - a storage URL this version cannot open yet: say so
                print(f"  load, {label} ({db}): not measured: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                break
        else:
            print(f"  load, {label}: {1000 * statistics.median(fresh) / n:.2f} s per 1,000 articles into an empty "
                  f"store, {1000 * statistics.median(again) / n:.2f} s into a store of {n} "
                  f"({n} articles with raw pages, median of {args.repeat})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outlets", type=int, default=8)
    ap.add_argument("--articles", type=int, default=60, help="articles per outlet")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds each article page takes to answer")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--limit", type=int, default=1, help="shard runs at once per worker (prefect worker --limit)")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--load-articles", type=int, default=1000, help="articles per timed load (0: no load figures)")
    ap.add_argument("--lake", help="time loads into this DuckLake URL instead of a fresh one on the service PostgreSQL "
                                   "({n} is replaced by the repetition number, for a fresh catalog each time)")
    ap.add_argument("--sqlite", action="store_true", help="Prefect's own SQLite instead of the service PostgreSQL")
    ap.add_argument("--skip-crawl", action="store_true", help="only the load figures")
    ap.add_argument("-s", "--set", action="append", metavar="KEY=VALUE",
                    help="Scrapy setting for every run (default: DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)")
    args = ap.parse_args(argv)
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          f"({socket.gethostname()})")
    reason = pgdb.available()
    if reason:
        raise SystemExit(f"{reason}: the sharded runs store into a DuckLake on it")
    catalogs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="talkwatch-scale-out-") as d:
        tmp = Path(d)
        try:
            if not args.skip_crawl:
                crawl_figures(args, tmp, catalogs)
            if args.load_articles > 0:
                load_figures(args, tmp, catalogs)
        finally:
            for name in catalogs:
                pgdb.drop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
