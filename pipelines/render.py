"""Render a cleaned article as seed-style plain text: title, date line, paragraphs, original URL."""

from __future__ import annotations

import re

from pipelines.records import DatingResult

UNKNOWN_DATE = "unknown"  # the export's date line of an article with no credible date

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _one_line(text: str) -> str:
    """A block as one line: inner newlines and runs of spaces become one space, ends trimmed."""
    return _SPACES.sub(" ", " ".join(text.split("\n"))).strip()


def render_text(title: str | None, dating: DatingResult | None, paragraphs: list[str], url: str,
                unknown_date: str | None = None) -> str:
    """The article as the seed samples lay it out, minus their residue.

    Blocks are separated by exactly one blank line: the title, the date line (ISO 8601 with the page's own
    offset, or the day alone), each paragraph, then "Original url: <url>". Without a known date the date line is
    `unknown_date` when given (the export writes UNKNOWN_DATE, so every file has the same header shape), else
    left out (`clean`, as the seed samples). No trailing spaces; the text ends with a single newline.
    """
    blocks: list[str] = []
    if title and _one_line(title):
        blocks.append(_one_line(title))
    iso = dating.iso() if dating is not None else None
    if iso:
        blocks.append(iso)
    elif unknown_date:
        blocks.append(unknown_date)
    for paragraph in paragraphs:
        line = _one_line(paragraph)
        if line:
            blocks.append(line)
    blocks.append(f"Original url: {url.strip()}")
    return "\n\n".join(blocks) + "\n"


__all__ = ["UNKNOWN_DATE", "render_text"]
