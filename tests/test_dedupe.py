"""Near-duplicate decisions on texts written for these tests: copies, edits, teasers, trimmed copies and look-alikes."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import dedupe
from pipelines.dedupe import (
    Similarity,
    band_keys,
    exact_key,
    is_near_duplicate,
    normalize_text,
    shingles,
    signature,
    similarity,
)

# Two different articles on one event (written for these tests; names and figures are invented).
TALKS = """Delegations meet again in Istanbul as prisoner exchange is agreed

Negotiators from Russia and Ukraine sat down for a second round of direct talks in Istanbul on Monday, two weeks after their first meeting in more than three years ended with little beyond a promise to keep talking.

The meeting at the Ciragan Palace lasted just over an hour, according to officials from the Turkish foreign ministry, who hosted the delegations and said both sides had handed over written proposals describing the terms on which they would accept a ceasefire.

The Ukrainian delegation, led by the defence minister, arrived with a list of children it says were taken from occupied territory and asked for their return as a first humanitarian step. The Russian side presented a memorandum that its head of delegation described as a road map towards a lasting settlement.

Both delegations agreed to a further exchange of prisoners of war, focused on the youngest and the most seriously wounded soldiers, as well as the return of the bodies of six thousand fallen servicemen.

Turkish officials said they were ready to host a third round in July and that technical working groups would continue to meet in the meantime. Neither side announced a date for a meeting between the two presidents, which Kyiv has repeatedly requested.

Analysts in Ankara cautioned that the gap between the written proposals remains wide, with disagreements over territory, security guarantees and sanctions relief still unresolved after the second session."""

TALKS_OTHER = """Second round of Istanbul talks yields swap deal but no truce

Russian and Ukrainian officials agreed on Monday to swap more prisoners and repatriate the remains of fallen soldiers, but made no progress towards a ceasefire during a short second round of negotiations in Istanbul.

Ukraine's defence minister, who heads Kyiv's team, told reporters after the session that Moscow's memorandum contained demands that had already been rejected, including a withdrawal of Ukrainian forces from four regions.

The Kremlin's negotiator said the memorandum offered two options for a truce and that Russia expected a considered answer rather than statements to the press. He added that the delegations would stay in contact through the Turkish hosts.

The talks, held in the Ciragan Palace on the Bosphorus, were the second direct contact between the sides since the spring of 2022. A first meeting in May produced the largest prisoner exchange of the war.

