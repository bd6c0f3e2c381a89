"""The outlets to crawl: read and validate the sources TOML file into `Source` records."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_KNOWN_KEYS = {"name", "language", "feeds", "sitemaps", "allowed_domains", "enabled", "timezone", "country", "group"}
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")


@lru_cache(maxsize=1)
def iso_countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> country name, from the table the tzdata package ships."""
    text = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text(encoding="utf-8")
    return {code: name for code, name in (line.split("\t", 1) for line in text.splitlines()
                                          if line and not line.startswith("#"))}


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
    """
    out: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.port is None and host.startswith("www.") and host.count(".") >= 2:
            host = host[4:]
        entry = f"{host}:{parts.port}" if parts.port is not None else host
        if host and entry not in out:
            out.append(entry)
    return out


def _check_url(name: str, key: str, url: Any) -> str:
    if not isinstance(url, str):
        raise ValueError(f"source {name!r}: {key} entries must be strings, got {url!r}")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"source {name!r}: {key} URL is not an http(s) URL: {url!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"source {name!r}: {key} URL has a bad port: {url!r}") from exc
    return url


def _str_list(name: str, key: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"source {name!r}: {key} must be a list")
    return value


def parse_source(raw: dict[str, Any], index: int) -> Source:
    """Validate one `[[source]]` table; the error names the source (or its position when it has no name)."""
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"source #{index + 1}: missing or empty 'name'")
    name = name.strip()
    language = raw.get("language", "")
    if not isinstance(language, str):
        raise ValueError(f"source {name!r}: language must be a string")
    feeds = [_check_url(name, "feeds", u) for u in _str_list(name, "feeds", raw.get("feeds"))]
    sitemaps = [_check_url(name, "sitemaps", u) for u in _str_list(name, "sitemaps", raw.get("sitemaps"))]
    if not feeds and not sitemaps:
        raise ValueError(f"source {name!r}: needs at least one feed or sitemap")
    allowed_raw = _str_list(name, "allowed_domains", raw.get("allowed_domains"))
    allowed: list[str] = []
    for entry in allowed_raw:
        if not isinstance(entry, str) or not entry.strip() or "/" in entry:
            raise ValueError(f"source {name!r}: allowed_domains entry must be a host or host:port, got {entry!r}")
        allowed.append(entry.strip().lower().rstrip("."))
    if not allowed:
        allowed = default_allowed(feeds + sitemaps)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"source {name!r}: enabled must be true or false")
    max_pages = raw.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 0):
        raise ValueError(f"source {name!r}: max_pages must be a non-negative integer")
    zone = raw.get("timezone")
    if zone is not None:
        try:
            if not isinstance(zone, str):
                raise ValueError
            ZoneInfo(zone.strip())
        except (ValueError, ZoneInfoNotFoundError):
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
    extra = {k: v for k, v in raw.items() if k not in _KNOWN_KEYS and k != "max_pages"}
    return Source(name, language, feeds, sitemaps, allowed, enabled, max_pages, extra, timezone=zone,
                  country=country, group=group)


def load_sources(path: str | Path) -> list[Source]:
    """All sources of a TOML file (disabled ones included, flagged); raises ValueError on any bad entry."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ValueError(f"{path}: 'source' must be an array of tables ([[source]])")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(tables):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: source #{i + 1} is not a table")
        src = parse_source(raw, i)
        if src.name in seen:
            raise ValueError(f"source {src.name!r}: duplicate name")
        seen.add(src.name)
        sources.append(src)
    return sources
