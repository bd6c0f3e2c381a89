"""trafilatura's byline search (`trafilatura.metadata.extract_author`) in one pass over the tree, with the same answer.

Why: trafilatura copies the whole tree, prunes it with two XPath sets and then runs three more, each calling Python's
`re` for every element through EXSLT; that was a fifth of the pipeline's CPU on pages without an author in their
metadata. Here one walk over the elements evaluates all five expressions' predicates (the same patterns, the same
`re.search` that lxml's `re:test` runs), and only a chosen candidate's own subtree is copied and pruned, with
trafilatura's own `delete_element`, so its text comes out exactly as in the pruned copy. tests/test_bylines.py holds
the two to the same answers, and bench/bylines_eval.py compares them on every corpus page.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.utils import trim
from trafilatura.xml import delete_element

# the predicates of trafilatura.xpaths.AUTHOR_XPATHS (three expressions, tried in order) and AUTHOR_DISCARD_XPATHS
_TAGS_0 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_CLASS_0 = re.compile("author-?name|AuthorName|authorName")
_TAGS_1 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_CLASS_EQ_1 = frozenset({"byline", "username", "byl", "BBL"})
_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_ID_2 = re.compile("[Aa]uthor")
_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_CLASS_EQ = frozenset({"comments", "title", "date"})
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer")
_LEN_LIMIT = 120
_BARE_TAGS_THAT_COUNT = frozenset({"author", "time", "figure"})  # candidates or discarded with no attribute at all


def _string_value(el: HtmlElement) -> str:
    return "".join(el.itertext())


def _is_candidate_0(el: HtmlElement, tag: str, cls: str, says_me: set[HtmlElement]) -> bool:
    if tag == "author":
        return True
    if tag not in _TAGS_0:
        return False
    get = el.get
    return (get("rel") == "author" or get("id") == "author" or cls == "author" or get("itemprop") == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL") or _CLASS_0.search(cls) is not None
            or el in says_me)


def _is_candidate_1(el: HtmlElement, tag: str, cls: str) -> bool:
    if tag not in _TAGS_1:
        return False
    return (cls in _CLASS_EQ_1 or "author" in (el.get("itemprop") or "")
            or _ID_1.search(el.get("id") or "") is not None or _CLASS_1.search(cls) is not None)


def _is_candidate_2(el: HtmlElement, cls: str) -> bool:
    return ("Byline" in (el.get("data-component") or "") or "author" in (el.get("itemprop") or "")
            or _ID_2.search(el.get("id") or "") is not None or _CLASS_2.search(cls) is not None)


def _discarded(el: HtmlElement, tag: str, cls: str, is_root: bool) -> bool:
    if tag in ("time", "figure"):
        return True
    if is_root or tag not in _DISCARD_TAGS:  # trafilatura's `.//*` starts below the element it is given
        return False
    ident = el.get("id") or ""
    return (ident == "comments" or cls in _DISCARD_CLASS_EQ or _DISCARD_ID.search(ident) is not None
            or _DISCARD_CLASS.search(cls) is not None or "Figure" in (el.get("data-component") or ""))


def _pruned_text(el: HtmlElement, removed: set[HtmlElement]) -> str:
    """The element's text as it reads in trafilatura's pruned copy: removed descendants gone, their tails kept."""
    inner = [d for d in el.iterdescendants() if d in removed]
    if not inner:
        return trim(" ".join(el.itertext()))
    copy = deepcopy(el)
    twins = dict(zip(el.iter(), copy.iter()))
    for d in inner:
        delete_element(twins[d])  # in document order, as trafilatura deletes them
    return trim(" ".join(copy.itertext()))


def find_byline(tree: HtmlElement) -> str | None:
    """The page's author(s) from bylines in its markup, as `trafilatura.metadata.extract_author(tree)` finds them."""
    # `rel='me'` in trafilatura's XPath (no @) asks for a child element <rel> whose text is "me"
    says_me = {r.getparent() for r in tree.iter("rel") if _string_value(r) == "me"}
    removed: set[HtmlElement] = set()
    candidates: tuple[list, list, list] = ([], [], [])
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions are not elements to XPath's `*`
            continue
        if not el.attrib and tag not in _BARE_TAGS_THAT_COUNT and el not in says_me:
            continue  # every predicate below needs an attribute, one of these tags or a <rel>me</rel> child
        cls = el.get("class") or ""
        if _discarded(el, tag, cls, el is tree):
            removed.add(el)
        if _is_candidate_0(el, tag, cls, says_me):
            candidates[0].append(el)
        if _is_candidate_1(el, tag, cls):
            candidates[1].append(el)
        if _is_candidate_2(el, cls):
            candidates[2].append(el)
    if not any(candidates):
        return None
    for found in candidates:
        for el in found:
            if el in removed or any(a in removed for a in el.iterancestors()):
                continue  # not in the pruned copy
            content = _pruned_text(el, removed)
            if content and 2 < len(content) < _LEN_LIMIT:
                return normalize_authors(None, content)
    return None


__all__ = ["find_byline"]
