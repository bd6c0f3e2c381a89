"""clean_html: paragraphs kept whole and separate, residue and link cards gone, clear reasons for non-articles."""

from __future__ import annotations

from pathlib import Path

from pipelines.cleaning import clean_html

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
URL = "https://harbor.example/world/2025/05/29/delegations-istanbul"


def _en():
    return clean_html((FIXTURES / "article_en.html").read_text(encoding="utf-8"), URL)


def test_paragraphs_are_whole_separate_and_headings_kept() -> None:
    page = _en()
    assert page.is_article and page.reason is None
    assert page.paragraphs[0].startswith("Negotiators from both countries agreed on Thursday")
    assert page.paragraphs[0].endswith("over the agenda.")
    assert "What is on the table" in page.paragraphs  # the in-article heading, on its own line
    heading = page.paragraphs.index("What is on the table")
    assert page.paragraphs[heading + 1].startswith("Both delegations are expected")
    # nothing glued: every paragraph is one source paragraph, no paragraph contains another's start
    for para in page.paragraphs:
        assert "\n" not in para
        assert para.count("Negotiators from both") <= 1


def test_residue_and_cards_are_gone_real_text_stays() -> None:
    text = _en().text
    for residue in ("Read more\n", "Advertisement", "Related article", "newsletter", "back to top", "8.7 C",
                    "Most read", "Harbour cranes", "Copyright", "cookies", "via AFP", "Prisoner exchange completed"):
        assert residue not in text, residue
    assert "the read more carefully argued drafts" in text  # a real sentence with the label's words


def test_metadata_and_declared_urls() -> None:
    page = _en()
    assert page.authors == ["Anna Kowalski", "Peter Lind"]
    assert page.sitename == "Harbor Gazette"
    assert page.canonical_url == URL
    assert page.og_url == URL + "?ref=og"
    assert page.description.startswith("Negotiators from both sides")


def test_cyrillic_residue_and_real_sentence_with_label_word() -> None:
    page = clean_html((FIXTURES / "article_ru.html").read_text(encoding="utf-8"), "https://vestnik.example/news/2025/1")
    assert "Реклама" not in page.paragraphs and "Читайте также" not in page.paragraphs
    assert any(p.startswith("Реклама на телевидении") for p in page.paragraphs)
    assert page.authors == ["Иван Петров", "Мария Смирнова"]
    assert page.title == "Делегации договорились о новой встрече в Стамбуле"


def test_listing_page_is_not_an_article() -> None:
    page = clean_html((FIXTURES / "listing.html").read_text(encoding="utf-8"), "https://harbor.example/world/")
    assert not page.is_article
    assert "listing" in page.reason


def test_bad_inputs_never_raise_and_say_why() -> None:
    cases = {
        "": "empty",
        "   ": "empty",
        "\x00\x01\x02binary\x00\x00\x00" * 50: "binary",
        "<html><body></body></html>": "",
        "<html><body><p>Too short to be news.</p></body></html>": "",
        "<<<>>>not html at all": "",
    }
    for html, word in cases.items():
        page = clean_html(html, "https://harbor.example/a/1")
        assert page.is_article is False, html[:30]
        assert page.reason and word in page.reason
    assert clean_html(None, "https://harbor.example/a/1").is_article is False  # type: ignore[arg-type]


def test_short_page_reason_names_the_count() -> None:
    html = "<html><head><title>Brief</title></head><body><article><p>" + "word " * 12 + "end.</p></article></body></html>"
    page = clean_html(html, "https://harbor.example/a/brief")
    assert not page.is_article
    assert page.reason.startswith("too short") or page.reason == "no body text"


