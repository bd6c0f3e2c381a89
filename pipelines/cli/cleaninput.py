"""What `talkwatch clean` accepts: a saved HTML page of bounded size, a JSON-lines manifest, a known time zone.

Every check here exists because its absence hurt: `clean /dev/zero` read until memory ran out, a FIFO blocked
forever, a PNG, an empty file or /etc/passwd printed an empty "article" with status 0, one non-UTF-8 manifest line
lost the good lines before it, an unknown --timezone was silently ignored.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spiders.binary import binary_kind, wide_encoding
from spiders.settings import DOWNLOAD_MAXSIZE

MAX_PAGE_BYTES = DOWNLOAD_MAXSIZE  # the crawler's own page-size cap (10 MB): a saved page is no bigger
SNIFF_BYTES = 64 * 1024
MAX_MANIFEST_LINE = 64 * 1024  # a line is a small JSON object: a path, a URL, a zone and a time
_CHUNK = 64 * 1024
_UTF16_32 = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
             (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# an element any HTML page has near its top; plain text, CSV, JSON or a passwd file have none
_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|meta|title|link|script|style|article|main|div|p|h[1-6]"
                     rb"|section|header|nav|span|a|br|table|ul|ol|li|time|figure|img)[\s/>]", re.IGNORECASE)


class InputRefused(ValueError):
    """A page, manifest or option `clean` cannot use; the message says why in one line."""


def check_zone(name: str | None, what: str = "--timezone") -> str | None:
    """The IANA zone name unchanged, or InputRefused for one zoneinfo does not know (`Mars/Olympus`)."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise InputRefused(f"{what} is empty: give an IANA zone such as Europe/Kyiv")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of tzdata, or too long
        raise InputRefused(f"{what} {name!r} is not a known IANA time zone (e.g. Europe/Kyiv, UTC)") from None
    return name


def _stat(path: str, missing: str, unreadable: str) -> os.stat_result:
    """`os.stat`, with a missing or unreadable path refused in the caller's words."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise InputRefused(missing) from None
    except OSError as exc:
        raise InputRefused(f"{unreadable}: {exc.strerror or exc}") from None


def read_page(path: str | os.PathLike) -> bytes:
    """The bytes of a saved page, or InputRefused: missing, a folder, not a regular file, too big, empty, not HTML.

    The file is opened with O_NONBLOCK and checked with fstat before reading, so a FIFO or a device swapped in
    after the check cannot block or flood us; at most the crawler's page-size cap is read.
    """
    p = os.fspath(path)
    if not p:
        raise InputRefused("the page path is empty: give the saved page's file")
    st = _stat(p, f"no such file: {p}", f"cannot read {p}")
    _check_regular(p, st)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputRefused(f"cannot read {p}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        _check_regular(p, os.fstat(fd))
        body = fh.read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        raise InputRefused(f"{p} is larger than the crawler's page-size cap of {MAX_PAGE_BYTES // (1024 * 1024)} MB")
    check_html(body, p)
    return body


def _check_regular(p: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise InputRefused(f"{p} is a folder, not a saved page")
    if not stat.S_ISREG(st.st_mode):
        raise InputRefused(f"{p} is not a regular file (a pipe or a device); save the page to a file first")
    if st.st_size > MAX_PAGE_BYTES:
        raise InputRefused(f"{p} is larger than the crawler's page-size cap of {MAX_PAGE_BYTES // (1024 * 1024)} MB")


def check_html(body: bytes, name: str) -> None:
    """InputRefused unless `body` looks like an HTML page: the crawler's binary check, then markup near the top."""
    if not body.strip():
        raise InputRefused(f"{name} is empty: nothing to clean")
    binary = binary_kind(body)
    if binary is not None:
        raise InputRefused(f"{name} is not HTML ({binary})")
    head = body[:SNIFF_BYTES]
    for bom, codec in _UTF16_32:
        if head.startswith(bom):
            head = head.decode(codec, errors="ignore").encode("utf-8")
            break
    else:
        wide = wide_encoding(head)
        if wide is not None:
            head = head.decode(wide, errors="ignore").encode("utf-8")
    if not _MARKUP.search(head):
        raise InputRefused(f"{name} is not HTML: no HTML markup in its first {SNIFF_BYTES // 1024} KB")


def check_parsed(reason: str | None, name: str) -> None:
    """InputRefused when cleaning found no HTML page in the file (`NOT_HTML`): a Markdown file, an RSS or SVG
    document. Its markup passed `check_html`'s look at the first tags, so only the parse (in the page's child process,
    under its deadline) can tell; refused as such a page is by `check_html` (status 2), not "not an article" (1)."""
    from pipelines.cleaning import NOT_HTML

    if reason == NOT_HTML:
        raise InputRefused(f"{name} is not HTML: it neither starts like an HTML page nor parses as one")


