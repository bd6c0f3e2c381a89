"""Gather every candidate publication/modification date of a page: JSON-LD, metas, <time>, hints, URL, text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from lxml import etree

from pipelines.dating.text import FoundDate, find_written_dates, find_yearless_dates, parse_date_value
from pipelines.cleaning.htmltree import load_page
from pipelines.records import DateEvidence, DateHint

# Meta names/properties (lowercased) that name the publication time, by kind. Order does not matter.
_OG_PUBLISHED = {"article:published_time", "og:published_time", "og:article:published_time",
                 "article:published", "og:pubdate", "video:release_date"}
_META_PUBLISHED = {
    "pubdate", "publishdate", "publish-date", "publish_date", "published_time", "published-date", "pub_date",
    "pub-date", "publication_date", "publication-date", "date", "dc.date", "dc.date.issued", "dc.date.created",
    "dcterms.date", "dcterms.issued", "dcterms.created", "sailthru.date", "parsely-pub-date", "datepublished",
    "article.published", "article_date_original", "original-publish-date", "originalpublicationdate",
    "cxenseparse:recs:publishtime", "citation_publication_date", "citation_date", "prism.publicationdate",
    "date_published", "published", "created", "creation_date", "publish_time", "article:post_date",
    "bt:pubdate", "rnews:datepublished", "shareaholic:article_published_time", "sailthru.pubdate",
    "dc.created", "dateposted", "datecreated", "displaydate", "og:release_date", "release_date",
    "content_date", "firstpublisheddate", "article.created", "date.release", "pdate", "ptime",
    "analyticsattributes.articledate", "cxenseparse:publishtime", "nv:date", "mediator_published_time",
    "article_published_time", "publishedat",
}
_MODIFIED_HINT = re.compile(r"modif|updat|lastmod|last-mod|revis|edited|change", re.I)
_PUBLISHED_HINT = re.compile(r"publi|pubdate|pub_date|pub-date|created|issued|release|posted", re.I)

_ARTICLE_TYPES = re.compile(r"article|posting|report|blog|news|liveblog", re.I)
_PAGE_TYPES = re.compile(r"webpage|page|video|creativework|event|medi", re.I)
_SKIP_JSON_KEYS = {"itemlistelement", "haspart", "relatedlink", "citation", "comment", "review", "publisher",
                   "author", "creator", "image", "thumbnail", "video", "associatedmedia", "breadcrumb",
                   "potentialaction", "isbasedon", "subjectof", "workexample"}

_OUTSIDE_TAGS = {"header", "nav", "footer", "aside"}
# class/id words of page furniture; "header" only alone or as the site's: "entry-header" is the article's own
_OUTSIDE_CLASS = re.compile(
    r"sidebar|side-bar|related|footer|(?<![a-z])nav|menu|widget|comment|recommend|popular|trending|most-?read|"
    r"teaser|promo|breaking|ticker|topbar|top-bar|masthead|weather|(?<![\w-])header(?![\w-])|site-header|"
    r"(?<![a-z])today(?![a-z])|current-?date|"
    r"page-header|global-header|main-header|top-header|header-top", re.I)

# URL dates: /2025/05/29/, /2025-05-29, /20250529/, _2025_05_29
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_.-]?(0[1-9]|1[0-2])[/_.-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_DATE_SEP = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_.-](1[0-2]|0?[1-9])[/_.-](3[01]|[12]\d|0?[1-9])(?!\d)")
# A post on Twitter/X: its id is a Snowflake, whose high bits are the creation time in ms since 2010-11-04T01:42:54.657Z
_SNOWFLAKE_URL = re.compile(
    r"^[a-z]+://(?:[\w-]+\.)?(?:twitter|x)\.com/(?:[^/?#]+/status(?:es)?|i/web/status)/(\d{15,20})", re.I)
_SNOWFLAKE_EPOCH_MS = 1288834974657



def parse_html(html: str) -> etree._Element | None:
    """The page's tree as cleaning parses it (`pipelines.cleaning.htmltree.load_page`: trafilatura's loading,
    comments and processing instructions dropped), so dating finds the same evidence whether it is handed cleaning's
    tree or parses the page itself.

    None when there is nothing parseable; never raises.
    """
    if not html or not html.strip():
        return None
    try:
        tree = load_page(html)
    except Exception:  # noqa: BLE001 - a page lxml cannot take is a page without evidence
        return None
    if tree is None or not isinstance(tree.tag, str):
        return None
    return tree


def text_of(el: etree._Element) -> str:
    """All the text inside an element (lxml.html's text_content for plain elements)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def _evidence(kind: str, raw: str, found: FoundDate | None, note: str = "") -> DateEvidence:
    if found is None:
        return DateEvidence(kind, raw[:200], None, "day", note or "unparseable")
    return DateEvidence(kind, raw[:200], found.value, found.precision, note)


# ---------------------------------------------------------------------------------------------- JSON-LD
def _walk_jsonld(node: object, depth: int = 0) -> Iterable[dict]:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key.lower().lstrip("@") in _SKIP_JSON_KEYS:
                continue
            if isinstance(value, (dict, list)):
                yield from _walk_jsonld(value, depth + 1)


def _type_rank(obj: dict) -> int:
    """0 for article-like types, 1 for page-like ones, 2 for anything else; why: an Article's date beats a WebPage's."""
    types = obj.get("@type", "")
    text = " ".join(types) if isinstance(types, list) else str(types)
    if _ARTICLE_TYPES.search(text):
        return 0
    if _PAGE_TYPES.search(text) or not text:
        return 1
    return 2


def jsonld_evidence(tree: etree._Element, language: str | None = None) -> list[DateEvidence]:
    """datePublished/dateModified of the page's JSON-LD objects (also in @graph and lists), article types first."""
    published: list[tuple[int, DateEvidence]] = []
    modified: list[tuple[int, DateEvidence]] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        text = (script.text or "").strip()
        if not text:
            continue
        try:
            data = json.loads(text, strict=False)
            objects = list(_walk_jsonld(data))
        except (ValueError, RecursionError):
            # sloppy JSON (trailing commas, comments): read the keys directly
            objects = [{"@type": "Article",
                        **{k: v for k, v in re.findall(r'"(datePublished|dateModified|dateCreated)"\s*:\s*"([^"]+)"',
                                                       text)}}]
        for obj in objects:
            rank = _type_rank(obj)
            if rank == 2:
                continue
            for key in ("datePublished", "dateCreated", "uploadDate", "dateModified"):
                value = obj.get(key)
                if isinstance(value, list) and value:
                    value = value[0]
                if not isinstance(value, (str, int)):
                    continue
                raw = str(value)
                ev = _evidence("jsonld-modified" if key == "dateModified" else "jsonld-published", raw,
                               parse_date_value(raw, language))
                if key == "dateCreated":
                    rank += 1  # creation is a weaker statement than publication
                (modified if key == "dateModified" else published).append((rank, ev))
    published.sort(key=lambda p: p[0])
    modified.sort(key=lambda p: p[0])
    # keep the best-ranked object's date first; the others stay as weaker evidence of the same kind
    out = [ev for _, ev in published[:1]]
    out += [DateEvidence("jsonld-other", ev.raw, ev.value, ev.precision, ev.note) for _, ev in published[1:3]]
    out += [ev for _, ev in modified[:1]]
    return out


# ---------------------------------------------------------------------------------------------- metas
_ITEMPROP = etree.XPath("//*[@itemprop]")  # one cheap attribute scan; filtering in Python beats an or-predicate
_ITEMPROP_DATE_NAMES = {"datePublished", "dateModified", "dateCreated"}
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")

def meta_evidence(tree: etree._Element, language: str | None = None) -> list[DateEvidence]:
    """Open Graph, Dublin Core, parse.ly, sailthru and kin, plus itemprop=datePublished/dateModified elements."""
    out: list[DateEvidence] = []
    seen: set[tuple[str, str]] = set()
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or "")
        key = key.strip().lower()
        content = (meta.get("content") or meta.get("datetime") or "").strip()
        if not key or not content:
            continue
        if key in _OG_PUBLISHED:
            kind = "og-published"
        elif key in ("article:modified_time", "og:updated_time", "article:updated_time", "og:modified_time"):
            kind = "og-modified"
        elif key in ("datepublished",) and meta.get("itemprop"):
            kind = "itemprop-published"
        elif key in ("datemodified",) and meta.get("itemprop"):
            kind = "itemprop-modified"
        elif _MODIFIED_HINT.search(key) and ("date" in key or "time" in key or "modified" in key):
            kind = "meta-modified"
        elif key in _META_PUBLISHED or (_PUBLISHED_HINT.search(key) and ("date" in key or "time" in key)):
            kind = "meta"
        else:
            continue
        if (kind, content) in seen:
            continue
        seen.add((kind, content))
        out.append(_evidence(kind, f"{key}={content}", parse_date_value(content, language)))
    for el in _ITEMPROP(tree):
        if el.tag == "meta" or el.get("itemprop") not in _ITEMPROP_DATE_NAMES:
            continue
        raw = (el.get("datetime") or el.get("content") or text_of(el) or "").strip()
        if not raw:
            continue
        kind = "itemprop-modified" if el.get("itemprop") == "dateModified" else "itemprop-published"
        out.append(_evidence(kind, raw, parse_date_value(raw, language)))
    return out


