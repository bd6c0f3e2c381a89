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
    if b"\x00" in head and not head.startswith(_UTF16_32_BOMS):
        return "binary data"
    return None
