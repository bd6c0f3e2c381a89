"""Crawl-side faults that were reported wrongly or asked for too often: each a small real crawl on loopback.

- a robots.txt that cannot be fetched at all (reset, timeout, DNS) stops its host for the run, as a 5xx one does;
- a page whose connection is reset is asked for at most 1 + RETRY_TIMES times in a run;
- a header line too long for the HTTP parser is named as such, not as "closed by the server".
"""

from __future__ import annotations

import json
import socket
import struct
import time

from tests.loopback import LoopbackServer, Raw, RequestInfo
from tests.test_spider import HTML, _one_source, page, rss, run_crawl

UNAVAILABLE_TAIL = "): not fetched, tried again in the next run"


def _reset(sock: socket.socket) -> None:
    """Close without answering, with SO_LINGER 0: the client gets a TCP RST."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _huge_header_line(sock: socket.socket) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: s=" + b"a" * 200_000
                 + b"\r\nContent-Length: 5\r\n\r\nhello")


def _many_header_lines(sock: socket.socket) -> None:
    """A 200 KB header block of short lines: unusual, but every line is readable, so the page loads."""
    lines = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"a" * 100) for n in range(2000))
    body = page("Many headers")
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + lines
                 + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _endless_header_lines(sock: socket.socket) -> None:
    """Short, readable header lines that never end (50 MB of them, then the server gives up and closes)."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
    block = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"a" * 200) for n in range(5000))
    try:
        for _ in range(50_000_000 // len(block)):
            sock.sendall(block)
    except OSError:  # the client gave up reading
        pass


def _slow_robots(_: RequestInfo):
    time.sleep(3)
    return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"


def _robots_world(srv: LoopbackServer) -> None:
    srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, rss([("/a/1", "One")])))
    srv.route("/a/1", (200, HTML, page("One")))


# --- 1. robots.txt that could not be fetched -----------------------------------------------------------------


def test_a_robots_txt_reset_by_the_server_stops_the_host_for_this_run(tmp_path):
    """It used to mean allow-all (Scrapy's default): the host was crawled without its rules being known."""
    with LoopbackServer() as srv:
        _robots_world(srv)
        srv.route("/robots.txt", Raw(_reset))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
        assert [(i["kind"], i["outcome"]) for i in items] == [("listing", "failed")]
        assert items[0]["reason"] == ("robots.txt unavailable (connection lost: closed or reset by the server before a "
                                      "complete response" + UNAVAILABLE_TAIL)
        assert srv.hits("/feed.xml") == 0 and srv.hits("/a/1") == 0


def test_a_robots_txt_timing_out_stops_the_host_for_this_run(tmp_path):
    with LoopbackServer() as srv:
        _robots_world(srv)
        srv.route("/robots.txt", _slow_robots)
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True", "DOWNLOAD_TIMEOUT": "1"})
        assert [(i["kind"], i["outcome"], i["reason"]) for i in items] == [
            ("listing", "failed", "robots.txt unavailable (timeout after 1 s" + UNAVAILABLE_TAIL)]
        assert srv.hits("/feed.xml") == 0