# ---------------------------------------------------------------------------------------------- <time>
def _is_outside_article(el: etree._Element) -> str:
    """Why an element sits in page furniture (nav, sidebar, footer...), or "" when it may belong to the article."""
    inside_article = False
    node = el
    reason = ""
    while node is not None and node.tag not in ("body", "html"):
        if node.tag in ("article", "main"):
            inside_article = True
        if not reason:
            if node.tag in _OUTSIDE_TAGS:
                reason = f"inside <{node.tag}>"
            else:
                attrs = f"{node.get('class') or ''} {node.get('id') or ''}"
                if attrs.strip() and _OUTSIDE_CLASS.search(attrs):
                    reason = f"inside .{attrs.strip()[:40]}"
        node = node.getparent()
    if reason.startswith("inside <header>") and inside_article:
        return ""  # the article's own header holds its date
    return reason


def _label_before(el: etree._Element, limit: int = 60) -> str:
    """The text written just before an element inside its parent ("Updated <time>...</time>"), its last `limit`
    characters, read backwards so a long parent costs nothing."""
    parent = el.getparent()
    if parent is None:
        return ""
    parts: list[str] = []
    size = 0
    node = el.getprevious()
    while node is not None and size < limit:
        for piece in (node.tail or "", text_of(node) if isinstance(node.tag, str) else ""):
            parts.append(piece)
            size += len(piece)
        node = node.getprevious()
    if size < limit:
        parts.append(parent.text or "")
    return " ".join("".join(reversed(parts)).split())[-limit:]


