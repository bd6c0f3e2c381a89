"""Tests for the relevance filter: the contract's rules, inflection, word boundaries, required groups, loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.records import Relevance
from pipelines.relevance import Topic, load_topic, normalize, score

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOPIC = ROOT / "config" / "topic.toml"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "topic.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def plain(tmp_path: Path) -> Topic:
    """A topic with no required groups: only the contract's bare rule applies."""
    return load_topic(
        write(
            tmp_path,
            """
name = "plain"
keep_all = false
[terms]
en = ["talks", "peace talks", "Putin", "Kyiv", "delegation*", "Istanbul"]
ru = ["переговор*", "Стамбул*"]
uk = ["перемовин*", "Стамбул*"]
tr = ["müzakere*", "İstanbul*"]
""",
        )
    )


@pytest.fixture(scope="module")
def default() -> Topic:
    return load_topic(DEFAULT_TOPIC)


# --- the contract's rules ------------------------------------------------------------------------------


def test_one_term_in_title_is_relevant(plain: Topic) -> None:
    rel = score(plain, "Istanbul prepares", "Nothing else in the body mentions anything.", "en")
    assert isinstance(rel, Relevance)
    assert rel.relevant
    assert rel.matched_terms == ["Istanbul"]
    assert rel.score == 2.0


def test_two_different_terms_in_text_are_relevant(plain: Topic) -> None:
    rel = score(plain, "A quiet Friday", "The delegations arrived. Later they went to Istanbul.", "en")
    assert rel.relevant
    assert rel.matched_terms == ["delegations", "Istanbul"]
    assert rel.score == 2.0


def test_one_term_in_text_is_not_enough_even_repeated(plain: Topic) -> None:
    rel = score(plain, "A quiet Friday", "Istanbul was sunny. Istanbul was busy. ISTANBUL never sleeps.", "en")
    assert not rel.relevant
    assert rel.score == 1.0
    assert rel.matched_terms == ["Istanbul"]


def test_two_inflections_of_one_term_count_once(plain: Topic) -> None:
    rel = score(plain, "Новости дня", "Переговоры продолжились. Итоги переговоров подвели вечером.", "ru")
    assert not rel.relevant
    assert rel.matched_terms == ["Переговоры"]


def test_phrase_and_contained_term_count_once(plain: Topic) -> None:
    rel = score(plain, "A quiet Friday", "Peace talks resumed.", "en")
    assert rel.matched_terms == ["Peace talks"]
    assert rel.score == 1.0
    assert not rel.relevant


def test_title_and_text_scores_add_up(plain: Topic) -> None:
    rel = score(plain, "Putin in Istanbul", "Putin met the delegation; talks went on in Kyiv.", "en")
    # title: Putin, Istanbul (2 each); text only: delegation, talks, Kyiv (1 each)
    assert rel.score == 7.0
    assert rel.matched_terms == ["Putin", "Istanbul", "delegation", "talks", "Kyiv"]


def test_keep_all_keeps_everything_but_still_scores(tmp_path: Path) -> None:
    topic = load_topic(write(tmp_path, 'name = "all"\nkeep_all = true\n[terms]\nen = ["talks", "Istanbul"]\n'))
    empty = score(topic, "Weather", "Sunny all week.", "en")
    assert empty.relevant and empty.score == 0.0 and empty.matched_terms == []
    some = score(topic, "Talks", "In Istanbul.", "en")
    assert some.relevant and some.score == 3.0


def test_empty_title_and_text(plain: Topic) -> None:
    rel = score(plain, None, "", "en")
    assert not rel.relevant and rel.score == 0.0 and rel.matched_terms == []


# --- matching --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "language", "expected"),
    [
        ("Переговоры в Стамбуле", "", "ru", ["Переговоры", "Стамбуле"]),
        ("Итоги", "Делегации говорили о переговорах в Стамбуле.", "ru", ["переговорах", "Стамбуле"]),
        ("Підсумки", "Після перемовин у Стамбулі сторони роз'їхалися.", "uk", ["перемовин", "Стамбулі"]),
        ("Özet", "Müzakerelerin ikinci turu İstanbul'da yapıldı.", "tr", ["Müzakerelerin", "İstanbul'da"]),
        ("Özet", "ISTANBUL'DAKİ MÜZAKERELER sona erdi.", "tr", ["ISTANBUL'DAKİ", "MÜZAKERELER"]),
    ],
)
def test_inflected_forms_match_by_prefix(
    plain: Topic, title: str, text: str, language: str, expected: list[str]
) -> None:
    rel = score(plain, title, text, language)
    assert rel.matched_terms == expected
    assert rel.relevant


