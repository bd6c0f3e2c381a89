"""The outlets to crawl: read and validate the sources TOML file into `Source` records.

Validation is strict on purpose: a misspelled key, a made-up language or a domain that would let a source
fetch half the web used to be ignored or accepted silently, and the run then did something else than what
the file seemed to say. Every rule raises a ValueError with one line naming the file, the source and the key.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spiders.urlpolicy import DEFAULT_PORTS

# every key a [[source]] table may hold; poll_minutes is read by the flow from `Source.extra`
SOURCE_KEYS = ("name", "language", "feeds", "sitemaps", "allowed_domains", "enabled", "max_pages", "poll_minutes",
               "timezone", "country", "group")
FILE_KEYS = ("source",)  # the only top-level key of a sources file
_EXTRA_KEYS = ("poll_minutes",)  # known keys kept in `Source.extra` for their readers
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")  # one DNS label, in its ASCII (IDNA) form
MAX_PAGES_RANGE = (0, 100_000)
POLL_MINUTES_RANGE = (1, 10_080)  # a minute to a week


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest known word, or "" when none is close.

    Why: a typo in a key name is the commonest config mistake, and the fix is obvious once the right name
    is shown next to the wrong one.
    """
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_key_error(key: str, where: str, known: Iterable[str]) -> ValueError:
    """The one-line error for a key the format does not have (`where`: "in source 'x'"), with a did-you-mean."""
    return ValueError(f"unknown key {key!r} {where}{did_you_mean(key, known)}")


@lru_cache(maxsize=1)
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> country name, from the table the tzdata package ships."""
    text = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    return {code: name for code, name in (line.split("\t", 1) for line in text.splitlines()
                                          if line and not line.startswith("#"))}


@lru_cache(maxsize=1)
def iso_languages() -> dict[str, str]:
    """ISO 639-1 code -> English name, from the Unicode CLDR data that babel ships (offline, no network).

    Why babel: it is installed anyway (courlan, under trafilatura, needs it) and CLDR names every language
    that has a two-letter code; those codes are the ISO 639-1 set (184 with the still-common "sh").
    py3langid's list is only the ~97 languages its model detects, too few to say "not a language".
    """
    from babel import Locale

    return {code: name for code, name in Locale("en").languages.items() if _LANGUAGE.fullmatch(code)}


def _country_language(code: str) -> str | None:
    """The most-spoken official language of an ISO 3166 country: the likely meaning of "ua" written as a language."""
    from babel.core import get_global

    spoken = get_global("territory_languages").get(code.upper(), {})
    codes = iso_languages()
    ranked = sorted(((info.get("official_status") is not None, info.get("population_percent", 0), lang)
                     for lang, info in spoken.items() if lang in codes), reverse=True)
    return ranked[0][2] if ranked else None


def _language_guess(value: str) -> tuple[str | None, str]:
    """(the ISO 639-1 code `value` most likely means, why), or (None, "") when nothing fits.

    Covers the usual slips: upper case, a region tag ("pt-BR"), a three-letter code ("ukr"), an English name
    ("Ukrainian", even misspelled) and a country code written for a language ("ua").
    """
    from babel.core import get_global

    codes = iso_languages()
    text = value.strip().lower().replace("_", "-")
    base = text.split("-", 1)[0]
    if text in codes or base in codes:
        return (text if text in codes else base), ""
    alias = get_global("language_aliases").get(base)
    if alias in codes:
        return alias, ""
    by_name = {name.lower(): code for code, name in codes.items()}
    close = difflib.get_close_matches(text, list(by_name), n=1, cutoff=0.8)
    if close:
        return by_name[close[0]], ""
    if len(text) == 2 and text.upper() in iso_countries():
        country = _country_language(text)
        if country:
            return country, f" ({text.upper()} is a country code)"
    return None, ""


def language_problem(value: Any) -> str | None:
    """Why `value` is not an ISO 639-1 code (one phrase with a did-you-mean), or None when it is one."""
    if isinstance(value, str) and _LANGUAGE.fullmatch(value) and value in iso_languages():
        return None
    guess, why = _language_guess(value) if isinstance(value, str) else (None, "")
    hint = f"; did you mean {guess!r}?{why}" if guess else ""
    return f"{value!r} is not an ISO 639-1 language code (two lowercase letters, such as 'en'){hint}"


def check_number(value: Any, what: str, low: float, high: float, whole: bool = False) -> Any:
    """`value` when it is a finite number in [low, high] (a whole one if `whole`); else a ValueError naming `what`.

    Why so strict: TOML has `nan`, `inf` and `true`, and Python compares them with numbers without
    complaint; a `min_score = nan` once made a reprocess drop every article without a word.
    """
    kind = "a whole number" if whole else "a number"
    ok = (not isinstance(value, bool) and isinstance(value, int if whole else (int, float))
          and math.isfinite(value) and low <= value <= high)
    if not ok:
        raise ValueError(f"{what} must be {kind} from {low:g} to {high:g}, got {value!r}")
    return value


@lru_cache(maxsize=1)
def _suffix_list() -> Any:
    """tldextract on the Public Suffix List snapshot bundled with it.

    `suffix_list_urls=()` means it never fetches a fresher list and `cache_dir=None` that it never writes a
    cache: loading a config file must not touch the network or the disk. Private suffixes (github.io,
    blogspot.com) count too: every site under them belongs to someone else.
    """
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def is_public_suffix(host: str) -> bool:
    """True when `host` (ASCII form) is itself a public suffix such as com, co.uk or github.io."""
    parts = _suffix_list()(host)
    return bool(parts.suffix) and not parts.domain


def ascii_host(host: str) -> str:
    """The host as it goes on the wire: IDNA (punycode) for a Unicode name, like Scrapy's request URLs.

    Why: the host policy compares the hosts of request URLs, which w3lib has already IDNA-encoded with
    Python's codec after NFKC; an allowed domain kept in Unicode would never match one of them.
    """
    if host.isascii():
        return host
    return unicodedata.normalize("NFKC", host).encode("idna").decode("ascii").lower()


def _split_host_port(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address -> (host, port or None).

    Raises ValueError with the reason when the port is not a number from 1 to 65535.
    """
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("has an unclosed or misplaced '[': write an IPv6 address as [::1]:8080")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, None  # a bare IPv6 address has several colons and no port
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"has a bad port {port_text!r} (a number from 1 to 65535)")
    return host, int(port_text)


