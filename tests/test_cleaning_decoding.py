"""decode_html: the crawler's encoding, HTTP charset, BOM, meta charset, detection, and garbage in."""

from __future__ import annotations

from pathlib import Path

from pipelines.cleaning import clean_html
from pipelines.cli.cleaninput import check_html
from pipelines.cleaning.decoding import decode_html
from spiders.binary import binary_kind

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
    # a single-byte label in the HTTP header, or the one the crawler kept, does not overrule valid multi-byte
    # UTF-8 either (sweep 5: a Russian page served as iso-8859-1 came out as mojibake, off-topic for good); text
    # in a single-byte encoding is practically never valid UTF-8
    latin = "<html><body><p>Caf\u00e9</p></body></html>".encode("utf-8")
    assert "Café" in decode_html(latin, content_type="text/html; charset=iso-8859-1")
    assert RU in decode_html(_page("").encode("utf-8"), encoding="iso-8859-1")
    assert RU in decode_html(_page("").encode("utf-8"), content_type="text/html; charset=koi8-r")
    # real single-byte text keeps its label: windows-1251 bytes are no UTF-8
    assert RU in decode_html(_page("").encode("cp1251"), content_type="text/html; charset=windows-1251")
    # and a multi-byte label is never second-guessed
    assert "переговоры" in decode_html("переговоры".encode("gb18030"), encoding="gb18030")


def test_cp1251_bytes_declared_utf8_are_redetected():
    body = ('<html><head><meta charset="utf-8"></head><body><p>Делегации России и Украины провели переговоры '
            'в Стамбуле</p></body></html>').encode("cp1251")
    for kwargs in ({"content_type": "text/html; charset=utf-8"}, {}, {"encoding": "utf-8"}):
        text = decode_html(body, **kwargs)
        assert "переговоры в Стамбуле" in text and "\ufffd" not in text, kwargs


def test_a_utf16_label_on_bytes_without_nul_is_read_as_utf8() -> None:
    """A page that says <meta charset=utf-16> (or the crawler took that label) but whose bytes are plain markup is
    UTF-8, as browsers read it; real UTF-16, with its BOM or under its HTTP label, is still UTF-16."""
    ascii_page = ("<html><head><meta charset='utf-16'><title>Talks</title></head><body><article>"
                  + "".join(f"<p>Delegations from Russia and Ukraine met in Istanbul for round {i} of direct talks.</p>"
                            for i in range(8))
                  + "</article></body></html>")
    assert decode_html(ascii_page.encode()).startswith("<html><head>")
    assert decode_html(ascii_page.encode(), encoding="utf-16").startswith("<html><head>")
    page = clean_html(ascii_page.encode(), "https://alpha.example/news/1")
    assert page.is_article and page.title == "Talks"
    ru = _page("<meta charset='utf-16'>")
    assert RU in decode_html(ru.encode("utf-16"))  # with its BOM
    assert RU in decode_html(ru.encode("utf-16-le"), content_type="text/html; charset=utf-16le")


def test_utf16_and_utf32_without_a_bom_are_text_and_read_right() -> None:
    """A page in UTF-16 or UTF-32 with no byte-order mark, labelled in its HTTP header or not at all, used to be
    refused as "binary data" for its NUL bytes; its NULs fill one lane of the code units, which random bytes do not."""
    ru = _page("<meta charset='utf-16'>")
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        body = ru.encode(codec)
        assert binary_kind(body) is None, codec
        assert decode_html(body) == ru, codec
        assert decode_html(body, content_type=f"text/html; charset={codec.replace('-le', 'le').replace('-be', 'be')}") == ru
        check_html(body, "page.html")  # `clean` finds its markup
    assert binary_kind(b"\x00" * 2048) == "binary data"
    assert binary_kind(bytes(range(256)) * 4) == "binary data"


def test_control_characters_and_their_references_cost_no_text() -> None:
    """libxml2 cannot hold C0 controls: a reference such as &#27; used to lose the whole article, a raw one the
    rest of its paragraph. They are dropped (vertical tab and form feed become spaces), as a browser shows them."""
    sentence = "Delegations from Russia and Ukraine met in Istanbul on Monday for a second round of talks."
    for bad in ("&#27;", "&#x1B;", "&#1;", "\x1b", "\x01", "&#xFFFE;", "&#65535;"):
        paras = [sentence.replace("Monday", f"Mon{bad}day") if i == 0 else f"{sentence} ({i})" for i in range(6)]
        html = ("<html lang='en'><head><title>Talks</title></head><body><article>"
                + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")
        page = clean_html(html.encode(), "https://alpha.example/news/1")
        assert page.is_article, (bad, page.reason)
        assert page.paragraphs[0] == sentence, bad
        assert len(page.paragraphs) == 6, bad
    for space in ("&#11;", "&#x0C;", "\x0b"):
        html = f"<html><body><article><p>{sentence.replace(' for ', f' for{space}')}</p>" + \
            f"<p>{sentence}</p>" * 3 + "</article></body></html>"
        assert clean_html(html.encode(), "https://alpha.example/news/2").paragraphs[0] == \
            sentence.replace(" for ", " for  ").replace("  ", " ")