def time_evidence(tree: etree._Element, language: str | None = None) -> list[DateEvidence]:
    """The first <time datetime> that belongs to the article; those in header/nav/sidebar/footer are noted, not used.

    A <time> marked or labelled as an update ("Updated <time>Jul 24, 2018</time>") is a modification time.
    """
    out: list[DateEvidence] = []
    for el in tree.iter("time"):
        raw = (el.get("datetime") or el.get("content") or "").strip()
        if not raw:
            raw = (text_of(el) or "").strip()
        if not raw:
            continue
        found = parse_date_value(raw, language)
        cls = f"{el.get('class') or ''} {el.get('itemprop') or ''}"
        if _MODIFIED_HINT.search(cls):
            continue
        if _UPDATED_BEFORE.search(_label_before(el)):
            out.append(_evidence("time-modified", raw, found, "labelled as an update"))
            continue
        reason = _is_outside_article(el)
        out.append(_evidence("time" if not reason else "time-outside", raw, found, reason))
        if not reason and found is not None:
            break
        if len(out) > 5:
            break
    return out


# ---------------------------------------------------------------------------------------------- hints, URL
def hint_evidence(hints: Sequence[DateHint], language: str | None = None) -> list[DateEvidence]:
    """The feed's pubDate/updated, the news sitemap's publication_date, sitemap lastmod, HTTP Last-Modified."""
    out = []
    for hint in hints:
        kind = {"feed": "feed", "news-sitemap": "news-sitemap"}.get(hint.kind, hint.kind)
        out.append(_evidence(kind, hint.value, parse_date_value(hint.value, language)))
    return out


