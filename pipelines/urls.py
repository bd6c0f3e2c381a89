"""URL canonicalisation: one key per news page, whatever tracking, AMP, mobile or scheme variant linked to it.

Decisions (each so that two links a reader would call "the same page" get the same key):

- http and https are the same page; the key is always ``https``. News sites serve both and redirect one to
  the other, and feeds still carry http links years after a site moved.
- ``www.``, ``m.``, ``mobile.`` and ``amp.`` host prefixes are dropped: ``www.example.com``,
  ``m.example.com`` and ``example.com`` are one key ``example.com``. The key is not always fetchable; it is a key.
- Default ports (80, 443), userinfo, a trailing dot on the host and the fragment are dropped.
- Tracking parameters (utm_*, fbclid, gclid, ...; see ``TRACKING_PARAMS``/``TRACKING_PREFIXES``) are dropped;
  the rest are sorted by key then value (stable for repeated keys), blank values kept.
- AMP variants: ``/amp``, ``/amp/``, ``.amp``, ``/amp.html``, a leading ``/amp/`` path segment, ``?amp``,
  ``?amp=1``, ``outputType=amp`` are all folded into the plain page.
- Trailing slashes and ``index.html``/``index.htm``/``index.php`` are dropped; repeated slashes collapsed.
- Percent-encoding is normalised (w3lib's ``safe_url_string``), so ``%7e`` and ``~`` agree.
- The path keeps its case: many servers are case-sensitive.

Nothing here raises: an URL that cannot be parsed comes back stripped of surrounding whitespace.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "yclid", "msclkid", "twclid", "ttclid", "li_fat_id", "wbraid",
        "gbraid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "_openstat", "igshid", "igsh",
        "ref_src", "ref_url", "cmpid", "cmp", "ocid", "ito", "xtor", "smid", "smtyp", "sr_share", "spm",
        "share", "s_cid", "cid_source", "icid", "intcmp", "mbid", "rss", "rssfeed", "feature", "__twitter_impression",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "guccounter",
        "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "wt_mc", "wt.mc_id", "src", "mkt_tok",
        "vero_id", "oly_enc_id", "oly_anon_id", "rb_clickid", "ns_campaign", "ns_mchannel", "ns_source",
        "ns_linkname", "ns_fee", "amp", "output", "outputtype", "via",
    }
)
"""Query keys (compared lower-case) that never select content on a news page.

