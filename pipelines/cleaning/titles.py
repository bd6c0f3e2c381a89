"""The headline by agreement: every title the page states (JSON-LD, og, twitter, meta, <title>, headings) votes."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from trafilatura.metadata import METANAME_TITLE

# separators an outlet puts between the headline and its own name or section ("Headline | Reuters", "A - B - Site")
SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|«|›|/|~)\s+|\s*[|·•]\s*|\s+[_–—]|[_–—]\s+")
# a trailing part this short (in words) can be an outlet name even when it matches nothing we know
_SUFFIX_MAX_WORDS = 5

# How much a kind of candidate's word counts. Measured, not set by hand: p = how often a kind's text, outlet name
# removed, was the true title where the page has that kind, on folds 0-2 (bench/quality.py --folds 5) of
# ../shared/corpus readability/ and trafilatura-eval/ together; weight = log(2p / (1 - p)), the log-odds of being
# right against about two rivals (jsonld p=.88, og .82, twitter .75, meta .77, title .61, h1 in <article>/<main> .81,
# the page's only h1 .69, itemprop=headline .78). Headings that only support (several h1s outside the article:
# p=.10; h2s) have no log-odds of their own: h2 = 2.5 was chosen on folds 0-2 and checked on folds 3-4.
# og is set below the article's heading (2.0, not its log-odds 2.21; any value in 1.6-2.13 scores the same on folds 0-2,
# each better than 2.21): where only the two disagree, the heading a reader sees is the headline more often (folds 0-2,
# checked on folds 3-4: one page better in each set).
WEIGHTS: dict[str, float] = {
    "jsonld": 2.66,
    "og": 2.0,
    "twitter": 1.79,
    "meta": 1.9,
    "title": 1.14,
    "h1-article": 2.14,
    "h1": 0.3,
    "h1-single": 1.47,
    "itemprop": 1.96,
    "h2": 2.5,
}
# a vote for a part of a candidate (its text with a segment cut off) counts this much of a vote for the whole
PART = 0.3
# a text of fewer words is rarely a headline ("Opinion", "Lorem", a logo's name): its vote counts SHORT of the weight
# (on folds 0-2 a heading under three words was the title on 4 of 25 pages where it and <title> disagreed)
SHORT_WORDS = 3
SHORT = 0.5
# the headings a reader sees; a declared title that contains one of at least CONTAIN letters and digits votes for
# the heading ("Headline, with more words" shown as "Headline"), and the winner is written as the heading writes it
VISIBLE = {"h1-article", "h1-single", "itemprop", "h1"}
CONTAIN = 15
# what a visible heading's spelling weighs more than any sum of votes
SHOWN = 100.0
# kinds that are usually copies of one field of the page's editor: together they count once and a little more
# (og:title and twitter:title differed on 9 of 137 pages of folds 0-2); COPY chosen on folds 0-2
GROUPS = {"og": "declared", "twitter": "declared", "meta": "declared"}
COPY = 0.5
# kinds that only support what another kind says: a second-level heading alone is not the headline
SUPPORT_ONLY = {"h2", "h1"}
# how many headings of one level are looked at: beyond that they are teasers and menus
MAX_TITLE_CHARS = 500  # longer candidates are dropped: no outlet writes a headline that long
MAX_HEADINGS = 3

_ARTICLE_CONTAINERS = {"article", "main"}
# the meta names that carry a page's title (trafilatura's METANAME_TITLE, twitter:title kept as its own kind)
_META_TITLE_KEYS = METANAME_TITLE - {"twitter:title"}
_JSONLD_ORGS = ("organization", "newsmediaorganization", "corporation")


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly the characters str.isalnum rejects (\w is isalnum or "_")


def alnum(text: str) -> str:
    """The case-folded letters and digits of `text`, nothing else: the key of "the same words, written differently"
    comparisons. One regex pass instead of a Python test of every character."""
    return _NOT_ALNUM.sub("", text.casefold())


def squash(text: str) -> str:
    """Lower-case letters and digits only, to compare names written differently ("Anadolu Ajansı" ~ "anadoluajansi")."""
    return alnum(unicodedata.normalize("NFKD", text))


def collapse(text: str | None) -> str:
    return " ".join((text or "").split())


# What a separator left dangling at either end of a title is made of: the words of these characters alone that
# `(?:\s+[-|–—:·•›/~]+)+$|^(?:[-|–—:·•›/~]+\s+)+` removed. That pattern was tried from every position and scanned
# to the end from each: a <title> of 30,000 " |" took minutes, past the page deadline. Words give the same result
# in one pass.
_DANGLING_CHARS = frozenset("-|–—:·•›/~")


def _dangling(word: str) -> bool:
    return bool(word) and all(c in _DANGLING_CHARS for c in word)


def tidy(text: str | None) -> str:
    """Whitespace collapsed and a separator left dangling at either end removed ("Headline -" -> "Headline")."""
    words = collapse(text).split(" ")
    start = 0
    while start < len(words) - 1 and _dangling(words[start]):  # each followed by a blank: not the last word
        start += 1
    end = len(words)
    while end - 1 > start and _dangling(words[end - 1]):  # each after a blank the leading ones did not take
        end -= 1
    return " ".join(words[start:end])


@dataclass(frozen=True)
class Candidate:
    """One title the page states, with where it stands (`kind`, a key of WEIGHTS)."""

    kind: str
    text: str
    # a heading's leading element (a kicker?) and what follows it, when the heading is built so
    kicker: str = ""
    rest: str = ""


# ---------------------------------------------------------------------------------------------------------------
# gathering


def _jsonld_objects(tree: HtmlElement) -> list[dict]:
    """Every JSON object of the page's JSON-LD blocks (@graph and nested values flattened); broken blocks skipped."""
    found: list[dict] = []

    def walk(value: object, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(value, dict):
            found.append(value)
            for inner in value.values():
                if isinstance(inner, (dict, list)):
                    walk(inner, depth + 1)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, depth + 1)

    for script in tree.iterfind(".//script[@type]"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            walk(json.loads(script.text, strict=False))
        except (ValueError, RecursionError):  # sloppy JSON; or nested 10,000 deep, which json.loads recurses into
            continue
    return found


def _types(obj: dict) -> list[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k.lower() for k in kinds if isinstance(k, str)]


# a heading's leading element of at most this many words, followed by more words, may be a kicker (a topic line);
# 3 chosen on folds 0-2 (a four-word first line was the first half of a two-line headline), checked on folds 3-4
KICKER_WORDS = 3


_RUBY_NOTES = frozenset({"rt", "rp"})


def visible_text(el: HtmlElement) -> str:
    """A heading's text as a reader reads the line: without ruby annotations (the <rt> readings set above the
    characters and the <rp> parentheses for browsers without ruby), so "<ruby>漢<rt>かん</rt></ruby>字" reads 漢字,
    not 漢かん字, and without a permalink mark (a link to the heading's own anchor that shows only "¶", "#" or
    "§", as documentation generators and blogs append). Such an element itself reads as nothing. Everything
    else as `text_content()`."""
    if _reads_as_nothing(el):
        return ""
    if not any(_reads_as_nothing(node) for node in el.iter("rt", "rp", "a")):
        return el.text_content()
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not _reads_as_nothing(child):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts)


