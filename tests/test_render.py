"""render_text lays an article out exactly like the seed samples, without their residue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.cleaning import clean_html
from pipelines.records import DatingResult
from pipelines.render import render_text

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
MSK = timezone(timedelta(hours=3))


def test_render_byte_for_byte() -> None:
    dating = DatingResult(datetime(2025, 5, 29, 20, 36, tzinfo=MSK), "time", "jsonld", 0.9)
    text = render_text(
        "  Talks to resume in Istanbul  ",
        dating,
        ["First paragraph,\nwrapped in the source.  ", "", "   ", "What comes next", "Second\u00a0paragraph. "],
        "https://harbor.example/a/1",
    )
    assert text == (
        "Talks to resume in Istanbul\n"
        "\n"
        "2025-05-29T20:36:00+03:00\n"
        "\n"
        "First paragraph, wrapped in the source.\n"
        "\n"
        "What comes next\n"
        "\n"
        "Second paragraph.\n"
        "\n"
        "Original url: https://harbor.example/a/1\n"
    )


def test_day_precision_and_no_date() -> None:
    day = DatingResult(datetime(2025, 5, 29), "day", "url", 0.5)
    assert render_text("T", day, ["P."], "u").split("\n\n")[1] == "2025-05-29"
    none = DatingResult(None, "none", "none", 0.0)
    assert render_text("T", none, ["P."], "u") == "T\n\nP.\n\nOriginal url: u\n"
    assert render_text("T", None, ["P."], "u") == "T\n\nP.\n\nOriginal url: u\n"


def test_no_trailing_spaces_and_single_blank_lines() -> None:
    text = render_text("T ", None, ["a  ", " b"], "u ")
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert "\n\n\n" not in text


def test_fixture_page_renders_as_expected() -> None:
    page = clean_html((FIXTURES / "article_en.html").read_text(encoding="utf-8"),
                      "https://harbor.example/world/2025/05/29/delegations-istanbul")
    dating = DatingResult(datetime(2025, 5, 29, 20, 36, tzinfo=MSK), "time", "jsonld", 0.9)
    expected = (FIXTURES / "article_en.expected.txt").read_bytes()
    assert render_text(page.title, dating, page.paragraphs, page.url).encode("utf-8") == expected
