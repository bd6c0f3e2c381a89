"""Scrapy's HTTP/1.1 download handler with two Twisted behaviours that hid what happened switched off.

1. No silent retry. Twisted's connection pool asks a GET again, once and out of sight of Scrapy, when it fails
   on a reused keep-alive connection before any answer (``HTTPConnectionPool.retryAutomatically``). With Scrapy's
   RetryMiddleware on top, a page whose connection is reset was asked for 4 times in one run instead of the
   configured 1 + RETRY_TIMES (the first try came on the connection the feed had left open). Retries are
   RetryMiddleware's job alone, so that a run asks for a failing page at most 1 + RETRY_TIMES times.
2. An honest reason for an over-long header. Twisted's HTTP parser reads the status line and each header line
   with a 16 KiB limit (``LineReceiver.MAX_LENGTH``); past it, it just closes the connection, and the page was
   recorded as "connection closed by the server before a complete response". The parser now raises
   `HeaderLineTooLong`, and the handler turns it into `ResponseHeaderTooLarge`, which is not retried (the server
   sends the same header again) and which `spiders.failures.describe_failure` names.
3. A cap on the whole header block. Each line under 16 KiB passed, and the parser kept every one: a server that
   sent short header lines without end took the crawl process to 700 MB in 20 s (the body has its 10 MB cap, the
   headers had none), then the page failed as a timeout. Past `HEADER_BLOCK_LIMIT` bytes of status and header
   lines (1xx responses' included) the parser raises `HeaderLineTooLong` with `block` set, named the same way.
4. A robots.txt is read up to its first 500 KiB, whatever its size. It was downloaded under the 10 MB cap of any
   response, and one over it was cancelled, which Scrapy's robots.txt middleware takes for "no robots.txt": an
   11 MB file whose first line said `Disallow: /` let the whole host be crawled. The robots.txt request of
   Scrapy's middleware (`dont_obey_robotstxt`, `/robots.txt`, no callback) is downloaded without the cap and
   stopped (Scrapy's StopDownload, the response kept) once 500 KiB have come, so its rules are read
   (spiders/robots.py parses the same first 500 KiB, up to the last line break). A gzip or deflate one is
   inflated up to the same point (spiders.robots.RobotsTxtDecompressionMiddleware); other encodings keep the
   request's own cap (HttpCompressionMiddleware reads the request the engine holds, not the handler's copy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from scrapy import signals
from scrapy.core.downloader.handlers import http11
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import StopDownload
from twisted.web import _newclient

from spiders.failures import ResponseHeaderTooLarge
from spiders.robots import MAX_ROBOTSTXT_BYTES, is_robots_txt

_READ_AT_MOST = "talkwatch_read_at_most"  # meta of the handler's copy of a robots.txt request: bytes to read
_READ_SO_FAR = "talkwatch_read_so_far"

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

HEADER_LINE_LIMIT = _newclient.HTTPClientParser.MAX_LENGTH  # 16384 bytes (Twisted's LineReceiver default)
# All status and header lines of one response: far above any real site's (a few KiB; 2,000 filler lines are 230 KB)
HEADER_BLOCK_LIMIT = 1024 * 1024


class HeaderLineTooLong(Exception):
    """Raised inside Twisted's response parser for a status or header line over its limit, or (`block`) for
    header lines over HEADER_BLOCK_LIMIT bytes in all."""

    def __init__(self, length: int, limit: int, block: bool = False):
        what = "header lines" if block else "header line"
        super().__init__(f"{what} of at least {length} bytes, over the limit of {limit}")
        self.length, self.limit, self.block = length, limit, block


def _line_too_long(self: _newclient.HTTPClientParser, line: bytes) -> None:
    # HTTP11ClientProtocol.dataReceived catches this and gives the request up with it as the reason
    raise HeaderLineTooLong(len(line), self.MAX_LENGTH)


# The parser whose lineReceived is counted: the lenient subclass Scrapy's handler turns Twisted's into (it has a
# lineReceived of its own, a copy of Twisted's), else Twisted's
_PARSERS = [getattr(http11, "_LenientHTTPClientParser", None) or _newclient.HTTPClientParser]


def _counting(line_received: Callable[[Any, bytes], None]) -> Callable[[Any, bytes], None]:
    def counted_line(self: _newclient.HTTPClientParser, line: bytes) -> None:
        # lineReceived sees only the status and header lines: the body is read in raw mode
        seen = getattr(self, "_talkwatch_header_bytes", 0) + len(line) + 2
        self._talkwatch_header_bytes = seen  # type: ignore[attr-defined]
        if seen > HEADER_BLOCK_LIMIT:
            raise HeaderLineTooLong(seen, HEADER_BLOCK_LIMIT, block=True)
        line_received(self, line)
    counted_line.talkwatch_counted = True  # type: ignore[attr-defined]
    return counted_line


def _install_header_limit() -> None:
    """Make Twisted's client parser raise on an over-long line, or on too many header bytes in all, instead of
    quietly closing or keeping them all (the crawl's process only: the crawl runs in its own child process)."""
    if _newclient.HTTPClientParser.lineLengthExceeded is not _line_too_long:
        _newclient.HTTPClientParser.lineLengthExceeded = _line_too_long  # type: ignore[method-assign]
    for parser in _PARSERS:
        if not getattr(parser.__dict__.get("lineReceived"), "talkwatch_counted", False):
            parser.lineReceived = _counting(parser.lineReceived)  # type: ignore[method-assign]


def _header_too_long(exc: BaseException) -> HeaderLineTooLong | None:
    """The HeaderLineTooLong inside a Scrapy download error (DownloadFailedError from ResponseNeverReceived)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, HeaderLineTooLong):
            return err
        if err.__cause__ is not None:
            todo.append(err.__cause__)
        for reason in getattr(err, "reasons", None) or []:
            value = getattr(reason, "value", reason)
            if isinstance(value, BaseException):
                todo.append(value)
    return None


class TalkwatchHTTPDownloadHandler(HTTP11DownloadHandler):
    """HTTP11DownloadHandler without the pool's hidden retry, and with a named error for an over-long header."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._pool.retryAutomatically = False
        _install_header_limit()
        crawler.signals.connect(self._read_at_most, signal=signals.bytes_received)

    def _read_at_most(self, data: bytes, request: Request, **_: Any) -> None:
        limit = request.meta.get(_READ_AT_MOST)
        if not limit:
            return
        request.meta[_READ_SO_FAR] = seen = request.meta.get(_READ_SO_FAR, 0) + len(data)
        if seen >= limit:
            raise StopDownload(fail=False)  # the response, with what came so far, goes on as a whole one

    async def download_request(self, request: Request) -> Response:
        if is_robots_txt(request) and _READ_AT_MOST not in request.meta:
            # one byte past the part that is read: first_part then knows the file went on and cuts at a line break
            request = request.replace(meta={**request.meta, "download_maxsize": 0,
                                            _READ_AT_MOST: MAX_ROBOTSTXT_BYTES + 1})
        try:
            return await super().download_request(request)
        except Exception as exc:
            too_long = _header_too_long(exc)
            if too_long is None:
                raise
            raise ResponseHeaderTooLarge(too_long.limit, block=too_long.block) from exc


__all__ = ["HEADER_BLOCK_LIMIT", "HEADER_LINE_LIMIT", "HeaderLineTooLong", "TalkwatchHTTPDownloadHandler"]