def _reads_as_nothing(node: HtmlElement) -> bool:
    """A ruby annotation, or a permalink mark: an in-page link whose few characters hold no letter or digit."""
    if node.tag in _RUBY_NOTES:
        return True
    if node.tag != "a" or not (node.get("href") or "").startswith("#"):
        return False
    shown = node.text_content().strip()
    return 0 < len(shown) <= 3 and not any(ch.isalnum() for ch in shown)


def _heading(el: HtmlElement) -> Candidate | None:
    """A heading's text, with the kicker it may set apart as an element of its own before the headline
    ("<h1><span>Climate</span> Drilling until it gets hot</h1>": kicker "Climate", headline "Drilling until it gets
    hot"); whether that is a kicker is decided by comparison in choose()."""
    text = tidy(visible_text(el))
    if not text:
        return None
    if (el.text or "").strip():
        return Candidate("", text)
    children = [child for child in el if isinstance(child.tag, str)]
    first = next((child for child in children if tidy(visible_text(child))), None)
    if first is None:
        return Candidate("", text)
    kicker = tidy(visible_text(first))
    rest = tidy("".join([first.tail or ""] + [
        visible_text(child) + (child.tail or "") for child in children[children.index(first) + 1:]]))
    if rest and len(kicker.split()) <= KICKER_WORDS and words(rest) > words(kicker):
        return Candidate("", text, kicker, rest)
    return Candidate("", text)


