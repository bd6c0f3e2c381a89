"""windows-1251 and KOI8-R mixed up: a page that declares the one and is written in the other reads as the other.

Our own fixture text; nothing here names a site.
"""

from __future__ import annotations

import pytest

from pipelines.cleaning.decoding import decode_html
from spiders.charset import cyrillic_fit, fitting_encoding

RU = ("Делегации провели новый раунд переговоров в Стамбуле. Встреча продолжалась чуть больше часа, стороны "
      "обменялись проектами меморандумов и договорились о следующем обмене пленными. Дата новой встречи пока "
      "не названа, но посредники готовы снова принять обе делегации в ближайшие недели.")
UK = ("Делегації провели новий раунд переговорів у Стамбулі. Зустріч тривала трохи більше години, сторони "
      "обмінялися проєктами меморандумів і домовилися про наступний обмін полоненими.")


def _page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>Переговоры</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize("text, written, declared, expected", [
    (RU, "koi8_r", "cp1251", "koi8_r"),       # KOI8-R bytes that say windows-1251
    (RU, "koi8_r", "windows-1251", "koi8_r"),
    (RU, "cp1251", "koi8-r", "cp1251"),       # windows-1251 bytes that say KOI8-R
    (UK, "cp1251", "koi8-u", "cp1251"),
    (RU, "cp1251", "cp1251", "cp1251"),       # right labels are kept
    (RU, "koi8_r", "koi8-r", "koi8-r"),
    (RU.upper(), "cp1251", "cp1251", "cp1251"),  # all capitals: the letters, not their case, decide
    (RU.upper(), "koi8_r", "koi8-r", "koi8-r"),
    ("Стамбул", "koi8_r", "cp1251", "cp1251"),  # too few letters (17 with the title) to overrule a label
    (RU, "cp1251", "iso-8859-5", "iso-8859-5"),  # only the pair that is mixed up is checked
])
def test_cyrillic_fit(text, written, declared, expected):
    assert cyrillic_fit(_page(text).encode(written), declared) == expected


def test_a_koi8_r_page_labelled_windows_1251_is_decoded_as_koi8_r_on_every_path():
    body = _page(RU, '<meta charset="windows-1251">').encode("koi8_r")
    assert fitting_encoding(body, "cp1251") == "koi8_r"  # the crawler's choice (PageItem.encoding)
    assert RU in decode_html(body, encoding=fitting_encoding(body, "cp1251"))
    assert RU in decode_html(body, encoding="cp1251")  # a stored page whose crawl said windows-1251
    assert RU in decode_html(body, content_type="text/html; charset=windows-1251")  # the HTTP header says so
    assert RU in decode_html(body, content_type="text/html")  # only the <meta> says so


def test_a_windows_1251_page_labelled_koi8_r_is_decoded_as_windows_1251():
    body = _page(RU, '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">').encode("cp1251")
    assert RU in decode_html(body, content_type="text/html")
    assert RU in decode_html(body, content_type="text/html; charset=koi8-r")


def test_undeclared_koi8_r_is_detected():
    assert RU in decode_html(_page(RU).encode("koi8_r"))


def test_utf8_declared_koi8_r_bytes_are_read_as_koi8_r():
    body = _page(RU).encode("koi8_r")
    assert fitting_encoding(body, "utf-8") == "koi8_r"
    assert RU in decode_html(body, content_type="text/html; charset=utf-8")
