"""Settle the encoding of a page whose declared charset does not fit its bytes (a cp1251 page that says utf-8)."""

from __future__ import annotations

import codecs
import re

# Share of all-Cyrillic words among the words with a non-ASCII letter above which bytes are read as windows-1251.
_CYRILLIC_SHARE = 0.5
_WORD = re.compile(r"[^\W\d_]+")
_SAMPLE = 65536


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _is_utf8(sample: bytes, whole: int) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as err:
        # a multi-byte sequence cut by the end of the sample is still UTF-8
        return whole > len(sample) and err.start >= len(sample) - 3


def _legacy_guess(sample: bytes) -> str:
    """windows-1251 when the high bytes form whole Cyrillic words, else windows-1252.

    Read as cp1251, Latin-1 accents turn into Cyrillic letters too ("é" -> "й"), but inside Latin words
    ("Nйgociations"); Russian text gives words made of Cyrillic letters only.
    """
    text = sample.decode("cp1251", errors="replace")
    words = [w for w in _WORD.findall(text) if len(w) > 1 and not w.isascii()]  # "à" reads as the word "а"
    cyrillic = sum(all("\u0400" <= c <= "\u04ff" for c in w) for w in words)
    if words and cyrillic / len(words) >= _CYRILLIC_SHARE:
        return "cp1251"
    return "cp1252"


def utf8_despite_label(body: bytes, codec: str | None) -> bool:
    """Whether bytes labelled with a single-byte encoding (latin-1, windows-1251, koi8-r ...) are UTF-8 after all.

    A page that moved to UTF-8 behind a server (or template) that still says `charset=iso-8859-1` was decoded
    into mojibake ("ÐŸÐµÑ€ÐµÐ³Ð¾Ð²Ð¾Ñ€Ñ‹"), judged off-topic, and never fetched again. Text in a single-byte
    encoding is practically never valid multi-byte UTF-8 (its letters would have to come in lead-byte +
    continuation-byte pairs throughout), so bytes with some non-ASCII that all decode as UTF-8 are UTF-8.
    Multi-byte labels (Shift_JIS, GB18030, UTF-16) are never overruled.
    """
    if codec is None or codecs.lookup(codec).name == "utf-8" or not _single_byte(codec):
        return False
    sample = body[:_SAMPLE]
    return not sample.isascii() and _is_utf8(sample, len(body))


def _single_byte(codec: str) -> bool:
    """Whether `codec` maps each byte to one character (the latin-1, windows-125x, iso-8859-x, koi8 family)."""
    try:
        return len(codecs.decode(bytes(range(256)), codec, errors="strict")) == 256
    except (UnicodeDecodeError, LookupError, ValueError):
        return codec in ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
                         "cp874", "ascii")


def fitting_encoding(body: bytes, declared: str | None) -> str | None:
    """`declared` unless it is UTF-8 and the bytes are not: then windows-1251 or -1252, whichever reads as letters.

    Scrapy trusts the HTTP header (then `<meta charset>`), so a legacy page served with a wrong `charset=utf-8`
    would be decoded into replacement characters, losing every non-ASCII letter. Invalid UTF-8 is a sure sign
    the declaration is wrong. A declared single-byte encoding is kept, except UTF-8 bytes (utf8_despite_label)
    and windows-1251 / KOI8 mixed up (cyrillic_fit).
    """
    codec = _codec(declared)
    if codec != "utf-8":
        # a KOI8-R page labelled windows-1251 (or the reverse) reads as the other (cyrillic_fit)
        return "utf-8" if utf8_despite_label(body, codec) else cyrillic_fit(body, declared)
    sample = body[:_SAMPLE]
    if sample.isascii() or _is_utf8(sample, len(body)):
        return declared
    return cyrillic_fit(sample, _legacy_guess(sample))


# --- windows-1251 and KOI8 mixed up ------------------------------------------------------------------------------

# The other candidate of each Cyrillic single-byte code page that pages mix up: KOI8-R and windows-1251 put the
# Cyrillic alphabet in the same upper half of the byte range, in different orders and with the cases swapped.
_CYRILLIC_OTHER = {"cp1251": "koi8_r", "koi8-r": "cp1251", "koi8-u": "cp1251"}  # codecs.lookup() names
_CYRILLIC_LETTERS = re.compile(r"[\u0400-\u04ff]+")
# The ten most frequent letters of Russian running text (о е а и н т с р в л), and і for Ukrainian: about 68 % of
# the Cyrillic letters of a Russian or Ukrainian page, under 40 % of the same bytes read in the other code page.
_COMMON = frozenset("оеаинтсрвлі")
_MIN_LETTERS = 20  # fewer Cyrillic letters say nothing either way
_PLAUSIBLE = 0.55  # the other reading must look like text
_MARGIN = 0.2  # and look much more like it than the declared one


def _common_share(text: str) -> tuple[int, float]:
    """(Cyrillic letters in `text`, the share of them that are among the most frequent letters of Russian and
    Ukrainian), case-blind: an all-capitals headline counts as its letters."""
    letters = "".join(_CYRILLIC_LETTERS.findall(text)).lower()
    if not letters:
        return 0, 0.0
    return len(letters), sum(c in _COMMON for c in letters) / len(letters)


def cyrillic_fit(body: bytes, codec: str | None) -> str | None:
    """`codec`, unless it is windows-1251 or KOI8 and the other of the two reads the bytes as much likelier text.

    A KOI8-R page that declares windows-1251 (a template copied from another site, a server default), or the
    reverse, was decoded into mojibake with capitals in the middle of its words ("пЕПЕЦНБНПШ" for "Переговоры"),
    judged off-topic, and never fetched again. The two code pages hold the same letters in another order, so the
    wrong one turns the frequent letters (о, е, а, и ...) into rare ones: the declared charset is replaced only
    when its letters are far less often the frequent ones than the other's (0.36-0.38 against 0.68 on our
    texts), with enough letters to tell. No site list; two decodes of the first 64 KiB of a Cyrillic page.
    """
    name = _codec(codec)
    other = _CYRILLIC_OTHER.get(name or "")
    if other is None:
        return codec
    sample = body[:_SAMPLE]
    if sample.isascii():
        return codec
    n_declared, declared_share = _common_share(sample.decode(name, errors="replace"))
    n_other, other_share = _common_share(sample.decode(other, errors="replace"))
    if min(n_declared, n_other) < _MIN_LETTERS:
        return codec
    if other_share >= _PLAUSIBLE and other_share - declared_share >= _MARGIN:
        return other
    return codec
