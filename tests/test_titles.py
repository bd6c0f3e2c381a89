"""The headline by agreement: every title a page states votes; affixes are found by comparing the candidates."""

from __future__ import annotations

from lxml import html as lxml_html

from pipelines.cleaning.titles import Candidate, choose, gather, headline, parts, strip_outlet

URL = "https://harbor.example/world/2025/05/29/talks"


def page(head: str, body: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>")


def test_agreement_beats_the_declared_order() -> None:
    # og:title comes first in every fixed order, but the JSON-LD headline, the article's heading and <title> agree
    tree = page(
        '<meta property="og:title" content="You will not believe what the delegations said">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Delegations agree to meet again"}'
        "</script><title>Delegations agree to meet again | Harbor Gazette</title>",
        "<nav><a href='/'>Home</a></nav><article><h1>Delegations agree to meet again</h1><p>Text.</p></article>",
    )
    assert headline(tree, "Harbor Gazette", URL) == "Delegations agree to meet again"


def test_section_and_unknown_site_name_are_cut_by_comparison() -> None:
    # neither "World" nor "Daily Portal Network" is known as a name: the heading states the headline alone
    tree = page(
        "<title>Talks resume in Istanbul | World | Daily Portal Network</title>",
        "<article><h1>Talks resume in Istanbul</h1><p>Text.</p></article>",
    )
    assert headline(tree, None, URL) == "Talks resume in Istanbul"


def test_kicker_is_cut_when_the_heading_states_the_headline_alone() -> None:
    tree = page(
        '<meta property="og:title" content="Chronicle: Delegations meet again in Istanbul">'
        "<title>Chronicle: Delegations meet again in Istanbul - Harbor Gazette</title>",
        "<article><h1>Delegations meet again in Istanbul</h1><p>Text.</p></article>",
    )
    assert headline(tree, "Harbor Gazette", URL) == "Delegations meet again in Istanbul"


def test_known_site_name_is_removed_without_other_candidates() -> None:
    tree = page("<title>Prisoner exchange agreed in Istanbul — Harbor Gazette</title>", "<p>Text.</p>")
    assert headline(tree, "Harbor Gazette", URL) == "Prisoner exchange agreed in Istanbul"


def test_the_winner_is_spelled_as_the_heading_writes_it() -> None:
    # one story, two spellings: typographic quotes in the heading, straight ones in three declared titles; a reader
    # sees the heading
    tree = page(
        '<meta property="og:title" content="Minister says \'no deal\' before Monday">'
        '<meta name="twitter:title" content="Minister says \'no deal\' before Monday">'
        "<title>Minister says 'no deal' before Monday | Harbor Gazette</title>",
        "<article><h1>Minister says ‘no deal’ before Monday</h1></article>",
    )
    assert headline(tree, "Harbor Gazette", URL) == "Minister says ‘no deal’ before Monday"
    # without a heading, the spelling with the most weight behind it
    tree = page(
        '<meta property="og:title" content="Minister says \'no deal\' before Monday">'
        '<meta name="twitter:title" content="Minister says \'no deal\' before Monday">'
        "<title>Minister says ‘no deal’ before Monday | Harbor Gazette</title>",
        "<p>Text.</p>",
    )
    assert headline(tree, "Harbor Gazette", URL) == "Minister says 'no deal' before Monday"


def test_a_home_page_keeps_the_site_name_and_a_page_without_titles_has_none() -> None:
    assert headline(page("<title>Harbor Gazette</title>", "<p>x</p>"), "Harbor Gazette", URL) == "Harbor Gazette"
    assert headline(page("", "<p>Just text.</p>"), None, URL) is None


def test_jsonld_graph_entities_and_broken_blocks() -> None:
    tree = page(
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "Harbor Gazette"},'
        '{"@type": "NewsArticle", "headline": "Olive &amp; herb talks resume",'
        ' "publisher": {"@type": "Organization", "name": "Harbor Media Group"}}]}</script>',
        "<p>Text.</p>",
    )
    cands, names = gather(tree)
    assert Candidate("jsonld", "Olive & herb talks resume") in cands
    assert "Harbor Media Group" in names
    assert headline(tree, None, URL) == "Olive & herb talks resume"