def _host_problem(host: str) -> str | None:
    """Why an ASCII host name cannot be an allowed domain, or None.

    A domain allows all its subdomains (see `HostPolicy`), so a top-level domain or any public suffix would
    let one source fetch every site under it: refused. `localhost` is the one single-label host allowed.
    """
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return "is not a valid host name (letters, digits and '-' between dots)"
    if labels[-1].isdigit():
        return "is not a valid IP address"
    if len(labels) == 1 and host != "localhost":
        return "is a top-level domain alone: it would allow every site under it; name the outlet's own domain"
    if is_public_suffix(host):
        return "is a public suffix: it would allow every site under it; name the outlet's own domain"
    return None


def check_domain(entry: Any, what: str) -> str:
    """One `allowed_domains` entry, normalized (lower case, IDNA, no trailing dot); else a ValueError.

    Accepted: a host name (Unicode ok), an IPv4 or IPv6 address, either with an optional `:port`. Refused:
    wildcards, schemes, paths, bad ports, and hosts so broad they would allow other people's sites.
    """
    def bad(why: str) -> ValueError:
        return ValueError(f"{what} entry {entry!r} {why}")

    if not isinstance(entry, str) or not entry.strip():
        raise bad("must be a host or host:port, such as 'outlet.example' or '127.0.0.1:8080'")
    text = entry.strip().lower()
    if "*" in text:
        raise bad("has a wildcard: a domain already allows all its subdomains, so write it without '*'")
    if "://" in text or text.startswith("//"):
        raise bad("has a scheme: write the host alone, such as 'outlet.example'")
    if any(c in text for c in "/?#@\\") or any(c.isspace() for c in text):
        raise bad("is not a bare host: no path, query, user name or spaces")
    try:
        host, port = _split_host_port(text)
    except ValueError as exc:
        raise bad(str(exc)) from None
    host = host.rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        shown = f"[{ip}]" if ip.version == 6 and port is not None else str(ip)
        return f"{shown}:{port}" if port is not None else shown
    try:
        name = ascii_host(host)
    except UnicodeError:
        raise bad("is not a valid host name") from None
    problem = _host_problem(name)
    if problem:
        raise bad(problem)
    return f"{name}:{port}" if port is not None else name


