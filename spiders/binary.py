"""Recognise a response body that is not text at all (an image, an archive, random bytes), whatever its type says."""

from __future__ import annotations

import codecs

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"RIFF", "RIFF media (WebP, WAV, AVI)"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\x7fELF", "executable"),
)
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SAMPLE = 1024


def binary_kind(body: bytes) -> str | None:
    """What binary thing `body` is ("PNG image", "binary data"), or None when it may be text.

    Servers label images and downloads `text/html` more often than one would think; such a body is no article
    and must not reach the HTML cleaner or the raw-page store. A NUL byte in the first KB means binary unless a
    UTF-16/32 byte-order mark says the page is wide text.
    """
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return kind
    head = body[:_SAMPLE]
    if b"\x00" in head and not head.startswith(_UTF16_32_BOMS) and wide_encoding(head) is None:
        return "binary data"
    return None


def wide_encoding(head: bytes) -> str | None:
    """The UTF-16/32 codec `head` reads as when it has no byte-order mark ("utf-16-le", ...), or None.

    Such a page (declared `charset=utf-16le` in its header, or not at all) is rare but text. Its markup is ASCII,
    so the NUL bytes are the zero high bytes of its characters: they fill much of the high lane of the code
    units (a Cyrillic or CJK letter has a non-zero high byte) and almost none of the low lane. Random bytes and binary
    formats do not put their NULs in one lane like that.
    """
    n = len(head) - len(head) % 4
    if n < 64 or b"\x00" not in head[:n]:
        return None
    lanes = [head[i:n:4].count(0) / (n // 4) for i in range(4)]
    if lanes[0] < 0.02 and lanes[2] > 0.9 and lanes[3] > 0.9:
        return "utf-32-le"
    if lanes[3] < 0.02 and lanes[0] > 0.9 and lanes[1] > 0.9:
        return "utf-32-be"
    # the high lane of Cyrillic text with its ASCII spaces and markup is about a quarter NULs; random bytes put
    # a NUL in 1 of 256 of each lane
    even, odd = (lanes[0] + lanes[2]) / 2, (lanes[1] + lanes[3]) / 2
    if even < 0.02 and odd > 0.1:
        return "utf-16-le"
    if odd < 0.02 and even > 0.1:
        return "utf-16-be"
    return None
