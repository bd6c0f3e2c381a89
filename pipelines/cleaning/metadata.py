"""Page metadata for the cleaner: title without the outlet suffix, a clean author list, language, declared URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json

from pipelines.cleaning import titles
from pipelines.cleaning.bylines import find_byline

# ---------------------------------------------------------------------------------------------------------------
# title

# where the spellings of the title the residue rules compare with the body are split (only spaced separators)
_VARIANT_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|«|/)\s+")


def strip_outlet(title: str | None, sitename: str | None = None, url: str | None = None) -> str | None:
    """Remove the outlet's name around a headline (" | Reuters", " - RT World News", " — Meduza", "Reuters: ")."""
    return titles.strip_outlet(title, [sitename] if sitename else [], url)


def _is_outlet_name(part: str, sitename: str | None, url: str | None) -> bool:
    return titles.is_outlet_name(part, [sitename] if sitename else [], url)


def _h1_texts(tree: HtmlElement) -> list[str]:
    """Texts of the page's <h1> elements, whitespace collapsed."""
    out = []
    for h1 in tree.iterfind(".//h1"):
        text = " ".join(titles.visible_text(h1).split())
        if text:
            out.append(text)
    return out


def _title_tag(tree: HtmlElement) -> str | None:
    element = tree.find(".//title")
    if element is None:
        return None
    text = " ".join(element.text_content().split())
    return text or None


def choose_title(
    tree: HtmlElement, meta_title: str | None, sitename: str | None, url: str | None
) -> str | None:
    """The headline every title the page states agrees on most (pipelines/cleaning/titles.py), outlet names removed; the
    declared `meta_title` only when the page states no title at all. Never empty when the page has a <title> or <h1>.
    """
    chosen = titles.headline(tree, sitename, url)
    if chosen:
        return chosen
    return strip_outlet(meta_title, sitename, url) if meta_title else None


# ---------------------------------------------------------------------------------------------------------------
# authors

# "with" joins a wire credit to a name ("John Smith with Reuters", "при участии ТАСС"): a split, and the agency is
# then dropped as any agency is. Blanks before a separator are taken from the start of their run only, whole
# (`(?<!\s)\s++`): a split never begins inside a run (its start gives the same one). The plain `\s*` tried every
# position of a run and every way back from it, and 10,000 spaces in an author field took 30 s; linear now, and
# the same splits
_AUTHOR_SPLIT = re.compile(r"(?:(?<!\s)\s++)?(?:;|,|&|\||/|\band\b|\bи\b|\bі\b|\bта\b|\bve\b|\bund\b|\bet\b"
                           r"|\bwith\b|\bпри участии\b|\bза участю\b)\s*", re.IGNORECASE)
_AUTHOR_PREFIX = re.compile(
    r"^(?:by|from|written by|writing by|reporting by|reported by|additional reporting(?: by)?|text"
    r"|автор(?:ы)?|автори|текст|yazan|yazar|muhabir|von|par)\s*:?\s+",
    re.IGNORECASE,
)
# "Pavel Polityuk in Kyiv": where the reporter filed from, after the name
_FILED_FROM = re.compile(r"\s+in\s+\S+(?:\s+\S+)?$")
# a credit that names who edited, photographed or drew, not who wrote: "Editing by Tom Balmforth" (a wire's
# credit line), "Photo: ...", "Фото из ...". Not "Editor: Name" or "Редактор: Name", which pages mark up as their
# author (itemprop=author): there the role word is dropped and the name kept
_NOT_AUTHOR = re.compile(
    r"^(?:(?:editing|edited|compiled|fact[- ]?check(?:ed|ing)?|translated|translation)\s+by"
    r"|photos?|photographs?|pictures?|graphics?|illustrations?|video|фото)\b",
    re.IGNORECASE,
)
_ROLE_WORDS = {
    "staff", "writer", "reporter", "editor", "correspondent", "contributor", "columnist", "journalist", "desk",
    "team", "newsroom", "editorial", "staffer", "freelance", "senior", "chief", "political", "special",
    "корреспондент", "редактор", "редакция", "журналист", "обозреватель", "кореспондент", "редакція",
    "журналіст", "оглядач", "muhabiri", "muhabir", "editörü", "editör", "yazarı", "haber", "merkezi",
}