def test_a_robots_txt_whose_host_does_not_resolve_fails_the_listing_with_the_dns_reason(tmp_path):
    items = run_crawl(tmp_path, _one_source(tmp_path, feeds=["http://outlet.invalid/feed.xml"]),
                      settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
    assert [(i["kind"], i["outcome"], i["reason"]) for i in items] == [
        ("listing", "failed", "robots.txt unavailable (DNS lookup failed for outlet.invalid" + UNAVAILABLE_TAIL)]


def _robots_over_the_cap(chunked: bool):
    """A robots.txt of 11.7 MB, over the 10 MB download cap, whose first line forbids everything."""
    body = b"User-agent: *\nDisallow: /\n" + b"# filler line\n" * 900_000

    def write(sock: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        try:
            if chunked:
                sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
                for at in range(0, len(body), 65536):
                    part = body[at:at + 65536]
                    sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                sock.sendall(b"0\r\n\r\n")
            else:
                sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:  # the client stopped reading
            pass
    return Raw(write)


def _assert_robots_disallows_all(tmp_path, robots_route, case) -> None:
    """A crawl of one source whose robots.txt answers `robots_route` (its first line `Disallow: /`): the listing
    fails as disallowed and is never asked for."""
    with LoopbackServer() as srv:
        _robots_world(srv)
        srv.route("/robots.txt", robots_route)
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
        assert [(i["kind"], i["outcome"], i["reason"]) for i in items] == [
            ("listing", "failed", "robots.txt disallows")], case
        assert srv.hits("/feed.xml") == 0


def test_a_robots_txt_over_the_size_cap_is_obeyed_from_its_first_500_kib(tmp_path):
    """Its download was cancelled at the 10 MB cap and Scrapy took that as "no robots.txt": its `Disallow: /` was
    not obeyed and the host was crawled. It is read as search engines read one, up to the first 500 KiB."""
    for chunked in (False, True):
        _assert_robots_disallows_all(tmp_path, _robots_over_the_cap(chunked), chunked)


def test_a_compressed_robots_txt_over_the_size_cap_is_obeyed_from_its_first_500_kib(tmp_path):
    """12 KB on the wire, 12 MB once inflated: the decompression stopped at the 10 MB cap and the robots.txt was
    taken for missing, so its `Disallow: /` was not obeyed. Its first 500 KiB are decoded and read, in each
    encoding Scrapy asks for (gzip, deflate, Brotli, Zstandard)."""
    import gzip
    import zlib

    import brotli
    from backports import zstd

    text = b"User-agent: *\nDisallow: /\n" + b"#" * 12_000_000
    deflated = zlib.compressobj(wbits=-15)
    for encoding, body in (("gzip", gzip.compress(text)),
                           ("deflate", deflated.compress(text) + deflated.flush()),
                           ("br", brotli.compress(text, quality=5)),
                           ("zstd", zstd.compress(text))):
        _assert_robots_disallows_all(
            tmp_path, (200, {"Content-Type": "text/plain", "Content-Encoding": encoding}, body), encoding)


def test_a_missing_robots_txt_still_allows_everything(tmp_path):
    """404/410 is "no rules" (RFC 9309, and Google): the host is crawled."""
    with LoopbackServer() as srv:
        _robots_world(srv)
        srv.route("/robots.txt", (410, {"Content-Type": "text/plain"}, b"gone"))
        items = run_crawl(tmp_path, _one_source(tmp_path, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "True"})
        assert sorted((i["kind"], i.get("outcome")) for i in items) == [("listing", "ok"), ("page", None)]


# --- 2. how often a failing page is asked for ----------------------------------------------------------------


def test_a_reset_page_is_asked_for_at_most_one_plus_retry_times_in_a_run(tmp_path):
    """Twisted's pool silently asked again a GET that failed on a reused keep-alive connection, on top of
    RetryMiddleware: 4 requests for RETRY_TIMES=2. A page also due from the state file's retry list is asked for
    by its listing only, and a retry-list page the listing no longer names gets the same bound."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("/a/ok", "Ok"), ("/a/reset", "Reset"), ("/a/ok2", "Ok 2")])))
        srv.route("/a/ok", (200, HTML, page("Ok")))
        srv.route("/a/ok2", (200, HTML, page("Ok 2")))
        srv.route("/a/reset", Raw(_reset))
        srv.route("/a/old-reset", Raw(_reset))
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"@retry": [
            {"url": srv.url("/a/reset"), "source": "s", "listed_in": srv.url("/feed.xml")},
            {"url": srv.url("/a/old-reset"), "source": "s", "listed_in": srv.url("/feed.xml")},
        ]}), encoding="utf-8")
        items = run_crawl(tmp_path, _one_source(tmp_path, budget=10, feeds=[srv.url("/feed.xml")]),
                          "-a", f"state={state}", settings={"RETRY_TIMES": "2"})
        assert srv.hits("/a/reset") == 3
        assert srv.hits("/a/old-reset") == 3
        failed = {i["url"]: i["reason"] for i in items if i["kind"] == "failure"}
        assert failed == {srv.url(p): "connection lost: closed or reset by the server before a complete response"
                          for p in ("/a/reset", "/a/old-reset")}
        assert sorted(i["url"] for i in items if i["kind"] == "page") == [srv.url("/a/ok"), srv.url("/a/ok2")]


def test_without_retries_a_reset_page_is_asked_for_once(tmp_path):
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("/a/ok", "Ok"), ("/a/reset", "Reset")])))
        srv.route("/a/ok", (200, HTML, page("Ok")))
        srv.route("/a/reset", Raw(_reset))
        run_crawl(tmp_path, _one_source(tmp_path, budget=10, feeds=[srv.url("/feed.xml")]),
                  settings={"RETRY_TIMES": "0"})
        assert srv.hits("/a/reset") == 1


# --- 3. a header line too long for the parser ----------------------------------------------------------------


def test_a_200_kb_header_line_is_named_and_not_retried(tmp_path):
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("/a/cookie", "Cookie"), ("/a/many", "Many")])))
        srv.route("/a/cookie", Raw(_huge_header_line))
        srv.route("/a/many", Raw(_many_header_lines))
        items = run_crawl(tmp_path, _one_source(tmp_path, budget=10, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "2"})
        by_url = {i["url"]: i for i in items}
        cookie = by_url[srv.url("/a/cookie")]
        assert (cookie["kind"], cookie["outcome"], cookie["reason"]) == (
            "failure", "failed", "response header too large: a header line over 16 KiB")
        assert srv.hits("/a/cookie") == 1  # the server would send the same header again
        assert by_url[srv.url("/a/many")]["kind"] == "page"


def test_a_header_block_that_never_ends_is_stopped_at_1_mib_and_named(tmp_path):
    """Every line was under the 16 KiB line limit, so the parser kept them all: 20 s of them took the crawl
    process to 700 MB (a page's body is capped at 10 MB, its headers were not), and the page then failed as a
    timeout or a lost connection. The header block is now capped too, and the reason says so."""
    with LoopbackServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"},
                                rss([("/a/endless", "Endless"), ("/a/many", "Many")])))
        srv.route("/a/endless", Raw(_endless_header_lines))
        srv.route("/a/many", Raw(_many_header_lines))
        items = run_crawl(tmp_path, _one_source(tmp_path, budget=10, feeds=[srv.url("/feed.xml")]),
                          settings={"RETRY_TIMES": "2", "DOWNLOAD_TIMEOUT": "100"})
        by_url = {i["url"]: i for i in items}
        endless = by_url[srv.url("/a/endless")]
        assert (endless["kind"], endless["outcome"], endless["reason"]) == (
            "failure", "failed", "response header too large: header lines over 1 MiB in all")
        assert srv.hits("/a/endless") == 1  # not retried: the server would send the same again
        assert by_url[srv.url("/a/many")]["kind"] == "page"  # a 230 KB header block still loads
