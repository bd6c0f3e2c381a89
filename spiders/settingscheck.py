"""Check `talkwatch run -s KEY=VALUE` pairs before a run starts, one clear line per bad pair.

Why: Scrapy reads `-s` values only when the crawl child process builds its components. A typo in a name was
ignored without a word, and `DOWNLOAD_DELAY=abc` crashed the crawl deep in a child process while the run
still exited 0. Checking names and values up front turns both into a ValueError the CLI prints at once.

The known names and their types come from Scrapy's own defaults (`scrapy.settings.default_settings`) and the
project's settings (`spiders.settings`); a default's Python type says how Scrapy reads the value.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from spiders.sources import did_you_mean

# Settings whose default is written as an int but which Scrapy reads with getfloat: "0.5" must pass.
_READ_AS_FLOAT = frozenset({"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "DNS_TIMEOUT"})
# Settings whose default is an int (1) but which Scrapy reads with getbool.
_READ_AS_BOOL = frozenset({"TELNETCONSOLE_ENABLED"})
# Lists of HTTP status codes whose default is empty, so their element type cannot be seen from it.
_CODE_LISTS = frozenset({"HTTPERROR_ALLOWED_CODES", "HTTPCACHE_IGNORE_HTTP_CODES"})
# Priorities (DEPTH_PRIORITY, RETRY_PRIORITY_ADJUST, ...) are the only numbers with a meaningful sign.
_SIGNED = re.compile(r"[A-Z_]*PRIORITY(?:_ADJUST)?")
# A count, delay or timeout beyond 2^31 - 1 is a typo (10^20 requests at a time); byte sizes may be larger.
_SIZE = re.compile(r"(?<!POOL_MAX)SIZE$")  # DOWNLOAD_MAXSIZE, not REACTOR_THREADPOOL_MAXSIZE
_MAX_NUMBER, _MAX_SIZE = 2**31 - 1, 2**63 - 1
# Concurrency and pool sizes: 0 would leave the crawl waiting until its timeout, so at least 1.
_AT_LEAST_ONE = re.compile(r"CONCURRENT_[A-Z_]+|REACTOR_THREADPOOL_MAXSIZE")
_BOOLS = {"true": "True", "1": "True", "false": "False", "0": "False"}
_LOG_LEVELS = tuple(logging.getLevelNamesMapping())  # what logging accepts by name: upper case only
# Settings the crawl is built on and talkwatch sets itself (pipelines/crawl.py): another value loses the crawl's
# items or the spider itself, and the run used to end "completed" with an empty reason per source. (LOG_FILE may be
# set, to keep the crawl's log after a good run deletes the run's folder; its folder is checked below.)
_ITEMS, _SPIDER = "the crawl's items go to the run's own items file", "the news spider is talkwatch's"
_MANAGED = {"FEEDS": _ITEMS, "FEED_URI": _ITEMS, "FEED_FORMAT": "the crawl's items are JSON lines",
            "SPIDER_MODULES": _SPIDER, "NEWSPIDER_MODULE": _SPIDER, "SPIDER_LOADER_CLASS": _SPIDER}


def _upper_names(module: ModuleType) -> dict[str, Any]:
    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


@lru_cache(maxsize=1)
def _defaults() -> tuple[dict[str, Any], dict[str, Any]]:
    """(Scrapy's default settings, the project's settings): each name -> value."""
    from scrapy.settings import default_settings

    from spiders import settings as project

    return _upper_names(default_settings), _upper_names(project)


def known_settings() -> frozenset[str]:
    """Every setting name `-s` may set: Scrapy's defaults plus the project's own (TALKWATCH_*...)."""
    scrapy_defaults, project = _defaults()
    return frozenset(scrapy_defaults) | frozenset(project)


# a class or module by its import path (SCHEDULER, TWISTED_REACTOR, DUPEFILTER_CLASS, ...): Scrapy imports it in the
# crawl's child process, and one that does not import killed the crawl there, the run still exiting 0 with the source
# "not crawled" (so recorded as failing). REFERRER_POLICY also takes a policy's name ("no-referrer").
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_NAMES_OR_PATHS = frozenset({"REFERRER_POLICY"})


def setting_kind(name: str) -> str:
    """How Scrapy reads `name`: "bool", "int", "float", "dict", "codes" (list of ints), "list", "object" (an import
    path) or "str".

    Taken from the types of its default values (Scrapy's and the project's; a float in either means a
    float), corrected by the few names whose default is written with another type than Scrapy reads.
    A setting without a typed default (None) is "str": any text passes.
    """
    if name in _READ_AS_FLOAT:
        return "float"
    if name in _READ_AS_BOOL:
        return "bool"
    if name in _CODE_LISTS:
        return "codes"
    values = [d[name] for d in _defaults() if d.get(name) is not None]
    if name not in _NAMES_OR_PATHS and any(isinstance(v, str) and _DOTTED.fullmatch(v) for v in values):
        return "object"
    if any(isinstance(v, bool) for v in values):
        return "bool"
    if any(isinstance(v, float) for v in values):
        return "float"
    if any(isinstance(v, int) for v in values):
        return "int"
    if any(isinstance(v, dict) for v in values):
        return "dict"
    if any(isinstance(v, (list, tuple)) for v in values):
        lists = [v for v in values if isinstance(v, (list, tuple)) and v]
        ints = lists and all(isinstance(x, int) and not isinstance(x, bool) for v in lists for x in v)
        return "codes" if ints else "list"
    return "str"


def _name_error(key: str) -> ValueError:
    """Unknown setting: suggest the closest known name (matching upper case, since names are upper case)."""
    return ValueError(f"-s {key}: unknown Scrapy setting{did_you_mean(key.upper(), sorted(known_settings()))}")


def _number(key: str, value: str, whole: bool) -> str:
    """The value of an int or float setting, checked to parse, be finite and have a sensible sign."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"-s {key}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"-s {key}: {value!r} is not a finite number")
    if whole and not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"-s {key}: {value!r} is not a whole number")
    if _AT_LEAST_ONE.fullmatch(key) and number < 1:
        raise ValueError(f"-s {key}: {value!r} must be at least 1 (0 would leave the crawl waiting)")
    if number < 0 and not _SIGNED.fullmatch(key):
        raise ValueError(f"-s {key}: {value!r} must not be negative")
    limit = _MAX_SIZE if _SIZE.search(key) else _MAX_NUMBER
    if abs(number) > limit:
        raise ValueError(f"-s {key}: {value!r} is out of range (at most {limit:,})")
    return text


