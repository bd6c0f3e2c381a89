"""Decide whether an article is about the followed story, by matching the topic's terms in its title and text."""

from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.records import Relevance
from spiders.sources import check_number, language_problem, read_toml, unknown_key_error

TITLE_WEIGHT = 2.0  # a term in the title says more than one in the text: one title term alone reaches 2.0
TEXT_WEIGHT = 1.0
DEFAULT_MIN_SCORE = 2.0  # = one title term, or two different text terms (the contract's minimum)

_SEPARATOR = r"[\s\-\u2010\u2011\u2012\u2013\u2014]+"  # between the words of a phrase: spaces or dashes
# the rest of a word after a prefix; an apostrophe inside a word is part of it (Ukrainian перемир'я,
# Turkish suffixes on names: İstanbul'da, Putin'in)
_WORD_TAIL = r"\w*(?:'\w+)*"
_FOLD = {"ı": "i", "’": "'", "ʼ": "'", "`": "'"}


@dataclass
class Topic:
    """A story to follow: its terms per language, and the optional groups an article must touch."""

    name: str
    keep_all: bool
    terms: dict[str, list[str]]
    min_score: float = DEFAULT_MIN_SCORE
    required: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # group -> language -> terms
    concepts: dict[str, str] = field(default_factory=dict)  # normalized term -> concept label ([concepts])
    _compiled: dict[str, list[tuple[str, re.Pattern[str]]]] = field(default_factory=dict, repr=False, compare=False)
    _spelling: dict[str, str] | None = field(default=None, repr=False, compare=False)  # normalized -> as written

    def patterns(self, language: str | None) -> list[tuple[str, re.Pattern[str]]]:
        """(term, pattern) pairs to try for an article in `language`; every language's when unknown.

        Compiled once per language and cached, since the same topic scores thousands of articles.
        """
        key = language if language in self.terms else "*"
        if key not in self._compiled:
            langs = [key] if key != "*" else list(self.terms)
            seen: dict[str, re.Pattern[str]] = {}
            for lang in langs:
                for term in self._all_terms(lang):
                    norm = normalize(term)
                    if norm not in seen:
                        seen[norm] = compile_term(term)
            self._compiled[key] = list(seen.items())
        return self._compiled[key]

    def _all_terms(self, lang: str) -> list[str]:
        out = list(self.terms.get(lang, []))
        for by_lang in self.required.values():
            out.extend(by_lang[lang] if lang in by_lang else [t for terms in by_lang.values() for t in terms])
        return out

    def required_groups(self, language: str | None) -> dict[str, set[str]]:
        """Group name -> normalized terms of that group for `language` (all its languages if it has none for it)."""
        groups: dict[str, set[str]] = {}
        for gname, by_lang in self.required.items():
            langs = [language] if language in by_lang else list(by_lang)
            groups[gname] = {normalize(t) for lang in langs for t in by_lang.get(lang, [])}
        return groups

    def concept(self, term: str) -> str:
        """The label a matched term counts under in `term_usage`: its `[concepts]` label, else the term itself.

        Why: the same idea is written differently per language (ceasefire, перемирие, ateşkes); comparing how
        sides use it needs one name for all of them.
        """
        key = normalize(term)
        return self.concepts.get(key) or self.spelling(key).rstrip("*")

    def spelling(self, term: str) -> str:
        """A term as the topic file writes it (its first spelling, in the order of the file's lists), from any
        spelling of it: matching is case- and accent-insensitive, but `topic_terms` shows the configured word
        ("Medinsky", not the folded "medinsky"). A term the topic does not have comes back folded."""
        if self._spelling is None:
            spelling: dict[str, str] = {}
            langs = list(dict.fromkeys([*self.terms, *(lang for by_lang in self.required.values() for lang in by_lang)]))
            for lang in langs:
                for t in self._all_terms(lang):
                    spelling.setdefault(normalize(t), t.strip())
            self._spelling = spelling
        key = normalize(term)
        return self._spelling.get(key, key)


def normalize(text: str) -> str:
    """Fold case and accents so that Erdoğan = Erdogan, İstanbul = ISTANBUL = istanbul, Мединський = МЕДИНСЬКИЙ.

    Each input character maps to its own output chunk (see `_normalize_with_map`), so a match in the
    folded text can be traced back to the article's own spelling.
    """
    return _normalize_with_map(text)[0]


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    ch = _FOLD.get(ch, ch)
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _FOLD.get(base.casefold(), base.casefold()) if base else ""


