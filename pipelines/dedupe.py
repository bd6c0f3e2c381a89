"""Near-duplicate detection for article texts: normalisation, exact keys, MinHash/LSH band keys and the confirmed decision.

Pure functions, no database. Storage keeps ``exact_key(text)`` and, per article, ``band_keys(signature(text))`` as rows
``article_bands(article_id, band, key)`` with ``band`` = the position in that list; a new article's candidates are the
stored articles sharing at least one (band, key); each candidate is confirmed with ``is_near_duplicate``.

The numbers, and why. Figures from ``PYTHONPATH=. python bench/dedupe_eval.py --sweep`` (seed 1): 181 real texts of
the extraction corpus turned into 716 duplicate pairs and 2,220 hard or random non-duplicate pairs, see that script.

- ``SHINGLE_K = 3`` word shingles. Exact Jaccard of 1-10%-edited copies: 5th percentile 0.61 at k=3, 0.53 at k=4,
  0.45 at k=5 (each edit destroys k shingles), while different articles stay low at k=3 (same-event seed pairs
  max 0.06, same-subject pairs max 0.17, same-site pairs max 0.26). k=2 lets shared phrases through (same-event
  pairs up to 0.12, short same-outlet items containment up to 0.82). k=3 has the widest gap.
- ``NUM_PERM = 120`` MinHash values in ``BANDS = 40`` bands of ``ROWS = 3``. A pair of Jaccard J becomes a candidate
  with probability 1-(1-J**3)**40: 0.9997 at J=0.57 (typical 10%-edited copy), 0.93 at J=0.40 (the confirm
  threshold; observed edited minimum 0.42), 0.04 at J=0.1, 0.005 at J=0.05. With 30 bands of 4 rows J=0.42 is
  found only 61% of the time; with 60 bands of 2 rows a same-subject pair at J=0.05 is a candidate 14% of the time
  (useless confirmations grow with the store).
- ``LEAD_PERM = 16`` single-row "lead" bands: a MinHash over the starts (first ``LEAD_TOKENS = 12`` tokens) of the
  first ``LEAD_PARAS = 3`` lead chunks (paragraphs, short ones merged until ``LEAD_MIN_TOKENS = 8`` tokens) that
  start in the first half of the text. A teaser of the first paragraphs has a low Jaccard with its article (median
  0.18, minimum 0.015 in the eval: the main bands alone would miss most of them) but shares its lead: with one of
  three lead chunks shared a lead band matches with 1-(2/3)**16 = 0.998. Only chunk starts are hashed, so a teaser
  whose last paragraph is cut off ("...") still matches. In the eval 177/177 teasers became candidates.
- Confirmation (``is_near_duplicate``): Jaccard >= ``JACCARD_MIN = 0.4`` (edited min 0.42, dropped-paragraph min
  0.44, template min 0.56) or, when the shorter text has >= ``CONTAINMENT_MIN_SHINGLES = 15`` shingles (~17
  words), containment >= ``CONTAINMENT_MIN = 0.8`` (teasers 1.0, dropped >= 0.97; same-site max 0.45, same-subject
  max 0.31). Under 15 shingles a "teaser" is a headline or a sentence that any article could contain: not trusted.
  At least ``MIN_SHARED_SHINGLES = 8`` shingles must be shared.
- The lead check: when the shorter text has fewer than ``LEAD_CHECK_BELOW = 150`` shingles, at least
  ``LEAD_COVER_MIN = 0.4`` of the shingles of its first ``LEAD_WINDOW = 30`` tokens must occur in the other text.
  Two short items of one outlet that end with the same sign-off reach Jaccard 0.59 and containment 0.78 at k=3 —
  inside the duplicate range — but their leads are their own (lead cover max 0.29), whereas edited copies keep
  >= 0.57 of theirs and teasers/templates 1.0. Long texts skip the check: furniture cannot reach 40% of 150+
  shingles, and a 10%-edited long copy may lose its first sentence.
- ``normalize_text`` drops residue-ish lines (share/subscribe/advertisement/photo credit/date-only lines and
  lines of three words or fewer) before both the exact key and the shingles: they are what differs between two
  templates around one article, and what two short articles of one outlet have in common.

Result on the eval, through bands and confirmation: precision 1.000, recall 0.9986 (one miss: a 22-word list-like
"teaser" under the containment minimum); 0 of 1,302 band candidates between different source articles confirmed.

Tokens are the runs of ``\\w`` after NFKC + casefold; Han/Kana characters are single tokens (those scripts have
no spaces). Hashes are blake2b-derived and stable across processes (no ``hash()``), because band keys are stored.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SHINGLE_K = 3
NUM_PERM = 120
ROWS = 3
BANDS = NUM_PERM // ROWS
LEAD_PERM = 16
LEAD_PARAS = 3
LEAD_TOKENS = 12
LEAD_MIN_TOKENS = 8
JACCARD_MIN = 0.4
CONTAINMENT_MIN = 0.8
CONTAINMENT_MIN_SHINGLES = 15
LEAD_COVER_MIN = 0.4
LEAD_WINDOW = 30
LEAD_CHECK_BELOW = 150
MIN_SHARED_SHINGLES = 8
SIGNATURE_LEN = NUM_PERM + LEAD_PERM
NUM_BAND_KEYS = BANDS + LEAD_PERM

_MASK64 = (1 << 64) - 1
_TOKEN_RE = re.compile(r"\w+")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_RESIDUE_RE = re.compile(
    r"^\W*(advertisement|advert|sponsored|share this|share on|share|tweet|comments?|read more|read next|"
    r"related articles|related stories|related|more from|see also|also read|recommended|trending|click here|"
    r"sign up|subscribe|follow us|join us|newsletter|copyright|all rights reserved|photo|"
    r"listen to this article|getty images|file photo|updated|published|posted|"
    r"skip to|jump to|menu|back to top|we use cookies|cookie|loading)\b",
    re.IGNORECASE,
)
_RESIDUE_MAX_WORDS = 20
_SHORT_LINE_WORDS = 3
_DATE_LINE_RE = re.compile(
    r"^[\W\d_]*(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\W\d_]*)?"
    r"(?:\d{1,2}:\d{2}\s*(?:am|pm)?)?[\W\d_]*(?:utc|gmt|[a-z]{2,4}t)?\W*$",
    re.IGNORECASE,
)


def _tokens(line: str) -> list[str]:
    """``\\w`` runs after NFKC+casefold; Han/Kana runs split into characters (no spaces in those scripts)."""
    out: list[str] = []
    found = _TOKEN_RE.findall(unicodedata.normalize("NFKC", line).casefold())
    if not _CJK_RE.search(line):
        return found
    for tok in found:
        if _CJK_RE.search(tok):
            buf = ""
            for ch in tok:
                if _CJK_RE.match(ch):
                    if buf:
                        out.append(buf)
                        buf = ""
                    out.append(ch)
                else:
                    buf += ch
            if buf:
                out.append(buf)
        else:
            out.append(tok)
    return out


def _is_residue(line: str, toks: list[str]) -> bool:
    """A line that is page furniture, not article text: short, a date, or a share/subscribe/credit line."""
    if len(toks) <= _SHORT_LINE_WORDS:
        return True
    if len(toks) <= _RESIDUE_MAX_WORDS and _RESIDUE_RE.match(line.strip()):
        return True
    return bool(_DATE_LINE_RE.match(line.strip()))


def _content_lines(text: str) -> list[list[str]]:
    """Token lists of the lines that carry article text; all lines if the filter would leave nothing."""
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    tokenised = [(_tokens(ln), ln) for ln in lines]
    kept = [t for t, ln in tokenised if t and not _is_residue(ln, t)]
    if not kept:
        kept = [t for t, _ in tokenised if t]
    return kept


def normalize_text(text: str) -> str:
    """Lower-case tokens joined by single spaces, residue lines dropped: two templates around one text agree."""
    return _joined(_content_lines(text))


def _joined(lines: list[list[str]]) -> str:
    return " ".join(" ".join(t) for t in lines)


def exact_key(text: str) -> str:
    """SHA-256 hex of ``normalize_text``: the cheap first check, equal for copies that differ only in furniture."""
    return _exact_key(_content_lines(text))


def _exact_key(lines: list[list[str]]) -> str:
    return hashlib.sha256(_joined(lines).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1 << 18)
def _token_hash(tok: str) -> int:
    return int.from_bytes(hashlib.blake2b(tok.encode("utf-8"), digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _shingle_array(toks: list[str]) -> np.ndarray:
    """Unique 64-bit hashes of the word k-shingles of a token list (one shingle for texts shorter than k)."""
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    h = np.fromiter(map(_token_hash, toks), dtype=np.uint64, count=len(toks))
    k = min(SHINGLE_K, len(h))
    n = len(h) - k + 1
    acc = np.full(n, np.uint64(k), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            acc = _mix(acc ^ h[i : i + n])
    return np.unique(acc)


def _text_tokens(text: str) -> list[str]:
    return [tok for line in _content_lines(text) for tok in line]


def shingles(text: str) -> set[int]:
    """Word 3-shingles of the normalised text, as stable unsigned 64-bit hashes."""
    return {int(v) for v in _shingle_array(_text_tokens(text))}


_RNG = np.random.default_rng(20250516)
_PERM_A = _RNG.integers(1, 1 << 63, size=NUM_PERM + LEAD_PERM, dtype=np.uint64) | np.uint64(1)
_PERM_B = _RNG.integers(0, 1 << 63, size=NUM_PERM + LEAD_PERM, dtype=np.uint64)
_EMPTY = np.uint64(_MASK64)


def _minhash(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per permutation j: min over values of splitmix(v XOR b_j) * a_j mod 2**64 (a_j odd): one random order per j.

    A plain affine family (a_j * v + b_j) costs about half as much and estimates Jaccard as well on average, but
    its bands are less independent: on the eval (seed 1) it made 1,832 candidate pairs between different source
    articles against 1,302 for this one, i.e. ~40% more useless confirmations.
    """
    out = np.full(len(a), _EMPTY, dtype=np.uint64)  # what no shingle (an empty text) leaves
    with np.errstate(over="ignore"):
        for i in range(0, len(values), _MINHASH_ROWS):
            np.minimum(out, (_mix(values[i:i + _MINHASH_ROWS, None] ^ b[None, :]) * a[None, :]).min(axis=0), out=out)
    return out