def _in_article(el: HtmlElement) -> bool:
    return any(a.tag in _ARTICLE_CONTAINERS or a.get("itemprop") == "articleBody" for a in el.iterancestors())


def gather(tree: HtmlElement) -> tuple[list[Candidate], list[str]]:
    """(every title candidate the page states, every name it gives itself) in document order."""
    cands: list[Candidate] = []
    names: list[str] = []
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = collapse(meta.get("content"))
        if not content:
            continue
        if key == "og:title":
            cands.append(Candidate("og", tidy(content)))
        elif key == "twitter:title":
            cands.append(Candidate("twitter", tidy(content)))
        elif key in _META_TITLE_KEYS:
            cands.append(Candidate("meta", tidy(content)))
        elif key in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:app:name:iphone"):
            names.append(content)
    for obj in _jsonld_objects(tree):
        headline = obj.get("headline")
        if isinstance(headline, str) and collapse(headline):
            cands.append(Candidate("jsonld", tidy(html.unescape(headline))))
        types = _types(obj)
        if any(t in _JSONLD_ORGS for t in types) and isinstance(obj.get("name"), str):
            names.append(collapse(html.unescape(obj["name"])))
        publisher = obj.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.append(collapse(html.unescape(publisher["name"])))
    title = tree.find(".//title")
    if title is not None and tidy(title.text_content()):
        cands.append(Candidate("title", tidy(title.text_content())))
    for level in ("h1", "h2"):
        headings = [(el, _heading(el)) for el in tree.iter(level)]
        headings = [(el, found) for el, found in headings if found][:MAX_HEADINGS]
        for el, found in headings:
            if level == "h2":
                kind = "h2"
            elif _in_article(el):
                kind = "h1-article"
            else:
                kind = "h1-single" if len(headings) == 1 else "h1"
            cands.append(replace(found, kind=kind))
    for el in tree.iterfind(".//*[@itemprop]"):
        if el.tag != "meta" and el.get("itemprop", "").strip().lower() == "headline":
            found = _heading(el)
            if found:
                cands.append(replace(found, kind="itemprop"))
            break
    # a text this long is no headline (a page whose <title> was 100 KB had it stored as the title)
    cands = [c for c in cands if len(c.text) <= MAX_TITLE_CHARS]
    return cands, [n for n in dict.fromkeys(names) if n]


# ---------------------------------------------------------------------------------------------------------------
# outlet names


def host_labels(url: str | None) -> set[str]:
    """The meaningful labels of a host name ("www.rt.com" -> {"rt"}; "meduza.io" -> {"meduza"})."""
    if not url:
        return set()
    host = (urlsplit(url).hostname or "").lower()
    parts = [p for p in host.split(".") if p not in ("www", "m", "amp", "mobile", "news", "en", "ru", "uk", "tr")]
    if len(parts) > 1:
        parts = parts[:-1]  # the top-level domain says nothing about the outlet
    return {p.replace("-", "") for p in parts if len(p) >= 2}


def is_outlet_name(part: str, names: list[str] | tuple[str, ...], url: str | None) -> bool:
    """Whether a title segment names the outlet: it is, starts with, or is the start of a name the page gives
    itself or of a host label ("RT World News" ~ site "RT"; "Reuters" ~ reuters.com). Labels under three letters
    must match whole."""
    squashed = squash(part)
    if not squashed:
        return True
    for name in names:
        site = squash(name)
        if site and (squashed == site or squashed.startswith(site) or site.startswith(squashed)):
            return True
    for label in host_labels(url):
        if squashed == label:
            return True
        if len(label) >= 3 and (squashed.startswith(label) or label.startswith(squashed)):
            return True
        if len(label) >= 4 and label in squashed:
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# choosing


