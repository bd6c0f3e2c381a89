"""From one page's HTML to a CleanedPage: trafilatura extraction, paragraph blocks, link cards and residue removed.

The package holds the steps of that one concern, each its own module: decoding (bytes to text), htmltree (the one
parse every step reads), metadata (what the page says of itself) with titles (the headline by agreement) and
bylines, and residue (the lines no article text is). They were flat modules of `pipelines`; dating reads the same
tree through htmltree. Importing any of them imports this module, and with it trafilatura: the flow process imports
none of them (its page workers do the cleaning).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura import bare_extraction

from pipelines.cleaning.decoding import decode_html
from pipelines.cleaning.htmltree import load_page
from pipelines.cleaning.metadata import PageMetadata, detect_language, read_metadata
from pipelines.cleaning.residue import remove_residue
from pipelines.cleaning.titles import alnum, words as count_words
from pipelines.records import CleanedPage

LOGGER = logging.getLogger(__name__)

# Extraction settings chosen with bench/extraction_eval.py on ../shared/corpus/extraction (181 pages), each with our
# post-processing: fast=True beat fast=False (F1 .9735 vs .9694, and ~1.5x quicker: the readability/justext
# fallbacks brought more boilerplate than text), favor_precision lost recall (F1 .9505), favor_recall changed
# little (.9726), include_tables=False lost recall (.9703). include_links=True made trafilatura pick a different
# (wrong) region on some pages, so link cards are recognised from the page's <a> texts instead (_measure_links).
EXTRACTION_SETTINGS: dict = {
    "fast": True,
    "favor_precision": False,
    "favor_recall": False,
    "include_tables": True,
    "include_comments": False,
    "include_links": False,
    "include_images": False,
    "deduplicate": False,
}

# a linked block longer than this that ends like a sentence is prose wrapped in a link, not a card
LINK_CARD_MAX_WORDS = 20
_SENTENCE_END = re.compile(r"[.!?…][\"'”»’)]*$")
# a body shorter than this is not an article (a teaser, a video page, a paywall stub)
MIN_WORDS = 40
# a quick-pass body shorter than this is extracted again with trafilatura's fallbacks (readability, jusText), and
# the longer result kept: the main extractor sometimes holds on to a teaser-sized region of a page whose article sits
# elsewhere. bench/quality.py, 5 folds, thresholds 40/100/125/150: 125 words left extraction/ unchanged (150 took
# a blog's other posts on one page) and raised readability/ 0.929 -> 0.931, trafilatura-eval/ 0.924 -> 0.928
# (3 of 5 folds up, 1 down 0.003)
RETRY_WORDS = 125
# ... unless the body is an article already (MIN_WORDS or more) and the page's own text (what its p, div, td and li
# elements hold themselves) is under this many times the quick pass's: then there is nothing more to find. On the
# corpus 112 pages are retried instead of 168, and 22 take the retry's body instead of 23 (the one lost gained 4
# words); bench/pipeline_cpu.py: see the README
RETRY_PAGE_SHARE = 1.5
# share of a block's text inside links above which the block is a link card, not prose
LINK_CARD_SHARE = 0.8
# pages larger than this are cut before parsing: trafilatura has no timeout and huge trees can run for minutes
MAX_HTML_CHARS = 3_000_000
# the reason of a page no HTML tree can be built from (trafilatura's rule: it does not start like HTML and parses to
# fewer than two elements); `talkwatch clean` refuses such a file as input, as it refuses text without markup
NOT_HTML = "not HTML"
# a listing page: many link cards and they outnumber the prose blocks
LISTING_MIN_CARDS = 8

_WS = re.compile(r"\s+")
# invisible characters that only glue or split words in the source (zero-width space, word joiner, BOM, soft hyphen);
# ZWJ/ZWNJ are kept: they carry meaning in some scripts and in emoji
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_INLINE_SKIP = {"graphic"}
_CONTAINERS = {"list", "quote", "div", "table", "body", "section", "article"}


@dataclass
class Block:
    """One paragraph-level unit of the extracted body."""

    text: str
    kind: str  # "p", "head", "item", "quote", "row", ...
    link_share: float  # share of the text that sits inside links


def _inline(el: _Element, parts: list[str], linked: list[int], in_link: bool = False) -> None:
    """Collect the text under `el` in reading order; <lb/> becomes a newline; tallies link characters."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _INLINE_SKIP:
        if el.tail:
            parts.append(el.tail)
            if in_link:
                linked[0] += len(el.tail.strip())
        return
    here = in_link or tag == "ref"
    if tag == "lb":
        parts.append("\n")
    elif tag in ("item", "row", "p", "head") and parts and not parts[-1].endswith("\n"):
        parts.append("\n")
    elif tag == "cell" and parts:
        parts.append(" | ")
    if el.text:
        parts.append(el.text)
        if here:
            linked[0] += len(el.text.strip())
    for child in el:
        _inline(child, parts, linked, here)
    if el.tail:
        parts.append(el.tail)
        if in_link:
            linked[0] += len(el.tail.strip())