# shingles per block of the shingles x permutations matrix: the whole matrix of a long page (a 1 MB encyclopedia
# article, 20,000 shingles) and _mix's temporaries took 30 MiB at once in a page worker; blocks take 1 MiB each
_MINHASH_ROWS = 1024


def _lead_units(lines: list[list[str]]) -> np.ndarray:
    """Hashes of the starts of the first lead chunks: paragraphs, short ones merged with the next until
    ``LEAD_MIN_TOKENS`` long, taken only while they start in the first half of the text.

    Merging keeps a list-like lead (several short lines) comparable between an article and its teaser. The
    first-half rule keeps an outlet's sign-off sentences out of the lead of its short articles: otherwise every
    short article of that outlet shares a lead band with every other, and each insert confirms against all of them.
    """
    units: list[int] = []
    half = sum(len(t) for t in lines) / 2
    offset = 0
    buf: list[str] = []
    buf_start = 0
    for toks in lines:
        if not buf:
            buf_start = offset
            if units and buf_start >= half:  # furniture appended at the end is not a lead, however long
                break
        buf.extend(toks)
        offset += len(toks)
        if len(buf) >= LEAD_MIN_TOKENS:
            units.append(_token_hash("\x1f".join(buf[:LEAD_TOKENS])))
            buf = []
            if len(units) == LEAD_PARAS:
                break
    if buf and not units:
        units.append(_token_hash("\x1f".join(buf[:LEAD_TOKENS])))
    return np.array(units, dtype=np.uint64)


