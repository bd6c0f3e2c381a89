"""The numbers (and the one name) talkwatch takes from environment variables, checked before a run starts."""

from __future__ import annotations

import math
import os

# name -> (default, whole number?, smallest allowed, what it counts)
KNOWN: dict[str, tuple[float, bool, float, str]] = {
    "TALKWATCH_CRAWL_TIMEOUT": (3600.0, False, 1.0, "seconds"),
    "TALKWATCH_PAGE_TIMEOUT": (120.0, False, 1.0, "seconds"),
    "TALKWATCH_ISOLATE_MIN_PAGES": (40, True, 0, "pages"),
}


def env_number(name: str) -> float:
    """The variable's value, or its default when unset or empty; ValueError naming it when it is no number in range.

    Why a check: these used to be read with float()/int() when their module was imported, so
    TALKWATCH_CRAWL_TIMEOUT=soon was an internal error (a traceback in the log) instead of a config error.
    """
    default, whole, smallest, unit = KNOWN[name]
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value: float = int(text) if whole else float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < smallest or value > 2**31:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name}={text!r} is not {kind} of {unit} ({smallest:g} or more); unset it for the default "
                         f"({default:g})")
    return value


def env_number_or_default(name: str) -> float:
    """For a module constant read at import: a bad value gives the default here, and `check_environment` (run at
    the start of `run` and `reprocess`) refuses it before anything happens."""
    try:
        return env_number(name)
    except ValueError:
        return KNOWN[name][0]


def check_environment() -> None:
    """ValueError for the first variable of KNOWN that is set to no number in range, or for a storage limit name
    (TALKWATCH_STORAGE_LIMIT) that Prefect would refuse."""
    from pipelines.scaleout.storageslot import limit_name

    for name in KNOWN:
        env_number(name)
    limit_name()