def _text_of(el: _Element) -> tuple[list[str], float]:
    """The lines of an element (split on <lb/>), whitespace collapsed, and its share of linked characters."""
    parts: list[str] = []
    linked = [0]
    if el.text:
        parts.append(el.text)
        if el.tag == "ref":
            linked[0] += len(el.text.strip())
    for child in el:
        _inline(child, parts, linked, el.tag == "ref")
    raw = _INVISIBLE.sub("", "".join(parts))
    lines = [_WS.sub(" ", ln).strip() for ln in raw.split("\n")]
    lines = [ln for ln in lines if ln]
    total = sum(len(ln) for ln in lines) or 1
    return lines, min(1.0, linked[0] / total)


def body_blocks(body: _Element) -> list[Block]:
    """Walk trafilatura's XML body: one <p>/<head>/<item>/table row is one block; containers are opened up.

    Working on the element tree (not the flattened text) keeps paragraph boundaries exact: headings stay their own
    lines and nothing is glued to its neighbour.
    """
    blocks: list[Block] = []

    def visit(el: _Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _INLINE_SKIP or not tag:
            return
        if tag == "table":
            for row in el.iter("row"):
                cells = []
                linked_chars = total_chars = 0
                for cell in row.iter("cell"):
                    lines, share = _text_of(cell)
                    text = " ".join(lines)
                    if text:
                        cells.append(text)
                        linked_chars += share * len(text)
                        total_chars += len(text)
                if cells:
                    blocks.append(Block(" | ".join(cells), "row", linked_chars / (total_chars or 1)))
            return
        has_block_children = any(
            isinstance(c.tag, str) and c.tag in ("p", "head", "list", "item", "quote", "table", "div") for c in el
        )
        if tag in _CONTAINERS or (tag in ("item", "quote") and has_block_children):
            # text sitting directly in the container before its first block child
            if el.text and el.text.strip():
                blocks.append(Block(_WS.sub(" ", el.text).strip(), "item" if tag == "item" else "p", 0.0))
            for child in el:
                if isinstance(child.tag, str) and child.tag in ("p", "head", "list", "item", "quote", "table", "div"):
                    visit(child)
                elif isinstance(child.tag, str):
                    lines, share = _text_of_single(child)
                    for line in lines:
                        blocks.append(Block(line, "p", share))
                if child.tail and child.tail.strip():
                    blocks.append(Block(_WS.sub(" ", child.tail).strip(), "p", 0.0))
            return
        lines, share = _text_of(el)
        kind = tag if tag in ("p", "head", "item", "quote", "code") else "p"
        for line in lines:
            text = f"- {line}" if kind == "item" and line == lines[0] else line
            blocks.append(Block(text, kind, share))

    visit(body)
    return blocks


def _text_of_single(el: _Element) -> tuple[list[str], float]:
    """Inline element met directly inside a container (a stray <hi> or <ref>): its own text plus its children."""
    parts: list[str] = []
    linked = [0]
    _inline(el, parts, linked, False)
    # _inline appended the tail too; the caller handles tails itself
    if el.tail:
        parts.pop()
        if el.tag == "ref":
            linked[0] -= len(el.tail.strip())
    raw = _INVISIBLE.sub("", "".join(parts))
    lines = [ln for ln in (_WS.sub(" ", x).strip() for x in raw.split("\n")) if ln]
    total = sum(len(ln) for ln in lines) or 1
    return lines, max(0.0, min(1.0, linked[0] / total))


def _anchor_texts(tree) -> tuple[set[str], list[str]]:
    """Normalised texts of the page's links: all of them (exact lookups) and the long ones (substring lookups)."""
    exact: set[str] = set()
    for a in tree.iter("a"):
        text = _WS.sub(" ", a.text_content()).strip().casefold()
        if len(text) >= 2:
            exact.add(text)
    long_ones = sorted((t for t in exact if len(t) >= 15), key=len, reverse=True)
    return exact, long_ones


def _measure_links(blocks: list[Block], tree) -> None:
    """Set each block's link share from the original page's <a> texts.

    Extraction runs without include_links (keeping <ref> changed which region trafilatura picked on some pages),
    so link cards are recognised by their text: a block that is one link's text, or mostly made of long link texts.
    """
    exact, long_ones = _anchor_texts(tree)
    if not exact:
        return
    texts = [block.text[2:] if block.kind == "item" and block.text.startswith("- ") else block.text
             for block in blocks]
    keys = [text.casefold() for text in texts]
    # the long link texts found anywhere in the body: a block none of them is in has no link text to count
    body = "\n".join(keys)
    in_body = [anchor for anchor in long_ones if anchor in body]
    for block, text, key in zip(blocks, texts, keys):
        if key in exact:
            block.link_share = 1.0
            continue
        if not any(anchor in key for anchor in in_body):
            block.link_share = 0.0
            continue
        covered = 0
        for anchor in long_ones:
            if len(anchor) > len(key):
                continue
            if anchor in key:
                covered += len(anchor) * key.count(anchor)
                key = key.replace(anchor, " ")
                if covered >= 0.8 * len(text):
                    break
        block.link_share = min(1.0, covered / (len(text) or 1))


def _is_link_card(block: Block) -> bool:
    """A block that is (nearly) all link text and reads like a headline: a related-story card or a menu entry.

    A long linked block that ends like a sentence is kept: some sites wrap whole paragraphs in a link.
    """
    if block.link_share < LINK_CARD_SHARE:
        return False
    words = len(block.text.split())
    return words <= LINK_CARD_MAX_WORDS or not _SENTENCE_END.search(block.text)


def _looks_binary(html: str) -> bool:
    """Whether decoded "HTML" is really binary: NUL bytes or a high share of replacement characters."""
    head = html[:4096]
    if not head:
        return False
    if head.count("\x00") > 2:
        return True
    return head.count("\ufffd") / len(head) > 0.1


def _root_like(url: str) -> bool:
    """A site's home or section root ("/", "/news/", "/ru/"): where listings live, not articles."""
    path = urlsplit(url).path.strip("/")
    return path == "" or (len(path.split("/")) == 1 and len(path) <= 3)


def _not_article(url: str, reason: str, meta: PageMetadata | None = None, hint: str | None = None) -> CleanedPage:
    return CleanedPage(
        url=url,
        title=meta.title if meta else None,
        authors=meta.authors if meta else [],
        language=(meta.declared_language if meta else None) or hint,
        paragraphs=[],
        canonical_url=meta.canonical_url if meta else None,
        og_url=meta.og_url if meta else None,
        description=meta.description if meta else None,
        sitename=meta.sitename if meta else None,
        is_article=False,
        reason=reason,
    )


def clean_html(html: str, url: str, language_hint: str | None = None) -> CleanedPage:
    """Make a CleanedPage of one page. Never raises: what cannot be an article comes back with is_article=False
    and a reason ("empty page", "binary content", "no body text", "too short: N words", "listing page", ...)."""
    return clean_page(html, url, language_hint)[0]


def clean_page(html: str, url: str, language_hint: str | None = None) -> tuple[CleanedPage, HtmlElement | None]:
    """clean_html's page, and the parsed tree of the whole page when there is one, for the next steps to reuse
    (dating reads the same tree instead of parsing the page again). Extraction works on a copy, so the tree is
    the page as loaded. No tree when the page was cut to MAX_HTML_CHARS: only the page's own bytes may be read."""
    try:
        return _clean(html, url, language_hint)
    except Exception as err:  # noqa: BLE001 - one bad page must not stop a run
        LOGGER.warning("cleaning failed for %s: %r", url, err)
        return _not_article(url, f"cleaning failed: {type(err).__name__}", hint=language_hint), None


def _clean(html: str, url: str, language_hint: str | None) -> tuple[CleanedPage, HtmlElement | None]:
    if isinstance(html, bytes):
        html = decode_html(html)
    if not html or not html.strip():
        return _not_article(url, "empty page", hint=language_hint), None
    if _looks_binary(html):
        return _not_article(url, "binary content, not HTML", hint=language_hint), None
    cut = len(html) > MAX_HTML_CHARS
    if cut:
        html = html[:MAX_HTML_CHARS]
    tree = load_page(html)
    if tree is None:
        return _not_article(url, NOT_HTML, hint=language_hint), None
    return _clean_tree(tree, url, language_hint), None if cut else tree


def _clean_tree(tree: HtmlElement, url: str, language_hint: str | None) -> CleanedPage:
    meta = read_metadata(tree, url)
    lines, cards = _body_lines(tree, url, meta, EXTRACTION_SETTINGS)
    text = "\n".join(lines)
    words = count_words(text)
    if (EXTRACTION_SETTINGS.get("fast") and words < RETRY_WORDS and not _root_like(url)
            and (words < MIN_WORDS or _text_words(tree) >= RETRY_PAGE_SHARE * words)):
        # the quick pass found little of a page that says more: trafilatura's fallbacks (readability, justext)
        # sometimes find the article
        retry_lines, retry_cards = _body_lines(tree, url, meta, {**EXTRACTION_SETTINGS, "fast": False})
        retry_text = "\n".join(retry_lines)
        retry_words = count_words(retry_text)
        if retry_words > words:
            lines, cards, text, words = retry_lines, retry_cards, retry_text, retry_words

    language = detect_language(text, meta.declared_language, language_hint)
    page = CleanedPage(
        url=url,
        title=meta.title,
        authors=meta.authors,
        language=language,
        paragraphs=lines,
        canonical_url=meta.canonical_url,
        og_url=meta.og_url,
        description=meta.description,
        sitename=meta.sitename,
    )
    listing_like = _root_like(url) or meta.page_type not in (None, "article") or words < MIN_WORDS
    if cards >= LISTING_MIN_CARDS and cards > 2 * len(lines) and listing_like:
        page.is_article, page.reason = False, f"looks like a listing page ({cards} link blocks, {len(lines)} text blocks)"
    elif words == 0:
        page.is_article, page.reason = False, "no body text"
    elif _root_like(url) and meta.page_type != "article":
        page.is_article, page.reason = False, "looks like an index page (site or section root)"
    elif words < MIN_WORDS:
        page.is_article, page.reason = False, f"too short: {words} words (< {MIN_WORDS})"
    return page


def _text_words(tree: HtmlElement) -> int:
    """Words the page's text blocks hold themselves (their own text and their children's tails, not nested
    blocks twice): how much there is to find, scripts and attributes not counted. Counted as the body's words are
    (titles.words: CJK text, written without spaces, counts two characters a word), so the two compare."""
    parts: list[str] = []
    for el in tree.iter("p", "div", "td", "li"):
        parts.append(el.text or "")
        parts.extend(child.tail or "" for child in el)
    return count_words(" ".join(parts))


def _body_lines(tree, url: str, meta: PageMetadata, settings: dict) -> tuple[list[str], int]:
    """Extract with `settings` and clean: (the body's lines, how many link cards were dropped)."""
    # output_format "txt": the body tree comes back without `doc.text`, which the default "python" format renders
    # with xmltotxt (a walk over the whole body: 0.5% of page_job's instructions, callgrind) that nothing here
    # reads. The format decides nothing else in bare_extraction (formatting stays off; only "markdown" turns it
    # on), and xmltotxt leaves the tree as it is when formatting is off, so the body is the same tree either way.
    doc = bare_extraction(tree, url=url, with_metadata=False, output_format="txt", **settings)
    if doc is None or doc.body is None or (len(doc.body) == 0 and not (doc.body.text or "").strip()):
        return [], 0
    blocks = body_blocks(doc.body)
    if not settings.get("include_links"):
        _measure_links(blocks, tree)
    prose = [b for b in blocks if not _is_link_card(b)]
    cards = len(blocks) - len(prose)
    prose = _drop_standfirst(prose, meta)
    lines, _dropped = remove_residue([b.text for b in prose], title=meta.title, title_variants=meta.title_variants)
    lines = [ln for i, ln in enumerate(lines) if i == 0 or ln != lines[i - 1]]  # a block repeated back to back
    return lines, cards


def _drop_standfirst(prose: list[Block], meta: PageMetadata) -> list[Block]:
    """Drop a heading-styled standfirst at the top of the body that repeats the page's description.

    The dek is a summary set as a sub-heading; it is kept in CleanedPage.description, and the benchmark's truth
    leaves it out of the body. A first *paragraph* equal to the description is the lede itself and is kept.
    """
    if not meta.description:
        return prose
    desc = alnum(meta.description)
    if len(desc) < 30:
        return prose
    for idx, block in enumerate(prose[:3]):
        if block.kind != "head":
            continue
        key = alnum(block.text)
        if len(key) >= 30 and (key == desc or key in desc or desc in key):
            return prose[:idx] + prose[idx + 1:]
    return prose


__all__ = ["EXTRACTION_SETTINGS", "NOT_HTML", "Block", "body_blocks", "clean_html", "clean_page"]
