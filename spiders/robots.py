"""robots.txt read as search engines read it: the first 500 KiB only (Scrapy's ROBOTSTXT_PARSER, wired in settings).

Why: Protego parses the whole file on the crawl's only thread. A 10 MB robots.txt (450,000 rules, under the 10 MB
page cap) took 7 s to parse and 0.26 s of CPU for every URL it was asked about, so one hostile outlet stalled every
outlet's crawl for minutes (a crawl of 7 s took 50 s). Google reads the first 500 KiB and ignores the rest
(RFC 9309 asks crawlers to parse at least that much); so does this parser, cut at the last line break before it.
"""

from __future__ import annotations

import sys
import zlib
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet import error as txerror
from twisted.python.failure import Failure

from spiders.failures import ResponseHeaderTooLarge, RobotsUnavailable, describe_failure

# A robots.txt fetch that failed with one of these never got an answer: the host is unreachable for now (RFC 9309
# 2.3.1.4), not "without rules". Not here: a refused redirect (IgnoreRequest: the robots.txt counts as missing)
# and a robots.txt over the size cap (it exists; Scrapy reads none of it, as before).
NETWORK_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    ResponseHeaderTooLarge,
    txerror.DNSLookupError,
    txerror.ConnectError,
    txerror.ConnectionLost,
    txerror.ConnectionDone,
    txerror.TimeoutError,
    defer.TimeoutError,
)

MAX_ROBOTSTXT_BYTES = 500 * 1024


def first_part(body: bytes, limit: int = MAX_ROBOTSTXT_BYTES) -> bytes:
    """The first `limit` bytes of `body`, ending at its last line break there (a rule is never cut in half)."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[:cut + 1] if cut >= 0 else b""


def is_robots_txt(request: Request) -> bool:
    """The request Scrapy's RobotsTxtMiddleware makes for a host's rules (its meta, no callback, the path)."""
    return (bool(request.meta.get("dont_obey_robotstxt")) and request.callback is NO_CALLBACK
            and urlparse_cached(request).path == "/robots.txt")


def _inflate_head(body: bytes, wbits: int, limit: int) -> bytes | None:
    """At most `limit` bytes of `body` inflated (None when it is not that kind of stream at all)."""
    try:
        return zlib.decompressobj(wbits).decompress(body, limit)
    except zlib.error:
        return None


def _unbrotli_head(body: bytes, limit: int) -> bytes | None:
    """At most `limit` bytes of a Brotli `body` (None when it is not one): the decoder stops at the limit."""
    import brotli  # what Scrapy decodes br with; imported here, where a br robots.txt needs it

    try:
        return brotli.Decompressor().process(body, output_buffer_limit=limit)[:limit]
    except brotli.error:
        return None


def _unzstd_head(body: bytes, limit: int) -> bytes | None:
    """At most `limit` bytes of a Zstandard `body` (None when it is not one)."""
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd  # what Scrapy decodes zstd with before Python 3.14

    try:
        return zstd.ZstdDecompressor().decompress(body, max_length=limit)
    except zstd.ZstdError:
        return None


_HEADS = {
    b"gzip": (lambda body, limit: _inflate_head(body, 16 + zlib.MAX_WBITS, limit),),
    b"x-gzip": (lambda body, limit: _inflate_head(body, 16 + zlib.MAX_WBITS, limit),),
    # deflate: zlib-wrapped, or raw as some servers send it
    b"deflate": (lambda body, limit: _inflate_head(body, zlib.MAX_WBITS, limit),
                 lambda body, limit: _inflate_head(body, -zlib.MAX_WBITS, limit)),
    b"br": (_unbrotli_head,),
    b"zstd": (_unzstd_head,),
}


class RobotsTxtDecompressionMiddleware:
    """A gzip, deflate, Brotli or Zstandard robots.txt decoded up to the part that is read (500 KiB + 1 byte),
    before Scrapy's HttpCompressionMiddleware (590) sees it.

    Why: Scrapy's decodes the whole body under the 10 MB cap and drops the response past it, which its robots.txt
    middleware takes for "no robots.txt": a 12 KB gzip of 12 MB whose first line said `Disallow: /` let the whole
    host be crawled. Only the first 500 KiB are read (CappedProtegoRobotParser), so only they are decoded. Several
    encodings at once are left to Scrapy's middleware."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        encodings = [e.strip().lower() for v in response.headers.getlist("Content-Encoding") for e in v.split(b",")]
        encodings = [e for e in encodings if e and e != b"identity"]
        if len(encodings) != 1 or encodings[0] not in _HEADS or not is_robots_txt(request):
            return response
        for decode in _HEADS[encodings[0]]:
            head = decode(response.body, MAX_ROBOTSTXT_BYTES + 1)
            if head is not None:
                headers = response.headers.copy()
                del headers["Content-Encoding"]
                return response.replace(body=head, headers=headers)
        return response  # not what it says it is: Scrapy's middleware says so


class CappedProtegoRobotParser(ProtegoRobotParser):
    """Scrapy's Protego parser on the first 500 KiB of the file."""

    def __init__(self, robotstxt_body: bytes, spider=None):
        super().__init__(first_part(robotstxt_body), spider)


class _Unreachable:
    """The parser of a host whose robots.txt answered with a server error or could not be fetched at all:
    nothing may be fetched from it this run."""

    def __init__(self, reason: str):
        self.reason = reason

    def allowed(self, url: Any, user_agent: Any) -> bool:
        return False


class ServerErrorRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, except that a robots.txt answering 5xx, or not fetched at all because of a
    network error (connection refused or reset, timeout, DNS failure; after Scrapy's retries), means "fetch nothing
    from this host now", as RFC 9309 (2.3.1.4) asks, instead of "everything is allowed".

    Why not "refused": a refusal is final (never fetched again), and a server or network error is passing. The
    pages and listings of such a host fail with "robots.txt unavailable (HTTP 503)" or "robots.txt unavailable
    (connection refused)" ..., so they are tried again in later runs, as any 5xx page is. Why not allow-all on a
    network error (Scrapy's default): a robots.txt reset or timing out once while the pages answered let the host
    be crawled without its rules. A robots.txt that is missing (4xx) still allows all, as Google has it.
    """

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 500 <= response.status < 600:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            waiting = self._parsers[netloc]
            parser = _Unreachable(f"robots.txt unavailable (HTTP {response.status}): not fetched, tried again "
                                  f"in the next run")
            self._parsers[netloc] = parser  # type: ignore[assignment]
            waiting.callback(parser)  # type: ignore[union-attr]
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, NETWORK_ERRORS):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        # describe_failure names the host of a DNS failure from the request; the robots.txt request is not passed
        # down to here, and its scheme does not matter for the reason
        _, why, _ = describe_failure(Failure(exc), Request(f"http://{netloc}/robots.txt"), self.crawler.settings)
        waiting = self._parsers[netloc]
        if not isinstance(waiting, Deferred):  # already settled (cannot happen in Scrapy 2.19; never settle twice)
            return
        parser = _Unreachable(f"robots.txt unavailable ({why}): not fetched, tried again in the next run")
        self._parsers[netloc] = parser  # type: ignore[assignment]
        waiting.callback(parser)  # type: ignore[union-attr]

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, _Unreachable):
            self._stats.inc_value("robotstxt/unavailable")
            raise RobotsUnavailable(rp.reason)
        super().process_request_2(rp, request)


__all__ = ["CappedProtegoRobotParser", "MAX_ROBOTSTXT_BYTES", "RobotsTxtDecompressionMiddleware",
           "ServerErrorRobotsTxtMiddleware", "first_part", "is_robots_txt"]
