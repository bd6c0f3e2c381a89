"""Table-driven removal of the page furniture extraction lets through: labels, widgets, credits, prompts.

Every rule is a row of `RULES` (a name, the languages its words come from, a whole-line pattern, and an optional
"widget tail" it also swallows). Patterns match whole lines only, with a word cap, so a real sentence that merely
contains "read more" or "реклама" is never removed. Labels from every language are applied to every page: outlets
re-publish wire copy and keep their own furniture (an English story with "- Реклама -" under it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.cleaning.titles import alnum

# ---------------------------------------------------------------------------------------------------------------
# vocabularies, per language

READ_MORE_LABELS: dict[str, list[str]] = {
    "en": [
        "read more", "read also", "also read", "see also", "see more", "more on this", "more on this story",
        "related", "related articles?", "related stories", "related news", "related coverage", "related content",
        "recommended", "recommended for you", "you may also like", "you might also like", "don'?t miss",
        "most read", "most read in [\\w ]{1,30}", "most popular", "trending", "trending now", "more stories", "more news", "top stories",
        "latest news", "latest", "more from \\w+", "also on [\\w.]+", "continue reading", "editor'?s picks",
    ],
    "ru": [
        "читайте также", "читайте еще", "читайте ещё", "читать также", "смотрите также", "по теме", "подробнее",
        "читать далее", "читать дальше", "еще по теме", "ещё по теме", "другие новости", "новости по теме",
        "самое читаемое", "популярное", "материалы по теме", "вам может быть интересно",
    ],
    "uk": [
        "читайте також", "дивіться також", "за темою", "детальніше", "читати далі", "інші новини", "новини за темою",
        "найпопулярніше", "більше новин", "вас може зацікавити", "популярне",
    ],
    "tr": [
        "devamını oku", "devamı", "ilgili haberler?", "bunu da okuyun", "bunlar da ilginizi çekebilir",
        "ayrıca okuyun", "en çok okunanlar", "diğer haberler", "öne çıkanlar", "gündem",
    ],
}

AD_LABELS: dict[str, list[str]] = {
    "en": ["advertisement", "advertising", "sponsored", "sponsored content", "ad", "story continues below advertisement",
           "article continues below advertisement", "scroll to continue"],
    "ru": ["реклама", "партнерский материал", "партнёрский материал", "на правах рекламы"],
    "uk": ["реклама", "на правах реклами", "партнерський матеріал"],
    "tr": ["reklam", "sponsorlu içerik"],
}

BACK_TO_TOP: dict[str, list[str]] = {
    "en": ["back to top", "to top", "top", "scroll to top", "go to top"],
    "ru": ["наверх", "в начало"],
    "uk": ["вгору", "нагору", "догори"],
    "tr": ["başa dön", "yukarı çık", "sayfa başı"],
}

SHARE_LABELS: dict[str, list[str]] = {
    "en": ["tags?", "categor(?:y|ies)", "filed under", "topics?", "share", "share this", "share this article", "share this story", "share on \\w+", "tweet", "email",
           "print", "print article", "order reprints", "comments?", "view comments", "show comments",
           "top rated comments", "\\(?view all\\)?", "leave a comment", "\\d+ comments?", "comments? \\(\\d+\\)",
           "like this story\\? share it with a friend!?", "copy link", "link copied", "listen to this article",
           "tell us what you think", "thanks for signing up!?", "thank you for signing up!?"],
    "ru": ["теги", "метки", "рубрика", "поделиться", "комментарии", "комментарии \\(\\d+\\)", "распечатать", "версия для печати",
           "скопировать ссылку", "ссылка скопирована"],
    "uk": ["теги", "мітки", "рубрика", "поділитися", "коментарі", "коментарі \\(\\d+\\)", "друкувати", "версія для друку", "скопіювати посилання"],
    "tr": ["etiketler", "kategori", "paylaş", "yorumlar", "yorum yap", "yazdır", "bağlantıyı kopyala"],
}

# agencies and photo services a standalone credit line names
PHOTO_AGENCIES = (
    r"AFP|Reuters|AP|Associated Press|Getty Images|Getty|EPA(?:-EFE)?|TASS|ТАСС|РИА Новости|RIA Novosti|Sputnik|"
    r"Anadolu(?: Agency| Ajansı)?|AA|Shutterstock|Alamy|Imago|Depositphotos|Unsplash|УНИАН|УНІАН|Укрінформ|"
    r"Ukrinform|Интерфакс|Interfax|Kremlin\.ru|Kremlin Press Office|пресс-служба [^\s].*|прес-служба [^\s].*|"
    r"Pool|Handout|DHA|İHA|Xinhua|Bloomberg|NurPhoto|SOPA Images|ZUMA(?: Press| Wire)?|Wikimedia Commons"
)

PHOTO_WORDS = r"photo|photos|photograph|image|picture|pictured|credit|фото|фотография|світлина|фотографія|fotoğraf|foto"

NEWSLETTER_WORDS = {
    "en": r"newsletters?|inbox|e-?mail alerts|daily briefing|breaking news alerts",
    "ru": r"рассылк\w*|telegram|телеграм\w*|канал\w*",
    "uk": r"розсилк\w*|telegram|телеграм\w*|канал\w*",
    "tr": r"bülten\w*|abone",
}
NEWSLETTER_VERBS = {
    "en": r"sign up|subscribe|get|join|register|want|receive",
    "ru": r"подпишитесь|подписывайтесь|подписаться|читайте нас|следите за",
    "uk": r"підпишіться|підписуйтесь|підписуйтеся|читайте нас|стежте за",
    "tr": r"abone ol|bültenimize|takip edin",
}

MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"январ[ьяе]|феврал[ьяе]|март[аe]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[аe]?|сентябр[ьяе]|"
    r"октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]|янв|фев|мар|апр|июн|июл|авг|сен|сент|окт|ноя|дек|"
    r"січ(?:ень|ня)|лют(?:ий|ого)|берез(?:ень|ня)|квіт(?:ень|ня)|трав(?:ень|ня)|черв(?:ень|ня)|лип(?:ень|ня)|"
    r"серп(?:ень|ня)|верес(?:ень|ня)|жовт(?:ень|ня)|листопад(?:а)?|груд(?:ень|ня)|"
    r"ocak|şubat|mart|nisan|mayıs|haziran|temmuz|ağustos|eylül|ekim|kasım|aralık|"
    # the wider set seen on syndicated pages (pt, es, fr, de, it)
    r"janeiro|fevereiro|março|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|septiembre|octubre|noviembre|diciembre|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"januar|februar|märz|juni|juli|oktober|dezember|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre"
)
WEEKDAYS = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|"
    r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|"
    r"понеділок|вівторок|середа|четвер|п'ятниця|п’ятниця|субота|неділя|"
    r"pazartesi|salı|çarşamba|perşembe|cuma|cumartesi|pazar|"
    r"segunda-feira|terça-feira|quarta-feira|quinta-feira|sexta-feira|sábado|domingo|"
    r"lunes|martes|miércoles|jueves|viernes|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
)
DATE_PREFIXES = (
    r"published|updated|last updated|posted|modified|date|опубликовано|обновлено|дата публикации|опубліковано|"
    r"оновлено|дата публікації|yayınlanma(?: tarihi)?|güncelleme(?: tarihi)?|yayın tarihi"
)


# ---------------------------------------------------------------------------------------------------------------
# the rule table


@dataclass(frozen=True)
class Rule:
    """One kind of residue: a whole-line pattern, the languages its words come from, and what it may drag along."""

    name: str
    languages: tuple[str, ...]  # where its vocabulary comes from; "*" = language-neutral
    pattern: re.Pattern[str]
    max_words: int = 40  # lines longer than this are prose, whatever they start with
    tail: Callable[[list[str], int], int] | None = None  # how many following lines belong to the same widget
    head_only: int = 0  # when > 0, only within the first N lines of the body (or the last N)


def _alts(table: dict[str, list[str]]) -> str:
    return "|".join(w for words in table.values() for w in words)


def _terminal(line: str) -> bool:
    """Whether a line ends like a sentence (so it is prose, not a headline)."""
    return bool(re.search(r"[.!?…:;。！？][\"'”»’)」』]*$", line))


def _read_more_tail(lines: list[str], i: int) -> int:
    """A bare "Read more" label is followed by a card: maybe an outlet name or a photo caption, then a headline.

    Swallows up to three lines, ending with the first headline-like line (four words or more, no sentence end);
    lines passed on the way must be short (outlet names, captions). Nothing is swallowed when no headline follows.
    """
    for k in range(1, 4):
        if i + k >= len(lines):
            return 0
        line = lines[i + k]
        if match_rule(line) is not None:  # another label: it is dropped by its own rule, not as this card
            return 0
        words = len(line.split())
        if words >= 4 and not _terminal(line) and words <= 25:
            return k
        if words > 25:
            return 0
    return 0


def _weather_tail(lines: list[str], i: int) -> int:
    """A temperature widget ("8.7 C") is followed by its place ("Europe")."""
    if i + 1 < len(lines) and len(lines[i + 1].split()) <= 3 and not _terminal(lines[i + 1]):
        return 1
    return 0


_F = re.IGNORECASE | re.UNICODE

RULES: tuple[Rule, ...] = (
    Rule("read-more-label", ("en", "ru", "uk", "tr"),
         re.compile(rf"[-–—•|\s]*(?:{_alts(READ_MORE_LABELS)})\s*[:.!…»>→›|-]*\s*", _F), max_words=6,
         tail=_read_more_tail),
    Rule("read-more-inline", ("en", "ru", "uk", "tr"),
         re.compile(rf"[-–—•\s]*(?:{_alts(READ_MORE_LABELS)}|related article|related story|read)\s*(?::|\||–|—|>|»|›)\s*\S.*", _F),
         max_words=30),
    Rule("also-on", ("en",), re.compile(r"also on [\w-]+\.[a-z]{2,}\b.*", _F), max_words=30),
    Rule("advertisement", ("en", "ru", "uk", "tr"),
         re.compile(rf"[-–—•|\s]*(?:{_alts(AD_LABELS)})[-–—•|\s]*", _F), max_words=6),
    Rule("back-to-top", ("en", "ru", "uk", "tr"),
         re.compile(rf"[↑^▲\s]*(?:{_alts(BACK_TO_TOP)})[\s↑^▲]*", _F), max_words=4),
    Rule("share-and-comments", ("en", "ru", "uk", "tr"),
         re.compile(rf"(?:{_alts(SHARE_LABELS)})[\s.:!…]*", _F), max_words=10),
    Rule("counter", ("*",), re.compile(r"[\d\s.,:|/•()\[\]]*\d[\d\s.,:|/•()\[\]]*"), max_words=8),
    Rule("punctuation-only", ("*",), re.compile(r"[\W_]+"), max_words=5),
    Rule("weather-widget", ("*",),
         re.compile(r"[-+]?\d{1,2}(?:[.,]\d)?\s*°?\s*[CF](?:\s+\S+){0,3}", re.UNICODE), max_words=4,
         tail=_weather_tail),
    Rule("photo-credit", ("*",),
         re.compile(rf"(?:\(?(?:{PHOTO_WORDS})\s*(?:by|:|—|–|-|/|©)?\s*)?(?:[\w.’'\- ]{{0,60}}\s(?:via|/|for)\s+)?"
                    rf"(?:©\s*)?(?:{PHOTO_AGENCIES})(?:\s*(?:/|via)\s*(?:{PHOTO_AGENCIES}))*\)?\.?", _F),
         max_words=12),
    Rule("photo-label", ("en", "ru", "uk", "tr"),
         re.compile(rf"\(?(?:{PHOTO_WORDS})\s*(?::|by|—|–|©)\s*[^.!?]{{1,80}}\)?\.?", _F), max_words=10),
    Rule("caption-with-credit", ("*",),
         re.compile(rf".*[.)]\s+(?:[\w’'.\- ]{{0,60}}\s(?:via|/)\s+|(?:{PHOTO_WORDS})\s*:\s*|©\s*)(?:{PHOTO_AGENCIES})\W*", _F),
         max_words=45),
    Rule("newsletter", ("en", "ru", "uk", "tr"),
         re.compile(rf"(?:{'|'.join(NEWSLETTER_VERBS.values())})\b.{{0,160}}\b(?:{'|'.join(NEWSLETTER_WORDS.values())})\b.*", _F),
         max_words=40),
    Rule("delivered-to-inbox", ("en",), re.compile(r".*\b(?:delivered|straight|direct(?:ly)?)\s+to your inbox\b.*", _F),
         max_words=40),
    Rule("cookie-prompt", ("en", "ru", "uk", "tr"),
         re.compile(r"(?:we|this (?:web)?site|our (?:web)?site|мы|сайт|ми)\s+(?:use|uses|использу\w+|використову\w+)\s+"
                    r"(?:файлы\s+|файли\s+)?(?:cookies?|куки)\b.*|"
                    r".*\bby (?:continuing|using) (?:to (?:use|browse) )?(?:this|our) (?:web)?site\b.*|"
                    r".*\bçerez(?:ler)?\w*\b.*(?:kabul|kullan|politika)\w*.*", _F),
         max_words=60),
    Rule("cookie-button", ("en", "ru", "uk", "tr"),
         re.compile(r"(?:accept|allow|manage|reject|decline)\s+(?:all\s+)?(?:cookies|cookie settings)\W*|"
                    r"cookie (?:settings|preferences|policy)\W*|(?:принять|прийняти)\s+(?:все\s+|всі\s+)?(?:cookies?|куки)\W*", _F),
         max_words=5),
    Rule("follow-us", ("en", "ru", "uk", "tr"),
         re.compile(r"(?:follow\b.{0,60}\bon\s+(?:twitter|facebook|instagram|telegram|x|youtube|linkedin)\b|"
                    r"(?:подписывайтесь|подпишитесь|читайте нас|підписуйтесь|підпишіться|читайте нас)\b.{0,60}"
                    r"\b(?:telegram|телеграм|facebook|фейсбук|viber|youtube|twitter|instagram|google news)|"
                    r"bizi\b.{0,40}\btakip edin).*", _F),
         max_words=35),
    Rule("click-here", ("en", "ru", "uk", "tr"),
         re.compile(r".*\b(?:click here|tap here|нажмите здесь|натисніть тут|tıklayın)\b.*", _F), max_words=40),
    Rule("contact-email", ("*",), re.compile(r".*[\w.+-]+@[\w-]+\.[\w.-]+.*"), max_words=45),
    Rule("bare-url", ("*",), re.compile(r"(?:[\w ]{1,20}:\s*)?(?:https?://|www\.)\S+\s*", _F), max_words=4),
    Rule("copyright", ("en", "ru", "uk", "tr"),
         re.compile(r"(?:©|\(c\)|copyright|все права защищены|усі права захищені|tüm hakları saklıdır).{0,120}"
                    r"(?:\b(?:19|20)\d\d\b|all rights reserved|права защищены|права захищені|hakları saklıdır).*|"
                    r".*(?:all rights reserved|все права защищены|усі права захищені|tüm hakları saklıdır)\W*", _F),
         max_words=30),
    Rule("widget-message", ("en",),
         re.compile(r"(?:an error has occurred|there was an error processing your (?:subscription|request)|"
                    r"keep an eye on your inbox|this article has been sent to|please try again later)\b.*", _F),
         max_words=20),
    Rule("legal-notice", ("en", "ru", "uk", "tr"),
         re.compile(r"(?:this (?:copy|material|article) is for your personal,? non-commercial use only|"
                    r".*\bmay not be (?:published|reproduced),? broadcast|"
                    r"(?:полное или частичное )?копирование материалов (?:запрещено|разрешено)|"
                    r"передрук матеріалів|izinsiz kullanılamaz).*", _F),
         max_words=80),
    Rule("byline", ("en", "ru", "uk", "tr"),
         re.compile(r"(?i:by|автор|авторы|автори|yazar|muhabir)\s*:?\s+(?:\[?[A-ZА-ЯІЇЄҐÇĞİÖŞÜ][\w’'.\-]*\]?(?:\(#\))?"
                    r"(?:\s*(?:,|and|&|и|і|та|ve)?\s*|$)){1,6}", re.UNICODE),
         max_words=8, head_only=5),
    Rule("date-line", ("en", "ru", "uk", "tr"),
         re.compile(rf"(?:(?:{DATE_PREFIXES})\s*(?:at|on)?\s*:?\s*)?"
                    rf"(?:(?:{WEEKDAYS})\.?,?\s*)?"
                    rf"(?:\d{{1,2}}\.?\s*(?:de\s+)?(?:{MONTHS})\.?|(?:{MONTHS})\.?\s*\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|"
                    rf"\d{{4}}-\d{{2}}-\d{{2}})"
                    rf"(?:,?\s*(?:de\s+)?(?:\d{{4}})\s*(?:г\.?|года|року|р\.)?)?"
                    rf"(?:\s*(?:,|-|–|—|\||at|в|о|saat|às|a las|à|um)?\s*\d{{1,2}}[:.hH]\d{{2}}(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{{2,5}}|GMT[+-]?\d*|UTC[+-]?\d*))?)?\s*",
                    _F),
         max_words=12, head_only=5),
    Rule("time-update-line", ("en", "ru", "uk", "tr"),
         re.compile(rf"(?:{DATE_PREFIXES})\s*(?:at|on)?\s*:?\s*\d{{1,2}}[:.]\d{{2}}(?:\s*[ap]\.?m\.?)?\s*(?:[A-Z]{{2,5}})?\.?", _F),
         max_words=6, head_only=5),
)


# ---------------------------------------------------------------------------------------------------------------
# applying it


def _norm(text: str) -> str:
    """Letters and digits only, lower-cased: for "is this line the title again?" comparisons."""
    return alnum(unicodedata.normalize("NFKC", text))


_BULLET = re.compile(r"^(?:[-–—•·*]\s+)")


# no rule matches more than 80 words; a line longer than this is prose (or one giant "word" whose regex match could
# run for minutes: a 4 MB paragraph without a space did), never a label
LINE_MAX_CHARS = 2000


def match_rule(line: str, position: int = 0, total: int = 1) -> Rule | None:
    """The first rule that says `line` is residue, given its position in the body (for rules that only hold near
    the start or the end of a body)."""
    if len(line) > LINE_MAX_CHARS:
        return None
    stripped = _BULLET.sub("", line.strip()) or line.strip()
    words = len(stripped.split())
    for rule in RULES:
        if words > rule.max_words:
            continue
        if rule.head_only and not (position < rule.head_only or position >= total - 2):
            continue
        if rule.pattern.fullmatch(stripped):
            return rule
    return None


# a run of at least this many fragments (short lines that do not end like sentences) is a menu or archive widget
FRAGMENT_RUN = 8
FRAGMENT_MAX_WORDS = 3
FRAGMENT_MAX_CHARS = 30  # scripts without spaces (CJK) make whole sentences one "word"


def _fragment(line: str) -> bool:
    return len(line.split()) <= FRAGMENT_MAX_WORDS and len(line) <= FRAGMENT_MAX_CHARS and not _terminal(line)


def fragment_runs(lines: list[str]) -> set[int]:
    """Indexes of lines inside runs of FRAGMENT_RUN or more consecutive fragments ("Protocolo", "Ouvidoria", ...).

    Articles do not say eight things in a row in three words or less without a full stop; menus, tag clouds and
    archive widgets do.
    """
    out: set[int] = set()
    start = None
    for i, line in enumerate(lines + [". ."]):
        if i < len(lines) and _fragment(line):
            if start is None:
                start = i
            continue
        if start is not None and i - start >= FRAGMENT_RUN:
            out.update(range(start, i))
        start = None
    return out


def remove_residue(
    lines: list[str], title: str | None = None, title_variants: tuple[str, ...] | list[str] = ()
) -> tuple[list[str], list[tuple[str, str]]]:
    """Drop residue lines from a body; returns (kept lines, [(rule name, dropped line), ...]).

    Besides the table: the title repeated at the start of the body (it is rendered on its own line; any of
    `title_variants`, e.g. og:title or the <title> text, counts as the title) and runs of menu-like fragments.
    """
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    title_keys = {_norm(t) for t in (title, *title_variants) if t}
    title_keys.discard("")
    menus = fragment_runs(lines)
    total = len(lines)
    i = 0
    while i < total:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if i in menus:
            dropped.append(("fragment-run", line))
            i += 1
            continue
        if title_keys and len(kept) < 3 and _norm(line) in title_keys:
            dropped.append(("repeated-title", line))
            i += 1
            continue
        rule = match_rule(line, i, total)
        if rule is not None:
            dropped.append((rule.name, line))
            skip = rule.tail(lines, i) if rule.tail else 0
            for k in range(1, skip + 1):
                dropped.append((rule.name + "-tail", lines[i + k]))
            i += 1 + skip
            continue
        kept.append(line)
        i += 1
    return kept, dropped


__all__ = ["RULES", "Rule", "fragment_runs", "match_rule", "remove_residue"]