# where a part of a title may be cut off for agreement: the outlet separators and a kicker's colon ("Chronik: ...")
_PART_SEPARATORS = re.compile(SEPARATORS.pattern + r"|(?<=\w):\s+")


def parts(text: str) -> list[str]:
    """The text and every run of its separator-delimited segments that keeps one end ("A | B | C" -> "A | B | C",
    "A | B", "A", "B | C", "C"): what is left when an outlet, section or kicker is cut off either end."""
    seps = list(_PART_SEPARATORS.finditer(text))
    if not seps:
        return [text]
    out = [text]
    for sep in seps:
        head, tail = text[: sep.start()].strip(), text[sep.end():].strip()
        out.extend(p for p in (head, tail) if p)
    return list(dict.fromkeys(out))


def _is_the_outlet(text: str, names: list[str], url: str | None) -> bool:
    """Whether a text is exactly the outlet's name, not a headline: a name the page gives itself or its host's."""
    key = squash(text)
    return key in {squash(n) for n in names} or key in host_labels(url)


def strip_outlet(title: str | None, names: list[str] | tuple[str, ...] = (), url: str | None = None) -> str | None:
    """Remove the outlet's name around a headline (" | Reuters", " - RT World News", " — Meduza", "Reuters: ").

    Only a segment that names the outlet (site name or host) is removed, and only from either end, so a headline
    that itself contains a dash ("Talks resume - Kremlin") keeps its words unless the last segment is the outlet.
    """
    if not title:
        return title
    title = collapse(title)
    for _ in range(2):  # "Headline - World - RT" style: at most two segments
        seps = list(SEPARATORS.finditer(title))
        if not seps:
            break
        last = title[seps[-1].end():].strip()
        first = title[: seps[0].start()].strip()
        if last and len(last.split()) <= _SUFFIX_MAX_WORDS and is_outlet_name(last, names, url):
            title = title[: seps[-1].start()].strip()
            continue
        if first and len(first.split()) <= _SUFFIX_MAX_WORDS and is_outlet_name(first, names, url):
            title = title[seps[0].end():].strip()
            continue
        break
    return title.strip() or None


def _own_text(cand: Candidate, whole: str, said: dict[str, set[str]], shown: list[str]) -> str:
    """What a candidate says once compared with the others: the longest of its parts that another kind of candidate
    states on its own ("Headline | Section" with an og:title "Headline" -> "Headline"); else, for a declared title,
    the visible heading it contains ("Headline, longer" shown as "Headline"); else its text.

    Why: an outlet's name, a section or a kicker next to the headline is recognised by comparison, without a list
    of names: the page states the headline alone somewhere else. And the visible heading is the truest form of a
    title it says the same thing as, in fewer words.
    """
    key = squash(whole)
    matches = [p for p in parts(whole)[1:]
               if squash(p) != key and any(k != cand.kind for k in said.get(squash(p), ()))]
    if matches:
        return max(matches, key=len)
    if CONTAIN and cand.kind not in VISIBLE and key:
        for text in shown:
            other = squash(text)
            if other != key and len(other) >= CONTAIN and other in key:
                return text
    return whole


def _support(by_kind: dict[str, float]) -> float:
    """The weight behind a text: kinds of one group (copies of one field, such as og:title and twitter:title) count
    fully once, each further member of the group only COPY of its weight."""
    groups: dict[str, list[float]] = defaultdict(list)
    for kind, share in by_kind.items():
        groups[GROUPS.get(kind, kind)].append(share)
    total = 0.0
    for shares in groups.values():
        shares.sort(reverse=True)
        total += shares[0] + COPY * sum(shares[1:])
    return total


_CJK_RUNS = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]+")  # kana, CJK ideographs, hangul