@dataclass
class Source:
    """One outlet: where its article links are listed and which hosts its articles may live on.

    `allowed_domains` entries are either a bare domain (allows its subdomains, any port) or an exact
    `host:port` (only that host and port). When the file names none, they default to the netlocs of the
    feeds and sitemaps (see `default_allowed`), keeping an explicit port so two outlets on one IP but
    different ports stay apart.
    """

    name: str
    language: str
    feeds: list[str]
    sitemaps: list[str]
    allowed_domains: list[str]
    enabled: bool = True
    max_pages: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other optional keys (poll_minutes, ...), kept as given
    timezone: str | None = None  # IANA name of the newsroom's clock, for times its pages write without an offset
    country: str | None = None  # ISO 3166-1 alpha-2 code of the outlet's country (upper case)
    group: str | None = None  # free label of the side it speaks for: "russian-state", "ukrainian", ...

    @property
    def listings(self) -> list[tuple[str, str]]:
        """(url, listing_type) for every feed and sitemap, feeds first."""
        return [(u, "feed") for u in self.feeds] + [(u, "sitemap") for u in self.sitemaps]


def default_allowed(urls: list[str]) -> list[str]:
    """The hosts of the listing URLs, as `host` or `host:port` when the port is explicit.

    A leading ``www.`` is dropped from a portless host, so a feed on www.outlet.com allows outlet.com and all
    its subdomains (outlets link and redirect between the two forms all the time; the URL keys treat them
    as one site too). Other hosts are kept as they are: feeds.outlet.com allows only itself and below.
    A Unicode host is kept in its IDNA form, the form the crawler's requests carry (see `ascii_host`).
    """
    out: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        try:
            host = ascii_host(host)
        except UnicodeError:
            pass
        if parts.port is None and host.startswith("www.") and host.count(".") >= 2:
            host = host[4:]
        entry = f"{host}:{parts.port}" if parts.port is not None else host
        if host and entry not in out:
            out.append(entry)
    return out


MAX_URL_CHARS = 2083  # Scrapy's URLLENGTH_LIMIT: a longer listing URL is dropped without a request or a record


def _check_url(name: str, key: str, url: Any) -> str:
    if not isinstance(url, str):
        raise ValueError(f"source {name!r}: {key} entries must be strings, got {url!r}")
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"source {name!r}: {key} URL is {len(url)} characters long; at most {MAX_URL_CHARS} "
                         f"(Scrapy drops longer ones without a word)")
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise ValueError(f"source {name!r}: {key} URL has a space or control character: {url!r}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL" alone names neither the source nor the URL
        raise ValueError(f"source {name!r}: {key} URL cannot be read ({exc}): {url!r}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"source {name!r}: {key} URL is not an http(s) URL: {url!r}")
    if "@" in parts.netloc:
        raise ValueError(f"source {name!r}: {key} URL has a user name or password before '@': the crawler "
                         f"sends none, and the database would store it; give the URL without it")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"source {name!r}: {key} URL has a bad port: {url!r}") from exc
    if port == 0:  # urlsplit accepts it; no server listens there
        raise ValueError(f"source {name!r}: {key} URL has a bad port: {url!r} (a number from 1 to 65535)")
    return url


def listing_key(url: str) -> str:
    """One key per resource a listing URL names: scheme and host in lower case, a default port and the fragment
    (never sent to the server) left out. The URL itself stays as written (it keys the listing's stored state)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    netloc = host if port is None or port == DEFAULT_PORTS.get(parts.scheme) else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))  # urlsplit lower-cases a scheme


def _str_list(name: str, key: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"source {name!r}: {key} must be a list")
    return value


def _where(raw: dict[str, Any], index: int) -> str:
    """How an error names a source: by its name when it has a usable one, else by its position."""
    name = raw.get("name")
    return f"source {name.strip()!r}" if isinstance(name, str) and name.strip() else f"source #{index + 1}"


def _check_name(raw: dict[str, Any], index: int) -> str:
    """The source's id: it is stored with every page and typed in `--only`, so it must be plain."""
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"source #{index + 1}: 'name' must be a string in quotes, such as name = \"tass_ru\" "
                         f"(it is {type(name).__name__} {name!r})")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"source #{index + 1}: missing or empty 'name'")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise ValueError(f"source #{index + 1}: name {name!r} must be lowercase letters, digits and '_', "
                         f"starting with a letter, at most 64 characters (such as 'outlet_en')")
    return name