class _SourcePositions:
    """Where each character of a folded text came from, when some characters folded to none or to several.

    Kept as the few places where the fold changed the length (a bisect finds the one before a position), not as a
    list with an entry per character: building that list was a Python loop over the whole article.
    """

    def __init__(self, text: str, table: dict[int, str]) -> None:
        odd = "".join(re.escape(chr(code)) for code, v in table.items() if len(v) != 1)
        self.starts: list[int] = []  # where each such character's output starts in the folded text
        self.origins: list[int] = []  # its position in `text`
        self.lengths: list[int] = []  # how many characters it folded to
        self.shifts: list[int] = []  # folded minus original position for what comes after it
        shift = 0
        for m in re.finditer(f"[{odd}]", text):
            pos, n = m.start(), len(table[ord(m.group())])
            self.starts.append(pos + shift)
            self.origins.append(pos)
            self.lengths.append(n)
            shift += n - 1
            self.shifts.append(shift)

    def __getitem__(self, folded_pos: int) -> int:
        i = bisect_right(self.starts, folded_pos) - 1
        if i < 0:
            return folded_pos
        if folded_pos < self.starts[i] + self.lengths[i]:
            return self.origins[i]
        return folded_pos - self.shifts[i]


def _normalize_with_map(text: str) -> tuple[str, _SourcePositions | None]:
    """The folded text and, per output character, the position in `text` it came from; None when every character
    folds to exactly one (the usual case: the positions are the same). `str.translate` does the folding in C
    instead of a Python loop over every character of the article, which cost ~6 ms a page."""
    table = {ord(ch): _fold_char(ch) for ch in set(text)}
    folded = text.translate(table)
    if all(len(v) == 1 for v in table.values()):
        return folded, None
    return folded, _SourcePositions(text, table)


