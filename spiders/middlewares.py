"""Downloader middlewares: keep each source's requests (redirects included) on its hosts; honour robots.txt Crawl-delay."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from protego import Protego

from scrapy import Request
from scrapy.http import Response

from spiders.failures import RefusedRequest
from spiders.robots import first_part

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class SourceGuardMiddleware:
    """Refuse a request whose URL its source (``request.meta["source"]``) may not fetch.

    It runs before the robots.txt middleware (lower order number) so an offsite redirect target is refused
    before anything, even its robots.txt, is requested. The spider exposes ``host_policies`` (name ->
    `HostPolicy`); requests without a ``source`` in meta (robots.txt fetches) pass untouched.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | Response | None:
        name = request.meta.get("source")
        spider = self.crawler.spider
        policies = getattr(spider, "host_policies", None)
        if name is None and policies and request.meta.get("redirect_urls"):
            # a robots.txt fetch that redirects: followed only where some source may fetch (RFC 9309 lets it
            # cross hosts, but not to another outlet's or a private address: 169.254.169.254 was requested)
            reasons = [policy.redirect_refusal(request.url) for policy in policies.values()]
            if all(reasons):
                self.crawler.stats.inc_value("talkwatch/refused_in_downloader")
                raise RefusedRequest(reasons[0] or "redirect refused")
            return None
        if name is None or not policies:
            return None
        policy = policies.get(name)
        if policy is None:
            return None
        if request.meta.get("redirect_urls"):
            reason = policy.redirect_refusal(request.url)
        else:
            reason = policy.refusal(request.url)
        if reason:
            self.crawler.stats.inc_value("talkwatch/refused_in_downloader")
            raise RefusedRequest(reason)
        return None


class _RobotsErrorOneLine(logging.Filter):
    """Scrapy logs a failed robots.txt fetch as ERROR with a full traceback; offline that is 15 tracebacks for
    nothing (the listing fetch right after fails and is reported as a ListingItem). Keep the line, drop the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Error downloading"):
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


def quiet_robots_errors() -> None:
    """Install the one-line filter on Scrapy's robots.txt logger (once)."""
    if not any(isinstance(f, _RobotsErrorOneLine) for f in _ROBOTS_LOGGER.filters):
        _ROBOTS_LOGGER.addFilter(_RobotsErrorOneLine())


class CrawlDelayMiddleware:
    """Keep a host's download slot at least as slow as its robots.txt ``Crawl-delay`` (capped).

    Scrapy's robots.txt middleware parses robots.txt but ignores Crawl-delay; AutoThrottle would also lower a
    slot's delay again. So: read the delay from each robots.txt response that passes by, and before every
    request to that host raise the slot's delay back to it (and drop the jitter, which could halve it).
    The cap (``TALKWATCH_MAX_CRAWL_DELAY``, default 30 s) stops a hostile robots.txt from stalling the run.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT") or "*"
        self.cap = crawler.settings.getfloat("TALKWATCH_MAX_CRAWL_DELAY", 30.0)
        self.delays: dict[str, float] = {}  # download slot key -> minimum delay in seconds
        quiet_robots_errors()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def _slot_key(self, request: Request) -> str | None:
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        return downloader.get_slot_key(request) if downloader is not None else None

    def _apply(self, key: str) -> None:
        delay = self.delays.get(key)
        slot = self.crawler.engine.downloader.slots.get(key) if delay else None
        if slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0

    def process_request(self, request: Request) -> Request | Response | None:
        key = self._slot_key(request)
        if key is not None and key in self.delays:
            self._apply(key)
        return None

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_obey_robotstxt") and response.url.endswith("/robots.txt") and response.status == 200:
            try:
                # the same first 500 KiB the rules are read from (spiders/robots.py): the whole of a 6 MB file took
                # 3.8 s to parse on the crawl's only thread, and a delay past the cut was obeyed, its rules not
                delay = Protego.parse(first_part(response.body).decode("utf-8", "replace")).crawl_delay(
                    self.user_agent)
            except Exception:  # noqa: BLE001 - a robots.txt we cannot read gives no delay; Scrapy reports it
                delay = None
            key = self._slot_key(request)
            if delay and key is not None:
                self.delays[key] = min(float(delay), self.cap)
                self.crawler.stats.set_value(f"talkwatch/crawl_delay/{key}", self.delays[key])
                logger.info("robots.txt of %s asks Crawl-delay %s s; using %s s", key, delay, self.delays[key])
                self._apply(key)
        return response