def open_manifest(path: str) -> BinaryIO:
    """The manifest as a binary stream: a regular file or a pipe (`<(jq ...)`), never a folder or a device."""
    if not path:
        raise InputRefused('the manifest path is empty: give the JSON-lines file, or "-" for stdin')
    st = _stat(path, f"no such manifest: {path}", f"cannot read the manifest {path}")
    if stat.S_ISDIR(st.st_mode):
        raise InputRefused(f"the manifest {path} is a folder; give a JSON-lines file")
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        raise InputRefused(f"the manifest {path} is a device, not a JSON-lines file")
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputRefused(f"cannot read the manifest {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ManifestLine:
    """One non-blank manifest line: its number, its text, or why it cannot be read (then `text` is None)."""

    number: int
    text: str | None
    error: str | None = None


def manifest_lines(stream: BinaryIO, name: str) -> Iterator[ManifestLine]:
    """The manifest's non-blank lines, one at a time, each decoded on its own.

    Why binary and line by line: one line in another encoding must cost that line only, not the lines before it
    (a text-mode reader fails on the whole file). A line longer than MAX_MANIFEST_LINE is skipped in bounded
    chunks. A file that is no manifest at all (binary data, or text that does not start with `{`) is refused
    whole with InputRefused before any line is read: a thousand error lines would say less.
    """
    _check_manifest_head(stream, name)
    number = 0
    while True:
        raw = stream.readline(MAX_MANIFEST_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_MANIFEST_LINE and not raw.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield ManifestLine(number, None, f"line {number} is longer than {MAX_MANIFEST_LINE // 1024} KB")
            continue
        if not raw.strip():
            continue
        try:
            yield ManifestLine(number, raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            yield ManifestLine(number, None, f"line {number} is not UTF-8 text (byte {exc.start + 1})")


def _check_manifest_head(stream: BinaryIO, name: str) -> None:
    """InputRefused when the first bytes (peeked, not consumed) show binary data or no JSON object."""
    peek = getattr(stream, "peek", None)
    if peek is None:
        return
    head = peek(SNIFF_BYTES)[:SNIFF_BYTES]
    binary = binary_kind(head)
    if binary is not None:
        raise InputRefused(f"the manifest {name} is not JSON lines ({binary})")
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text and not text.startswith(b"{"):
        raise InputRefused(f"the manifest {name} is not JSON lines: it does not start with a {{...}} object")


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while True:
        chunk = stream.readline(_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


@dataclass(frozen=True)
class ManifestEntry:
    """A manifest line's request: the page, its URL, and its own zone and fetch time when it gives them."""

    path: str
    url: str | None
    timezone: str | None
    fetched_at: str | None


# C0 and C1 control characters other than the tab, newline and CR a URL parser drops
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# schemes that never name where a page was fetched from; anything else is taken as given, as it always was: real
# evaluation sets name pages by bare file names ("example.com-story.html"), with trailing spaces or typos
# ("xhttps://"), and refusing those would cost their pages' text, which the URL only helps to date and key
_NOT_A_PAGE_SCHEMES = frozenset({"javascript", "vbscript", "data", "blob", "about", "mailto", "tel", "sms"})


def check_page_url(url: str | None, what: str = "--url") -> str | None:
    """The page's URL unchanged, or InputRefused when it cannot be where a saved page came from (`javascript:`,
    `data:`, `mailto:` ...): the URL picks the page's source and time zone and feeds the dedup keys."""
    if url is None:
        return None
    if not url.strip():  # `--url "$URL"` with URL unset: a manifest's "" means "no URL" and never gets here
        raise InputRefused(f"{what} is empty: give the page's original URL, or leave {what} out")
    # as a URL parser reads it (WHATWG, urlsplit): tabs and newlines inside are dropped, so "java\tscript:" is one
    scheme, sep, _ = re.sub(r"[\t\n\r]", "", url.strip()).partition(":")
    if sep and scheme.lower() in _NOT_A_PAGE_SCHEMES:
        raise InputRefused(f"{what} {url!r} is a {scheme.lower()}: URL, not the address of a page")
    if _CONTROL.search(url):  # no page's address holds one, and `clean` printed it raw: an ESC sequence reached the
        raise InputRefused(f"{what} {url!r} holds a control character, which no page's address has")  # terminal
    try:
        urlsplit(url.strip())  # what every step after reads the URL with: its refusal failed the whole page
    except ValueError as exc:
        raise InputRefused(f"{what} {url!r} cannot be read as a URL: {exc}") from None
    return url


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_entry(text: str) -> ManifestEntry:
    """The entry a line asks for, or InputRefused naming what is wrong with it (the path is checked on reading)."""
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise InputRefused(f"not JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise InputRefused('not a JSON object: give {"path": ..., "url": ...}')
    path = spec.get("path")
    if path is not None and not isinstance(path, str):
        raise InputRefused('"path" must be a string: the saved page\'s file')
    if not path:
        raise InputRefused('no "path": give the saved page\'s file')
    for key in ("url", "timezone", "fetched_at"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise InputRefused(f'"{key}" must be a string')
    for key in ("path", "url", "timezone", "fetched_at"):
        if isinstance(spec.get(key), str) and _SURROGATE.search(spec[key]):
            raise InputRefused(f'"{key}" holds a lone surrogate escape (such as \\ud800), not a character')
    zone = check_zone(spec.get("timezone"), '"timezone"') if spec.get("timezone") else None
    url = check_page_url(spec.get("url") or None, '"url"')
    return ManifestEntry(path=path, url=url, timezone=zone, fetched_at=spec.get("fetched_at"))
