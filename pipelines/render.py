"""Render a cleaned article as seed-style plain text: title, date line, paragraphs, original URL."""

from __future__ import annotations

import re

from pipelines.records import DatingResult

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def _one_line(text: str) -> str:
    """A block as one line: inner newlines and runs of spaces become one space, ends trimmed."""
    return _SPACES.sub(" ", " ".join(text.split("\n"))).strip()


def render_text(title: str | None, dating: DatingResult | None, paragraphs: list[str], url: str) -> str:
    """The article as the seed samples lay it out, minus their residue.

    Blocks are separated by exactly one blank line: the title, the date line (ISO 8601 with the page's own
    offset, or the day alone; written only when a date is known), each paragraph, then "Original url: <url>".
    No trailing spaces; the text ends with a single newline.
    """
    blocks: list[str] = []
    if title and _one_line(title):
        blocks.append(_one_line(title))
    iso = dating.iso() if dating is not None else None
    if iso:
        blocks.append(iso)
    for paragraph in paragraphs:
        line = _one_line(paragraph)
        if line:
            blocks.append(line)
    blocks.append(f"Original url: {url.strip()}")
    return "\n\n".join(blocks) + "\n"


__all__ = ["render_text"]