def _import_path(key: str, value: str) -> str:
    """`value` when it imports as Scrapy will import it (`load_object`, with the current folder first on the path, as
    the crawl's `python -m scrapy` has it); else a ValueError naming what failed."""
    import sys

    from scrapy.utils.misc import load_object

    text = value.strip()
    if not text and key == "TWISTED_REACTOR":  # no reactor installed by Scrapy: the default one is used
        return text
    if not _DOTTED.fullmatch(text):
        raise ValueError(f"-s {key}: {value!r} is not an import path such as 'package.module.Class'")
    sys.path.insert(0, os.getcwd())
    try:
        load_object(text)
    except Exception as exc:  # noqa: BLE001 - whatever the import raises, the crawl would die of it
        raise ValueError(f"-s {key}: {text!r} cannot be imported ({type(exc).__name__}: {exc})") from None
    finally:
        sys.path.remove(os.getcwd())
    return text


def check_value(key: str, value: str) -> str:
    """`value` as it should be passed to Scrapy for setting `key`; a ValueError when Scrapy could not read it.

    Booleans are normalized to "True"/"False" (Scrapy's getbool refuses "TRUE"); numbers are stripped of
    surrounding spaces; text settings pass unchanged.
    """
    kind = setting_kind(key)
    if kind == "object":
        return _import_path(key, value)
    if kind in ("int", "float"):
        return _number(key, value, whole=kind == "int")
    if kind == "bool":
        normal = _BOOLS.get(value.strip().lower())
        if normal is None:
            raise ValueError(f"-s {key}: {value!r} is not true/false/1/0")
        return normal
    if kind == "dict":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ValueError(f"-s {key}: {value!r} is not a JSON object such as '{{\"name\": 100}}'")
        return value
    if kind == "codes":
        if value.strip() and not all(re.fullmatch(r"\s*\d+\s*", part) for part in value.split(",")):
            raise ValueError(f"-s {key}: {value!r} is not a comma-separated list of whole numbers")
        return value
    if key == "LOG_FILE":
        return _log_file(value)
    if key == "JOBDIR":
        return _job_dir(value)
    if key == "LOG_LEVEL" and value.strip().upper() not in _LOG_LEVELS:
        raise ValueError(f"-s {key}: {value!r} is not a log level ({', '.join(_LOG_LEVELS)})")
    if key == "LOG_LEVEL":
        return value.strip().upper()
    return value


