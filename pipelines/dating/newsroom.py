"""Which clock a page's offsetless times are on: the newsroom's time zone, when it can be known.

A byline "29.05.2025 20:36" or a JSON-LD "2025-05-29T20:36:00" without an offset names a moment on the
newsroom's wall clock. Taking it for UTC (as a bare parser would) moves the instant by the newsroom's offset;
the day and the minute are then wrong for everyone downstream. The zone comes, in order of trust, from the
source's configuration (``timezone = "Europe/Kyiv"``), from a country-code domain whose country keeps one civil
time, or from a language written in one civil time (uk, tr, de, ...). Countries and languages spread over
several zones (.us, .ca, .au, .br, en, es, fr, ar, ...) give none: the time is kept without an offset.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Country-code domains of countries with one civil time (Russia: the Moscow time its national media write in).
_CCTLD_ZONES: dict[str, str] = {
    "ua": "Europe/Kyiv", "ru": "Europe/Moscow", "su": "Europe/Moscow", "by": "Europe/Minsk",
    "tr": "Europe/Istanbul", "md": "Europe/Chisinau", "ge": "Asia/Tbilisi", "am": "Asia/Yerevan",
    "az": "Asia/Baku", "kz": "Asia/Almaty",
    "uk": "Europe/London", "ie": "Europe/Dublin", "de": "Europe/Berlin", "at": "Europe/Vienna",
    "ch": "Europe/Zurich", "fr": "Europe/Paris", "be": "Europe/Brussels", "lu": "Europe/Luxembourg",
    "nl": "Europe/Amsterdam", "it": "Europe/Rome", "es": "Europe/Madrid", "pl": "Europe/Warsaw",
    "cz": "Europe/Prague", "sk": "Europe/Bratislava", "hu": "Europe/Budapest", "si": "Europe/Ljubljana",
    "hr": "Europe/Zagreb", "rs": "Europe/Belgrade", "ba": "Europe/Sarajevo", "me": "Europe/Podgorica",
    "mk": "Europe/Skopje", "al": "Europe/Tirane", "ro": "Europe/Bucharest", "bg": "Europe/Sofia",
    "gr": "Europe/Athens", "cy": "Asia/Nicosia", "dk": "Europe/Copenhagen", "se": "Europe/Stockholm",
    "no": "Europe/Oslo", "fi": "Europe/Helsinki", "ee": "Europe/Tallinn", "lv": "Europe/Riga",
    "lt": "Europe/Vilnius", "is": "Atlantic/Reykjavik", "il": "Asia/Jerusalem", "ir": "Asia/Tehran",
    "ae": "Asia/Dubai", "sa": "Asia/Riyadh", "qa": "Asia/Qatar", "eg": "Africa/Cairo", "in": "Asia/Kolkata",
    "pk": "Asia/Karachi", "cn": "Asia/Shanghai", "hk": "Asia/Hong_Kong", "tw": "Asia/Taipei",
    "jp": "Asia/Tokyo", "kr": "Asia/Seoul", "sg": "Asia/Singapore", "ph": "Asia/Manila",
    "th": "Asia/Bangkok", "vn": "Asia/Ho_Chi_Minh", "za": "Africa/Johannesburg", "ng": "Africa/Lagos",
    "ke": "Africa/Nairobi", "nz": "Pacific/Auckland",
}
# Languages whose press writes in one civil time (German: Germany, Austria and Switzerland share CET).
_LANGUAGE_ZONES: dict[str, str] = {
    "uk": "Europe/Kyiv", "tr": "Europe/Istanbul", "ru": "Europe/Moscow", "be": "Europe/Minsk",
    "de": "Europe/Berlin", "it": "Europe/Rome", "pl": "Europe/Warsaw", "nl": "Europe/Amsterdam",
    "cs": "Europe/Prague", "sk": "Europe/Bratislava", "hu": "Europe/Budapest", "ro": "Europe/Bucharest",
    "bg": "Europe/Sofia", "el": "Europe/Athens", "da": "Europe/Copenhagen", "sv": "Europe/Stockholm",
    "fi": "Europe/Helsinki", "et": "Europe/Tallinn", "lv": "Europe/Riga", "lt": "Europe/Vilnius",
    "ka": "Asia/Tbilisi", "hy": "Asia/Yerevan", "he": "Asia/Jerusalem", "fa": "Asia/Tehran", "ja": "Asia/Tokyo",
    "ko": "Asia/Seoul", "th": "Asia/Bangkok", "vi": "Asia/Ho_Chi_Minh",
}


def _host(url: str) -> str:
    """The URL's host, lowercase, no trailing dot; "" for a URL too broken to have one ("http://[::1")."""
    try:
        return (urlsplit(url or "").hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None for an empty or unknown one."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of tzdata
        return None


def newsroom_zone(url: str, language: str | None = None,
                  configured: str | None = None) -> tuple[ZoneInfo, str] | None:
    """The zone a page's offsetless times are most likely written in, and where that came from; None if unknown."""
    zone = zone_named(configured)
    if zone is not None:
        return zone, f"the source's time zone {zone.key}"
    host = _host(url)
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld in _CCTLD_ZONES:
        return ZoneInfo(_CCTLD_ZONES[tld]), f"{_CCTLD_ZONES[tld]}, the time of .{tld}"
    lang = (language or "").lower()[:2]
    if lang in _LANGUAGE_ZONES:
        return ZoneInfo(_LANGUAGE_ZONES[lang]), f"{_LANGUAGE_ZONES[lang]}, the time of '{lang}' pages"
    return None


__all__ = ["newsroom_zone", "zone_named"]