def url_evidence(url: str) -> list[DateEvidence]:
    """A full date in the URL path (/2025/05/29/, 2025-05-29, 20250529), day precision.

    A Twitter/X post's URL gives more: its Snowflake id holds the creation instant, exact to the millisecond,
    where the page itself shows only the viewer's clock or nothing the heuristics can find.
    """
    m = _SNOWFLAKE_URL.match(url or "")
    if m:
        millis = (int(m.group(1)) >> 22) + _SNOWFLAKE_EPOCH_MS
        value = datetime.fromtimestamp(millis / 1000, timezone.utc).replace(microsecond=0)
        return [DateEvidence("url-id", m.group(1), value, "time", "the post id's Snowflake timestamp")]
    path = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.I)
    for pattern in (_URL_DATE_SEP, _URL_DATE):
        for m in pattern.finditer(path):
            try:
                value = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
            return [DateEvidence("url", m.group(0), value, "day")]
    return []


# ---------------------------------------------------------------------------------------------- text near title
def _title_element(tree: etree._Element) -> etree._Element | None:
    """The article's headline: the h1 inside article/main, else the h1 that resembles <title>, else the first h1."""
    h1s = [h for h in tree.iter("h1") if (text_of(h) or "").strip()]
    # an h1 that is itself page furniture (the site's name: <h1 class="masthead">Daily News</h1>) is no headline
    h1s = [h for h in h1s if not _OUTSIDE_CLASS.search(f"{h.get('class') or ''} {h.get('id') or ''}")]
    if not h1s:
        return None
    for h in h1s:
        if not _is_outside_article(h) and any(a.tag in ("article", "main") for a in h.iterancestors()):
            return h
    title = " ".join((tree.findtext(".//title") or "").split()).lower()
    for h in h1s:
        text = " ".join(text_of(h).split()).lower()
        if len(text) > 15 and text in title:
            return h
    return h1s[0]


_SKIP_TEXT = {"script", "style", "noscript", "template", "svg", "select", "option", "button"}


def _text_blocks(body: etree._Element, title: etree._Element | None,
                 after: int) -> tuple[list[tuple[etree._Element, str]], int]:
    """Text pieces in reading order up to `after` pieces past the headline, and the headline's index.

    Why stop early: the byline sits near the headline; walking the rest of a long page costs time for nothing.
    """
    title_nodes = set(title.iter()) if title is not None else set()
    blocks: list[tuple[etree._Element, str]] = []
    index = -1
    for el in body.iter():
        tag = el.tag
        if isinstance(tag, str) and tag not in _SKIP_TEXT and el.text and el.text.strip():
            if index < 0 and el in title_nodes:
                index = len(blocks)
            blocks.append((el, " ".join(el.text.split())))
        if el.tail and el.tail.strip():
            parent = el.getparent()
            if parent is not None and parent.tag not in _SKIP_TEXT:
                blocks.append((parent, " ".join(el.tail.split())))
        if index >= 0 and len(blocks) > index + after:
            break
        if index < 0 and title is None and len(blocks) > after:
            break
    return blocks, max(index, 0)


# the words that introduce a modification time in a byline, in the supported languages
_UPDATED_BEFORE = re.compile(
    r"(?:updated|last modified|обновлено|обновлен[ао]?|изменено|оновлено|оновлен[ао]?|змінено|güncelle(?:nme|me)|"
    r"son güncelleme|aktualisiert|geändert|mis à jour|modifié|actualizado|actualización|aggiornato|atualizado)"
    r"\W{0,5}(?:\w+\W{1,3}){0,2}$", re.I)

YEARLESS = "yearless"  # the note of a written day without a year: its year (2000 until then) is the decision's job


def _yearless_evidence(text: str, language: str | None, distance: float, before: bool) -> list[DateEvidence]:
    """A byline's day and time without a year ("29 мая, 14:05"), right at the headline; the year is left open."""
    for d in find_yearless_dates(text, language)[:1]:
        value = datetime(2000, d.month, d.day, d.hour, d.minute, tzinfo=d.tz)
        where = "before" if before else "from"
        return [DateEvidence("text", d.raw, value, "time", f"{YEARLESS}; {int(distance)} blocks {where} title")]
    return []


