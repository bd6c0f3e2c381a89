"""Turn a Scrapy download failure into the one-line (outcome, reason, status) a FailureItem or ListingItem carries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as txerror


class RobotsUnavailable(IgnoreRequest):
    """The host's robots.txt answered with a server error: nothing is fetched from it in this run (RFC 9309)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ResponseHeaderTooLarge(Exception):
    """The server sent a status or header line longer than the HTTP parser reads, or more header lines than it
    keeps (`block`; spiders/download.py)."""

    def __init__(self, limit: int, block: bool = False):
        super().__init__(f"response header too large: header lines over {limit // 1024 // 1024} MiB in all" if block
                         else f"response header too large: a header line over {limit // 1024} KiB")
        self.limit = limit


class RefusedRequest(IgnoreRequest):
    """Raised by our downloader middleware when a (redirected) request leaves its source's hosts."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _size_text(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit} bytes"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inner_errors(exc: BaseException) -> list[BaseException]:
    """The Twisted errors a wrapped download failure carries (ResponseFailed/ResponseNeverReceived keep a list)."""
    cause = exc.__cause__ or exc
    reasons = getattr(cause, "reasons", None) or []
    return [getattr(r, "value", r) for r in reasons if isinstance(getattr(r, "value", r), BaseException)]


def _network_reason(exc: BaseException) -> str:
    """One line for a connection that broke before a complete response (reset, closed, cut short)."""
    inner = _inner_errors(exc)
    names = {type(e).__name__ for e in inner} | {type(exc).__name__}
    text = str(exc)
    if "_DataLoss" in names or "_DataLoss" in text:
        return "response truncated (data loss)"
    if any(isinstance(e, txerror.ConnectionLost) for e in inner) or "ConnectionLost" in text:
        return "connection lost: closed or reset by the server before a complete response"
    if any(isinstance(e, txerror.ConnectionDone) for e in inner) or "ConnectionDone" in text:
        return "connection closed by the server before a complete response"
    if any(isinstance(e, txerror.ConnectionAborted) for e in inner):
        return "connection aborted"
    detail = "; ".join(f"{type(e).__name__}: {e}" for e in inner) or text
    return _one_line(f"download failed: {detail}")


def _redirect_reason(response: Any) -> tuple[str, str] | None:
    """(outcome, reason) of a redirect Scrapy did not follow, or None for one it would have followed.

    Scrapy follows only http(s) redirects; one to `file:`, `ftp:` or `javascript:` reached us as "HTTP 302", which
    is retried in the next runs. It can never be fetched: refused, as a listed link of that scheme is. A redirect
    without a Location is a broken page: failed with that reason.
    """
    raw = response.headers.get(b"Location")
    if not raw:
        return "failed", f"HTTP {response.status} redirect without a Location header"
    location = raw.decode("latin-1").strip()
    try:
        scheme = urlsplit(location).scheme.lower()
    except ValueError:
        return "failed", _one_line(f"HTTP {response.status} redirect to a malformed URL {location[:100]!r}")
    if scheme and scheme not in ("http", "https"):
        return "refused", f"redirect to a non-http(s) URL ({scheme}:)"
    return None


def describe_failure(failure: Any, request: Any, settings: Any) -> tuple[str, str, int | None]:
    """(outcome, reason, status) for an errback failure; outcome is "failed" or "refused"."""
    exc = failure.value
    meta = request.meta if request is not None else {}
    host = urlsplit(request.url).hostname if request is not None else None
    if isinstance(exc, HttpError):
        response = exc.response
        status = response.status
        if 300 <= status < 400:
            redirect = _redirect_reason(response)
            if redirect is not None:
                return (*redirect, status)
        retries = response.meta.get("retry_times", 0) if response.request is not None else 0
        reason = f"HTTP {status}" + (f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else "")
        return "failed", reason, status
    if isinstance(exc, RefusedRequest):
        return "refused", exc.reason, None
    if isinstance(exc, ResponseHeaderTooLarge):
        return "failed", str(exc), None
    if isinstance(exc, RobotsUnavailable):  # before IgnoreRequest: it is one, but passing, not final
        return "failed", exc.reason, None
    if isinstance(exc, IgnoreRequest):
        if "max redirections" in str(exc):  # RedirectMiddleware gave up: a loop, or a chain too long to follow
            limit = meta.get("redirect_max_times") or settings.getint("REDIRECT_MAX_TIMES")
            return "failed", f"redirect loop: more than {limit} redirects (max redirections reached)", None
        if "DOWNLOAD_MAXSIZE" in str(exc):  # HttpCompressionMiddleware: a Content-Encoding bomb
            limit = meta.get("download_maxsize") or settings.getint("DOWNLOAD_MAXSIZE")
            return "failed", f"response larger than {_size_text(int(limit))} (decompressed)", None
        if "robots.txt" in str(exc):
            return "refused", "robots.txt disallows", None
        return "refused", _one_line(str(exc) or "request ignored"), None
    if isinstance(exc, (CannotResolveHostError, txerror.DNSLookupError)):
        return "failed", f"DNS lookup failed for {host}", None
    if isinstance(exc, (DownloadTimeoutError, txerror.TimeoutError, defer.TimeoutError)):
        timeout = meta.get("download_timeout") or settings.getfloat("DOWNLOAD_TIMEOUT")
        return "failed", f"timeout after {float(timeout):g} s", None
    if isinstance(exc, (DownloadConnectionRefusedError, txerror.ConnectionRefusedError)):
        return "failed", "connection refused", None
    if isinstance(exc, (DownloadCancelledError, defer.CancelledError)):
        limit = meta.get("download_maxsize") or settings.getint("DOWNLOAD_MAXSIZE")
        if "max size" in str(exc) or (limit and not str(exc)):
            return "failed", f"response larger than {_size_text(int(limit))}", None
        return "failed", _one_line(f"download cancelled: {exc}"), None
    if isinstance(exc, ResponseDataLossError):
        return "failed", "response truncated (data loss)", None
    if isinstance(exc, DownloadFailedError):
        return "failed", _network_reason(exc), None
    if isinstance(exc, (txerror.ConnectionLost, txerror.ConnectionDone)):
        return "failed", "connection lost", None
    return "failed", _one_line(f"{type(exc).__name__}: {exc}"), None