@pytest.mark.parametrize(
    "text",
    ["Rasputin was a mystic.", "Putinism is a word.", "Kyivstar is a phone company.", "The talksmith spoke."],
)
def test_terms_match_whole_words_only(plain: Topic, text: str) -> None:
    assert score(plain, None, text, "en").matched_terms == []


def test_word_boundary_allows_possessive_and_hyphen(plain: Topic) -> None:
    rel = score(plain, None, "Putin's envoy flew to Kyiv-Pasazhyrskyi station.", "en")
    assert rel.matched_terms == ["Putin", "Kyiv"]


def test_accents_and_turkish_i_are_folded() -> None:
    assert normalize("Erdoğan") == normalize("ERDOGAN") == "erdogan"
    assert normalize("İstanbul") == normalize("ISTANBUL") == normalize("istanbul")
    assert normalize("Çırağan") == "ciragan"
    assert normalize("Мединський") == normalize("МЕДИНСЬКИЙ")


def test_known_language_uses_its_own_list(plain: Topic) -> None:
    text = "Переговоры в Стамбуле"
    assert score(plain, None, text, "en").matched_terms == []
    assert score(plain, None, text, "ru").matched_terms == ["Переговоры", "Стамбуле"]
    assert score(plain, None, text, "ru-RU").matched_terms == ["Переговоры", "Стамбуле"]


def test_unknown_language_tries_every_list(plain: Topic) -> None:
    rel = score(plain, None, "Переговоры в Стамбуле; müzakereler İstanbul'da.", None)
    assert rel.matched_terms == ["Переговоры", "Стамбуле", "müzakereler", "İstanbul'da"]
    # a language with no list of its own is treated as unknown
    assert score(plain, None, "Переговоры в Стамбуле", "de").relevant


def test_a_word_whole_in_one_list_and_prefix_in_another_counts_once(tmp_path: Path) -> None:
    """An unknown language tries every list; English "Putin" and Turkish "Putin*" are still one term."""
    topic = load_topic(
        write(tmp_path, 'name = "t"\nkeep_all = false\n[terms]\nen = ["Putin", "Kyiv"]\ntr = ["Putin*"]\n')
    )
    rel = score(topic, None, "Putin sprach. Putins Rede war lang.", None)
    assert rel.matched_terms == ["Putin"]
    assert rel.score == 1.0 and not rel.relevant
    both = score(topic, "Putins Rede", "Putin sprach in Kyiv.", None)
    assert both.matched_terms == ["Putins", "Kyiv"]
    assert both.score == 3.0  # Putin in the title (2) + Kyiv (1); the text's "Putin" adds nothing


# --- required groups ---------------------------------------------------------------------------------


@pytest.fixture
def grouped(tmp_path: Path) -> Topic:
    return load_topic(
        write(
            tmp_path,
            """
name = "grouped"
keep_all = false
[terms]
en = ["Istanbul", "Trump"]
[required.talks]
en = ["talks", "delegation*"]
[required.russia]
en = ["Russia*", "Putin"]
[required.ukraine]
en = ["Ukrain*", "Kyiv"]
""",
        )
    )


def test_required_groups_must_all_match(grouped: Topic) -> None:
    on = score(grouped, "Talks in Istanbul", "Russian and Ukrainian delegations met.", "en")
    assert on.relevant
    no_ukraine = score(grouped, "Putin and Xi hold talks", "Russia and China discussed gas.", "en")
    assert not no_ukraine.relevant and no_ukraine.score >= grouped.min_score
    no_talks = score(grouped, "Putin orders strikes on Kyiv", "Russia hit Ukraine's grid again.", "en")
    assert not no_talks.relevant and no_talks.score >= grouped.min_score


def test_required_group_terms_count_as_topic_terms(grouped: Topic) -> None:
    rel = score(grouped, None, "Russia and Ukraine resumed talks.", "en")
    assert rel.matched_terms == ["Russia", "Ukraine", "talks"]
    assert rel.relevant


