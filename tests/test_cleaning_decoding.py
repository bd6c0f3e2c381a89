"""decode_html: the crawler's encoding, HTTP charset, BOM, meta charset, detection, and garbage in."""

from __future__ import annotations

from pathlib import Path

from pipelines.cleaning import clean_html
from pipelines.decoding import decode_html

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
RU = "Делегации договорились провести второй раунд переговоров в Стамбуле."


def _page(charset_meta: str = "") -> str:
    return f"<html><head>{charset_meta}<title>t</title></head><body><p>{RU}</p></body></html>"


def test_windows_1251_declared_only_in_http_header() -> None:
    body = _page().encode("cp1251")
    assert RU in decode_html(body, content_type="text/html; charset=windows-1251")


def test_crawler_encoding_is_trusted() -> None:
    body = _page().encode("cp1251")
    assert RU in decode_html(body, content_type="text/html", encoding="cp1251")


def test_meta_charset() -> None:
    body = _page('<meta charset="windows-1251">').encode("cp1251")
    assert RU in decode_html(body)
    body = _page('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode("koi8_r")
    assert RU in decode_html(body)


def test_bom_wins_and_is_removed() -> None:
    body = b"\xef\xbb\xbf" + _page().encode("utf-8")
    text = decode_html(body, content_type="text/html")
    assert text.startswith("<html>")
    assert RU in text


def test_undeclared_cp1251_is_detected() -> None:
    assert RU in decode_html(_page().encode("cp1251"))


def test_garbage_bytes_never_raise() -> None:
    assert decode_html(b"") == ""
    text = decode_html(b"\x00\x81\xfe\xff\xc3\x28<p>ok</p>", content_type="text/html; charset=no-such-charset")
    assert isinstance(text, str)
    text = decode_html("<p>ok</p>".encode() + b"\xc3\x28", encoding="utf-8")
    assert "\ufffd" in text and "ok" in text
    assert isinstance(decode_html(bytes(range(256)) * 4, encoding="bogus"), str)


def test_cleaning_cp1251_page_end_to_end() -> None:
    html = (FIXTURES / "article_ru.html").read_text(encoding="utf-8")
    body = html.encode("cp1251")
    page = clean_html(decode_html(body, content_type="text/html; charset=windows-1251"), "https://vestnik.example/news/1")
    assert page.is_article
    assert page.paragraphs[0].startswith("Делегации двух стран")


def test_valid_utf8_beats_a_stale_meta_charset_but_not_the_http_header() -> None:
    body = _page('<meta charset="windows-1251">').encode("utf-8")
    assert RU in decode_html(body)
    # the HTTP header is the server's word: kept even when the bytes would also read as UTF-8
    latin = "<html><body><p>Caf\u00e9</p></body></html>".encode("utf-8")
    assert "CafÃ©" in decode_html(latin, content_type="text/html; charset=iso-8859-1")


def test_cp1251_bytes_declared_utf8_are_redetected():
    body = ('<html><head><meta charset="utf-8"></head><body><p>Делегации России и Украины провели переговоры '
            'в Стамбуле</p></body></html>').encode("cp1251")
    for kwargs in ({"content_type": "text/html; charset=utf-8"}, {}, {"encoding": "utf-8"}):
        text = decode_html(body, **kwargs)
        assert "переговоры в Стамбуле" in text and "\ufffd" not in text, kwargs