def test_adjacent_blocks_and_inline_markup_are_not_glued() -> None:
    sentence = "The delegations met for three hours in the palace and agreed to exchange written proposals soon."
    html = (
        "<html><head><title>Talks</title></head><body><article><h1>Talks</h1>"
        f"<p>First: {sentence}</p><p>Second: <b>bold</b> and <i>italic</i> words, a <a href='/x'>link</a> too. {sentence}</p>"
        f"<h2>Next steps</h2><p>Third: {sentence}<br><br>Fourth after a double break: {sentence}</p>"
        f"<ul><li>Item one of the agenda: prisoners and the bodies of fallen soldiers</li>"
        f"<li>Item two of the agenda: the memorandums and a ceasefire</li></ul>"
        f"<p>Fifth: {sentence}</p></article></body></html>"
    )
    page = clean_html(html, "https://harbor.example/a/talks")
    assert page.paragraphs[0] == f"First: {sentence}"
    assert page.paragraphs[1] == f"Second: bold and italic words, a link too. {sentence}"
    assert page.paragraphs[2] == "Next steps"
    assert page.paragraphs[3] == f"Third: {sentence}"
    assert page.paragraphs[4] == f"Fourth after a double break: {sentence}"
    assert "- Item one of the agenda: prisoners and the bodies of fallen soldiers" in page.paragraphs
    assert page.paragraphs[-1] == f"Fifth: {sentence}"


def test_invisible_characters_and_back_to_back_repeats_are_removed() -> None:
    sentence = "The delegations met for three hours in the palace and agreed to exchange written proposals soon."
    html = (
        "<html><head><title>Talks</title></head><body><article><h1>Talks</h1>"
        f"<p>Zero\u200bwidth and soft\u00adhyphen inside: {sentence}</p>"
        f"<p>{sentence} Repeated once.</p><p>{sentence} Repeated once.</p>"
        f"<p>Closing: {sentence}</p></article></body></html>"
    )
    page = clean_html(html, "https://harbor.example/a/talks")
    assert page.paragraphs[0] == f"Zerowidth and softhyphen inside: {sentence}"
    assert page.paragraphs.count(f"{sentence} Repeated once.") == 1
    assert page.paragraphs[-1] == f"Closing: {sentence}"


def test_a_teaser_sized_quick_pass_is_extracted_again_with_the_fallbacks(monkeypatch) -> None:
    """The main extractor holds on to a 75-word teaser in a content-named block; the report is in an anonymous div.
    Under RETRY_WORDS the page is extracted again with trafilatura's fallbacks, and the longer body kept."""
    import pipelines.cleaning as cleaning

    teaser = " ".join(["The council met on Tuesday to discuss the budget for the coming year and its priorities."] * 5)
    report = "".join(f"<p>Paragraph {i} of the report says the harbour works will start in spring, that the cost is "
                     "shared by the city and the region, and that residents can comment until the end of May.</p>"
                     for i in range(12))
    html = (f"<html><head><title>Budget talks</title></head><body><div class='post-content'><p>{teaser}</p></div>"
            f"<div><div>{report}</div></div></body></html>")
    page = clean_html(html, URL)
    assert page.is_article
    assert page.paragraphs[0].startswith("Paragraph 0 of the report") and len(page.paragraphs) == 12
    # with the threshold under the teaser's length the quick pass's teaser is all there is
    monkeypatch.setattr(cleaning, "RETRY_WORDS", 40)
    assert clean_html(html, URL).paragraphs == [teaser]


def test_a_short_article_on_a_page_with_nothing_more_is_not_extracted_again(monkeypatch) -> None:
    """A 60-word brief whose page holds no other text: the fallbacks have nothing more to find (RETRY_PAGE_SHARE).
    Under the 40-word article minimum the retry always runs, as before the gate."""
    import pipelines.cleaning as cleaning

    calls = []
    real = cleaning._body_lines
    monkeypatch.setattr(cleaning, "_body_lines", lambda *a: calls.append(a[3]["fast"]) or real(*a))
    brief = ("Delegations from Russia and Ukraine met in Istanbul on Monday for a second round of direct talks, "
             "the foreign ministry said, and agreed to exchange prisoners of war and the bodies of fallen soldiers "
             "within a week. Both sides said the next meeting would be held in June, after the drafts of their "
             "memorandums have been exchanged, and neither named the place.")
    page = clean_html(f"<html><body><article><p>{brief}</p></article></body></html>", URL)
    assert page.is_article and calls == [True]
    calls.clear()
    short = " ".join(brief.split()[:30])
    clean_html(f"<html><body><article><p>{short}</p></article></body></html>", URL)
    assert calls == [True, False]
