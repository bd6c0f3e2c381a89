"""The `news` spider: fetch each source's feeds and sitemaps, then every new article they list, as JSON-able items."""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from pipelines.urls import canonical_url
from spiders.binary import binary_kind
from spiders.charset import fitting_encoding
from spiders.failures import describe_failure
from spiders.items import RETRY_KEY, FailureItem, ListingItem, PageItem
from spiders.listings import Listing, ListingEntry, ListingError, parse_listing
from spiders.sources import Source, load_sources
from spiders.urlpolicy import HostPolicy

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_SITEMAP_DEPTH = 3  # index -> index -> sitemap is the deepest nesting seen in the wild
LISTING_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


def now_iso() -> str:
    """Now, UTC, to the second: the `fetched_at` of every item."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_iso(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime (naive ones are taken as UTC); None if unreadable."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:30+01:00 is before year 1 in UTC
        return None


def lastmod_before(lastmod: str | None, last_success: datetime | None) -> bool:
    """True when a sitemap `lastmod` says the page has not changed since the last successful fetch of that sitemap.

    A day-only lastmod is compared by day, so a page changed later on the day of the last run is not lost.
    """
    if not lastmod or last_success is None:
        return False
    text = lastmod.strip()
    if len(text) == 10:  # YYYY-MM-DD
        day = parse_iso(text)
        return day is not None and day.date() < last_success.date()
    dt = parse_iso(text)
    return dt is not None and dt < last_success


def newest_first(urls: list[str], lastmods: dict[str, str]) -> list[str]:
    """Child sitemaps by their index `lastmod`, newest first; those without one keep their order, after."""
    dated = [(parse_iso(lastmods.get(u)), i, u) for i, u in enumerate(urls)]
    known = sorted((d for d in dated if d[0] is not None), key=lambda d: (-d[0].timestamp(), d[1]))
    return [u for _, _, u in known] + [u for dt, _, u in dated if dt is None]


def read_seen(path: str | None) -> set[str]:
    """Canonical URLs already stored, one per line, taken as they are.

    Not re-canonicalised: the file is written from storage's canonical keys, and canonical_url costs about
    0.1 ms a URL, which is seconds for a store of 100k pages.
    """
    if not path:
        return set()
    with open(path, encoding="utf-8") as fh:
        return {line.strip() for line in fh if line.strip()}


def _state_file(path: str | None) -> dict[str, Any]:
    """The crawl's state file, read once: validators keyed by listing URL, and the pages to retry (RETRY_KEY); a
    missing file is an empty state (first run)."""
    if not path or not Path(path).exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: state must be a JSON object keyed by listing URL")
    return data


def _validators(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def _retries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The pages to try again: {"url", "source", "listed_in"} each (storage's retry_pages)."""
    retries = data.get(RETRY_KEY, [])
    return [r for r in retries if isinstance(r, dict) and isinstance(r.get("url"), str)
            and isinstance(r.get("source"), str)] if isinstance(retries, list) else []


def read_state(path: str | None) -> dict[str, dict[str, Any]]:
    """Conditional-GET validators per listing URL; a missing file is an empty state (first run)."""
    return _validators(_state_file(path))


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