def signature(text: str) -> list[int]:
    """MinHash signature: ``NUM_PERM`` values over the shingles, then ``LEAD_PERM`` over the lead paragraph starts.

    Own numpy implementation (one vectorised min over a shingles x permutations matrix), stable across processes.
    ``bench/dedupe_scale.py`` (its MinHash comparison, 511 shingles, 120 permutations, quiet machine): 0.27 ms,
    against 1.07 ms for datasketch's ``update_batch`` and 10.5 ms for its ``update`` loop; whole signature 0.81 ms.
    """
    return _signature(_content_lines(text))


def _signature(lines: list[list[str]]) -> list[int]:
    sh = _shingle_array([t for line in lines for t in line])
    main = _minhash(sh, _PERM_A[:NUM_PERM], _PERM_B[:NUM_PERM])
    lead = _minhash(_lead_units(lines), _PERM_A[NUM_PERM:], _PERM_B[NUM_PERM:])
    return [int(v) for v in np.concatenate([main, lead])]


def text_keys(text: str) -> tuple[str, list[int]]:
    """(``exact_key(text)``, ``band_keys(signature(text))``), the text tokenised once for both."""
    lines = _content_lines(text)
    return _exact_key(lines), band_keys(_signature(lines))


def _to_signed(v: int) -> int:
    return v - (1 << 64) if v >= (1 << 63) else v