European governments called the outcome disappointing and said they were preparing a new package of sanctions, while Washington urged both sides to keep the channel open and to agree on a date for the next round."""

# Two short items from one outlet, both ending with that outlet's sign-off.
OUTLET_SIGNOFF = (
    "Stay informed with our free evening briefing, delivered every weekday with the stories that matter most "
    "to you and your family.\n\nThe views of contributors are their own and do not necessarily reflect the "
    "editorial line of this newspaper."
)
SHORT_ONE = (
    "The city council voted on Tuesday to close the old river bridge to heavy lorries from September after "
    "engineers found cracks in two of its supporting piers.\n\n" + OUTLET_SIGNOFF
)
SHORT_TWO = (
    "A local choir has won the national amateur singing contest for the second year running, beating eleven "
    "other groups at the final held in the capital on Saturday.\n\n" + OUTLET_SIGNOFF
)

FURNITURE_A = "Home › World › Europe\n\nShare\n\nAdvertisement\n\n"
FURNITURE_B = "Skip to main content\n\n0 0\n\nListen to this article 5 min\n\n"
FOOTER_A = "\n\nRead more\n\nRelated articles\n\nCopyright 2025 Example Media. All rights reserved."
FOOTER_B = "\n\nSign up for our newsletter\n\nFollow us on social media for the latest updates."


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def edited(text: str, rate: float, seed: int) -> str:
    """Replace a share of the words by other words (as a sub-editor or a rewrite bot would)."""
    rng = random.Random(seed)
    fillers = ["reportedly", "officials", "meanwhile", "however", "sources", "statement", "Tuesday", "delegates"]
    out = []
    for para in paragraphs(text):
        words = para.split()
        out.append(" ".join(rng.choice(fillers) if rng.random() < rate else w for w in words))
    return "\n\n".join(out)


def test_normalize_text_ignores_case_punctuation_whitespace() -> None:
    a = "Talks  resume in Istanbul, officials say.\n\nThe delegations met for an hour!"
    b = "talks resume in istanbul officials say\nthe   delegations met for an hour"
    assert normalize_text(a) == normalize_text(b)
    assert normalize_text(a) == "talks resume in istanbul officials say the delegations met for an hour"


def test_normalize_text_drops_furniture_lines_but_not_content() -> None:
    text = FURNITURE_A + "The delegations met for an hour in the palace on Monday." + FOOTER_A
    assert normalize_text(text) == "the delegations met for an hour in the palace on monday"


def test_normalize_text_keeps_short_text_that_is_all_short_lines() -> None:
    assert normalize_text("Breaking\n\nTalks end") == "breaking talks end"
    assert normalize_text("") == ""


def test_exact_key_equal_across_templates_and_different_for_other_text() -> None:
    in_a = FURNITURE_A + TALKS + FOOTER_A
    in_b = FURNITURE_B + TALKS + FOOTER_B
    assert exact_key(in_a) == exact_key(in_b) == exact_key(TALKS)
    assert exact_key(TALKS) != exact_key(TALKS_OTHER)
    assert len(exact_key(TALKS)) == 64 and int(exact_key(TALKS), 16) >= 0


def test_cjk_text_is_tokenised_per_character() -> None:
    assert normalize_text("伊斯坦布尔会谈") == "伊 斯 坦 布 尔 会 谈"
    assert len(shingles("伊斯坦布尔会谈")) == 5


def test_shingles_are_stable_64_bit_ints() -> None:
    sh = shingles(TALKS)
    assert sh and all(isinstance(v, int) and 0 <= v < 2**64 for v in sh)
    assert shingles(TALKS) == sh
    assert shingles("one two") and len(shingles("one two")) == 1  # shorter than k: one shingle
    assert shingles("") == set()


def test_similarity_values() -> None:
    same = similarity(TALKS, TALKS)
    assert same == Similarity(jaccard=1.0, containment=1.0)
    teaser = "\n\n".join(paragraphs(TALKS)[:3])
    s = similarity(TALKS, teaser)
    assert s.containment == 1.0
    assert s.jaccard == pytest.approx(len(shingles(teaser)) / len(shingles(TALKS)))
    other = similarity(TALKS, TALKS_OTHER)
    assert other.jaccard < 0.1 and other.containment < 0.2
    assert similarity("", TALKS) == Similarity(0.0, 0.0)


def test_exact_copy_in_other_template_is_duplicate() -> None:
    assert is_near_duplicate(FURNITURE_A + TALKS + FOOTER_A, FURNITURE_B + TALKS + FOOTER_B)


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.10])
def test_edited_copy_is_duplicate(rate: float) -> None:
    copy = edited(TALKS, rate, seed=3)
    assert copy != TALKS
    assert is_near_duplicate(TALKS, copy)
    assert is_near_duplicate(copy, TALKS)


def test_teaser_of_first_paragraphs_is_duplicate() -> None:
    teaser = "\n\n".join(paragraphs(TALKS)[:2]) + "\n\nRead more"
    assert len(teaser.split()) < len(TALKS.split()) / 3
    assert is_near_duplicate(TALKS, teaser)
    assert is_near_duplicate(teaser, TALKS)


def test_copy_with_a_paragraph_dropped_is_duplicate() -> None:
    paras = paragraphs(TALKS)
    for drop in (1, 3, len(paras) - 1):
        trimmed = "\n\n".join(p for i, p in enumerate(paras) if i != drop)
        assert is_near_duplicate(TALKS, trimmed), drop


def test_two_articles_on_one_event_are_not_duplicates() -> None:
    assert not is_near_duplicate(TALKS, TALKS_OTHER)
    assert not is_near_duplicate(FURNITURE_A + TALKS + FOOTER_A, FURNITURE_A + TALKS_OTHER + FOOTER_A)


def test_short_articles_sharing_outlet_boilerplate_are_not_duplicates() -> None:
    s = similarity(SHORT_ONE, SHORT_TWO)
    assert s.jaccard > 0.3  # the sign-off is most of each text ...
    assert not is_near_duplicate(SHORT_ONE, SHORT_TWO)  # ... but the leads differ


def test_very_short_teaser_is_not_trusted() -> None:
    headline_only = paragraphs(TALKS)[0]  # 11 words: under the containment minimum
    assert len(shingles(headline_only)) < dedupe.CONTAINMENT_MIN_SHINGLES
    assert not is_near_duplicate(TALKS, headline_only)


def test_empty_texts_are_not_duplicates() -> None:
    assert not is_near_duplicate("", "")
    assert not is_near_duplicate("", TALKS)
    assert not is_near_duplicate("...", "!!!")


def test_signature_and_band_keys_shape() -> None:
    sig = signature(TALKS)
    assert len(sig) == dedupe.SIGNATURE_LEN == dedupe.NUM_PERM + dedupe.LEAD_PERM
    assert all(0 <= v < 2**64 for v in sig)
    keys = band_keys(sig)
    assert len(keys) == dedupe.NUM_BAND_KEYS == dedupe.BANDS + dedupe.LEAD_PERM
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert any(k < 0 for k in keys) and any(k > 0 for k in keys)
    assert len(set(keys)) == len(keys)
    with pytest.raises(ValueError):
        band_keys(sig[:-1])
    assert len(band_keys(signature(""))) == dedupe.NUM_BAND_KEYS


def shared_bands(a: str, b: str) -> list[int]:
    ka, kb = band_keys(signature(a)), band_keys(signature(b))
    return [i for i, (x, y) in enumerate(zip(ka, kb)) if x == y]


def test_duplicates_share_bands_and_unrelated_texts_do_not() -> None:
    assert len(shared_bands(TALKS, FURNITURE_B + TALKS + FOOTER_B)) >= dedupe.BANDS // 2
    assert any(i < dedupe.BANDS for i in shared_bands(TALKS, edited(TALKS, 0.10, seed=5)))
    teaser = "\n\n".join(paragraphs(TALKS)[:2])
    assert any(i >= dedupe.BANDS for i in shared_bands(TALKS, teaser))  # found through the lead bands
    assert shared_bands(TALKS, TALKS_OTHER) == []
    # the shared sign-off makes the two short items candidates: only confirmation tells them apart
    assert shared_bands(SHORT_ONE, SHORT_TWO) and not is_near_duplicate(SHORT_ONE, SHORT_TWO)


def test_signature_is_stable_across_processes() -> None:
    """Band keys are stored: a new process (other hash seed) must compute the same ones."""
    code = "from pipelines.dedupe import band_keys, signature; print(band_keys(signature('talks resume in istanbul on monday after two weeks')))"
    root = Path(__file__).resolve().parents[1]
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
            env={"PYTHONPATH": str(root), "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1
    assert outs.pop().strip() == str(band_keys(signature("talks resume in istanbul on monday after two weeks")))


def test_text_keys_are_the_exact_key_and_the_band_keys() -> None:
    """The one-pass keys the flow stores are the ones the two functions give separately."""
    from pipelines.dedupe import band_keys, exact_key, signature, text_keys

    for text in ("", "Short.", "Peace talks in Istanbul resumed on Friday.\nShare this article\n" * 3,
                 "\n".join(f"Paragraph {i} of the delegation's statement on the ceasefire terms." for i in range(40))):
        assert text_keys(text) == (exact_key(text), band_keys(signature(text)))