def test_group_satisfied_by_a_phrase_containing_its_term(tmp_path: Path) -> None:
    topic = load_topic(
        write(
            tmp_path,
            'name = "t"\nkeep_all = false\n[terms]\nen = ["peace talks", "Kyiv"]\n[required.talks]\nen = ["talks"]\n',
        )
    )
    rel = score(topic, None, "Peace talks with Kyiv.", "en")
    assert rel.matched_terms == ["Peace talks", "Kyiv"]
    assert rel.relevant


def test_group_without_the_article_language_uses_its_other_languages(tmp_path: Path) -> None:
    topic = load_topic(
        write(
            tmp_path,
            'name = "t"\nkeep_all = false\n[terms]\nen = ["Kyiv", "talks"]\n[required.names]\nru = ["Umerov"]\n',
        )
    )
    assert score(topic, None, "Umerov held talks in Kyiv.", "en").relevant
    assert not score(topic, None, "Officials held talks in Kyiv.", "en").relevant


def test_min_score_is_configurable(tmp_path: Path) -> None:
    topic = load_topic(write(tmp_path, 'name = "t"\nkeep_all = false\nmin_score = 3\n[terms]\nen = ["a1", "b2"]\n'))
    assert not score(topic, None, "a1 b2", "en").relevant
    assert score(topic, "a1", "b2", "en").relevant


# --- the default topic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        ("en", "Second round ends", "Kremlin aide Medinsky handed Ukraine's team a memorandum in Istanbul."),
        ("ru", "Итоги встречи", "Российская делегация во главе с Мединским передала украинской стороне меморандум."),
        ("uk", "Підсумки зустрічі", "Умєров заявив, що Україна отримала від російської делегації меморандум."),
        ("tr", "Görüşme sona erdi", "Rus heyeti Ukrayna heyetine Dolmabahçe'de mutabakat taslağını sundu."),
    ],
)
def test_default_topic_keeps_talks_coverage(default: Topic, language: str, title: str, text: str) -> None:
    assert score(default, title, text, language).relevant


@pytest.mark.parametrize(
    ("language", "title", "text"),
    [
        ("en", "Putin and Xi hold talks in Beijing", "Russia and China signed a gas memorandum."),
        ("en", "Galatasaray win Istanbul derby", "Fans celebrated across Istanbul until dawn."),
        ("ru", "Удар по Киеву", "Российские ракеты попали в жилые дома, Зеленский призвал усилить ПВО."),
        ("tr", "Gazze'de ateşkes görüşmeleri", "Trump, Katar ve Mısır'ın arabuluculuğundaki müzakereleri övdü."),
    ],
)
def test_default_topic_drops_hard_off_topic(default: Topic, language: str, title: str, text: str) -> None:
    assert not score(default, title, text, language).relevant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Turkey mediated the exchange.", ["mediated"]),
        ("Qatar is mediating.", ["mediating"]),
        ("The mediators met.", ["mediators"]),
        ("They asked for mediation.", ["mediation"]),
        ("Will Ankara mediate?", ["mediate"]),
    ],
)
def test_default_topic_matches_english_mediation_words(default: Topic, text: str, expected: list[str]) -> None:
    assert score(default, None, text, "en").matched_terms == expected


@pytest.mark.parametrize(
    "text",
    [
        "La couverture médiatique du Kremlin reste prudente, à Kiev aussi.",  # French: of the media
        "Die Mediatheken zeigen Berichte aus Moskau und Kiew.",  # German: the broadcasters' video libraries
        "Las redes mediáticas de Moscú hablan de Ucrania.",  # Spanish: of the media
    ],
)
def test_default_topic_media_words_of_other_languages_are_not_mediation(default: Topic, text: str) -> None:
    """A page in a language with no list tries every list: "médiatique" must not pass for a talks word."""
    rel = score(default, None, text, None)
    assert "mediation" not in rel.concepts
    assert not rel.relevant