class NewsSpider(scrapy.Spider):
    """One run over the sources file: listings first, then the article pages they list, each fetched once."""

    name = "news"

    def __init__(
        self,
        sources: str = "config/sources.toml",
        only: str | None = None,
        seen: str | None = None,
        state: str | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        all_sources = load_sources(sources)
        if only:
            wanted = [n.strip() for n in only.split(",") if n.strip()]
            known = {s.name for s in all_sources}
            unknown = [n for n in wanted if n not in known]
            if unknown:
                raise ValueError(f"unknown source(s) in only=: {', '.join(unknown)}")
            self.sources: list[Source] = [s for s in all_sources if s.name in wanted]
        else:
            self.sources = [s for s in all_sources if s.enabled]
        self.by_name = {s.name: s for s in self.sources}
        self.host_policies = {
            s.name: HostPolicy.for_source(s.feeds + s.sitemaps, s.allowed_domains) for s in self.sources
        }
        self.seen_keys = read_seen(seen)
        state_data = _state_file(state)
        self.state = _validators(state_data)
        self.retries = _retries(state_data)  # asked for when the listings are done (retry_failed_pages)
        self.retries_scheduled = False
        self.run_keys: set[str] = set()  # canonical URLs already handled this run (requested or refused)
        self.listings_requested: set[tuple[str, str]] = set()  # (source, listing URL): each fetched once per run
        self.pages_requested: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # listed links refused per source this run (_refusals_full)
        self.counts: Counter[str] = Counter()

    # -- start -------------------------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.retry_failed_pages, signal=signals.spider_idle)
        return spider

    def retry_failed_pages(self) -> None:
        """Once every listing has been read: request the stored pages that failed with tries left (a 5xx, a
        timeout) and that no listing of this run asked for again.

        Why: a listing that did not change (a 304, sitemap lastmods older than its last read) is not read at
        all, so a page that failed on it was never tried again, for as long as the listing stayed the same. Last,
        so that a page a listing does list again goes with that listing's title and date.
        """
        if self.retries_scheduled:
            return
        self.retries_scheduled = True
        requests = []
        for retry in self.retries:
            src = self.by_name.get(retry["source"])
            if src is None:  # the source is not crawled in this run (--only, disabled, due_only)
                continue
            try:
                key = canonical_url(retry["url"])
            except ValueError:
                continue
            if key in self.run_keys or key in self.seen_keys or self.host_policies[src.name].refusal(retry["url"]):
                continue
            if self.pages_requested[src.name] >= self._budget(src):
                self.counts["retry_over_budget"] += 1
                continue
            self.run_keys.add(key)
            self.pages_requested[src.name] += 1
            self.counts["retried"] += 1
            requests.append(self._page_request(src, retry["url"], retry.get("listed_in") or "", "retry"))
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for src in self.sources:
            for url, listing_type in src.listings:
                request = self._listing_request(src, url, listing_type, depth=0)
                if request is not None:
                    yield request

    def _listing_request(self, src: Source, url: str, listing_type: str, depth: int) -> scrapy.Request | None:
        if (src.name, url) in self.listings_requested:
            return None
        self.listings_requested.add((src.name, url))
        headers = {"Accept": LISTING_ACCEPT}
        validators = self.state.get(url, {})
        if validators.get("etag"):
            headers["If-None-Match"] = str(validators["etag"])
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = str(validators["last_modified"])
        return scrapy.Request(
            url,
            callback=self.listing_fetched,
            errback=self.listing_failed,
            headers=headers,
            dont_filter=True,
            meta={
                "source": src.name,
                "listing_type": listing_type,
                "listing_url": url,
                "sitemap_depth": depth,
                "handle_httpstatus_list": [304],
            },
        )

    # -- listings ----------------------------------------------------------------------------------------

    def _listing_item(self, request: scrapy.Request, outcome: str, **kw: Any) -> ListingItem:
        return ListingItem(
            source=request.meta["source"],
            url=request.meta["listing_url"],
            listing_type=request.meta["listing_type"],
            outcome=outcome,
            fetched_at=now_iso(),
            **kw,
        )

    def listing_fetched(self, response: Response) -> Iterator[Any]:
        """A feed or sitemap answered: one ListingItem, then refusals and page (or child sitemap) requests."""
        request = response.request
        assert request is not None
        src = self.by_name[request.meta["source"]]
        etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
        if response.status == 304 and not (request.headers.get("If-None-Match")
                                           or request.headers.get("If-Modified-Since")):
            # "not modified" since nothing: the first fetch of a listing, answered by a broken cache or server.
            # Counted a success, the listing would never be read and its source never reported as failing.
            yield self._listing_item(request, "failed", status=304,
                                     reason="HTTP 304 Not Modified to a request that asked for no validation")
            return
        if response.status == 304:
            old = self.state.get(request.meta["listing_url"], {})
            yield self._listing_item(
                request, "not-modified", status=304,
                etag=etag or old.get("etag"), last_modified=last_modified or old.get("last_modified"),
            )
            return
        try:
            listing = parse_listing(response.body, response.url, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except ListingError as exc:
            yield self._listing_item(request, "failed", status=response.status, reason=str(exc))
            return
        requests: list[scrapy.Request] = []
        items: list[Any] = []
        if listing.kind == "sitemap-index":
            try:
                requests, items = self._follow_sitemaps(src, listing, request)
            except Exception as exc:  # noqa: BLE001 - a value no rule foresaw: this listing fails, with its reason
                self.logger.exception("sitemap index %s", response.url)
                yield self._listing_item(request, "failed", status=response.status,
                                         reason=f"sitemap index could not be read: {type(exc).__name__}: {exc}"[:300])
                return
        new = 0
        over_budget = self.counts["skipped_budget"]
        last_success = parse_iso(self.state.get(request.meta["listing_url"], {}).get("last_success"))
        for entry in listing.entries:
            try:
                outcome = self._consider(src, entry, listing, request, last_success)
            except Exception as exc:  # noqa: BLE001 - one entry no rule foresaw costs that entry, not the listing
                self.logger.exception("listing entry %r of %s", entry.url, response.url)
                outcome = FailureItem(src.name, entry.url[:2000], "failed",
                                      f"listing entry could not be read: {type(exc).__name__}: {exc}"[:300],
                                      now_iso(), listed_in=request.meta["listing_url"])
            if isinstance(outcome, scrapy.Request):
                requests.append(outcome)
                new += 1
            elif outcome is not None:
                items.append(outcome)
        left = self.counts["skipped_budget"] - over_budget
        if left:
            # read, but the page budget left entries for the next run: "partial" keeps the listing's last success
            # and drops its validators, so the next run reads it whole again instead of a 304 or lastmods that
            # would hide those entries for as long as the listing stayed the same
            yield self._listing_item(
                request, "partial", status=response.status, entries=len(listing.entries), new_entries=new,
                reason=f"page budget of the source reached: {left} entries left for the next run",
            )
        else:
            yield self._listing_item(
                request, "ok", status=response.status, entries=len(listing.entries), new_entries=new,
                etag=etag, last_modified=last_modified,
            )
        yield from items
        yield from requests

    def _follow_sitemaps(
        self, src: Source, listing: Listing, request: scrapy.Request
    ) -> tuple[list[scrapy.Request], list[Any]]:
        requests: list[scrapy.Request] = []
        items: list[Any] = []
        depth = request.meta.get("sitemap_depth", 0) + 1
        policy = self.host_policies[src.name]
        children = newest_first(listing.sitemaps, listing.sitemap_lastmods)
        limit = self.settings.getint("TALKWATCH_MAX_CHILD_SITEMAPS")
        if limit and len(children) > limit:
            self.counts["sitemaps_over_limit"] += len(children) - limit
            children = children[:limit]
        for child in children:
            last_success = parse_iso(self.state.get(child, {}).get("last_success"))
            if lastmod_before(listing.sitemap_lastmods.get(child), last_success):
                self.counts["sitemaps_unchanged"] += 1
                continue
            reason = policy.refusal(child)
            if reason is None and depth > MAX_SITEMAP_DEPTH:
                reason = f"sitemap nesting deeper than {MAX_SITEMAP_DEPTH}"
            if reason:
                items.append(ListingItem(src.name, child, "sitemap", "failed", now_iso(), reason=f"not followed: {reason}"))
                continue
            child_request = self._listing_request(src, child, "sitemap", depth)
            if child_request is not None:
                requests.append(child_request)
        return requests, items

    def _consider(
        self, src: Source, entry: ListingEntry, listing: Listing, request: scrapy.Request, last_success: datetime | None
    ) -> scrapy.Request | FailureItem | None:
        """A page request for a listed URL, a FailureItem when it is refused, or None when it is skipped."""
        listing_url = request.meta["listing_url"]
        if entry.date_kind == "sitemap-lastmod" and lastmod_before(entry.date_raw, last_success):
            self.counts["skipped_unchanged"] += 1
            return None
        limit = self.settings.getint("URLLENGTH_LIMIT")
        if limit and len(entry.url) > limit:
            # Scrapy's UrlLengthMiddleware would drop the request with no record at all; the URL is kept cut to
            # the limit (it can never be fetched, and a hostile feed's 100 KB links would fill the pages table)
            if self._refusals_full(src):
                return None
            return FailureItem(src.name, f"{entry.url[:limit]}…", "refused",
                               f"URL is {len(entry.url)} characters long, over the limit of {limit} "
                               f"(URLLENGTH_LIMIT)", now_iso(), listed_in=listing_url)
        try:
            key = canonical_url(entry.url)
        except ValueError:  # a link no URL parser reads (`http://[::1/x`): refused with the policy's reason
            if self._refusals_full(src):
                return None
            return FailureItem(src.name, entry.url, "refused", self.host_policies[src.name].refusal(entry.url)
                               or "malformed URL", now_iso(), listed_in=listing_url)
        if key in self.run_keys:
            self.counts["skipped_duplicate"] += 1
            return None
        self.run_keys.add(key)
        reason = self.host_policies[src.name].refusal(entry.url)
        if reason:
            if self._refusals_full(src):
                return None
            return FailureItem(src.name, entry.url, "refused", reason, now_iso(), listed_in=listing_url)
        if key in self.seen_keys:
            self.counts["skipped_seen"] += 1
            return None
        if self.pages_requested[src.name] >= self._budget(src):
            self.counts["skipped_budget"] += 1
            self.run_keys.discard(key)  # another source may still have budget for it
            return None
        self.pages_requested[src.name] += 1
        return self._page_request(src, entry.url, listing_url, listing.listed_via, entry)

    def _budget(self, src: Source) -> int:
        """Page requests the source may make this run: its max_pages, else TALKWATCH_MAX_PAGES_PER_SOURCE."""
        return src.max_pages if src.max_pages is not None else self.settings.getint("TALKWATCH_MAX_PAGES_PER_SOURCE")

    def _refusals_full(self, src: Source) -> bool:
        """Count one more refusal of a listed link; True when the source has recorded as many as a run records.

        Why a cap: a refusal costs no request, so the page budget never bounded them, and a feed of 50,000
        offsite links added 50,000 `pages` rows to every run (one that rotates its links, to each run).
        Past TALKWATCH_MAX_REFUSALS_PER_SOURCE the rest are counted (`refused_not_recorded`), not recorded; they
        are considered again next run, and bounded again.
        """
        self.refusals[src.name] += 1
        if self.refusals[src.name] > self.settings.getint("TALKWATCH_MAX_REFUSALS_PER_SOURCE"):
            self.counts["refused_not_recorded"] += 1
            return True
        self.counts["refused"] += 1
        return False

    def _page_request(self, src: Source, url: str, listed_in: str, listed_via: str,
                      entry: ListingEntry | None = None) -> scrapy.Request:
        # dont_filter: `run_keys` already makes each listed URL one request; Scrapy's dupefilter would also drop
        # redirect hops it has seen (a loop, or two listed URLs redirecting to one target) without any errback,
        # and the listed URL would end the run with no record at all.
        return scrapy.Request(
            url,
            callback=self.page_fetched,
            errback=self.page_failed,
            headers={"Accept": PAGE_ACCEPT},
            dont_filter=True,
            meta={
                "source": src.name,
                "listed_url": url,
                "listed_in": listed_in,
                "listed_via": listed_via,
                "listed_title": entry.title if entry else None,
                "listed_date": entry.date_raw if entry else None,
                "listed_date_kind": entry.date_kind if entry else None,
            },
        )

    def listing_failed(self, failure: Any) -> Iterator[ListingItem]:
        """A listing could not be fetched: a failed ListingItem; the source's other listings carry on."""
        request = failure.request
        _, reason, status = describe_failure(failure, request, self.settings)
        self.counts["listings_failed"] += 1
        yield self._listing_item(request, "failed", status=status, reason=reason)

    # -- pages -------------------------------------------------------------------------------------------

    def page_fetched(self, response: Response) -> Iterator[PageItem | FailureItem]:
        """A 2xx article answer: a PageItem with the raw body, or a refusal when it is not HTML."""
        meta = response.meta
        content_type = _header(response, "Content-Type") or ""
        mime = content_type.split(";")[0].strip().lower()
        if (mime and mime not in HTML_TYPES) or (not mime and not isinstance(response, TextResponse)):
            self.counts["refused"] += 1
            yield FailureItem(
                meta["source"], meta["listed_url"], "refused", f"not HTML ({mime or 'unknown type'})", now_iso(),
                status=response.status, listed_in=meta["listed_in"],
            )
            return
        binary = binary_kind(response.body)
        if binary is not None:
            self.counts["refused"] += 1
            yield FailureItem(
                meta["source"], meta["listed_url"], "refused",
                f"not HTML ({binary} served as {mime or 'unknown type'})", now_iso(),
                status=response.status, listed_in=meta["listed_in"],
            )
            return
        headers = {
            name: value
            for name in ("content-type", "content-language", "last-modified", "etag")
            if (value := _header(response, name)) is not None
        }
        self.counts["pages"] += 1
        yield PageItem(
            source=meta["source"],
            url=meta["listed_url"],
            final_url=response.url,
            status=response.status,
            headers=headers,
            body_b64=base64.b64encode(response.body).decode("ascii"),
            encoding=(fitting_encoding(response.body, response.encoding)
                      if isinstance(response, TextResponse) else None),
            fetched_at=now_iso(),
            listed_in=meta["listed_in"],
            listed_via=meta["listed_via"],
            listed_title=meta["listed_title"],
            listed_date=meta["listed_date"],
            listed_date_kind=meta["listed_date_kind"],
        )

    def page_failed(self, failure: Any) -> Iterator[FailureItem]:
        """Non-2xx, network error, size cap, robots.txt, offsite redirect: one FailureItem saying why."""
        request = failure.request
        outcome, reason, status = describe_failure(failure, request, self.settings)
        self.counts[f"pages_{outcome}"] += 1
        yield FailureItem(
            request.meta["source"], request.meta["listed_url"], outcome, reason, now_iso(),
            status=status, listed_in=request.meta["listed_in"],
        )

    def closed(self, reason: str) -> None:
        for key, value in sorted(self.counts.items()):
            self.crawler.stats.set_value(f"talkwatch/{key}", value)
        logger.info("talkwatch run summary: %s", dict(sorted(self.counts.items())))
