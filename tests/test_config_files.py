"""The shipped configuration files load and hold what the project needs: real sources and the default topic."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipelines.relevance import load_topic, score

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "config" / "sources.toml"
TOPIC = ROOT / "config" / "topic.toml"
LANGUAGES = {"en", "ru", "uk", "tr"}


@pytest.fixture(scope="module")
def raw_sources() -> list[dict]:
    with open(SOURCES, "rb") as fh:
        return tomllib.load(fh)["source"]


def test_sources_file_has_enough_sources_in_every_language(raw_sources: list[dict]) -> None:
    assert len(raw_sources) >= 12
    languages = [s["language"] for s in raw_sources]
    assert set(languages) == LANGUAGES
    for lang in LANGUAGES:
        assert languages.count(lang) >= 2, lang


def test_source_names_are_unique_ids(raw_sources: list[dict]) -> None:
    names = [s["name"] for s in raw_sources]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names), names


def test_every_source_has_a_listing_and_only_https_urls(raw_sources: list[dict]) -> None:
    for src in raw_sources:
        feeds, sitemaps = src.get("feeds", []), src.get("sitemaps", [])
        assert feeds or sitemaps, src["name"]
        for url in feeds + sitemaps:
            parts = urlsplit(url)
            assert parts.scheme == "https" and parts.hostname, (src["name"], url)


def test_source_keys_are_documented_ones(raw_sources: list[dict]) -> None:
    allowed = {"name", "language", "feeds", "sitemaps", "allowed_domains", "enabled", "max_pages", "timezone",
               "country", "group"}
    lines = SOURCES.read_text(encoding="utf-8").splitlines()
    header = "\n".join(lines[: lines.index("[[source]]")])
    for src in raw_sources:
        assert set(src) <= allowed, src["name"]
    for key in allowed:
        assert key in header, f"{key} is not documented in the header comment"


def test_sources_load_with_the_spider_loader() -> None:
    sources_mod = pytest.importorskip("spiders.sources")
    sources = sources_mod.load_sources(SOURCES)
    assert len(sources) >= 12
    by_name = {s.name: s for s in sources}
    # BBC articles live on www.bbc.com, not on the feed host
    assert "bbc.com" in by_name["bbc_ru"].allowed_domains
    for src in sources:
        assert src.allowed_domains, src.name
    # the newsrooms of the three languages of the talks, for times their pages write without an offset
    assert (by_name["tass_ru"].timezone, by_name["pravda_ua"].timezone, by_name["hurriyet"].timezone) == (
        "Europe/Moscow", "Europe/Kyiv", "Europe/Istanbul")


def test_a_timezone_that_is_no_iana_zone_is_a_config_error() -> None:
    sources_mod = pytest.importorskip("spiders.sources")
    base = {"name": "alpha", "language": "en", "feeds": ["https://alpha.example/rss"]}
    assert sources_mod.parse_source({**base, "timezone": " Europe/Kyiv "}, 0).timezone == "Europe/Kyiv"
    assert sources_mod.parse_source(base, 0).timezone is None
    for bad in ("Europe/Atlantis", "+03:00", "", 3):
        with pytest.raises(ValueError, match="alpha.*timezone"):
            sources_mod.parse_source({**base, "timezone": bad}, 0)


def test_country_and_group_are_validated() -> None:
    sources_mod = pytest.importorskip("spiders.sources")
    base = {"name": "alpha", "language": "en", "feeds": ["https://alpha.example/rss"]}
    src = sources_mod.parse_source({**base, "country": " ua ", "group": " ukrainian "}, 0)
    assert (src.country, src.group) == ("UA", "ukrainian")
    assert sources_mod.parse_source(base, 0).country is None
    for key, bad in (("country", "XX"), ("country", "Ukraine"), ("country", ""), ("country", 7),
                     ("group", ""), ("group", "a;b"), ("group", "x" * 65), ("group", ["ukrainian"])):
        with pytest.raises(ValueError, match=f"alpha.*{key}"):
            sources_mod.parse_source({**base, key: bad}, 0)


def test_topic_file_loads_with_all_four_languages() -> None:
    topic = load_topic(TOPIC)
    assert topic.name and topic.keep_all is False
    assert set(topic.terms) >= LANGUAGES
    assert topic.required, "the default topic keeps its context groups"
    for group, by_lang in topic.required.items():
        assert set(by_lang) >= LANGUAGES, group


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Medinsky", "Umerov", "Zelenskyy", "Erdoğan", "Witkoff", "Dolmabahçe", "ceasefire", "memorandum"]),
        ("ru", ["Мединский", "Мединского", "переговоров", "переговорах", "перемирия", "Стамбуле", "делегацией"]),
        ("uk", ["Мединський", "Умєрова", "перемовин", "перемовинах", "Стамбулі", "перемир'я", "делегації"]),
        ("tr", ["Medinski", "müzakereler", "müzakerelerin", "görüşmeler", "İstanbul'da", "Çırağan", "ateşkes"]),
    ],
)
def test_topic_terms_cover_names_and_inflected_talk_words(language: str, words: list[str]) -> None:
    topic = load_topic(TOPIC)
    for word in words:
        assert score(topic, None, word, language).matched_terms == [word], (language, word)


def test_every_shipped_source_has_a_side(raw_sources: list[dict]) -> None:
    """The report splits every chart by group and country: a shipped outlet without them would be 'unknown'."""
    for src in raw_sources:
        assert src.get("country") and src.get("group"), src["name"]


def test_a_byte_order_mark_before_a_config_file_is_not_part_of_it(tmp_path: Path) -> None:
    """Some Windows editors save UTF-8 with a BOM first; tomllib calls that an 'Invalid statement' at line 1."""
    from spiders.sources import load_sources

    sources = tmp_path / "sources.toml"
    sources.write_bytes(b"\xef\xbb\xbf" + SOURCES.read_bytes())
    assert [s.name for s in load_sources(sources)] == [s.name for s in load_sources(SOURCES)]
    topic = tmp_path / "topic.toml"
    topic.write_bytes(b"\xef\xbb\xbf" + TOPIC.read_bytes())
    assert load_topic(topic).terms == load_topic(TOPIC).terms
