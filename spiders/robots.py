"""robots.txt read as search engines read it: the first 500 KiB only (Scrapy's ROBOTSTXT_PARSER, wired in settings).

Why: Protego parses the whole file on the crawl's only thread. A 10 MB robots.txt (450,000 rules, under the 10 MB
page cap) took 7 s to parse and 0.26 s of CPU for every URL it was asked about, so one hostile outlet stalled every
outlet's crawl for minutes (a crawl of 7 s took 50 s). Google reads the first 500 KiB and ignores the rest
(RFC 9309 asks crawlers to parse at least that much); so does this parser, cut at the last line break before it.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser

from spiders.failures import RobotsUnavailable

MAX_ROBOTSTXT_BYTES = 500 * 1024


def first_part(body: bytes, limit: int = MAX_ROBOTSTXT_BYTES) -> bytes:
    """The first `limit` bytes of `body`, ending at its last line break there (a rule is never cut in half)."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[:cut + 1] if cut >= 0 else b""


class CappedProtegoRobotParser(ProtegoRobotParser):
    """Scrapy's Protego parser on the first 500 KiB of the file."""

    def __init__(self, robotstxt_body: bytes, spider=None):
        super().__init__(first_part(robotstxt_body), spider)


class _Unreachable:
    """The parser of a host whose robots.txt answered with a server error: nothing may be fetched this run."""

    def __init__(self, reason: str):
        self.reason = reason

    def allowed(self, url: Any, user_agent: Any) -> bool:
        return False


class ServerErrorRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, except that a robots.txt answering 5xx (after Scrapy's retries) means
    "fetch nothing from this host now", as RFC 9309 (2.3.1.4) asks, instead of "everything is allowed".

    Why not "refused": a refusal is final (never fetched again), and a server error is passing. The pages and
    listings of such a host fail with "robots.txt unavailable (HTTP 503)", so they are tried again in later runs,
    as any 5xx page is. A robots.txt that is missing (4xx) or unreachable on the network still allows all, as
    Scrapy has it: the listing fetch right after then fails and says why.
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

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, _Unreachable):
            self._stats.inc_value("robotstxt/unavailable")
            raise RobotsUnavailable(rp.reason)
        super().process_request_2(rp, request)


__all__ = ["CappedProtegoRobotParser", "MAX_ROBOTSTXT_BYTES", "ServerErrorRobotsTxtMiddleware", "first_part"]
