"""pipelines.cleaning.htmltree.load_page parses as trafilatura's load_html does, with every element a plain
HtmlElement."""

from __future__ import annotations

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from pipelines.cleaning.htmltree import load_page

PAGES = {
    "article": "<!DOCTYPE html><html><head><title>T</title></head><body><article><h1>H</h1><p>One <b>two</b>"
               "</p><!-- note --><form><input name=q><select><option>a</option></select></form></article></body></html>",
    "xml declaration": '<?xml version="1.0" encoding="utf-8"?><html><body><p>Привет, мир</p><p>x</p></body></html>',
    "no html element": "<p>first</p><p>second</p>",
    "one fragment": "<p>alone</p>",
    "not html": "just some words, no markup at all",
    "bytes": "<html><body><p>Çok güzel</p><div>d</div></body></html>".encode(),
    "empty body": "<html><head></head><body></body></html>",
}


def _shape(tree) -> str | None:
    return None if tree is None else etree.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_same_tree_as_trafilatura(name: str) -> None:
    assert _shape(load_page(PAGES[name])) == _shape(load_html(PAGES[name]))


def test_every_element_is_a_plain_html_element() -> None:
    tree = load_page(PAGES["article"])
    elements = [el for el in tree.iter() if isinstance(el.tag, str)]
    assert {type(el) for el in elements} == {HtmlElement}  # <form>, <input>, <select> too: no form helper classes
    assert tree.find(".//article").text_content().startswith("HOne two")