def test_a_declared_title_votes_for_the_heading_it_contains() -> None:
    # several h1s outside any <article> only support, but the declared titles contain one of them: that is the title
    tree = page(
        '<meta property="og:title" content="Prisoner exchange agreed in Istanbul, Turkey">'
        "<title>Prisoner exchange agreed in Istanbul, Turkey</title>",
        "<h1>World</h1><h1>Prisoner exchange agreed in Istanbul</h1><h1>Comments</h1>",
    )
    assert headline(tree, None, URL) == "Prisoner exchange agreed in Istanbul"


def test_headings_outside_the_article_only_support() -> None:
    # three h1s in the page chrome (logo, menu) are no headline on their own; the declared title is
    tree = page(
        '<meta property="og:title" content="Ceasefire talks to continue next week">',
        "<header><h1>Harbor</h1><h1>Menu</h1><h1>Subscribe now</h1></header><p>Text.</p>",
    )
    assert headline(tree, None, URL) == "Ceasefire talks to continue next week"


def test_title_is_unicode_nfc() -> None:
    decomposed = "Cafe\u0301 owners meet the mayor"
    tree = page(f"<title>{decomposed}</title>", f"<article><h1>{decomposed}</h1></article>")
    assert headline(tree, None, URL) == "Café owners meet the mayor"


def test_parts_keep_one_end() -> None:
    assert parts("A | B | C") == ["A | B | C", "A", "B | C", "A | B", "C"]
    assert parts("Chronicle: Talks resume") == ["Chronicle: Talks resume", "Chronicle", "Talks resume"]
    assert parts("No separators here") == ["No separators here"]


def test_strip_outlet_with_several_names() -> None:
    assert strip_outlet("Talks resume - HG | Harbor Gazette", ["Harbor Gazette", "HG"], None) == "Talks resume"
    assert strip_outlet("Talks resume - officials", ["Harbor Gazette"], URL) == "Talks resume - officials"


def test_choose_counts_copies_of_one_field_once() -> None:
    # og:title, twitter:title and a meta title copied from one field do not outvote three independent candidates
    cands = [Candidate("og", "Why the talks matter"), Candidate("twitter", "Why the talks matter"),
             Candidate("meta", "Why the talks matter"), Candidate("jsonld", "Delegations agree to meet again"),
             Candidate("title", "Delegations agree to meet again"),
             Candidate("h1-article", "Delegations agree to meet again")]
    assert choose(cands, [], URL) == "Delegations agree to meet again"


def test_a_kicker_the_heading_sets_apart_is_cut_when_a_declared_title_writes_it_as_a_segment() -> None:
    # the heading shows its topic line as an element of its own (a hidden ": " for screen readers); every declared
    # title writes "Climate: ..." whole, yet the headline the reader sees is the rest
    tree = page(
        '<meta property="og:title" content="Climate: Drilling until it gets hot">'
        "<title>Climate: Drilling until it gets hot | Harbor Gazette</title>",
        '<article><h1><span class="k">Climate</span><span class="sr">: </span><span>Drilling until it gets hot</span>'
        "</h1><p>Text.</p></article>",
    )
    assert headline(tree, "Harbor Gazette", URL) == "Drilling until it gets hot"
    # the same with the kicker in a block and the headline as the heading's own text, glued without a separator
    tree = page(
        '<meta property="og:title" content="100th birthday: Survivor of the camps turns 100">',
        "<article><h1><div>100th birthday</div> Survivor of the camps turns 100</h1><p>Text.</p></article>",
    )
    assert headline(tree, None, URL) == "Survivor of the camps turns 100"


def test_a_heading_of_many_elements_is_no_kicker_without_support() -> None:
    # each word an element of its own (animated words, ruby): no other candidate writes "Harbor" as a segment
    tree = page(
        "<title>Harbor reopens after the storm</title>",
        "<article><h1><span>Harbor</span> <span>reopens</span> <span>after</span> <span>the</span> <span>storm</span>"
        "</h1><p>Text.</p></article>",
    )
    assert headline(tree, None, URL) == "Harbor reopens after the storm"
    cands, _ = gather(tree)
    assert [c.kicker for c in cands if c.kind == "h1-article"] == ["Harbor"]
    # a first line of more than KICKER_WORDS words is the first half of a two-line headline, not a kicker
    tree = page(
        '<meta property="og:title" content="Row before the works meeting: Board and chief at odds">',
        "<article><h1><span>Row before the works meeting:</span><br>\n<span>Board and chief at odds</span></h1>"
        "</article>",
    )
    assert headline(tree, None, URL) == "Row before the works meeting: Board and chief at odds"