# how every line of Scrapy's log starts (its LOG_DATEFORMAT); an existing LOG_FILE must be empty or start so
_LOG_LINE = re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
# what Scrapy keeps in a JOBDIR (the duplicate filter's, the spider's and the scheduler's state)
_JOB_STATE = ("requests.seen", "spider.state", "requests.queue")


def _log_file(value: str) -> str:
    """A log file the crawl can open: not a folder, in a folder that exists (Scrapy died at start-up otherwise,
    before it could log why)."""
    path = Path(value)  # as Scrapy opens it: "~" is not expanded
    if not value.strip():
        raise ValueError("-s LOG_FILE: empty; give a file, or leave it out (the log stays in the run's folder)")
    if path.is_dir():
        raise ValueError(f"-s LOG_FILE: {value} is a folder; give a file in it")
    if not path.resolve().parent.is_dir():
        raise ValueError(f"-s LOG_FILE: the folder of {value} does not exist; create it first")
    _check_existing_log(path, value)
    return value


def _check_existing_log(path: Path, value: str) -> None:
    """ValueError for an existing LOG_FILE that is not a crawl log. Why: Scrapy appends its log to the file (or
    replaces it, with LOG_FILE_APPEND=False), so `-s LOG_FILE=data/talkwatch.duckdb`, a config file or /etc/passwd
    got log lines written into it. An empty file, a crawl log and os.devnull (no log) are taken."""
    if value == os.devnull or not os.path.lexists(path):
        return
    if path.is_symlink():
        raise ValueError(f"-s LOG_FILE: {value} is a symlink; give the log file itself")
    if not path.is_file():
        raise ValueError(f"-s LOG_FILE: {value} is not a regular file (a pipe or a device); give a log file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise ValueError(f"-s LOG_FILE: cannot read {value}: {exc.strerror or exc}") from None
    if head and not _LOG_LINE.match(head):
        raise ValueError(f"-s LOG_FILE: {value} exists and is not a crawl log; refusing to write into it (remove it "
                         f"or give another file)")


def _job_dir(value: str) -> str:
    """A folder Scrapy can keep its crawl state in: a folder, or a path it can create (not one under a file: the
    crawl died at start with NotADirectoryError and the run ended 'completed' with blank reasons)."""
    if not value.strip():
        raise ValueError("-s JOBDIR: empty; give a folder, or leave it out")
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ValueError(f"-s JOBDIR: {value} is a file; give a folder")
    ancestor = path.resolve().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"-s JOBDIR: {value} is under {ancestor}, which is a file; give a folder")
    # Scrapy writes its state files into the folder: into /etc, or a folder of one's own, they do not belong
    if path.is_dir() and any(path.iterdir()) and not any((path / name).exists() for name in _JOB_STATE):
        raise ValueError(f"-s JOBDIR: {value} is not empty and holds no Scrapy job state; refusing to write into it "
                         f"(give a new or empty folder)")
    return value


def check_settings(pairs: list[str]) -> dict[str, str]:
    """`-s KEY=VALUE` pairs -> {KEY: VALUE} for the flow's `spider_settings`; ValueError on the first bad pair.

    Each error is one line naming the pair: a missing `=`, an empty or unknown name (with the closest known
    name), or a value the setting's type cannot take. A later pair for the same name wins, as with Scrapy.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"-s {pair!r}: missing '=' (write -s NAME=VALUE, such as -s DOWNLOAD_DELAY=2)")
        if not key:
            raise ValueError(f"-s {pair!r}: empty setting name (write -s NAME=VALUE, such as -s DOWNLOAD_DELAY=2)")
        if key not in known_settings():
            raise _name_error(key)
        if key in _MANAGED:
            raise ValueError(f"-s {key}: talkwatch sets it itself ({_MANAGED[key]})")
        out[key] = check_value(key, value)
    return out


def check_setting_dict(settings: dict[str, str | int | float | bool] | None) -> dict[str, str] | None:
    """check_settings for a flow's `spider_settings` parameter ({KEY: VALUE}, as a deployment's `--param` gives
    it); None for none. A value may be a JSON number or boolean (`--param 'spider_settings={"DOWNLOAD_DELAY": 2}'`):
    it is checked as its text, as `-s DOWNLOAD_DELAY=2` is (Prefect refused it in four lines, "Input should be a
    valid string")."""
    return check_settings([f"{k}={v}" for k, v in (settings or {}).items()]) or None
