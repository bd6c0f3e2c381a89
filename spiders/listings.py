"""Parse feed and sitemap bytes into article entries: RSS 2.0/1.0, Atom, sitemap index, sitemap, Google News sitemap.

Pure functions, no Scrapy: bytes in, `Listing` out. The XML parser never resolves entities nor touches the
network (a billion-laughs feed stays small), recovers from broken XML where lxml can, and raises
`ListingError` with a one-line reason when nothing usable is left.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from html.entities import html5
from urllib.parse import urljoin

from lxml import etree

DEFAULT_MAX_SIZE = 10 * 1024 * 1024

LISTED_VIA = {"rss": "rss", "rdf": "rss", "atom": "atom", "sitemap": "sitemap", "news-sitemap": "news-sitemap"}
"""Listing kind -> the `PageItem.listed_via` value for entries found in it."""


class ListingError(ValueError):
    """The bytes are not a feed or sitemap we can read; the message is the one-line reason."""


@dataclass(frozen=True)
class ListingEntry:
    """One article link as a listing gave it."""

    url: str  # absolute (joined with the listing URL); scheme not checked here
    title: str | None
    date_raw: str | None  # verbatim date string
    date_kind: str | None  # "feed" | "news-sitemap" | "sitemap-lastmod"


@dataclass
class Listing:
    """What one feed or sitemap document contained."""

    kind: str  # "rss" | "rdf" | "atom" | "sitemap" | "news-sitemap" | "sitemap-index"
    entries: list[ListingEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index (absolute)
    sitemap_lastmods: dict[str, str] = field(default_factory=dict)  # child sitemap -> its <lastmod>, when given

    @property
    def listed_via(self) -> str:
        return LISTED_VIA.get(self.kind, "sitemap")


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe, and this keeps the options obvious.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
        load_dtd=False,
        dtd_validation=False,
    )


def maybe_gunzip(body: bytes, max_size: int = DEFAULT_MAX_SIZE) -> bytes:
    """Decompress gzip bytes (a `.xml.gz` sitemap served as a file), refusing to inflate past `max_size`."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_size + 1)
    except zlib.error as exc:
        raise ListingError(f"broken gzip data: {exc}") from exc
    if len(out) > max_size or inflater.unconsumed_tail:
        raise ListingError(f"decompressed listing larger than {max_size} bytes")
    return out


_LIMIT_ERRORS = {
    getattr(etree.ErrorTypes, name)
    for name in ("ERR_RESOURCE_LIMIT", "ERR_ENTITY_LOOP", "ERR_ENTITY_AMPLIFICATION")
    if hasattr(etree.ErrorTypes, name)
}


def _refuse_bombs(parser: etree.XMLParser) -> None:
    """libxml2 stops at an entity-amplification or depth limit and `recover` would hide it: say so instead."""
    for err in parser.error_log:
        if err.type in _LIMIT_ERRORS or "amplification" in err.message or "Excessive depth" in err.message:
            raise ListingError(f"refused: XML resource limit hit ({err.message.strip()})")


_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")


