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
    the declaration is wrong; other declared single-byte encodings cannot be checked this way and are kept.
    """
    codec = _codec(declared)
    if codec != "utf-8":
        return "utf-8" if utf8_despite_label(body, codec) else declared
    sample = body[:_SAMPLE]
    if sample.isascii() or _is_utf8(sample, len(body)):
        return declared
    return _legacy_guess(sample)
