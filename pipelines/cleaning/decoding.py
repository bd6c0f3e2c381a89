"""Turn fetched page bytes into text, picking the encoding the way a browser would and never raising."""

from __future__ import annotations

import codecs

from w3lib.encoding import http_content_type_encoding, html_to_unicode, read_bom, resolve_encoding

from spiders.binary import wide_encoding
from spiders.charset import cyrillic_fit, utf8_despite_label

# Share of Cyrillic letters among all letters above which undeclared 8-bit bytes are read as windows-1251.
_CYRILLIC_SHARE = 0.5


def _known_encoding(name: str | None) -> str | None:
    """The codec Python knows for `name` (WHATWG aliases included), or None when it names nothing usable."""
    if not name:
        return None
    resolved = resolve_encoding(name.strip().strip("\"'"))
    if resolved is None:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _detect(body: bytes) -> str | None:
    """Guess the encoding of bytes that declare none: UTF-8 when they are valid UTF-8, else a Cyrillic or Latin
    single-byte code page.

    Kept small on purpose: the pages we follow are UTF-8, windows-1251 (older Russian/Ukrainian outlets) or
    windows-1252, and an HTML page without any declaration is rare.
    """
    sample = body[:65536]
    wide = wide_encoding(sample[:1024])
    if wide is not None:  # ASCII markup in UTF-16 is valid UTF-8 too, full of NULs
        return wide
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        # a multi-byte sequence cut by the sample's end is still UTF-8
        if err.start >= len(sample) - 3 and len(body) > len(sample):
            return "utf-8"
    text = sample.decode("cp1251", errors="replace")
    letters = [c for c in text if c.isalpha() and ord(c) > 127]
    if letters:
        cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
        if cyrillic / len(letters) >= _CYRILLIC_SHARE:
            return cyrillic_fit(sample, "cp1251")  # KOI8-R bytes read as windows-1251 are Cyrillic letters too
    return "cp1252"


def _valid_utf8(body: bytes) -> bool:
    """Whether `body` has non-ASCII bytes and all of them form valid UTF-8."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_MISLABEL_MIN_ERRORS = 8


def _mislabelled_utf8(body: bytes, text: str) -> str:
    """Text decoded as the declared UTF-8, unless the bytes are plainly another encoding.

    Old Cyrillic sites behind a server whose default header says utf-8 send windows-1251 bytes: decoding them as
    UTF-8 turns every letter into U+FFFD. A stray invalid byte or two in a real UTF-8 page is not that, so the
    switch needs several replacement characters and a detector that names another encoding.
    """
    if text.count("\ufffd") < _MISLABEL_MIN_ERRORS:
        return text
    guess = _detect(body)
    return body.decode(guess, errors="replace") if guess and guess != "utf-8" else text


def _wide_without_nuls(name: str, body: bytes) -> bool:
    """Whether a UTF-16/32 label is wrong for these bytes (no BOM): markup in those encodings is full of NUL bytes.

    Browsers read a `<meta charset=utf-16>` as UTF-8 (WHATWG: the prescan turns UTF-16 into UTF-8), since a page
    whose bytes are readable ASCII markup cannot be UTF-16; decoding it as UTF-16 anyway makes every pair of
    characters one CJK-looking character and loses the page.
    """
    return (name.replace("_", "-").startswith(("utf-16", "utf-32")) and b"\x00" not in body[:1024]
            and read_bom(body)[0] is None)


def decode_html(body: bytes, content_type: str | None = None, encoding: str | None = None) -> str:
    """Decode a page body to text.

    Order of trust: the encoding the crawler already settled on (`encoding`), then the HTTP content-type
    charset, a byte-order mark, bytes that are valid UTF-8, a `<meta charset>` / `http-equiv` declaration, then
    detection. A page that is
    windows-1251 and says so only in its HTTP header comes out right because the header is read before any
    sniffing. Undecodable bytes become U+FFFD; this function never raises.
    """
    if not body:
        return ""
    if isinstance(body, str):  # tolerate callers that already decoded
        return body
    known = _known_encoding(encoding)
    if known is not None and (_wide_without_nuls(known, body) or utf8_despite_label(body, known)):
        known = "utf-8"
    if known is not None:
        known = _known_encoding(cyrillic_fit(body, known)) or known  # windows-1251 and KOI8-R mixed up
        is_utf8 = known.replace("_", "-") in ("utf-8", "utf8")
        if is_utf8 and body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8):]
        text = body.decode(known, errors="replace")
        return _mislabelled_utf8(body, text) if is_utf8 else text
    if (not http_content_type_encoding(content_type) and read_bom(body)[0] is None and _valid_utf8(body)
            and wide_encoding(body[:1024]) is None):
        # valid multi-byte UTF-8 is almost never legacy text; pages that moved to UTF-8 often keep an old
        # <meta charset=euc-kr/windows-1251> in their template, and browsers get them right via the HTTP header
        return body.decode("utf-8")
    try:
        declared, text = html_to_unicode(content_type, body, default_encoding="utf-8", auto_detect_fun=_detect)
    except Exception:  # noqa: BLE001 - decoding must never fail the pipeline
        declared, text = "utf-8", body.decode("utf-8", errors="replace")
    if _wide_without_nuls(_known_encoding(declared) or "", body) or utf8_despite_label(body, _known_encoding(declared)):
        declared, text = "utf-8", body.decode("utf-8", errors="replace")
    else:
        fitting = cyrillic_fit(body, _known_encoding(declared))  # a <meta charset> naming the wrong Cyrillic one
        if fitting is not None and fitting != _known_encoding(declared):
            declared, text = fitting, body.decode(fitting, errors="replace")
    if declared.replace("_", "-").lower() in ("utf-8", "utf8"):
        text = _mislabelled_utf8(body, text)
    return text.lstrip("\ufeff")