def _html_entities_to_numeric(data: bytes) -> bytes:
    """Turn HTML named entities (`&nbsp;`, `&mdash;`), undefined in XML but common in feeds, into numeric ones.

    Left alone, one of them sends libxml2 into recovery, which then also drops the `&amp;`s after it.
    """

    def repl(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        text = html5.get(name.decode("ascii") + ";")
        if text is None:
            return match.group(0)
        return b"".join(b"&#%d;" % ord(ch) for ch in text)

    return _NAMED_ENTITY.sub(repl, data)


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, entity references, processing instructions
        return ""
    return etree.QName(tag).localname.lower()


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for name in names:
        for c in el:
            if _local(c) == name:
                return c
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = "".join(t for t in el.itertext() if isinstance(t, str)).strip()
    return " ".join(text.split()) or None


def _child_text(el: etree._Element, *names: str) -> str | None:
    for name in names:
        value = _text(_child(el, name))
        if value:
            return value
    return None


def _abs(base_url: str | None, link: str | None) -> str | None:
    """`link` made absolute against `base_url`; a link urljoin cannot read (`http://[::1/x`) comes back as written,
    for the spider to record as refused ("malformed URL"), instead of an exception that lost the whole listing."""
    if not link:
        return None
    link = link.strip()
    if not link:
        return None
    try:
        return urljoin(base_url, link) if base_url else link
    except ValueError:
        return link


def _base(el: etree._Element, base_url: str) -> str:
    """The base URL links in `el` resolve against: its xml:base (Atom's, inherited and itself resolved against the
    listing's URL by lxml), else the listing's URL. Without it a relative Atom link went to the feed's folder."""
    try:
        return el.base or base_url
    except ValueError:  # an xml:base libxml2 cannot resolve
        return base_url


def _parse_rss_item(item: etree._Element, base_url: str) -> ListingEntry | None:
    link = _child_text(item, "link")
    if not link:
        guid = _child(item, "guid")
        if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
            link = _text(guid)
    url = _abs(_base(item, base_url), link)
    if not url:
        return None
    date = _child_text(item, "pubdate", "date")  # dc:date's local name is "date"
    return ListingEntry(url, _child_text(item, "title"), date, "feed" if date else None)


def _atom_link(entry: etree._Element) -> etree._Element | None:
    """The entry's page link: rel="alternate" (the default), else the first other link that is not about the feed."""
    fallback = None
    for link in _children(entry, "link"):
        if not link.get("href"):
            continue
        rel = (link.get("rel") or "alternate").lower()
        if rel == "alternate":
            return link
        fallback = fallback if fallback is not None else (
            link if rel not in ("self", "edit", "enclosure", "replies") else None)
    return fallback


def _parse_atom_entry(entry: etree._Element, base_url: str) -> ListingEntry | None:
    link = _atom_link(entry)
    url = _abs(_base(link, base_url), link.get("href")) if link is not None else None
    if not url:
        return None
    date = _child_text(entry, "published") or _child_text(entry, "updated")
    return ListingEntry(url, _child_text(entry, "title"), date, "feed" if date else None)


def _parse_sitemap_url(node: etree._Element, base_url: str) -> tuple[ListingEntry | None, bool]:
    url = _abs(_base(node, base_url), _child_text(node, "loc"))
    if not url:
        return None, False
    news = _child(node, "news")
    if news is not None:
        pub = _child_text(news, "publication_date")
        title = _child_text(news, "title")
        if pub:
            return ListingEntry(url, title, pub, "news-sitemap"), True
        lastmod = _child_text(node, "lastmod")
        return ListingEntry(url, title, lastmod, "sitemap-lastmod" if lastmod else None), True
    lastmod = _child_text(node, "lastmod")
    return ListingEntry(url, None, lastmod, "sitemap-lastmod" if lastmod else None), False


def parse_listing(body: bytes, base_url: str = "", max_size: int = DEFAULT_MAX_SIZE) -> Listing:
    """Parse one feed or sitemap document (gzip allowed); relative links are joined with `base_url`."""
    data = maybe_gunzip(body, max_size)
    if not data.strip():
        raise ListingError("empty listing")
    parser = _parser()
    try:
        root = etree.fromstring(_html_entities_to_numeric(data), parser, base_url=base_url or None)
    except etree.XMLSyntaxError as exc:
        raise ListingError(f"not parseable as XML: {exc}") from exc
    _refuse_bombs(parser)
    if root is None:
        raise ListingError("not parseable as XML")
    name = _local(root)
    if name == "rss":
        channel = _child(root, "channel")
        items = _children(channel, "item") if channel is not None else _children(root, "item")
        entries = [e for e in (_parse_rss_item(i, base_url) for i in items) if e]
        return Listing("rss", entries)
    if name == "rdf":
        entries = [e for e in (_parse_rss_item(i, base_url) for i in _children(root, "item")) if e]
        return Listing("rdf", entries)
    if name == "feed":
        entries = [e for e in (_parse_atom_entry(i, base_url) for i in _children(root, "entry")) if e]
        return Listing("atom", entries)
    if name == "sitemapindex":
        index = Listing("sitemap-index")
        for node in _children(root, "sitemap"):
            child = _abs(_base(node, base_url), _child_text(node, "loc"))
            if child and child not in index.sitemap_lastmods and child not in index.sitemaps:
                index.sitemaps.append(child)
                lastmod = _child_text(node, "lastmod")
                if lastmod:
                    index.sitemap_lastmods[child] = lastmod
        return index
    if name == "urlset":
        entries: list[ListingEntry] = []
        any_news = False
        for node in _children(root, "url"):
            entry, is_news = _parse_sitemap_url(node, base_url)
            if entry:
                entries.append(entry)
                any_news = any_news or is_news
        return Listing("news-sitemap" if any_news else "sitemap", entries)
    raise ListingError(f"not a feed or sitemap (root element <{name or root.tag}>)")
