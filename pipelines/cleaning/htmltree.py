"""The page's lxml.html tree, parsed as trafilatura parses it but with element classes chosen in C.

Why: lxml.html picks a Python class for every element proxy by calling a Python method
(`HtmlElementClassLookup.lookup`, to give <form>, <input>, <select>... their form helpers). Cleaning creates
thousands of proxies a page, in trafilatura and in our rules, and that lookup alone was about 5 ms of CPU a page.
Nothing here uses the form helpers, so every element is a plain `HtmlElement` (same tags, attributes, text and
HtmlMixin methods such as text_content), found by lxml's C-level default lookup. The loading steps are
trafilatura's `load_html`, step for step, with this parser instead of its module-level one.
"""

from __future__ import annotations

import re
import threading

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, decode_file, is_dubious_html

_LOOKUP = etree.ElementDefaultClassLookup(element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction,
                                          entity=HtmlEntity)
_LOCAL = threading.local()  # lxml parsers must not be shared between threads
# C0 control characters other than tab, newline and carriage return, written raw or as character references, and
# the references to U+FFFE/U+FFFF: libxml2 cannot hold them, and one in a paragraph cost the rest of that paragraph
# (raw) or the whole article (a reference such as &#27;: trafilatura's extraction failed). A browser shows none of
# them; vertical tab and form feed are spaces. Two patterns, not one alternation of both (7 ms on a 180 kB page).
_RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# only references to code points under 32 or to U+FFFE/U+FFFF match (tab, newline and CR are given back as they are)
_REFERENCES = re.compile(r"&#(?:[xX]0*([1-9a-fA-F]|1[0-9a-fA-F]|[fF]{3}[eEfF])|0*([1-9]|[12][0-9]|3[01]|6553[45]));")
_SPACES = "\x0b\x0c"  # vertical tab, form feed


def _control_reference(match: re.Match) -> str:
    code = int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))
    if chr(code) in _SPACES:
        return " "
    if 0 < code < 0x20 and code not in (0x09, 0x0A, 0x0D) or code in (0xFFFE, 0xFFFF):
        return ""
    return match.group(0)


_CONTROL_CHARS = [chr(code) for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
_NONCHARACTERS = ("\ufffe", "\uffff")  # raw U+FFFE/U+FFFF: XML cannot hold them either


def without_controls(html: str) -> str:
    """The page without the characters an XML tree cannot hold (see _RAW_CONTROLS).

    Looked for first with `in`, one character at a time (0.25 ms on a 180 kB page): scanning with the class alone
    took 0.8 ms, and almost no page has any."""
    if any(char in html for char in _CONTROL_CHARS):
        html = _RAW_CONTROLS.sub(lambda m: " " if m.group(0) in _SPACES else "", html)
    for char in _NONCHARACTERS:
        if char in html:
            html = html.replace(char, "")
    return _REFERENCES.sub(_control_reference, html) if "&#" in html else html


def repair(html: str, beginning: str) -> str:
    """trafilatura.utils.repair_faulty_html for a page `without_controls` already cleaned: the same two repairs
    (a DOCTYPE that libxml2 misreads, a self-closing <html/>), without its regex pass over the whole page for the
    characters XML cannot hold, which finds none here (0.4 ms a page, 2% of the pipeline's CPU)."""
    if "doctype" in beginning:
        firstline, _, rest = html.partition("\n")
        html = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in html[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            html = FAULTY_HTML.sub(r"\1>", html, count=1)
            break
    return html


def _parser() -> HTMLParser:
    """This thread's parser, with trafilatura's HTML_PARSER settings and the C-level class lookup."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                            remove_pis=True)
        parser.set_element_class_lookup(_LOOKUP)
        _LOCAL.parser = parser
    return parser


def _from_bytes(html: str, parser: HTMLParser) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=parser)
    except Exception:  # noqa: BLE001 - as trafilatura: an unparseable page is no tree
        return None


def load_page(html: str | bytes) -> HtmlElement | None:
    """The page's tree, or None when it is not HTML (trafilatura.utils.load_html's rules)."""
    parser = _parser()
    html = without_controls(decode_file(html))
    beginning = html[:50].lower()
    check_flag = is_dubious_html(beginning)
    html = repair(html, beginning)
    tree = None
    fallback_parse = False
    try:
        tree = fromstring(html, parser=parser)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = _from_bytes(html, parser)
        fallback_parse = True
    except Exception:  # noqa: BLE001
        tree = None
    if (tree is None or len(tree) < 1) and not fallback_parse:
        tree = _from_bytes(html, parser)
    if tree is not None and check_flag is True and len(tree) < 2:
        tree = None
    return tree


__all__ = ["load_page"]
