"""Dates as people and machines write them: localized written dates (en, ru, uk, tr, de, fr, es) and ISO/RFC strings."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

# Every spelling a month takes in the supported languages, lowercased: full names in their grammatical cases
# (Russian/Ukrainian genitive "мая", "травня"; Russian prepositional "мае"), the usual abbreviations, and the
# ASCII spellings Turkish, German and French pages fall back to. Italian and Portuguese come along: they cost nothing.
_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "январь", "января", "январе", "янв", "січень", "січня", "січ", "ocak", "oca",
        "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio", "gen", "janeiro"),
    2: ("february", "feb", "февраль", "февраля", "феврале", "фев", "февр", "лютий", "лютого", "лют", "şubat",
        "subat", "şub", "februar", "février", "fevrier", "févr", "fevr", "fév", "febrero", "febbraio", "fevereiro",
        "fev"),
    3: ("march", "mar", "март", "марта", "марте", "березень", "березня", "бер", "mart", "märz", "maerz", "mär",
        "mrz", "mars", "marzo", "março", "marco"),
    4: ("april", "apr", "апрель", "апреля", "апреле", "апр", "квітень", "квітня", "квіт", "nisan", "nis",
        "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "май", "мая", "мае", "травень", "травня", "трав", "mayıs", "mayis", "mai", "mayo", "maggio", "mag",
        "maio"),
    6: ("june", "jun", "июнь", "июня", "июне", "июн", "червень", "червня", "черв", "haziran", "haz", "juni",
        "juin", "junio", "giugno", "giu", "junho"),
    7: ("july", "jul", "июль", "июля", "июле", "июл", "липень", "липня", "лип", "temmuz", "tem", "juli",
        "juillet", "juil", "julio", "luglio", "lug", "julho"),
    8: ("august", "aug", "август", "августа", "августе", "авг", "серпень", "серпня", "серп", "ağustos",
        "agustos", "ağu", "agu", "août", "aout", "agosto", "ago"),
    9: ("september", "sep", "sept", "сентябрь", "сентября", "сентябре", "сен", "сент", "вересень", "вересня",
        "вер", "eylül", "eylul", "eyl", "septembre", "septiembre", "setiembre", "settembre", "setembro"),
    10: ("october", "oct", "октябрь", "октября", "октябре", "окт", "жовтень", "жовтня", "жовт", "ekim", "eki",
         "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro"),
    11: ("november", "nov", "ноябрь", "ноября", "ноябре", "ноя", "нояб", "листопад", "листопада", "лист",
         "kasım", "kasim", "kas", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "декабрь", "декабря", "декабре", "дек", "грудень", "грудня", "груд", "aralık",
         "aralik", "ara", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dicembre", "dezembro"),
}
MONTHS: dict[str, int] = {word: month for month, words in _MONTH_WORDS.items() for word in words}

_MONTH_RE = "|".join(sorted((re.escape(w) for w in MONTHS), key=len, reverse=True))
_M = rf"(?P<mon>{_MONTH_RE})\.?"
_D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.|º)?"
_Y = r"(?P<year>(?:19|20)\d\d)"
# a time next to the date: "20:36", "14h05", "2:05 pm", "14:05:33", optionally with an offset or zone word
_T = (r"(?P<hh>[0-2]?\d)[:h](?P<mi>[0-5]\d)(?::(?P<ss>[0-5]\d))?(?:\s*(?P<ampm>[ap]\.?m\.?))?"
      r"(?:\s*(?:(?P<z>utc|gmt)(?![^\W\d_])\s*)?(?P<off>[+\-−]\d{1,2}(?::?\d\d)?(?!\d))?)?")
_TIME_AFTER = rf"(?:[\s,|•·–—-]*(?:at|à|a las|в|о|um|saat|г\.|р\.|року|года|de|,)?[\s,|•·–—-]*{_T})?"
_NOT_DIGIT_BEFORE = r"(?<![\d.:/-])"
_NOT_DIGIT_AFTER = r"(?![\d])"

_PATTERNS = [
    # 29 мая 2025, 29 травня 2025 р., 29 Mayıs 2025, 29. Mai 2025, 29 de mayo de 2025, 28th May 2025
    re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}\s*(?:de\s+)?{_M}(?![^\W\d_])[\s,]*(?:de\s+|del\s+)?{_Y}{_NOT_DIGIT_AFTER}"
               rf"(?:\s*(?:г\.?|р\.?|року|года|yılı))?{_TIME_AFTER}", re.I),
    # May 28, 2025 / Mayıs 29, 2025 - 20:36 / September 24th 2025
    re.compile(rf"(?<![^\W\d_]){_M}(?![^\W\d_])\s*{_D},?\s*{_Y}{_NOT_DIGIT_AFTER}{_TIME_AFTER}", re.I),
    # 28.05.2025 14:05 / 28/05/2025 / 28-05-2025
    re.compile(rf"{_NOT_DIGIT_BEFORE}(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[01]?\d)(?P=sep){_Y}{_NOT_DIGIT_AFTER}"
               rf"{_TIME_AFTER}", re.I),
    # 2025-05-28 14:05 / 2025/05/28 / 2025.05.28
    re.compile(rf"{_NOT_DIGIT_BEFORE}{_Y}(?P<sep>[./-])(?P<b>[01]?\d)(?P=sep)(?P<a>[0-3]?\d){_NOT_DIGIT_AFTER}"
               rf"(?:[T\s,]*{_T})?", re.I),
]
# a US time zone right after a slash date's time ("06/02/2025 2:05 PM EDT"): the date is American, month first, so
# not ambiguous (it lost to a day-first reading elsewhere, and was stored as February 6). Upper case only, as
# written: "et" or "pt" in running text is a word.
_US_ZONE = re.compile(r"\s*\(?(?:EDT|EST|CDT|CST|MDT|MST|PDT|PST|AKDT|AKST|HST|ET|CT|MT|PT)\b")
# a time written before the date: "14:05, 29 мая 2025", "20:36 29.05.2025"
_TIME_BEFORE = re.compile(rf"{_T}\s*[,|•·–—-]?\s*$", re.I)

# a yearless written date with a clock time, as bylines of this year's stories print it: "29 мая, 14:05",
# "29 травня о 14:05", "May 29, 2:05 pm" (the time may come first: "14:05, 29 мая")
_NO_YEAR_AFTER = r"(?![\s,]*(?:de\s+|del\s+)?(?:19|20)\d\d(?![:h.]?\d))"
_TIME_NEXT = rf"[\s,|•·–—-]*(?:at|à|a las|в|о|um|saat|de)?[\s,|•·–—-]*{_T}"
_YEARLESS = [
    re.compile(rf"{_NOT_DIGIT_BEFORE}{_D}\s*(?:de\s+)?{_M}(?![^\W\d_]){_NO_YEAR_AFTER}(?:{_TIME_NEXT})?", re.I),
    re.compile(rf"(?<![^\W\d_]){_M}(?![^\W\d_])\s*{_D}{_NOT_DIGIT_AFTER}{_NO_YEAR_AFTER}(?:{_TIME_NEXT})?", re.I),
]


@dataclass(frozen=True)
class YearlessDate:
    """A written day and clock time without a year ("29 мая, 14:05"); the year must come from elsewhere."""

    month: int
    day: int
    hour: int
    minute: int
    tz: timezone | None
    raw: str


def find_yearless_dates(text: str, language: str | None = None) -> list[YearlessDate]:
    """Written days without a year that carry a clock time (before or after), in reading order.

    Why only with a time: a bare "29 May" in a sentence is any day the story mentions; a day with a clock time
    next to the headline is a byline.
    """
    norm = _normalize(text)
    found: list[tuple[int, YearlessDate]] = []
    # the spans already taken, disjoint, by start (their ends in the same order): a new match can only overlap the
    # last one starting before its end. A scan of every span for every match made a page of 8,000 written days
    # take 8 s, and 30,000 more than the page deadline.
    starts: list[int] = []
    ends: list[int] = []
    for pattern in _YEARLESS:
        for m in pattern.finditer(norm):
            before = bisect.bisect_left(starts, m.end()) - 1
            if before >= 0 and ends[before] > m.start():
                continue
            # "27 mar 20 à 9:21" (a two-digit year) is no "mar 20, 9:21"
            starts.insert(before + 1, m.start())
            ends.insert(before + 1, m.end())
            clock = m if m.groupdict().get("hh") else _TIME_BEFORE.search(norm[max(0, m.start() - 25):m.start()])
            if clock is None:
                continue
            month, day = MONTHS[m.group("mon").lower()], int(m.group("day"))
            built = _build(2000, month, day, clock)  # 2000: a leap year, so 29 February is a real day
            if built is None or built[1] != "time":
                continue
            value = built[0]
            found.append((m.start(), YearlessDate(month, day, value.hour, value.minute, value.tzinfo,
                                                  text[m.start():m.end()].strip())))
    found.sort(key=lambda f: f[0])
    return [f for _, f in found]


_ISO_RE = re.compile(
    r"^\s*(?P<y>\d{4})-?(?P<m>\d\d)-?(?P<d>\d\d)"
    r"(?:(?:[T\s]+|\s*\|\s*)(?P<hh>\d\d)[:h]?(?P<mi>\d\d)(?::?(?P<ss>\d\d?)(?:[.,]\d+)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)?)?"
    r"\s*$", re.I)


@dataclass(frozen=True)
class FoundDate:
    """A date read from a string: its value (aware when an offset was written), how precise, the text it came from."""

    value: datetime
    precision: str  # "time" | "day"
    raw: str
    start: int = 0
    ambiguous: bool = False  # a slash date whose day and month could be swapped (05/06/2025)


def _offset(text: str | None, zone: str | None) -> timezone | None:
    if text:
        text = text.replace("−", "-")
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        hours = int(digits[:-2] or 0) if len(digits) > 2 else int(digits)
        minutes = int(digits[-2:]) if len(digits) > 2 else 0
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if zone:
        return timezone.utc
    return None


def _build(year: int, month: int, day: int, m: re.Match | None) -> tuple[datetime, str] | None:
    """Make the datetime a match describes; None when it is not a real calendar day or clock time."""
    try:
        base = datetime(year, month, day)
    except ValueError:
        return None
    if m is None or not m.groupdict().get("hh"):
        return base, "day"
    hour, minute = int(m.group("hh")), int(m.group("mi"))
    second = int(m.group("ss") or 0)
    ampm = (m.group("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23:
        return base, "day"
    tz = _offset(m.group("off"), m.group("z"))
    return base.replace(hour=hour, minute=minute, second=second, tzinfo=tz), "time"


def _normalize(text: str) -> str:
    """Lowercase without changing lengths much; Turkish dotted capital I would otherwise gain a combining dot."""
    return text.replace("İ", "i").lower()


def find_written_dates(text: str, language: str | None = None, limit: int = 20) -> list[FoundDate]:
    """Every plausible calendar date written in `text`, in reading order.

    Slash dates like 05/06/2025 are read month-first only for English pages (or when the day is > 12), since
    the rest of Europe writes the day first; dotted dates are always day-first.
    """
    norm = _normalize(text)
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for index, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(norm):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            gd = m.groupdict()
            year = int(gd["year"])
            if index < 2:
                month, day = MONTHS[gd["mon"].lower()], int(gd["day"])
            else:
                first, second = int(gd["a"]), int(gd["b"])
                day, month = first, second
                if index == 2 and gd["sep"] == "/" and (language or "en").startswith("en") and first <= 12 < second:
                    day, month = second, first
                elif index == 2 and gd["sep"] == "/" and (language or "en").startswith("en") and second <= 12:
                    day, month = second, first
                if month > 12 and day <= 12:
                    day, month = month, day
            built = _build(year, month, day, m)
            if built is None:
                continue
            value, precision = built
            if precision == "day":
                before = _TIME_BEFORE.search(norm[max(0, m.start() - 25):m.start()])
                if before:
                    rebuilt = _build(year, month, day, before)
                    if rebuilt:
                        value, precision = rebuilt
            ambiguous = index == 2 and gd["sep"] == "/" and int(gd["a"]) <= 12 and int(gd["b"]) <= 12 \
                and gd["a"] != gd["b"] and not (
                    (language or "en").startswith("en") and _US_ZONE.match(text, m.end()) is not None)
            taken.append((m.start(), m.end()))
            found.append(FoundDate(value, precision, text[m.start():m.end()].strip(), m.start(), ambiguous))
            if len(found) >= limit:
                break
    found.sort(key=lambda f: f.start)
    return found


_RFC2822_YEAR = re.compile(r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3,}\.?\s+(\d+)\b")  # the year as written


def parse_date_value(raw: str, language: str | None = None) -> FoundDate | None:
    """Read one machine-written date (meta content, JSON-LD, feed): ISO 8601, RFC 822, epoch, or a written date.

    Keeps the offset when the string has one; a bare day is returned as a naive midnight with precision "day".
    """
    if not raw:
        return None
    s = raw.strip()
    if not s or len(s) > 200:
        return None
    m = _ISO_RE.match(s)
    if m:
        try:
            base = datetime(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        if not m["hh"]:
            return FoundDate(base, "day", s)
        hour, minute, second = int(m["hh"]), int(m["mi"]), int(m["ss"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return FoundDate(base, "day", s)
        tz = None
        if m["tz"]:
            zone = m["tz"].upper()
            tz = timezone.utc if zone in ("Z", "UTC", "GMT") else _offset(zone, None)
        return FoundDate(base.replace(hour=hour, minute=minute, second=second, tzinfo=tz), "time", s)
    if s.isdigit() and len(s) in (10, 13):
        seconds = int(s) / (1000 if len(s) == 13 else 1)
        try:
            return FoundDate(datetime.fromtimestamp(seconds, tz=timezone.utc), "time", s)
        except (OverflowError, OSError, ValueError):
            return None
    if re.match(r"^[A-Za-z]{3},?\s+\d", s) or re.match(r"^\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", s):
        try:
            value = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            value = None
        year = _RFC2822_YEAR.match(s)
        if value is not None and year and len(year.group(1)) >= 3 and int(year.group(1)) != value.year:
            # the email parser reads a year under 100 as 19xx/20xx, so "Mon, 01 Jan 0001" (Go's zero time, common in
            # feeds) became 2001-01-01: a written four-digit year is the year, and then it is no date at all
            value = None
        if value is not None:
            return FoundDate(value, "time" if (value.hour, value.minute, value.second) != (0, 0, 0) or ":" in s
                             else "day", s)
    written = find_written_dates(s, language, limit=1)
    if written:
        return FoundDate(written[0].value, written[0].precision, s)
    return None
