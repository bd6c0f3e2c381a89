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


def fitting_encoding(body: bytes, declared: str | None) -> str | None:
    """`declared` unless it is UTF-8 and the bytes are not: then windows-1251 or -1252, whichever reads as letters.

    Scrapy trusts the HTTP header (then `<meta charset>`), so a legacy page served with a wrong `charset=utf-8`
    would be decoded into replacement characters, losing every non-ASCII letter. Invalid UTF-8 is a sure sign
    the declaration is wrong; other declared single-byte encodings cannot be checked this way and are kept.
    """
    codec = _codec(declared)
    if codec != "utf-8":
        return declared
    sample = body[:_SAMPLE]
    if sample.isascii() or _is_utf8(sample, len(body)):
        return declared
    return _legacy_guess(sample)