def _check_language(raw: dict[str, Any], name: str) -> str:
    """The edition's ISO 639-1 code: it picks the topic's term list and the dating hints for its pages.

    A source without the key still loads with language "" (unknown: every term list is tried, and it is
    stored as NULL), as it always has; a key that is present must hold a real code.
    """
    if "language" not in raw:
        return ""
    problem = language_problem(raw["language"])
    if problem:
        raise ValueError(f"source {name!r}: language {problem}")
    return raw["language"]


def parse_source(raw: dict[str, Any], index: int) -> Source:
    """Validate one `[[source]]` table; the error names the source (or its position when it has no name).

    Unknown keys are checked first, so a misspelled `name` or `feeds` is reported as such and not as the
    missing key it hides.
    """
    for key in raw:
        if key not in SOURCE_KEYS:
            raise unknown_key_error(key, f"in {_where(raw, index)}", SOURCE_KEYS)
    name = _check_name(raw, index)
    language = _check_language(raw, name)
    feeds = [_check_url(name, "feeds", u) for u in _str_list(name, "feeds", raw.get("feeds"))]
    sitemaps = [_check_url(name, "sitemaps", u) for u in _str_list(name, "sitemaps", raw.get("sitemaps"))]
    if not feeds and not sitemaps:
        raise ValueError(f"source {name!r}: needs at least one feed or sitemap")
    allowed = [check_domain(e, f"source {name!r}: allowed_domains")
               for e in _str_list(name, "allowed_domains", raw.get("allowed_domains"))]
    if not allowed:
        allowed = default_allowed(feeds + sitemaps)
    else:
        _check_listings_allowed(name, feeds + sitemaps, allowed)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"source {name!r}: enabled must be true or false")
    max_pages = raw.get("max_pages")
    if max_pages is not None:
        check_number(max_pages, f"source {name!r}: max_pages", *MAX_PAGES_RANGE, whole=True)
    extra = {key: raw[key] for key in _EXTRA_KEYS if key in raw}
    if "poll_minutes" in extra:
        check_number(extra["poll_minutes"], f"source {name!r}: poll_minutes", *POLL_MINUTES_RANGE)
    zone = raw.get("timezone")
    if zone is not None:
        try:
            if not isinstance(zone, str):
                raise ValueError
            ZoneInfo(zone.strip())
        except (ValueError, ZoneInfoNotFoundError, OSError):  # OSError: "Europe" is a folder of tzdata
            raise ValueError(f"source {name!r}: timezone must be an IANA zone name such as \"Europe/Kyiv\", "
                             f"got {zone!r}") from None
        zone = zone.strip()
    country = raw.get("country")
    if country is not None:
        if not isinstance(country, str) or country.strip().upper() not in iso_countries():
            raise ValueError(f"source {name!r}: country must be an ISO 3166-1 alpha-2 code such as \"UA\", "
                             f"got {country!r}")
        country = country.strip().upper()
    group = raw.get("group")
    if group is not None:
        if not isinstance(group, str) or not _GROUP.fullmatch(group.strip()):
            raise ValueError(f"source {name!r}: group must be a short label (letters, digits, space, '-', '_', "
                             f"'.'; at most 64) such as \"ukrainian\", got {group!r}")
        group = group.strip()
    return Source(name, language, feeds, sitemaps, allowed, enabled, max_pages, extra, timezone=zone,
                  country=country, group=group)


def check_only(source_list: list[Source], only: list[str] | None, sources_file: str | Path) -> None:
    """A name in `only` that the sources file lacks is a mistake to say, not a source to skip silently."""
    unknown = sorted(set(only or []) - {s.name for s in source_list})
    if unknown:
        raise ValueError(f"no source named {', '.join(unknown)} in {sources_file}")


