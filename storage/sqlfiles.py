"""Reads the SQL that lives in `.sql` files beside this module, so no statement hides in a Python string."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(name: str) -> str:
    """The text of `storage/<name>.sql` (e.g. "views", "queries/seen_urls")."""
    return resources.files("storage").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file, split on `;` at line ends (our files never put one mid-line)."""
    return split_statements(sql(name))


def split_statements(text: str) -> list[str]:
    """The statements of SQL text written as our files are: whole-line comments dropped, `;` only at line ends."""
    out, buf = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.rstrip(";").strip():
                out.append(stmt)
            buf = []
    tail = "\n".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, text) of every file in storage/migrations, in version order."""
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)
