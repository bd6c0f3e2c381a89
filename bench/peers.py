"""talkwatch beside news-please and newspaper4k, crawling the same loopback web built from the real corpus pages.

Usage (from the repo root):
    .venv/bin/python bench/peers.py [--outlets N] [--pages N] [--delay S] [--per-domain N] [--tools a,b,c]
                                    [--listing-dates truth|none] [--venv DIR] [--keep]

The pages of ../shared/corpus (five sets with truth, read by path, never copied) are spread over `--outlets` fake
outlets (every original host stays on one outlet; hosts are packed so the outlets get about as many pages each).
Each outlet is a `ThreadingHTTPServer` on its own loopback address (127.42.x.y, port 80 by default, so URLs look
like a real site's and per-host politeness applies per outlet; `--port 0` gives each outlet its own OS-chosen port
instead) serving robots.txt (allow all, names the sitemap), `/rss.xml` and `/sitemap.xml` listing every page (with
the truth's publication time where known, unless `--listing-dates none`), a home page linking them, and the pages
themselves with the charset they declare. Nothing but loopback is served; every server stops at the end.

The three tools crawl that web one after the other, at the same politeness: `--per-domain` requests at a time
and `--delay` seconds (randomised x0.5-1.5, as Scrapy does) between requests to one outlet, at most 16 requests
in flight overall, robots.txt obeyed, no autothrottle.

- talkwatch: `talkwatch run` with a generated sources.toml (each outlet's feed and sitemap) and a topic with
  `keep_all = true`, into a temporary DuckDB file; what it stored is read from the `articles` view.
- news-please: its crawler CLI (`news-please -c DIR -no-confirm`) with a generated config.cfg (package defaults
  plus the politeness above, `newspaper_extractor_no_images` so no image is fetched from outside) and a
  sitelist naming each outlet; its default SitemapCrawler finds the sitemap through robots.txt. What it stored
  is its JSON files.
- newspaper4k: a driver run in the peers' virtualenv reads each outlet's robots.txt and feed, then downloads and
  parses every listed URL with `newspaper.Article` (fetch_images off), under the same per-outlet politeness.

news-please and newspaper4k are installed by this script into a separate virtualenv (default
~/.cache/talkwatch-bench/peers-venv; `pip install news-please "newspaper4k[nlp,ja,zh]"`: the language extras,
or newspaper4k raises ImportError on Japanese, Chinese, Arabic and Korean pages): they are no dependencies of
the project. A tool that cannot be installed or run is reported with the reason and the others go on.

Each tool runs as a child process in its own session: wall time; CPU seconds of the whole process tree (the
RUSAGE_CHILDREN delta around it, or the /proc samples when a descendant was not waited for and the samples say
more); peak memory, sampled every 0.1 s, two ways: the largest sum of PSS over the tree ("peak MiB", what the
ratios use: each shared page is split among the processes that map it, so a library or a forked worker's
inherited heap is counted once, as the machine holds it) and the largest sum of RSS ("RSS MiB": every shared page
counted again in each process that maps it; for a one-process tool the two are nearly equal). Beside the peak,
the detail lines give the PSS sum that 95% of the samples stay at or below, and the median: one sample's peak moves
by about 50 MiB between runs of the same code, with the largest page a worker happens to hold. Every sample is
written to the tool's <log>.rss.tsv in the work dir: seconds, total PSS MiB, total RSS MiB, then each process's
PSS MiB and command, so `--keep` leaves the time profile of the peak. A sample during which a process of the tool
ended (its seconds marked `*`) is left out of the peak and the percentiles: its processes are read one after the
other, and the shares of an exiting process's shared pages are counted twice (in it, and in the survivors read
after it): the PSS sum jumped by 100-230 MiB for that one sample while the RSS sum stayed flat. One small unmeasured warm-up run per tool
goes first (Prefect migrates its database on first use, caches are filled), `--no-warmup` skips it.

Quality, against the corpus truth, for the pages the tool stored (a page it did not store counts as empty):
body F1 with the Article Extraction Benchmark metric (bench/extraction_eval.py) on the extraction/ and
readability/ pages; trafilatura-eval's snippet F1; title exact match (whitespace and case collapsed) on
readability/ and trafilatura-eval/; publication day accuracy (bench/dates_eval.py's rule) on every page whose
set gives a day. The same figures over the pages every tool stored follow, then talkwatch/peer ratios.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import html as htmllib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from w3lib.encoding import html_to_unicode  # noqa: E402

from dates_eval import right as day_right  # noqa: E402
from extraction_eval import summarise, tp_fp_fn  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "talkwatch-bench"
SETS = ("extraction", "dates", "readability", "trafilatura-eval", "htmldate-default")
TOOLS = ("talkwatch", "news-please", "newspaper4k")
MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLK_TCK = os.sysconf("SC_CLK_TCK")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}$")


# -- the corpus ---------------------------------------------------------------------------------------------

@dataclass
class Page:
    key: str  # "<set>/<id>"
    set: str
    file: Path
    orig_url: str | None
    host: str
    body_truth: str | None = None  # AEB-scored body (extraction/, readability/)
    snippets: tuple[list[str], list[str]] | None = None  # trafilatura-eval: (with, without)
    title_truth: str | None = None
    day_scored: bool = False
    day_truth: str | None = None
    listed_time: str | None = None  # what the feed and sitemap say: an ISO time or a day
    body: bytes = b""
    charset: str = "utf-8"
    html_title: str | None = None
    outlet: int = -1
    path: str = ""
    url: str = ""


def _host(url: str | None, fallback: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.lower()
    return host[4:] if host.startswith("www.") else (host or fallback)


def _day(value: object) -> str | None:
    if isinstance(value, str) and _DAY.match(value.strip()[:10]) and value.strip() not in ("None", "null"):
        try:
            datetime.strptime(value.strip()[:10], "%Y-%m-%d")
        except ValueError:
            return None
        return value.strip()[:10]
    return None


def _listify(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            out = ast.literal_eval(value)
            return [str(v) for v in out] if isinstance(out, (list, tuple)) else []
        except (ValueError, SyntaxError):
            return []
    return []


def load_corpus(base: Path) -> list[Page]:
    pages: list[Page] = []
    truth = json.loads((base / "extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    for pid, t in truth.items():
        pages.append(Page(f"extraction/{pid}", "extraction", base / "extraction" / "html" / f"{pid}.html.gz",
                          t.get("url"), _host(t.get("url"), f"x{pid[:6]}"), body_truth=t.get("articleBody", "")))
    for set_name in ("dates", "htmldate-default"):
        truth = json.loads((base / set_name / "truth.json").read_text(encoding="utf-8"))
        for url, t in truth.items():
            day = t.get("date")
            pages.append(Page(f"{set_name}/{t['file']}", set_name, base / set_name / "html" / t["file"], url,
                              _host(url, t["file"]), day_scored=True, day_truth=_day(day) if day else None,
                              listed_time=_day(day) if day else None))
    truth = json.loads((base / "readability" / "truth.json").read_text(encoding="utf-8"))
    for name, t in truth.items():
        published = t.get("published")
        published = published if isinstance(published, str) and published not in ("None", "") else None
        site = t.get("site_name") if t.get("site_name") not in (None, "None", "") else None
        day = _day(published) if published else None
        pages.append(Page(f"readability/{name}", "readability", base / "readability" / "html" / f"{name}.html.gz",
                          None, re.sub(r"[^a-z0-9]+", "-", (site or f"readability-{name}").lower()).strip("-"),
                          body_truth=t.get("text") or "", title_truth=t.get("title") or None,
                          day_scored=day is not None, day_truth=day, listed_time=published if day else None))
    truth = json.loads((base / "trafilatura-eval" / "truth.json").read_text(encoding="utf-8"))
    for name, t in truth.items():
        day = _day(t.get("date"))
        pages.append(Page(f"trafilatura-eval/{name}", "trafilatura-eval", base / "trafilatura-eval" / "html" / name,
                          t.get("url"), _host(t.get("url"), name[:8]),
                          snippets=(_listify(t.get("with")), _listify(t.get("without"))),
                          title_truth=t.get("title") or None, day_scored=day is not None, day_truth=day,
                          listed_time=day))
    return pages


def choose(pages: list[Page], n: int) -> list[Page]:
    """The first n pages in a fixed pseudo-random order (a hash of the key): every set in its share."""
    ordered = sorted(pages, key=lambda p: hashlib.sha1(p.key.encode()).hexdigest())
    return ordered[:n] if n else ordered


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def read_pages(pages: list[Page]) -> None:
    for p in pages:
        p.body = gzip.decompress(p.file.read_bytes())
        encoding, text = html_to_unicode(None, p.body)
        p.charset = encoding
        m = _TITLE.search(text)
        if m:
            p.html_title = " ".join(htmllib.unescape(m.group(1)).split())[:300] or None


def pack(pages: list[Page], outlets: int) -> list[list[Page]]:
    """Hosts (largest first) onto the outlet with the fewest pages so far: one host never spans two outlets."""
    by_host: dict[str, list[Page]] = {}
    for p in pages:
        by_host.setdefault(p.host, []).append(p)
    bins: list[list[Page]] = [[] for _ in range(max(1, min(outlets, len(by_host))))]
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        target = min(range(len(bins)), key=lambda i: (len(bins[i]), i))
        bins[target].extend(by_host[host])
    return bins


def served_path(p: Page, taken: set[str]) -> str:
    if p.orig_url:
        parts = urlsplit(p.orig_url)
        raw = unquote(parts.path or "/") + (("/" + unquote(parts.query)) if parts.query else "")
    else:
        raw = f"/{p.key.split('/', 1)[1]}"
    clean = re.sub(r"[^A-Za-z0-9/._-]+", "-", raw)
    clean = re.sub(r"/{2,}", "/", clean).strip("/")[:180] or "index"
    path = f"/{re.sub(r'[^a-z0-9.-]+', '-', p.host)}/{clean}"
    n, out = 1, path
    while out in taken:
        n += 1
        out = f"{path}-{n}"
    taken.add(out)
    return out


# -- the loopback web ---------------------------------------------------------------------------------------

def _rfc822(value: str) -> str:
    if _DAY.match(value):
        dt = datetime.strptime(value, "%Y-%m-%d").replace(hour=12, tzinfo=timezone.utc)
        return format_datetime(dt, usegmt=True)
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc))


def _w3c(value: str) -> str:
    if _DAY.match(value):
        return value
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).isoformat()


class Outlet:
    """One fake news site on its own loopback address."""

    def __init__(self, index: int, pages: list[Page], host: str, port: int, listing_dates: bool):
        self.index, self.pages, self.host = index, pages, host
        self.name = f"outlet{index:03d}"
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        outlet = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                path = unquote(urlsplit(self.path).path or "/")
                with outlet.lock:
                    outlet.hits[path] += 1
                answer = outlet.routes.get(path)
                status, ctype, body = (200, *answer) if answer else (404, "text/plain", b"not found")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            do_GET = _serve
            do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request: object, client_address: object) -> None:
                if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                    super().handle_error(request, client_address)

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://{host}" + ("" if self.port == 80 else f":{self.port}")
        taken: set[str] = set()
        self.routes: dict[str, tuple[str, bytes]] = {}
        for p in pages:
            p.outlet, p.path = index, served_path(p, taken)
            p.url = self.base + p.path
            self.routes[p.path] = (f"text/html; charset={p.charset}", p.body)
        self.feed, self.sitemap = self.base + "/rss.xml", self.base + "/sitemap.xml"
        self.routes["/robots.txt"] = ("text/plain", f"User-agent: *\nDisallow:\n\nSitemap: {self.sitemap}\n".encode())
        items, urls, links = [], [], []
        for p in pages:
            when = p.listed_time if listing_dates else None
            title = escape(p.html_title or p.path.rsplit("/", 1)[-1])
            items.append(f"<item><title>{title}</title><link>{escape(p.url)}</link>"
                         f"<guid isPermaLink=\"true\">{escape(p.url)}</guid>"
                         + (f"<pubDate>{_rfc822(when)}</pubDate>" if when else "") + "</item>")
            urls.append(f"<url><loc>{escape(p.url)}</loc>" + (f"<lastmod>{_w3c(when)}</lastmod>" if when else "")
                        + "</url>")
            links.append(f'<li><a href="{escape(p.path)}">{title}</a></li>')
        self.routes["/rss.xml"] = ("application/rss+xml; charset=utf-8", (
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
            f"<title>{self.name}</title><link>{self.base}/</link><description>bench outlet</description>"
            + "".join(items) + "</channel></rss>").encode())
        self.routes["/sitemap.xml"] = ("application/xml; charset=utf-8", (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(urls) + "</urlset>").encode())
        self.routes["/"] = ("text/html; charset=utf-8", (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{self.name}</title>'
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
            f"<body><h1>{self.name}</h1><ul>" + "".join(links) + "</ul></body></html>").encode())
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def page_hits(self) -> int:
        with self.lock:
            return sum(n for path, n in self.hits.items() if path in self.routes and path.count("/") > 1)


def loopback_ip(index: int, block: int) -> str:
    return f"127.42.{block + index // 250}.{index % 250 + 1}"


class Web:
    def __init__(self, bins: list[list[Page]], port: int, listing_dates: bool, block: int = 0):
        self.outlets: list[Outlet] = []
        try:
            for i, pages in enumerate(bins):
                self.outlets.append(Outlet(i, pages, loopback_ip(i, block), port, listing_dates))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for o in self.outlets:
            o.stop()
        self.outlets = []

    def reset_hits(self) -> None:
        for o in self.outlets:
            with o.lock:
                o.hits.clear()

    def hits(self) -> tuple[int, int]:
        """(article page requests, robots.txt requests) since the last reset."""
        return sum(o.page_hits() for o in self.outlets), sum(o.hits["/robots.txt"] for o in self.outlets)


# -- measuring a process tree -------------------------------------------------------------------------------

@dataclass
class Measure:
    returncode: int | None
    wall: float
    cpu: float
    cpu_rusage: float
    cpu_sampled: float
    peak_rss: int  # the largest sum of RSS
    peak_pss: int  # the largest sum of PSS
    leftovers: int
    timed_out: bool
    at_peak: list[tuple[int, str]] = field(default_factory=list)  # (pss, command) of each process at the PSS peak
    leftover_cmds: list[str] = field(default_factory=list)
    pss_samples: list[int] = field(default_factory=list)  # the sum of PSS at every sample, in time order

    def pss_quantile(self, q: float) -> int:
        """The sum of PSS that a share `q` of the samples stay at or below: steadier than the peak, one 0.1 s
        sample that a worker's largest page can move by 50 MiB from run to run."""
        if not self.pss_samples:
            return 0
        ordered = sorted(self.pss_samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cmd(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            parts = fh.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return "?"
    short = [Path(parts[0]).name] + [a if len(a) < 40 else "..." + a[-37:] for a in parts[1:4] if a]
    return " ".join(short)


def _pss(pid: int, rss: int) -> int:
    """The proportional set size of `pid` in bytes (its RSS where the kernel has no smaps_rollup)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss


class _Proc(NamedTuple):
    pid: int
    rss: int  # bytes
    cpu: float  # its own cpu seconds
    state: str  # /proc/<pid>/stat's state letter


def _live(procs: list[_Proc]) -> set[int]:
    """The processes that are running (not exiting, not zombies)."""
    return {p.pid for p in procs if p.state not in "ZXx"}


def _session_procs(sid: int) -> list[_Proc]:
    """Every process of session `sid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("latin-1")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[3]) != sid:  # fields[0] is the state (field 3 of stat); session is field 6
            continue
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # its own utime + stime
        out.append(_Proc(int(entry), int(fields[21]) * PAGE_SIZE, cpu, fields[0]))
    return out


def run_measured(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float,
                 out: Path | None = None) -> Measure:
    """Run `cmd` in a session of its own; stderr (and stdout unless `out` is given) go to `log`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log, "wb") as fh, open(out or os.devnull, "wb") as fo:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fo if out else fh,
                                stderr=fh, start_new_session=True)
    peak, peak_pss, cpu_seen, at_peak, names, pss_samples = 0, 0, {}, [], {}, []
    stop = threading.Event()
    samples = open(log.with_suffix(".rss.tsv"), "w", encoding="utf-8")  # the time profile (kept with --keep)

    def sample() -> None:
        nonlocal peak, peak_pss, at_peak
        while not stop.is_set():
            procs = _session_procs(proc.pid)
            total = sum(p.rss for p in procs)
            pss = {p.pid: _pss(p.pid, p.rss) for p in procs}
            total_pss = sum(pss.values())
            # PSS splits a shared page among the processes that map it at the moment it is read, and the
            # processes are read one after another: when one of them exits meanwhile (a worker replaced, the
            # fork server stopped), the survivors read after it take over its shares that were counted in it
            # already, and the sum jumps by 100-230 MiB for one sample while the RSS sum stays flat (a sum of
            # PSS cannot rise without new pages, which would raise RSS too). Such a sample is not counted.
            steady = _live(_session_procs(proc.pid)) == _live(procs)
            if procs and steady:
                pss_samples.append(total_pss)
            peak = max(peak, total)
            if steady and total_pss > peak_pss:
                peak_pss, at_peak = total_pss, [(pss[p.pid], p.pid) for p in procs]
            for pid, _, cpu, _ in procs:
                cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), cpu)
                if pid not in names:
                    names[pid] = _cmd(pid)
            samples.write(f"{time.monotonic() - started:.1f}{'' if steady else '*'}\t{total_pss / MIB:.0f}\t"
                          f"{total / MIB:.0f}\t" + "\t".join(
                f"{pss[pid] / MIB:.0f} {names.get(pid, '?')}" for pid, _, _, _ in sorted(procs)) + "\n")
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    samples.close()
    left = _session_procs(proc.pid)
    leftovers, leftover_cmds = len(left), [_cmd(p.pid) for p in left]
    if leftovers:  # a descendant outlived the tool: end it (it is ours, by its session's process group)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(1)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_r = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # the samples miss what ran after the last one and processes shorter than 0.1 s, but they also see a
    # descendant nobody waited for, which RUSAGE_CHILDREN never does: the larger of the two is used
    cpu_s = sum(cpu_seen.values())
    return Measure(None if timed_out else proc.returncode, wall, max(cpu_r, cpu_s), cpu_r, cpu_s, peak, peak_pss,
                   leftovers, timed_out, sorted(((rss, names.get(pid, "?")) for rss, pid in at_peak), reverse=True),
                   leftover_cmds, pss_samples)


# -- the tools ----------------------------------------------------------------------------------------------

@dataclass
class Stored:
    title: str | None
    text: str
    day: str | None


@dataclass
class ToolRun:
    name: str
    ok: bool
    reason: str = ""
    measure: Measure | None = None
    stored: dict[str, Stored] = field(default_factory=dict)  # served URL -> what the tool stored
    page_requests: int = 0
    robots_requests: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Politeness:
    delay: float
    per_domain: int
    concurrency: int


def _tail(path: Path, n: int = 12) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in lines[-n:])


def _toml_str(s: str) -> str:
    return json.dumps(s)


def talkwatch_files(web: Web, work: Path) -> tuple[Path, Path]:
    sources = work / "sources.toml"
    lines = []
    for o in web.outlets:
        lines += ["[[source]]", f"name = {_toml_str(o.name)}", f"feeds = [{_toml_str(o.feed)}]",
                  f"sitemaps = [{_toml_str(o.sitemap)}]", f"max_pages = {len(o.pages) + 10}", ""]
    sources.write_text("\n".join(lines), encoding="utf-8")
    topic = work / "topic.toml"
    topic.write_text('name = "bench-every-page"\nkeep_all = true\n\n[terms]\nen = ["news"]\n', encoding="utf-8")
    return sources, topic


def run_talkwatch(web: Web, work: Path, pol: Politeness, timeout: float) -> ToolRun:
    work.mkdir(parents=True, exist_ok=True)
    sources, topic = talkwatch_files(web, work)
    db = work / "talkwatch.duckdb"
    exe = Path(sys.executable).with_name("talkwatch")
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "pipelines.cli"]),
           "run", "--sources", str(sources), "--topic", str(topic), "--db", str(db), "--json",
           "-s", f"DOWNLOAD_DELAY={pol.delay}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={pol.per_domain}",
           "-s", f"CONCURRENT_REQUESTS={pol.concurrency}", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "ROBOTSTXT_OBEY=True"]
    env = dict(os.environ, PREFECT_HOME=str(CACHE / "prefect-home"))
    env.pop("TALKWATCH_DB", None)
    log, out = work / "talkwatch.log", work / "talkwatch.json"
    m = run_measured(cmd, cwd=REPO, env=env, log=log, timeout=timeout, out=out)
    run = ToolRun("talkwatch", ok=m.returncode == 0, measure=m)
    if not run.ok:
        run.reason = f"talkwatch run exited with {m.returncode}" + (" (timed out)" if m.timed_out else "") + \
            f"; log {log}:\n{_tail(log)}"
        return run
    from storage.db import connect

    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT url, title, text, published_local, published_precision FROM articles").fetchall()
    finally:
        con.close()
    for url, title, text, local, precision in rows:
        run.stored[url] = Stored(title, text or "", local[:10] if local and precision != "none" else None)
    try:
        summary = json.loads(out.read_text(encoding="utf-8"))
        run.notes.append("load: " + json.dumps(summary["counts"].get("load", {})))
        run.notes.append("clean: " + json.dumps(summary["counts"].get("clean", {})))
    except (ValueError, KeyError):
        pass
    return run


# newspaper4k's language extras: without them it raises ImportError on every Japanese, Chinese, Arabic or Korean
# page (news-please parses with newspaper4k too); Thai and the Indic languages' extras are left out (heavy).
PEER_PACKAGES = ["news-please", "newspaper4k[nlp,ja,zh]"]


def ensure_venv(venv: Path, log: Path) -> tuple[Path | None, str]:
    """The peers' virtualenv with news-please and newspaper4k, created on first use; (python, why not)."""
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import newsplease, newspaper, nltk, tinysegmenter, jieba"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py, ""
    base = getattr(sys, "_base_executable", sys.executable)
    with open(log, "ab") as fh:
        if not py.exists():
            r = subprocess.run([base, "-m", "venv", str(venv)], stdout=fh, stderr=subprocess.STDOUT)
            if r.returncode:
                return None, f"python -m venv failed (log {log})"
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], stdout=fh,
                       stderr=subprocess.STDOUT)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], stdout=fh,
                           stderr=subprocess.STDOUT)
    if r.returncode:
        return py, f"pip install {' '.join(PEER_PACKAGES)} failed (log {log}):\n{_tail(log)}"
    return py, ""


def _can_import(py: Path, module: str) -> str:
    r = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True, text=True)
    return "" if r.returncode == 0 else (r.stderr.strip().splitlines() or ["import failed"])[-1]


def newsplease_config(py: Path, web: Web, work: Path, pol: Politeness) -> Path:
    """config.cfg = the package's own defaults with our working path and politeness; sitelist = the outlets."""
    src = subprocess.run([str(py), "-c", "import newsplease, os; print(os.path.dirname(newsplease.__file__))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    text = (Path(src) / "config" / "config.cfg").read_text(encoding="utf-8")
    cfg_dir = work / "config"
    cfg_dir.mkdir(parents=True, exist_ok=True)
    data = work / "repo"

    def setting(pattern: str, value: str, text: str) -> str:
        new, n = re.subn(pattern, value, text, count=1, flags=re.M)
        if n != 1:
            raise RuntimeError(f"news-please config.cfg has no line matching {pattern!r}")
        return new

    text = setting(r"^working_path\s*=.*$", f"working_path = {data}/", text)
    text = setting(r"^CONCURRENT_REQUESTS_PER_DOMAIN\s*=.*$",
                   f"CONCURRENT_REQUESTS_PER_DOMAIN={pol.per_domain}\nDOWNLOAD_DELAY={pol.delay}\n"
                   "AUTOTHROTTLE_ENABLED=False", text)
    text = setting(r"^CONCURRENT_REQUESTS\s*=.*$", f"CONCURRENT_REQUESTS={pol.concurrency}", text)
    text = setting(r"^ROBOTSTXT_OBEY\s*=.*$", "ROBOTSTXT_OBEY=True", text)
    text = setting(r"^(extractors\s*=.*)'newspaper_extractor'", r"\1'newspaper_extractor_no_images'", text)
    (cfg_dir / "config.cfg").write_text(text, encoding="utf-8")
    (cfg_dir / "sitelist.hjson").write_text(json.dumps(
        {"base_urls": [{"url": o.base + "/"} for o in web.outlets]}, indent=1), encoding="utf-8")
    return cfg_dir


def run_newsplease(py: Path, web: Web, work: Path, pol: Politeness, timeout: float) -> ToolRun:
    work.mkdir(parents=True, exist_ok=True)
    try:
        cfg_dir = newsplease_config(py, web, work, pol)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        return ToolRun("news-please", ok=False, reason=f"could not write its config: {exc}")
    log = work / "news-please.log"
    cmd = [str(py.with_name("news-please")), "-c", str(cfg_dir), "-no-confirm"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{py.parent}:{env.get('PATH', '')}"
    m = run_measured(cmd, cwd=work, env=env, log=log, timeout=timeout)
    run = ToolRun("news-please", ok=m.returncode == 0, measure=m)
    files = sorted((work / "repo").rglob("*.json"))
    for f in files:
        try:
            a = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if a.get("url"):
            run.stored[a["url"]] = Stored(a.get("title"), a.get("maintext") or "", _day(a.get("date_publish") or ""))
    if not run.ok:
        run.reason = f"news-please exited with {m.returncode}" + (" (timed out)" if m.timed_out else "") + \
            f"; log {log}:\n{_tail(log)}"
        run.ok = bool(run.stored)  # what it stored before failing still counts, flagged
    errors = sum(1 for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
                 if "Traceback" in line or "|ERROR]" in line)
    if errors:
        run.notes.append(f"{errors} error/traceback lines in {log}")
    return run


NEWSPAPER_DRIVER = r'''
# Download every URL an outlet's feed lists with newspaper4k, politely, and parse them (run by bench/peers.py).
# Downloads run in threads (per outlet `per_domain` at a time, `delay` apart, `concurrency` overall); parsing is
# done one article at a time in the main thread, as newspaper4k's own news_pool leaves it (parsing in several
# threads at once crashed the interpreter here: "double free or corruption").
import json, queue, random, sys, threading, time, urllib.robotparser
import tldextract
# newspaper4k asks tldextract, which would fetch the public suffix list from the internet first: use the
# snapshot tldextract ships, so that the driver touches loopback only
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
import feedparser
import requests
from newspaper import Article, Config

job = json.load(open(sys.argv[1]))
UA = "newspaper4k-bench/1.0"
cfg = Config()
cfg.fetch_images = False
cfg.memoize_articles = False
cfg.request_timeout = 30
cfg.browser_user_agent = UA
in_flight = threading.BoundedSemaphore(job["concurrency"])
downloaded = queue.Queue()
counts = {"stored": 0, "failed": 0, "robots_refused": 0}
lock = threading.Lock()


class Slot:
    def __init__(self):
        self.sem = threading.BoundedSemaphore(job["per_domain"])
        self.lock = threading.Lock()
        self.next_at = 0.0

    def wait_turn(self):
        with self.lock:
            now = time.monotonic()
            if self.next_at > now:
                time.sleep(self.next_at - now)
            self.next_at = time.monotonic() + job["delay"] * random.uniform(0.5, 1.5)


def polite(slot, fn):
    with slot.sem:
        slot.wait_turn()
        with in_flight:
            return fn()


def failed(url, exc):
    with lock:
        counts["failed"] += 1
    print(f"failed {url}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)


def outlet(o):
    slot = Slot()
    robots = urllib.robotparser.RobotFileParser()
    try:
        r = polite(slot, lambda: requests.get(o["base"] + "/robots.txt", headers={"User-Agent": UA}, timeout=30))
        robots.parse(r.text.splitlines() if r.status_code == 200 else [])
    except Exception:
        robots.parse([])
    try:
        feed = feedparser.parse(polite(slot, lambda: requests.get(o["feed"], headers={"User-Agent": UA},
                                                                  timeout=30)).content)
    except Exception as exc:
        failed(o["feed"], exc)
        return
    todo = iter([e.link for e in feed.entries if getattr(e, "link", None)])
    todo_lock = threading.Lock()

    def worker():
        while True:
            with todo_lock:
                url = next(todo, None)
            if url is None:
                return
            if not robots.can_fetch(UA, url):
                with lock:
                    counts["robots_refused"] += 1
                continue
            a = Article(url, config=cfg)
            try:
                polite(slot, a.download)
            except Exception as exc:
                failed(url, exc)
                continue
            downloaded.put(a)

    threads = [threading.Thread(target=worker) for _ in range(job["per_domain"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def crawl():
    threads = [threading.Thread(target=outlet, args=(o,)) for o in job["outlets"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    downloaded.put(None)


threading.Thread(target=crawl).start()
with open(job["out"], "w", encoding="utf-8") as out:
    while (a := downloaded.get()) is not None:
        try:
            a.parse()
        except Exception as exc:
            failed(a.url, exc)
            continue
        out.write(json.dumps({"url": a.url, "title": a.title, "text": a.text,
                              "publish_date": a.publish_date.isoformat() if a.publish_date else None},
                             ensure_ascii=False) + "\n")
        counts["stored"] += 1
print(json.dumps(counts))
'''


def run_newspaper(py: Path, web: Web, work: Path, pol: Politeness, timeout: float) -> ToolRun:
    work.mkdir(parents=True, exist_ok=True)
    driver = work / "newspaper_driver.py"
    driver.write_text(NEWSPAPER_DRIVER, encoding="utf-8")
    out = work / "articles.jsonl"
    job = work / "job.json"
    job.write_text(json.dumps({"outlets": [{"base": o.base, "feed": o.feed} for o in web.outlets], "out": str(out),
                               "delay": pol.delay, "per_domain": pol.per_domain,
                               "concurrency": pol.concurrency}), encoding="utf-8")
    log = work / "newspaper4k.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    m = run_measured([str(py), str(driver), str(job)], cwd=work, env=env, log=log, timeout=timeout)
    run = ToolRun("newspaper4k", ok=m.returncode == 0, measure=m)
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            run.stored[a["url"]] = Stored(a.get("title"), a.get("text") or "", _day(a.get("publish_date") or ""))
    if not run.ok:
        run.reason = f"driver exited with {m.returncode}" + (" (timed out)" if m.timed_out else "") + \
            f"; log {log}:\n{_tail(log)}"
        run.ok = bool(run.stored)
    else:
        run.notes.append("driver: " + (log.read_text(encoding="utf-8").strip().splitlines() or [""])[-1])
    return run


# -- scoring ------------------------------------------------------------------------------------------------

def _norm_title(t: str | None) -> str:
    return " ".join((t or "").split()).casefold()


def _collapse(t: str) -> str:
    return " ".join(t.split())


@dataclass
class Scores:
    stored: int
    body: tuple[float, float, float]
    body_n: int
    snippet: tuple[float, float, float]
    snippet_n: int
    title: float
    title_n: int
    day: float
    day_n: int


def score(pages: list[Page], stored: dict[str, Stored]) -> Scores:
    rows, tp, fp, fn = [], 0, 0, 0
    snip_n = title_ok = title_n = day_ok = day_n = 0
    for p in pages:
        s = stored.get(p.url)
        if p.body_truth is not None:
            rows.append(tp_fp_fn(p.body_truth, s.text if s else ""))
        if p.snippets is not None and (p.snippets[0] or p.snippets[1]):
            snip_n += 1
            text = _collapse(s.text) if s else ""
            tp += sum(_collapse(w) in text for w in p.snippets[0])
            fn += sum(_collapse(w) not in text for w in p.snippets[0])
            fp += sum(_collapse(w) in text for w in p.snippets[1] if _collapse(w))
        if p.title_truth is not None:
            title_n += 1
            title_ok += bool(s) and _norm_title(s.title) == _norm_title(p.title_truth)
        if p.day_scored:
            day_n += 1
            day_ok += day_right(s.day if s else None, p.day_truth)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return Scores(sum(p.url in stored for p in pages), summarise(rows), len(rows),
                  (prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0), snip_n,
                  title_ok / title_n if title_n else 0.0, title_n, day_ok / day_n if day_n else 0.0, day_n)


def report(pages: list[Page], runs: list[ToolRun]) -> None:
    ok = [r for r in runs if r.ok and r.measure]
    print(f"\n== {len(pages)} pages served ==")
    for r in runs:
        if not r.ok:
            print(f"{r.name}: NOT MEASURED: {r.reason}")
        elif r.reason:
            print(f"{r.name}: partial run: {r.reason}")
    if not ok:
        return
    figures: dict[str, dict[str, float]] = {}
    print(f"\n{'tool':<12} {'stored':>7} {'wall s':>7} {'CPU s':>8} {'art/s':>7} {'CPU s/art':>10} {'peak MiB':>9} "
          f"{'RSS MiB':>8} {'body F1':>8} {'snip F1':>8} {'title':>6} {'day':>6}")
    for r in ok:
        m, s = r.measure, score(pages, r.stored)
        assert m is not None
        aps = s.stored / m.wall if m.wall else 0.0
        cpa = m.cpu / s.stored if s.stored else float("inf")
        figures[r.name] = {"articles/s": aps, "CPU s/article": cpa, "peak MiB": m.peak_pss / MIB,
                           "body F1": s.body[2], "snippet F1": s.snippet[2], "title acc": s.title, "day acc": s.day}
        print(f"{r.name:<12} {s.stored:>7} {m.wall:>7.1f} {m.cpu:>8.1f} {aps:>7.2f} {cpa:>10.3f} "
              f"{m.peak_pss / MIB:>9.0f} {m.peak_rss / MIB:>8.0f} {s.body[2]:>8.3f} {s.snippet[2]:>8.3f} "
              f"{s.title:>6.3f} {s.day:>6.3f}")
    s0 = score(pages, {})
    print(f"(pages with truth: body {s0.body_n} [extraction+readability], snippets {s0.snippet_n} "
          f"[trafilatura-eval], title {s0.title_n}, day {s0.day_n}; a page a tool did not store counts as empty)")
    for r in ok:
        m, s = r.measure, score(pages, r.stored)
        print(f"  {r.name}: body P={s.body[0]:.3f} R={s.body[1]:.3f}; snippets P={s.snippet[0]:.3f} "
              f"R={s.snippet[1]:.3f}; article requests {r.page_requests}, robots.txt requests {r.robots_requests}; "
              f"CPU rusage {m.cpu_rusage:.1f} s, /proc samples {m.cpu_sampled:.1f} s"
              + (f"; {m.leftovers} leftover processes ended ({'; '.join(m.leftover_cmds)})" if m.leftovers else ""))
        print("    at the memory peak (PSS): " + ", ".join(f"{v / MIB:.0f} MiB {cmd}" for v, cmd in m.at_peak[:6])
              + (f" (+{len(m.at_peak) - 6} more)" if len(m.at_peak) > 6 else ""))
        print(f"    PSS sum over the run's {len(m.pss_samples)} samples: 95% at or below "
              f"{m.pss_quantile(0.95) / MIB:.0f} MiB, median {m.pss_quantile(0.5) / MIB:.0f} MiB (peak "
              f"{m.peak_pss / MIB:.0f})")
        for note in r.notes:
            print(f"    {note}")

    common_urls = set.intersection(*(set(r.stored) for r in ok))
    common = [p for p in pages if p.url in common_urls]
    print(f"\nquality on the {len(common)} pages every measured tool stored:")
    print(f"{'tool':<12} {'body F1':>8} {'(n)':>5} {'snip F1':>8} {'(n)':>5} {'title':>6} {'(n)':>5} "
          f"{'day':>6} {'(n)':>5}")
    for r in ok:
        s = score(common, r.stored)
        print(f"{r.name:<12} {s.body[2]:>8.3f} {s.body_n:>5} {s.snippet[2]:>8.3f} {s.snippet_n:>5} "
              f"{s.title:>6.3f} {s.title_n:>5} {s.day:>6.3f} {s.day_n:>5}")

    if "talkwatch" in figures and len(figures) > 1:
        lower_better = {"CPU s/article", "peak MiB"}
        peers = [n for n in figures if n != "talkwatch"]
        print("\nratios talkwatch/peer (ahead = higher is better, except CPU s/article and peak MiB: lower):")
        print(f"{'figure':<15}" + "".join(f"{p:>22}" for p in peers))
        for fig in figures["talkwatch"]:
            cells = []
            for p in peers:
                a, b = figures["talkwatch"][fig], figures[p][fig]
                ratio = a / b if b else float("inf")
                ahead = (a < b) if fig in lower_better else (a > b)
                cells.append(f"{ratio:>12.2f} {'ahead' if ahead else 'BEHIND':>9}")
            print(f"{fig:<15}" + "".join(f"{c:>22}" for c in cells))


# -- main ---------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--outlets", type=int, default=36, help="fake outlets (default 36)")
    ap.add_argument("--pages", type=int, default=0, help="use only N corpus pages (default: all)")
    ap.add_argument("--delay", type=float, default=1.0, help="seconds between requests to one outlet (default 1)")
    ap.add_argument("--per-domain", type=int, default=2, help="requests at a time per outlet (default 2)")
    ap.add_argument("--concurrency", type=int, default=16, help="requests at a time overall (default 16)")
    ap.add_argument("--port", type=int, default=80, help="port of every outlet (default 80; 0: one OS-chosen port "
                    "each, which news-please's offsite filter refuses)")
    ap.add_argument("--listing-dates", choices=("truth", "none"), default="truth",
                    help="feed pubDate / sitemap lastmod: the truth's time where known (default) or none at all")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--venv", type=Path, default=CACHE / "peers-venv")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per tool run before it is killed")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases, outputs)")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    pol = Politeness(args.delay, args.per_domain, args.concurrency)
    CACHE.mkdir(parents=True, exist_ok=True)

    pages = choose(load_corpus(args.corpus), args.pages)
    read_pages(pages)
    bins = pack(pages, args.outlets)
    work = Path(tempfile.mkdtemp(prefix="talkwatch-peers-"))
    print(f"{len(pages)} pages ({dict(Counter(p.set for p in pages))}) on {len(bins)} outlets "
          f"({min(map(len, bins))}-{max(map(len, bins))} pages each); politeness: {pol.per_domain} per outlet, "
          f"{pol.delay} s delay, {pol.concurrency} overall, robots.txt obeyed; listing dates: {args.listing_dates}; "
          f"work dir {work}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", flush=True)

    py, why = (None, "")
    if {"news-please", "newspaper4k"} & set(tools):
        t0 = time.monotonic()
        py, why = ensure_venv(args.venv, CACHE / "peers-venv-install.log")
        print(f"peers' virtualenv {args.venv}: " + (why or f"ready ({time.monotonic() - t0:.0f} s)"), flush=True)

    runners = {
        "talkwatch": lambda w, d: run_talkwatch(w, d, pol, args.timeout),
        "news-please": lambda w, d: run_newsplease(py, w, d, pol, args.timeout),
        "newspaper4k": lambda w, d: run_newspaper(py, w, d, pol, args.timeout),
    }
    runs: list[ToolRun] = []
    web = None
    try:
        for name in tools:
            if name != "talkwatch":
                module = "newsplease" if name == "news-please" else "newspaper"
                blocker = why or (_can_import(py, module) if py else "no virtualenv")
                if blocker:
                    runs.append(ToolRun(name, ok=False, reason=f"cannot be run here: {blocker}"))
                    print(f"{name}: skipped: {blocker}", flush=True)
                    continue
            if not args.no_warmup:
                warm = Web(pack(pages[:3], 1), args.port, args.listing_dates == "truth", block=100)
                try:
                    t0 = time.monotonic()
                    w = runners[name](warm, work / f"warmup-{name}")
                    print(f"{name}: warm-up run {'ok' if w.ok else 'FAILED'} ({time.monotonic() - t0:.0f} s, "
                          f"{len(w.stored)} stored)" + ("" if w.ok else f": {w.reason}"), flush=True)
                finally:
                    warm.stop()
            web = Web(bins, args.port, args.listing_dates == "truth")
            try:
                run = runners[name](web, work / name)
                run.page_requests, run.robots_requests = web.hits()
            finally:
                web.stop()
            runs.append(run)
            m = run.measure
            print(f"{name}: {'ok' if run.ok else 'FAILED'}" + (f", {len(run.stored)} stored, {m.wall:.0f} s wall, "
                  f"{m.cpu:.0f} s CPU" if m else "") + (f" ({run.reason.splitlines()[0]})" if run.reason else "")
                  + f"; load average now {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if web is not None:
            web.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(pages, runs)
    if args.keep:
        print(f"\nwork dir kept: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