def check_something_to_crawl(source_list: list[Source], only: list[str] | None, sources_file: str | Path) -> None:
    """A manual run with no source to crawl is a mistake to say (an empty file, a `[[sources]]` typo left out
    nothing to read, every source disabled), not a run that stores an empty `runs` row and reports success."""
    if only or any(s.enabled for s in source_list):
        return
    if not source_list:
        raise ValueError(f"{sources_file} defines no source: add a [[source]] table (README, Configuration)")
    raise ValueError(f"every source of {sources_file} is disabled (enabled = false): enable one, or name them "
                     f"with --only")


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The TOML table of a configuration file; ValueError naming the file for an empty name, a missing file, a
    folder, a FIFO or device, bytes that are not UTF-8, or text that is not TOML.

    Why the type check first: opening a FIFO blocks until somebody writes to it, so `--sources fifo` used to hang
    forever; and tomllib's own "'utf-8' codec can't decode byte 0x89" names neither the file nor what is wrong.
    An empty name is said as such: Path("") is the current folder, and open("") says only "[Errno 2]".
    """
    if not os.fspath(path).strip():
        raise ValueError(f"the {what} file name is empty: give the {what} file (TOML), or leave the option out")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{path}: cannot read the {what} file: there is no such file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the {what} file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise ValueError(f"{path} is a folder; give the {what} file (TOML)")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path} is not a regular file (a pipe or a device); give the {what} file (TOML)")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        # a UTF-8 byte-order mark (what some Windows editors write first) is not part of the text
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start + 1}); a {what} file is TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays and tables recursively: 50,000 '[' exhaust the stack
        raise ValueError(f"{path}: not valid TOML: its arrays or tables are nested too deeply") from None


def _check_listings_allowed(name: str, listings: list[str], allowed: list[str]) -> None:
    """ValueError when `allowed_domains` leaves out a host of the source's own feeds or sitemaps: the crawl refuses
    every request outside it, so that listing could never be fetched (each run recorded it "offsite", and the
    source brought nothing)."""
    from spiders.urlpolicy import HostPolicy

    policy = HostPolicy.for_source(listings, allowed)
    for url in listings:
        why = policy.refusal(url)
        if why and why.startswith("offsite"):
            host = urlsplit(url).netloc
            raise ValueError(f"source {name!r}: {url} is on {host}, which allowed_domains leaves out, so it could "
                             f"never be fetched; add {host!r} to allowed_domains")


def load_sources(path: str | Path) -> list[Source]:
    """All sources of a TOML file (disabled ones included, flagged); raises ValueError on any bad entry.

    Every error starts with the file's path: the CLI prints it as is, and a user with several sources
    files must see which one is wrong.
    """
    data = read_toml(path, "sources")
    for key in data:
        if key not in FILE_KEYS:
            raise ValueError(f"{path}: {unknown_key_error(key, 'at the top level', FILE_KEYS)}"
                             " (a sources file holds only [[source]] tables)")
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ValueError(f"{path}: 'source' must be an array of tables ([[source]])")
    sources: list[Source] = []
    seen: set[str] = set()
    listed_by: dict[str, tuple[str, str]] = {}  # listing_key -> (source, the URL as it was first written)
    for i, raw in enumerate(tables):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: source #{i + 1} is not a table")
        try:
            src = parse_source(raw, i)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        if src.name in seen:
            raise ValueError(f"{path}: source {src.name!r}: duplicate name")
        seen.add(src.name)
        # a listing's state (its validators, the `listings` row) is keyed by its URL: two sources polling one
        # feed would overwrite each other's, and its articles would go to whichever source came first. One
        # resource however it is spelled (`HTTP://Host/feed#x` is `http://host/feed`): each spelling was fetched
        # and recorded as a listing of its own
        for url in [*src.feeds, *src.sitemaps]:
            key = listing_key(url)
            if key in listed_by:
                owner, first = listed_by[key]
                if owner != src.name:
                    raise ValueError(f"{path}: source {src.name!r}: {url} is already a listing of source "
                                     f"{owner!r}; give each feed or sitemap to one source")
                raise ValueError(f"{path}: source {src.name!r}: {url} is listed twice (as {first}); "
                                 f"give each feed or sitemap once")
            listed_by[key] = (src.name, url)
        sources.append(src)
    return sources