def compile_term(term: str) -> re.Pattern[str]:
    """A whole-word pattern for a term; a trailing "*" on a word makes it a prefix (for inflected forms)."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in term):
        # a NUL or an escape in a term can never match article text: it is a typo or a paste accident
        raise ValueError(f"term {term!r} holds a control character")
    words = normalize(term).split()
    if not words:
        raise ValueError(f"empty term {term!r}")
    parts = []
    for word in words:
        prefix = word.endswith("*")
        stem = word.rstrip("*")
        if not stem:
            raise ValueError(f"term {term!r}: a '*' needs letters before it")
        if "*" in stem:  # it would be matched as a literal '*', which article text never has there
            raise ValueError(f"term {term!r}: a '*' goes only at the end of a word (a prefix, such as 'talk*')")
        parts.append(re.escape(stem) + (_WORD_TAIL if prefix else r"(?!\w)"))
    # no leading (?<!\w): a pattern that starts with a literal is scanned much faster by `re`;
    # the start-of-word check is done in `_find`
    return re.compile(_SEPARATOR.join(parts))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@dataclass
class _Hit:
    term: str  # normalized term
    start: int
    end: int
    in_title: bool
    surface: str  # as written in the article


def _find(patterns: list[tuple[str, re.Pattern[str]]], text: str, in_title: bool) -> tuple[list[_Hit], set[str]]:
    """The matches that count (longest first, no overlaps), and every term that matched at all."""
    folded, index = _normalize_with_map(text)
    hits: list[_Hit] = []
    for term, pattern in patterns:
        pos = 0
        while (m := pattern.search(folded, pos)) is not None:
            if m.start() > 0 and _is_word_char(folded[m.start() - 1]):  # inside a word: "Rasputin"
                pos = m.start() + 1
                continue
            pos = m.end()
            start, end = (m.start(), m.end()) if index is None else (index[m.start()], index[m.end() - 1] + 1)
            hits.append(_Hit(term, m.start(), m.end(), in_title, text[start:end]))
    # a phrase and a shorter term on the same words ("peace talks" / "talks"): the longest match wins
    hits.sort(key=lambda h: (-(h.end - h.start), h.start))
    taken: list[tuple[int, int]] = []
    kept: list[_Hit] = []
    for hit in hits:
        if any(hit.start < e and s < hit.end for s, e in taken):
            continue
        taken.append((hit.start, hit.end))
        kept.append(hit)
    kept.sort(key=lambda h: h.start)
    return kept, {h.term for h in hits}


def _term_key(term: str) -> str:
    """What makes two matched terms one: the word without its "*".

    Why: a page in a language with no list of its own is matched against every list, and the lists write the
    same name as a whole word or as a prefix (English "Putin", Turkish "Putin*"); "Putin" and "Putins" on one
    page would otherwise count as two distinct terms.
    """
    return term.replace("*", "")


def score(topic: Topic, title: str | None, text: str, language: str | None = None) -> Relevance:
    """How much the article is about `topic`.

    Score: 2 per distinct term found in the title, plus 1 per other distinct term found in the text; a word
    listed whole in one list and as a prefix in another ("Putin", "Putin*") is one term.
    Relevant when the score reaches `topic.min_score` (default 2: a title term, or two text terms) and
    every required group of the topic is matched; always relevant when `keep_all`. `matched_terms` holds
    one spelling per distinct term, as the article wrote it, title first.
    """
    lang = language.split("-")[0].lower() if language else None
    patterns = topic.patterns(lang)
    title_hits, title_any = _find(patterns, title or "", True)
    text_hits, text_any = _find(patterns, text or "", False)
    hits = title_hits + text_hits
    first: dict[str, _Hit] = {}
    for hit in hits:
        first.setdefault(_term_key(hit.term), hit)
    title_terms = {_term_key(h.term) for h in hits if h.in_title}
    value = sum(TITLE_WEIGHT if t in title_terms else TEXT_WEIGHT for t in first)
    found = title_any | text_any  # "peace talks" satisfies a group that lists "talks"
    groups_ok = all(found & members for members in topic.required_groups(lang).values())
    relevant = topic.keep_all or (value >= topic.min_score and groups_ok)
    matched = list(dict.fromkeys(h.surface for h in first.values()))
    concepts = list(dict.fromkeys(topic.concept(h.term) for h in first.values()))
    return Relevance(score=value, matched_terms=matched, relevant=relevant, concepts=concepts)


TOPIC_KEYS = ("name", "keep_all", "min_score", "terms", "required", "concepts")
MIN_SCORE_RANGE = (0, 1000)  # 1000 = 500 distinct title terms: anything above is a typo, not a threshold


def _term_table(path: Path, where: str, raw: Any) -> dict[str, list[str]]:
    """language -> terms of `[terms]` or one `[required.<group>]`; every language an ISO 639-1 code.

    Why the code check: an article's language picks its list, so a list under "eng" or "ua" would silently
    never be used. Upper case is accepted (it is folded), as it always was.
    """
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: {where} must be a non-empty table of language = [terms]")
    table: dict[str, list[str]] = {}
    for lang, words in raw.items():
        if language_problem(lang.lower()):
            raise ValueError(f"{path}: {where}.{lang}: {language_problem(lang)}")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError(f"{path}: {where}.{lang} must be a list of non-empty strings")
        for word in words:
            try:
                compile_term(word)
            except ValueError as exc:
                raise ValueError(f"{path}: {where}.{lang}: {exc}") from exc
        table[lang.lower()] = [w.strip() for w in words]
    if not any(table.values()):  # nothing could ever match: every article would be dropped as off-topic
        raise ValueError(f"{path}: {where} holds no term (every language's list is empty)")
    return table


def load_topic(path: str | Path) -> Topic:
    """Read and validate a topic TOML file; a ValueError names the file and the bad key.

    Unknown keys are checked first, so `[term]` is reported as a misspelled `[terms]` and not as missing
    terms.
    """
    data_path, path = path, Path(path)
    try:
        data = read_toml(data_path, "topic")  # the name as given: Path("") would be the current folder
    except OSError as exc:
        raise ValueError(f"{path}: cannot read topic file: {exc}") from exc
    for key in data:
        if key not in TOPIC_KEYS:
            raise ValueError(f"{path}: {unknown_key_error(key, 'at the top level', TOPIC_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: 'name' must be a non-empty string")
    keep_all = data.get("keep_all")
    if not isinstance(keep_all, bool):
        raise ValueError(f"{path}: 'keep_all' must be true or false"
                         + (" (it is missing: true keeps every article, false only the relevant ones)"
                            if keep_all is None else f", got {keep_all!r}"))
    terms = _term_table(path, "terms", data.get("terms"))
    min_score = check_number(data.get("min_score", DEFAULT_MIN_SCORE), f"{path}: 'min_score'", *MIN_SCORE_RANGE)
    raw_required = data.get("required", {})
    if not isinstance(raw_required, dict):
        raise ValueError(f"{path}: 'required' must be a table of groups ([required.<group>])")
    required = {g: _term_table(path, f"required.{g}", t) for g, t in raw_required.items()}
    topic = Topic(name=name.strip(), keep_all=keep_all, terms=terms, min_score=float(min_score), required=required)
    topic.concepts = _concepts(path, data.get("concepts", {}), topic)
    return topic


def _concepts(path: Path, raw: Any, topic: Topic) -> dict[str, str]:
    """normalized term -> label from `[concepts]`; every term named there must be one of the topic's own."""
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: 'concepts' must be a table of label = [terms]")
    known = {normalize(t): t.strip() for lang in {*topic.terms, *(l for g in topic.required.values() for l in g)}
             for t in topic._all_terms(lang)}
    out: dict[str, str] = {}
    for label, words in raw.items():
        if not label.strip() or not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError(f"{path}: concepts.{label} must be a list of the topic's terms")
        for word in words:
            key = normalize(word.strip())
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=1)  # matched folded, shown as written
                hint = f"; did you mean {known[close[0]]!r}?" if close else ""
                raise ValueError(f"{path}: concepts.{label}: {word!r} is not one of the topic's terms{hint}")
            if key in out and out[key] != label:
                raise ValueError(f"{path}: {word!r} is in two concepts ({out[key]!r} and {label!r})")
            out[key] = label.strip()
    return out