def words(text: str) -> int:
    """Words of a text (a title, or a whole body for the cleaner); in scripts written without spaces (CJK), two
    characters count as one word."""
    return max(len(text.split()), sum(map(len, _CJK_RUNS.findall(text))) // 2)


def _without_kickers(cands: list[Candidate]) -> list[Candidate]:
    """Headings whose leading element is a kicker, stated as the headline alone. The leading element is a kicker when
    a title the page declares (or another heading level) writes it as a segment of its own ("Climate: Drilling until
    it gets hot" for the heading "<span>Climate</span> Drilling until it gets hot") or states the rest alone. A
    heading whose words or characters are elements of their own (ruby, animated words) keeps its text: nothing else
    writes its first word as a segment."""
    if not any(c.kicker for c in cands):
        return cands
    segments: dict[str, set[str]] = defaultdict(set)  # squashed text or segment -> kinds that write it
    for cand in cands:
        if cand.kind not in VISIBLE:  # the same element can be h1 and itemprop=headline: no support of its own
            for part in parts(cand.text):
                segments[squash(part)].add(cand.kind)
    return [Candidate(c.kind, c.rest) if c.kicker and any(segments.get(squash(t), set()) - {c.kind}
                                                          for t in (c.kicker, c.rest)) else c
            for c in cands]


def choose(cands: list[Candidate], names: list[str], url: str | None) -> str | None:
    """The headline the candidates agree on most.

    Each candidate votes, with its kind's weight, for its own text (outlet names cut off both ends, and affixes found
    by comparison with the other candidates, see _own_text) and, with PART of that weight, for every other part of
    it left when a segment is cut off an end; a kind votes once per text. The text with the most weight wins; a
    heading that only supports (SUPPORT_ONLY) adds to what others say. The winner is spelled (quotes, dashes,
    case) as a visible heading writes it, else as the candidates with the most weight behind them do.
    """
    cands = _without_kickers(cands)
    wholes = [strip_outlet(c.text, names, url) or c.text for c in cands]
    said: dict[str, set[str]] = defaultdict(set)  # squashed text -> kinds that state it whole
    for cand, whole in zip(cands, wholes):
        if cand.kind not in SUPPORT_ONLY:
            said[squash(whole)].add(cand.kind)
    shown = [whole for cand, whole in zip(cands, wholes) if cand.kind in VISIBLE]
    votes: dict[str, dict[str, float]] = defaultdict(dict)  # squashed text -> kind -> weight
    spellings: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for cand, whole in zip(cands, wholes):
        own = _own_text(cand, whole, said, shown)
        weight = WEIGHTS.get(cand.kind, 0.0)
        for text in dict.fromkeys([own, *parts(whole)]):
            key = squash(text)
            if not key:
                continue
            share = weight if text == own else weight * PART
            spellings[key][text] += share + (SHOWN if cand.kind in VISIBLE and text == own else 0.0)
            share *= SHORT if words(text) < SHORT_WORDS else 1.0
            if share > votes[key].get(cand.kind, 0.0):
                votes[key][cand.kind] = share
    ranked = sorted(((_support(by_kind), key) for key, by_kind in votes.items()
                     if not set(by_kind) <= SUPPORT_ONLY), key=lambda sk: -sk[0])
    if not ranked:
        return None
    # the outlet's own name is the headline only of a page that states nothing else (a home page)
    spelled = {key: max(spellings[key].items(), key=lambda kv: kv[1])[0] for _, key in ranked}
    best_key = next((key for _, key in ranked if not _is_the_outlet(spelled[key], names, url)), ranked[0][1])
    return unicodedata.normalize("NFC", spelled[best_key])


def headline(tree: HtmlElement, sitename: str | None, url: str | None) -> str | None:
    """The page's headline chosen by agreement, outlet names removed; None when the page states no title at all."""
    cands, names = gather(tree)
    if sitename:
        names = [sitename, *names]
    return choose(cands, names, url)


__all__ = ["Candidate", "WEIGHTS", "choose", "gather", "headline", "is_outlet_name", "parts", "squash", "strip_outlet"]