``amp``/``outputType``/``output`` are listed because their only use on news sites is the AMP/print switch;
``src``/``via``/``feature``/``share`` are referral labels. Keys that do select content (``id``, ``p``,
``page``, ``article``, ``story`` ...) are kept.
"""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "at_", "ns_", "pk_", "mtm_", "hsa_", "_hs", "matomo_", "piwik_")

_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_WWW_N = re.compile(r"^www\d+\.")
_INDEX_RE = re.compile(r"/(?:index|default)\.(?:html?|php|aspx?)$", re.IGNORECASE)
_AMP_SUFFIX_RE = re.compile(r"(?:/amp/?|\.amp|/amp\.html?)$", re.IGNORECASE)
_AMP_PREFIX_RE = re.compile(r"^/amp(?=/)", re.IGNORECASE)
_MULTI_SLASH = re.compile(r"/{2,}")
_PCT_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalise_escapes(path: str) -> str:
    """RFC 3986 6.2.2: decode escapes of unreserved characters, upper-case the hex of the others."""

    def fix(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else "%" + m.group(1).upper()

    return _PCT_RE.sub(fix, path)

_SECOND_LEVEL = frozenset(
    {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nic", "ltd", "plc", "sch", "nhs"}
)
"""Second-level labels under which a country code registers names (bbc.co.uk, abc.net.au, gov.ua)."""


def _strip_host(host: str) -> str:
    """Lower-case, drop the trailing dot and the www/m/mobile/amp prefixes (repeatedly: ``m.www.``)."""
    host = host.lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix) :]
                changed = True
        if _WWW_N.match(host) and host.count(".") >= 2:
            host = _WWW_N.sub("", host)
            changed = True
    return host


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _clean_path(path: str) -> str:
    """Fold AMP forms, index files, repeated and trailing slashes into the plain page path."""
    path = _MULTI_SLASH.sub("/", _normalise_escapes(path or "/"))
    for _ in range(3):  # e.g. /amp/x/index.html/ — a few passes reach a fixed point
        before = path
        path = _AMP_PREFIX_RE.sub("", path)
        path = _AMP_SUFFIX_RE.sub("", path)
        path = _INDEX_RE.sub("/", path)
        if len(path) > 1:
            path = path.rstrip("/")
        if path == before:
            break
    return path if path and path != "/" else ""


def canonical_url(url: str) -> str:
    """The key for a page: same string for every tracking/AMP/mobile/scheme variant of one article.

    Used by the spider to skip pages already fetched and by storage as the URL key; never raises,
    because a bad link in a feed must not stop a crawl.
    """
    if not isinstance(url, str):
        return ""
    raw = url.strip()
    try:
        if raw.startswith("//"):
            raw = "https:" + raw
        safe = safe_url_string(raw)
        parts = urlsplit(safe)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return raw
        host = _strip_host(parts.hostname)
        port = parts.port  # raises ValueError on a bad port
        netloc = host if port in (None, 80, 443) else f"{host}:{port}"
        if ":" in host and not host.startswith("["):  # IPv6 literal
            netloc = f"[{host}]" if port in (None, 80, 443) else f"[{host}]:{port}"
        path = _clean_path(parts.path)
        params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k and not _is_tracking(k)]
        params.sort()
        query = urlencode(params, doseq=False, safe="/:@,;+~!$'()*")
        return urlunsplit(("https", netloc, path, query, ""))
    except Exception:  # noqa: BLE001 — contract: never raise on a bad URL
        return raw


def _host_of(url: str) -> str:
    try:
        raw = url.strip()
        if raw.startswith("//"):
            raw = "https:" + raw
        host = urlsplit(raw).hostname or ""
    except Exception:  # noqa: BLE001
        return ""
    return host.lower().rstrip(".")


def registrable_domain(host: str) -> str:
    """The name an owner registers (``bbc.co.uk``, ``reuters.com``), by a small rule instead of the PSL.

    Rule: last two labels, or last three when the second-to-last is a generic second level
    (co, com, net, org, gov, ...) under a two-letter country code. Wrong for exotic suffixes
    (github.io, blogspot.com) — acceptable for comparing a page with its own canonical link.
    """
    host = host.lower().rstrip(".")
    if not host or re.fullmatch(r"[\d.]+|\[.*\]|[0-9a-f:]+", host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Whether two URLs belong to one site (same registrable domain, and the same port where one is given), so one
    may name the other as canonical.

    Why the port: two servers on one host are two sites. A page on 127.0.0.1:8116 that named an article of the
    outlet on 127.0.0.1:8101 as its canonical was stored under that URL, and that outlet's own article was then
    skipped as already stored, run after run.
    """
    ha, hb = _host_of(a), _host_of(b)
    if not ha or not hb:
        return False
    return registrable_domain(ha) == registrable_domain(hb) and _port_of(a) == _port_of(b)


def _port_of(url: str) -> int | None:
    """The URL's explicit port, None for none or the scheme's default (80, 443): http and https variants agree."""
    try:
        port = urlsplit(url.strip()).port
    except ValueError:
        return None
    return None if port in (80, 443) else port


def _is_root_or_section(canon: str) -> bool:
    """A home page or a one-segment section root (``/world``, ``/news``): pages wrongly name these as canonical."""
    try:
        path = urlsplit(canon).path
    except Exception:  # noqa: BLE001
        return True
    segments = [s for s in path.split("/") if s]
    if not segments:
        return True
    if len(segments) == 1:
        seg = segments[0]
        # a lone segment that looks like an article slug (long, with dashes or digits) is an article
        return not (len(seg) >= 20 or ("-" in seg and len(seg) >= 12) or sum(c.isdigit() for c in seg) >= 5)
    return False


def resolve_canonical(page_url: str, rel_canonical: str | None, og_url: str | None) -> str:
    """The key of the page, trusting its declared canonical only when it is plausible.

    rel=canonical first, then og:url; either is used only when it is on the same site as the page and is
    not the home page or a section root (templates that point every page at ``/`` or ``/news``). Otherwise
    ``canonical_url(page_url)``. Relative declared URLs are ignored (the cleaner gives absolute ones).
    """
    base = canonical_url(page_url)
    for declared in (rel_canonical, og_url):
        if not declared or not isinstance(declared, str) or not declared.strip():
            continue
        cand = canonical_url(declared)
        if not cand.startswith("https://"):
            continue
        if not same_site(page_url, cand):
            continue
        if _is_root_or_section(cand) and not _is_root_or_section(base):
            continue
        return cand
    return base


def public_url(url: str) -> str:
    """The URL to show for an article: as fetched, minus tracking parameters and fragment. Still fetchable,
    unlike the canonical key, which folds scheme and host variants."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