def text_evidence(tree: etree._Element, language: str | None = None,
                  before: int = 12, after: int = 30) -> list[DateEvidence]:
    """Dates written near the headline (byline, dateline), in the supported languages; the nearest ones first.

    Why near the title: article bodies cite other dates ("on 16 May"), and page headers print today's date, but
    the byline sits right before or after the headline.
    """
    body = tree.find("body")
    if body is None:
        return []
    title = _title_element(tree)
    blocks, index = _text_blocks(body, title, after)
    if not blocks:
        return []
    window = []
    for i in range(max(0, index - before), min(len(blocks), index + after)):
        # before the headline counts double: bylines follow it, banners with today's date precede it
        window.append((abs(i - index) * (2 if i < index else 1), i < index, i))
    out: list[DateEvidence] = []
    for distance, _, i in sorted(window):
        el, text = blocks[i]
        if not re.search(r"\d", text):
            continue
        # a written date can be split across sibling inline elements: read a little of what follows too
        joined = " ".join(t for _, t in blocks[i:i + 3])[:300]
        if not _YEAR.search(joined):
            if title is not None and index - 2 <= i <= index + 3 and not _is_outside_article(el):
                out += _yearless_evidence(text, language, distance, i < index)
            continue
        dates = find_written_dates(joined, language, limit=2)
        dates = [d for d in dates if d.start < len(text)]
        for d in dates[:1]:
            reason = _is_outside_article(el)
            if reason and not reason.startswith("inside <") and title is not None and index <= i <= index + 3:
                reason = ""  # a dateline right under the headline, whatever its container is called
            kind = "text" if not reason else "text-outside"
            # the label may sit in its own element: "<em>Last Updated:</em> January 7, 2025"
            before = (blocks[i - 1][1] + " " if i > 0 else "") + text[:d.start]
            if _UPDATED_BEFORE.search(before[-60:]):
                kind = "text-modified"  # "Updated: 3 June 2025, 10:15" - a modification, not the publication
            ev = DateEvidence(kind, d.raw, d.value, d.precision, reason)
            where = "before" if i < index else "from"
            ev.note = (ev.note + f"; {int(distance)} blocks {where} title").lstrip("; ")
            if d.ambiguous:
                ev.note += "; ambiguous day/month"
            out.append(ev)
        if len(out) >= 4:
            break
    return out


# the publication date a page's own data layer or app state names (analytics, CMS state), in inline scripts
_SCRIPT_PUBLISHED = re.compile(
    r"""(?:datePublished|date_published|publishDate|publish_date|publishedDate|published_date|"""
    r"""publicationDate|publication_date|pubDate|pub_date|DateCreation|dateCreated|firstPublished(?:Date|At)?|"""
    r"""publishedAt|published_at|articlePublishDate)["']?\s*[:=]\s*["']([^"'\n]{8,40})["']""")
# a cheap test before the regex
_SCRIPT_HINTS = ("ublish", "ublication", "ubDate", "ub_date", "DateCreation", "dateCreated")


def script_evidence(tree: etree._Element, language: str | None = None) -> list[DateEvidence]:
    """The first publication date named in an inline script that is not JSON-LD (a data layer, the app's state)."""
    for script in tree.iter("script"):
        if "ld+json" in (script.get("type") or "").lower() or script.get("src"):
            continue
        text = script.text or ""
        if not any(hint in text for hint in _SCRIPT_HINTS):
            continue
        m = _SCRIPT_PUBLISHED.search(text)
        if m:
            found = parse_date_value(m.group(1), language)
            if found is not None:
                return [DateEvidence("script", m.group(0)[:200], found.value, found.precision)]
    return []


def page_language(tree: etree._Element) -> str | None:
    """The language the page declares (<html lang>, content-language meta), as a lowercase 2-letter code."""
    lang = tree.get("lang") or tree.get("xml:lang") or ""
    if not lang:
        for meta in tree.iter("meta"):
            if (meta.get("http-equiv") or meta.get("property") or "").lower() in ("content-language", "og:locale"):
                lang = meta.get("content") or ""
                break
    lang = lang.strip().lower()[:2]
    return lang if lang.isalpha() else None


def gather_evidence(tree: etree._Element, url: str, hints: Sequence[DateHint] = (),
                    language: str | None = None) -> list[DateEvidence]:
    """Every date the page, its URL and its hints offer, cheapest first; htmldate is left to the decision."""
    language = language or page_language(tree)
    evidence: list[DateEvidence] = []
    evidence += jsonld_evidence(tree, language)
    evidence += meta_evidence(tree, language)
    evidence += time_evidence(tree, language)
    evidence += hint_evidence(hints, language)
    evidence += url_evidence(url)
    evidence += script_evidence(tree, language)
    evidence += text_evidence(tree, language)
    return evidence