def _is_role(word: str) -> bool:
    """Whether a word of a byline is a job title ("Staff", "Writers", "корреспондент") rather than a name."""
    w = word.casefold().strip(".,:")
    return w in _ROLE_WORDS or (w.endswith("s") and w[:-1] in _ROLE_WORDS)


_AGENCIES = {
    "reuters", "afp", "ap", "associatedpress", "tass", "тасс", "riaновости", "риановости", "интерфакс", "interfax",
    "ukrinform", "укрінформ", "anadolu", "anadoluajansı", "aa", "dpa", "bloomberg", "sputnik", "efe", "ansa",
    "unian", "уніан", "rt", "bbc", "cnn", "admin", "administrator", "guest", "anonymous", "unknown",
    "agencies", "newsagencies", "wires", "wireservices", "агентства", "агентство", "агенції", "ajanslar",
}
_URL_OR_EMAIL_TOKEN = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+", re.IGNORECASE)
_EMAIL_OR_URL = re.compile(r"@|https?://|www\.|\.(?:com|ru|ua|org|net|io)\b", re.IGNORECASE)


def clean_authors(raw: str | list[str] | None, sitename: str | None = None, url: str | None = None) -> list[str]:
    """A de-duplicated list of person names out of what pages put in author fields.

    Drops "By", roles ("Staff Writer"), outlet and agency names ("with Reuters", "and agencies"), editors' and
    photographers' credits ("Editing by ..."), emails and URLs; splits on and / , / & / with / и / і / ve;
    "additional reporting by" credits the reporter. A name must have letters and at most five words, so stray
    sentences are not taken for authors.
    """
    if not raw:
        return []
    chunks = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    seen: set[str] = set()
    for chunk in chunks:
        chunk = _URL_OR_EMAIL_TOKEN.sub(" ", chunk or "")
        for piece in _AUTHOR_SPLIT.split(chunk):
            name = " ".join(piece.split()).strip(" .:-–—()[]\"'«»")
            if _NOT_AUTHOR.match(name):
                continue
            name = _FILED_FROM.sub("", _AUTHOR_PREFIX.sub("", name)).strip(" .:-–—")
            if not name or _EMAIL_OR_URL.search(name):
                continue
            words = [w for w in name.split() if not _is_role(w)]
            if len(words) != len(name.split()):
                # "John Smith, Staff Writer" splits on the comma; "Staff Writer John Smith" keeps the name
                name = " ".join(words)
            if not name or not any(c.isalpha() for c in name) or len(name.split()) > 5:
                continue
            squashed = titles.squash(name)
            if squashed in _AGENCIES or _is_outlet_name(name, sitename, None) and sitename:
                continue
            if url and squashed in titles.host_labels(url):
                continue
            if squashed in seen:
                continue
            seen.add(squashed)
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------------------------
# language

_LANG_IDENTIFIER = None
# below this many letters a detector is guessing; the page's own declaration is trusted instead
_MIN_LETTERS_FOR_DETECTION = 60
# characters of body text given to the detector: enough to be sure, and detection cost grows with the length
_DETECTION_SAMPLE = 1200


def language_identifier():
    """The py3langid model, loaded once (it takes a noticeable moment) with normalised probabilities."""
    global _LANG_IDENTIFIER
    if _LANG_IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _LANG_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _LANG_IDENTIFIER


def primary_subtag(code: str | None) -> str | None:
    """"en-US" / "uk_UA" / "RU" -> "en" / "uk" / "ru"; None for empty or malformed codes."""
    if not code:
        return None
    sub = re.split(r"[-_]", code.strip())[0].lower()
    return sub if re.fullmatch(r"[a-z]{2,3}", sub) else None


def _enough_letters(sample: str) -> bool:
    """Whether `sample` has _MIN_LETTERS_FOR_DETECTION letters: stops counting once it has (a page's first hundred
    characters usually settle it)."""
    letters = 0
    for c in sample:
        if c.isalpha():
            letters += 1
            if letters >= _MIN_LETTERS_FOR_DETECTION:
                return True
    return False


