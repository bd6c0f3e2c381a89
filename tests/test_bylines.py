"""pipelines.cleaning.bylines.find_byline gives trafilatura's extract_author answer on every kind of byline markup."""

from __future__ import annotations

import pytest
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html

from pipelines.cleaning.bylines import find_byline

PAGES = {
    "class author": '<div class="author">Jane Roe</div>',
    "rel author link": '<p>By <a rel="author" href="/j">Jane Roe</a></p>',
    "id author": '<span id="author">Jane Roe</span>',
    "itemprop author name": '<span itemprop="author name">Jane Roe</span>',
    "data-testid": '<div data-testid="AuthorCard">Ivan Petrov</div>',
    "author-name class": '<div class="post-author-name">Olena Kovalenko</div>',
    "byline class": '<div class="byline">Mehmet Yilmaz</div>',
    "itemprop contains author": '<h4 itemprop="author">Jane Roe</h4>',
    "chinese id": '<p id="zuozhe">Li Wei</p>',
    "last resort id": '<section id="Author-box">Jane Roe</section>',
    "data-component Byline": '<section data-component="Byline">Ivan Petrov</section>',
    "writer class": '<em class="writer">Jane Roe</em>',
    "author element": "<author>Jane Roe</author>",
    "rel me child": "<p><rel>me</rel>Jane Roe</p>",
    "time inside byline, spaced": '<div class="byline">Jane Roe <time>5 May 2025</time> Moscow</div>',
    "time inside byline, glued": '<div class="byline">Jane<time>5 May</time>Roe</div>',
    "time first in byline": '<div class="byline"><time>5 May</time>Jane Roe</div>',
    "two removed siblings": '<div class="byline">By <time>1</time>Jane<figure>x</figure> Roe</div>',
    "byline inside comments": '<div id="comments"><div class="author">Troll</div></div><p class="byline">Jane Roe</p>',
    "byline inside figure": '<figure><span class="author">Photo Agency</span></figure>',
    "byline inside a sidebar": '<div class="sidebar"><span class="author">Other Writer</span></div>',
    "first too short, second good": '<span class="author">Jo</span><span class="author">Jane Roe</span>',
    "too long": '<div class="author">' + "word " * 40 + "</div>",
    "order between expressions": '<p class="byline">Second Choice</p><span class="author">First Choice</span>',
    "url author": '<span class="author">https://example.org/jane</span>',
    "several authors": '<div class="author">Jane Roe and John Doe</div>',
    "comment in byline": '<div class="byline">Jane <!-- x --> Roe</div>',
    "nothing": "<p>Just a paragraph of text without any byline at all.</p>",
    "class title discarded": '<div class="title"><span class="author">Not Me</span></div>',
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_same_answer_as_trafilatura(name: str) -> None:
    html = f"<html><head><title>t</title></head><body><article>{PAGES[name]}</article></body></html>"
    expected = extract_author(load_html(html))
    assert find_byline(load_html(html)) == expected


def test_the_cases_cover_both_outcomes() -> None:
    """The table above is only a check if trafilatura finds an author on most cases and none on some."""
    found = [extract_author(load_html(f"<html><body>{h}</body></html>")) for h in PAGES.values()]
    assert sum(1 for f in found if f) >= 20
    assert sum(1 for f in found if not f) >= 3