def band_keys(sig: list[int]) -> list[int]:
    """One signed-int64 key per band: ``BANDS`` keys of ``ROWS`` MinHash values, then one per lead value.

    Position i in the list is the band number to store. An empty text's bands get a key unique to nothing
    (they are all the "empty" value): storage should not index an article with no shingles.
    """
    if len(sig) != SIGNATURE_LEN:
        raise ValueError(f"signature has {len(sig)} values, expected {SIGNATURE_LEN}")
    keys: list[int] = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        payload = band.to_bytes(2, "little") + b"".join(v.to_bytes(8, "little") for v in rows)
        keys.append(_to_signed(int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "little")))
    for j, v in enumerate(sig[NUM_PERM:]):
        payload = (BANDS + j).to_bytes(2, "little") + v.to_bytes(8, "little")
        keys.append(_to_signed(int.from_bytes(hashlib.blake2b(payload, digest_size=8).digest(), "little")))
    return keys


@dataclass
class Similarity:
    """Word-shingle overlap of two texts: Jaccard for whole copies, containment for teasers and trimmed copies."""

    jaccard: float
    containment: float  # |A∩B| / min(|A|, |B|)


@lru_cache(maxsize=32)
def _shingle_text(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Shingles of the whole normalised text, and of its first ``LEAD_WINDOW`` tokens (the lead) alone.

    Cached (the arrays are never written to): the load judges a new article against each of its candidates, and a
    candidate stored under several bands against several new ones. On the 1,002 corpus pages in one load, judging
    the 335 candidate pairs took 0.15 s of the load's 2.0 s of CPU, tokenising and hashing the same texts again
    and again; 0.01 s with the cache (and one comparison a pair, dedupe.judge)."""
    toks = _text_tokens(text)
    return _shingle_array(toks), _shingle_array(toks[:LEAD_WINDOW])


def _overlap(a: str, b: str) -> tuple[int, int, int, float]:
    """|A∩B|, |A|, |B| and the share of the shorter text's lead shingles found in the other text."""
    sa, la = _shingle_text(a)
    sb, lb = _shingle_text(b)
    inter = int(np.intersect1d(sa, sb, assume_unique=True).size)
    lead, other = (la, sb) if sa.size <= sb.size else (lb, sa)
    lead_cover = float(np.isin(lead, other, assume_unique=True).mean()) if lead.size else 0.0
    return inter, int(sa.size), int(sb.size), lead_cover


def similarity(a: str, b: str) -> Similarity:
    """Exact (not estimated) Jaccard and containment of the two texts' shingle sets."""
    inter, na, nb, _ = _overlap(a, b)
    return _similarity(inter, na, nb)


def _similarity(inter: int, na: int, nb: int) -> Similarity:
    """Jaccard and containment from the shared and the two texts' shingle counts (``_overlap``)."""
    union = na + nb - inter
    return Similarity(
        jaccard=inter / union if union else 0.0,
        containment=inter / min(na, nb) if min(na, nb) else 0.0,
    )


def judge(a: str, b: str) -> float | None:
    """``is_near_duplicate(a, b)`` and, when it holds, the pair's similarity (the larger of its Jaccard and
    containment); None when it does not. The shingle sets are compared once for both."""
    inter, na, nb, lead_cover = _overlap(a, b)
    if not _near(a, b, inter, na, nb, lead_cover):
        return None
    s = _similarity(inter, na, nb)
    return max(s.jaccard, s.containment)


def is_near_duplicate(a: str, b: str) -> bool:
    """The confirmed decision on a candidate pair: the same article (copy, edit, teaser, trimmed), not just the same topic.

    Duplicate when the shorter text's lead paragraph is shared (at least ``LEAD_COVER_MIN`` of its shingles are
    in the other text: what two articles of one outlet share is furniture, not a lead) AND either the shingle
    Jaccard is at least ``JACCARD_MIN`` or the shorter text has at least ``CONTAINMENT_MIN_SHINGLES`` shingles and
    ``CONTAINMENT_MIN`` of them are in the other; at least ``MIN_SHARED_SHINGLES`` shingles must be shared.
    Texts with no tokens are duplicates only of an identical normalised text.
    """
    return _near(a, b, *_overlap(a, b))


def _near(a: str, b: str, inter: int, na: int, nb: int, lead_cover: float) -> bool:
    """is_near_duplicate's decision from the pair's shingle counts (``_overlap``)."""
    if na == 0 or nb == 0:
        return na == nb == 0 and normalize_text(a) == normalize_text(b) and bool(normalize_text(a))
    shorter = min(na, nb)
    if inter < min(MIN_SHARED_SHINGLES, na, nb):
        return False
    if shorter < LEAD_CHECK_BELOW and lead_cover < LEAD_COVER_MIN:
        return False
    union = na + nb - inter
    if inter / union >= JACCARD_MIN:
        return True
    return shorter >= CONTAINMENT_MIN_SHINGLES and inter / shorter >= CONTAINMENT_MIN