# --- loading -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('keep_all = false\n[terms]\nen = ["a"]\n', "'name'"),
        ('name = "t"\nkeep_all = "no"\n[terms]\nen = ["a"]\n', "'keep_all'"),
        ('name = "t"\nkeep_all = false\n', "terms"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = "talks"\n', "terms.en"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["ok", ""]\n', "terms.en"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["*"]\n', "terms.en"),
        ('name = "t"\nkeep_all = false\nmin_score = -1\n[terms]\nen = ["a"]\n', "'min_score'"),
        ('name = "t"\nkeep_all = false\nrequired = 3\n[terms]\nen = ["a"]\n', "'required'"),
        ('name = "t"\nkeep_all = false\nfoo = 1\n[terms]\nen = ["a"]\n', "unknown key"),
        ('name = "t"\nkeep_all = \n', "not valid TOML"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[concepts]\nx = ["b"]\n', "not one of the topic"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[concepts]\nx = "a"\n', "concepts.x"),
        ('name = "t"\nkeep_all = false\n[terms]\nen = ["a"]\n[concepts]\nx = ["a"]\ny = ["A"]\n', "two concepts"),
    ],
)
def test_bad_topic_files_raise_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_topic(write(tmp_path, body))


def test_missing_topic_file_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_topic(tmp_path / "nope.toml")


def test_concepts_name_the_same_idea_across_languages(tmp_path: Path) -> None:
    topic = load_topic(DEFAULT_TOPIC)
    en = score(topic, "Ceasefire talks in Istanbul", "Russia and Ukraine discussed a truce.", "en")
    ru = score(topic, "Перемирие обсудили в Стамбуле", "Переговоры России и Украины.", "ru")
    tr = score(topic, "İstanbul'da ateşkes görüşmesi", "Rusya ve Ukrayna müzakere etti.", "tr")
    for r in (en, ru, tr):
        assert {"ceasefire", "Istanbul", "negotiations", "Russia", "Ukraine"} <= set(r.concepts), r.concepts
    # a matched term in no concept counts under its own name
    bare = load_topic(write(tmp_path, 'name = "t"\nkeep_all = true\n[terms]\nen = ["ceasefire*"]\n'))
    assert score(bare, "Ceasefire now", "", "en").concepts == ["ceasefire"]


def test_topic_terms_keep_the_spelling_the_topic_gives(tmp_path: Path) -> None:
    """A matched term in no concept was stored folded ("medinsky", "istanbul"): it keeps the topic's spelling,
    however the article wrote it; matching stays case- and accent-insensitive."""
    topic = load_topic(write(tmp_path, 'name = "t"\nkeep_all = false\n[terms]\n'
                                       'en = ["Medinsky", "Istanbul", "Prisoner exchange*"]\n'
                                       'tr = ["İstanbul*", "Medinsky"]\n'))
    r = score(topic, "MEDINSKY in istanbul", "A prisoner exchanges deal.", "en")
    assert r.relevant and r.concepts == ["Medinsky", "Istanbul", "Prisoner exchange"], r.concepts
    # a page without a list of its own language is matched against every list: the first spelling wins
    assert score(topic, "medinsky", "", None).concepts == ["Medinsky"]


def test_folded_positions_point_back_to_the_written_characters() -> None:
    """The sparse position map (`_SourcePositions`) says what a per-character list would: random texts mixing
    characters that fold to one, to several (ß, ligatures, Roman numerals) and to none (soft hyphen, accents)."""
    import random

    from pipelines.relevance import _fold_char, _normalize_with_map

    rng = random.Random(7)
    alphabet = list("ab c-]^\\[ßŒﬁ\u00ad\u0301éÅǅⅫ㎏İ")
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        expected_text, expected_index = "", []
        for pos, ch in enumerate(text):
            folded = _fold_char(ch)
            expected_text += folded
            expected_index += [pos] * len(folded)
        folded, index = _normalize_with_map(text)
        assert folded == expected_text
        got = list(range(len(folded))) if index is None else [index[i] for i in range(len(folded))]
        assert got == expected_index, text


def test_a_match_after_folded_characters_quotes_the_article_spelling() -> None:
    """Characters before the match fold to two (ß) or to none (soft hyphen): the quoted spelling is still the
    article's own, found through the position map."""
    topic = Topic(name="t", keep_all=False, terms={"de": ["Friedensgespräche"]}, min_score=1.0)
    result = score(topic, None, "Die Straße, das Maß und ein Stra\u00adße: Friedensgespräche in Istanbul.", "de")
    assert result.relevant
    assert result.matched_terms == ["Friedensgespräche"]
    result = score(topic, None, "Grü\u00adße aus der Stra\u00dfe: FRIEDENSGESPRÄCHE beginnen.", "de")
    assert result.matched_terms == ["FRIEDENSGESPRÄCHE"]