def detect_language(text: str, declared: str | None = None, hint: str | None = None) -> str | None:
    """The language of `text`, as an ISO 639-1 code.

    Detection decides when the text is long enough; the page's declaration is kept when detection agrees or the
    text is too short to judge (pages copy templates, so `<html lang>` often lies); `hint` (the source's
    configured language) is the last resort.
    """
    declared = primary_subtag(declared)
    hint = primary_subtag(hint)
    sample = text[:_DETECTION_SAMPLE]
    if not _enough_letters(sample):
        return declared or hint
    detected, prob = language_identifier().classify(sample)
    if declared and detected == declared:
        return declared
    if prob >= 0.5:
        return detected
    return declared or hint or detected


def declared_language(tree: HtmlElement) -> str | None:
    """What the page says its language is: <html lang>, then content-language / og:locale meta."""
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang and primary_subtag(lang):
        return primary_subtag(lang)
    for meta in tree.iterfind(".//meta[@content]"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language", "dc.language"):
            code = primary_subtag(meta.get("content", "").split(",")[0])
            if code:
                return code
    return None


# ---------------------------------------------------------------------------------------------------------------
# declared URLs and the bundle


def _absolute(href: str | None, base: str) -> str | None:
    """`href` resolved against the page URL; None when empty or not http(s)."""
    if not href or not href.strip():
        return None
    try:
        resolved = urljoin(base, href.strip())
    except ValueError:
        return None
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None


def declared_urls(tree: HtmlElement, url: str) -> tuple[str | None, str | None]:
    """(<link rel=canonical>, og:url) as absolute URLs, exactly as the page declares them."""
    canonical = og = None
    for link in tree.iterfind(".//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = _absolute(link.get("href"), url)
            break
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            og = _absolute(meta.get("content"), url)
            break
    return canonical, og


@dataclass
class PageMetadata:
    """What the page says about itself, before its text is looked at."""

    title: str | None
    authors: list[str]
    declared_language: str | None
    canonical_url: str | None
    og_url: str | None
    description: str | None
    sitename: str | None
    page_type: str | None  # og:type ("article", "website", ...)
    title_variants: tuple[str, ...] = ()  # other spellings of the headline the page shows (og:title, <title>, <h1>)


def read_metadata(tree: HtmlElement, url: str) -> PageMetadata:
    """Collect title, authors, declared language and URLs from meta tags, JSON-LD and the visible headings."""
    doc = examine_meta(tree)
    try:
        doc = extract_meta_json(tree, doc)
    except Exception:  # noqa: BLE001 - broken JSON-LD must not cost us the page
        pass
    if not doc.author:
        try:
            doc.author = find_byline(tree)
        except Exception:  # noqa: BLE001
            doc.author = None
    sitename = doc.sitename.lstrip("@") if doc.sitename else None
    title = choose_title(tree, doc.title, sitename, url)
    authors = clean_authors(doc.author.split("; ") if doc.author else None, sitename, url)
    canonical, og = declared_urls(tree, url)
    page_type = None
    for meta in tree.iterfind(".//meta[@content]"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:type":
            page_type = meta.get("content", "").strip().lower() or None
            break
    description = " ".join(doc.description.split()) if doc.description else None
    variants = [v for v in (doc.title, _title_tag(tree), *_h1_texts(tree)[:2]) if v]
    variants += [part for v in list(variants) for part in _VARIANT_SEPARATORS.split(v) if len(part.split()) >= 4]
    return PageMetadata(
        title=title,
        authors=authors,
        declared_language=declared_language(tree),
        canonical_url=canonical,
        og_url=og,
        description=description,
        sitename=sitename,
        page_type=page_type,
        title_variants=tuple(dict.fromkeys(variants)),
    )


__all__ = [
    "PageMetadata",
    "choose_title",
    "clean_authors",
    "declared_language",
    "declared_urls",
    "detect_language",
    "primary_subtag",
    "read_metadata",
    "strip_outlet",
]
