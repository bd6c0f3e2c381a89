"""Reads the analysis layer's SQL from `analysis/sql/*.sql`: every query runs against the public views."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(name: str) -> str:
    """The text of `analysis/sql/<name>.sql`."""
    return resources.files("analysis").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