def test_the_article_heading_outweighs_og_title_alone() -> None:
    # og:title (a share text) and the article's heading disagree, nothing else speaks: the heading a reader sees wins
    tree = page(
        '<meta property="og:title" content="You will not believe what the delegations said">',
        "<article><h1>Delegations agree to meet again in Istanbul</h1><p>Text.</p></article>",
    )
    assert headline(tree, None, URL) == "Delegations agree to meet again in Istanbul"


def test_ruby_readings_are_not_part_of_the_heading():
    # <rt> readings sit above the characters and <rp> parentheses are for browsers without ruby: a reader sees 漢字
    from lxml.html import fromstring

    from pipelines.cleaning.titles import gather, visible_text

    h1 = ("<h1><ruby>交<rp>(</rp><rt>こう</rt><rp>)</rp>渉<rp>(</rp><rt>しょう</rt><rp>)</rp></ruby>"
          "がイスタンブールで<ruby>再開<rt>さいかい</rt></ruby></h1>")
    tree = fromstring(f"<html><head><title>x</title></head><body><article>{h1}<p>本文</p></article></body></html>")
    assert visible_text(tree.find(".//h1")) == "交渉がイスタンブールで再開"
    cands, _ = gather(tree)
    assert [c.text for c in cands if c.kind.startswith("h1")] == ["交渉がイスタンブールで再開"]
    plain = fromstring("<h1>Talks <b>resume</b> in Istanbul</h1>")
    assert visible_text(plain) == plain.text_content()


def test_a_permalink_mark_is_not_part_of_the_heading():
    # documentation generators and blogs end a heading with a link to its own anchor that shows only "¶" or "#":
    # the headline is the words before it; an in-page link with words or digits ("#5") stays part of the text
    from lxml.html import fromstring

    from pipelines.cleaning.titles import visible_text

    marked = fromstring('<h1>Talks resume in Istanbul<a class="headerlink" href="#talks">¶</a></h1>')
    assert visible_text(marked) == "Talks resume in Istanbul"
    assert headline(fromstring(
        "<html><head><title>Docs</title></head><body><article><h1>Talks resume in Istanbul<a href='#t'>#</a></h1>"
        "<p>Delegations met again.</p></article></body></html>"), None, URL) == "Talks resume in Istanbul"
    assert visible_text(fromstring('<h1>Round <a href="#r2">#2</a> of talks</h1>')) == "Round #2 of talks"
    assert visible_text(fromstring('<h1>Round two <a href="/s">§</a></h1>')) == "Round two §"  # not in-page


def test_tidy_reads_a_title_of_thousands_of_separators_in_linear_time() -> None:
    """The dangling-separator pattern scanned to the end of the title from every position: a <title> of 30,000
    " |" kept a page worker busy past the 120 s page deadline, and the page was given up. Same results."""
    import random
    import re
    import time

    from pipelines.cleaning.titles import collapse, tidy

    started = time.process_time()
    assert tidy("Talks " + "| " * 200_000 + "Site") == "Talks " + "| " * 200_000 + "Site"
    assert tidy("- " * 100_000 + "Talks" + " -" * 100_000) == "Talks"
    assert time.process_time() - started < 5  # it was hours
    old = re.compile(r"(?:\s+[-|–—:·•›/~]+)+$|^(?:[-|–—:·•›/~]+\s+)+")
    rng = random.Random(3)
    parts = [" ", "  ", "\t", "-", "|", "–", "—", ":", "·", "•", "›", "/", "~", "--", "a", "Talks", "x-", "-y", "»"]
    for _ in range(20000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 12)))
        assert tidy(text) == old.sub("", collapse(text)), repr(text)
