"""Each residue rule removes its furniture and leaves real sentences that use the same words alone."""

from __future__ import annotations

import pytest

from pipelines.cleaning.residue import RULES, fragment_runs, match_rule, remove_residue

REAL = "The delegations met for three hours and agreed to exchange written proposals before the next round."


def _dropped_rules(lines: list[str], title: str | None = None) -> list[str]:
    _, dropped = remove_residue(lines, title=title)
    return [name for name, _ in dropped]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("back to top", "back-to-top"),
        ("Наверх", "back-to-top"),
        ("Başa dön", "back-to-top"),
        (" 0  0", "counter"),
        ("12 | 4", "counter"),
        ("(113)", "counter"),
        ("Advertisement", "advertisement"),
        ("- Реклама -", "advertisement"),
        ("Реклама", "advertisement"),
        ("Reklam", "advertisement"),
        ("Читайте также:", "read-more-label"),
        ("Читайте також", "read-more-label"),
        ("Devamını oku", "read-more-label"),
        ("Read more", "read-more-label"),
        ("READ MORE: Ceasefire monitors named by mediators", "read-more-inline"),
        ("Related article: Mediators say the plan needs more time", "read-more-inline"),
        ("Читайте также: Песков прокомментировал подготовку меморандума", "read-more-inline"),
        ("Also on rt.com Journalists threatened with arrest in the capital", "also-on"),
        ("Ukrainian Foreign Ministry via AFP", "photo-credit"),
        ("Photo: Reuters", "photo-credit"),
        ("Фото: EPA", "photo-credit"),
        ("Delegates meet in Istanbul on May 16. Foreign Ministry via AFP", ("photo-credit", "caption-with-credit")),
        ("The two delegations shake hands before the opening session of the talks in the palace hall on Friday "
         "afternoon. Photo: Anadolu Agency", "caption-with-credit"),
        ("Sign up for our morning newsletter", "newsletter"),
        ("Get the day's top headlines delivered to your inbox every morning.", "newsletter"),
        ("Подписывайтесь на наш Telegram-канал", "newsletter"),
        ("We use cookies to improve your experience on our site.", "cookie-prompt"),
        ("Accept all cookies", "cookie-button"),
        ("Follow us on Twitter and Facebook", "follow-us"),
        ("Click here to get the app", "click-here"),
        ("Write to the reporter at reporter@harbor.example", "contact-email"),
        ("https://harbor.example/world/2025/05/29/delegations-istanbul", "bare-url"),
        ("Copyright © 2025 Harbor Gazette. All rights reserved.", "copyright"),
        ("Like this story? Share it with a friend!", "share-and-comments"),
        ("View Comments", "share-and-comments"),
        ("Поделиться", "share-and-comments"),
        ("***", "punctuation-only"),
        ("- Order Reprints", "share-and-comments"),
        ("Tags:", "share-and-comments"),
        ("Listen: https://pod.example/ep/615", "bare-url"),
        ("There was an error processing your subscription.", "widget-message"),
        ("This copy is for your personal, non-commercial use only.", "legal-notice"),
        ("Полное или частичное копирование материалов запрещено.", "legal-notice"),
    ],
)
def test_each_rule_removes_its_line(line: str, rule: str | tuple[str, ...]) -> None:
    kept, dropped = remove_residue([REAL, line, REAL])
    assert kept == [REAL, REAL]
    assert dropped[0][1] == line
    assert dropped[0][0] in ((rule,) if isinstance(rule, str) else rule)


def test_every_rule_in_the_table_is_exercised() -> None:
    names = {r.name for r in RULES}
    # rules covered by the parametrized test above or by the dedicated tests below
    covered = {
        "back-to-top", "counter", "advertisement", "read-more-label", "read-more-inline", "also-on", "photo-credit",
        "photo-label", "caption-with-credit", "newsletter", "delivered-to-inbox", "cookie-prompt", "cookie-button",
        "follow-us", "click-here", "contact-email", "bare-url", "copyright", "share-and-comments", "punctuation-only",
        "weather-widget", "byline", "date-line", "time-update-line", "widget-message", "legal-notice",
    }
    assert names <= covered, names - covered


def test_photo_label_and_inbox_rules() -> None:
    assert match_rule("Фото: пресс-служба МИД").name in ("photo-credit", "photo-label")
    assert match_rule("Photo by Jane Roe").name == "photo-label"
    assert match_rule("Breaking news alerts delivered straight to your inbox").name in ("newsletter", "delivered-to-inbox")
    assert match_rule("All the best stories delivered to your inbox").name == "delivered-to-inbox"


def test_weather_widget_takes_its_place_name() -> None:
    kept, dropped = remove_residue(["8.7 C", "Europe", REAL])
    assert kept == [REAL]
    assert [n for n, _ in dropped] == ["weather-widget", "weather-widget-tail"]


def test_read_more_card_with_outlet_and_headline() -> None:
    lines = [REAL, "Read more", "RT", "Work on Russian peace proposal to Ukraine ‘in final stage’ – Kremlin", REAL]
    kept, dropped = remove_residue(lines)
    assert kept == [REAL, REAL]
    assert len(dropped) == 3


def test_read_more_card_with_caption_and_headline() -> None:
    lines = [
        REAL,
        "Read more",
        "The minister speaks to reporters in the capital on May 21, 2025.",
        "Minister briefs counterpart on the negotiations",
        "Her comments came after the aide denied claims that Moscow is stalling the peace process.",
    ]
    kept, _ = remove_residue(lines)
    assert kept == [REAL, lines[-1]]


def test_read_more_label_alone_does_not_swallow_prose() -> None:
    after = "Her comments came after the aide denied claims that Moscow is stalling the peace process."
    kept, _ = remove_residue([REAL, "Read more", after, REAL])
    assert kept == [REAL, after, REAL]


def test_byline_and_today_date_only_near_the_edges() -> None:
    body = ["Wednesday, September 24, 2025", "By Harbor Staff", REAL] + [REAL] * 8
    kept, dropped = remove_residue(body)
    assert [n for n, _ in dropped] == ["date-line", "byline"]
    assert len(kept) == 9
    assert match_rule("Mayıs 29, 2025 - 20:36").name == "date-line"
    assert match_rule("29 мая 2025, 20:36").name == "date-line"
    assert match_rule("Published 18 November 2019").name == "date-line"
    assert match_rule("segunda-feira, 22 de janeiro de 2018 às 0:13").name == "date-line"
    assert match_rule("Updated at 1:23 p.m.").name == "time-update-line"


def test_repeated_title_at_start_is_removed_but_not_later() -> None:
    title = "Delegations agree to meet again in Istanbul"
    kept, dropped = remove_residue([title, REAL, REAL, REAL, title], title=title)
    assert kept == [REAL, REAL, REAL, title]
    assert dropped == [("repeated-title", title)]


def test_title_variants_count_as_the_title() -> None:
    kept, dropped = remove_residue(
        ["Hunter diagnosed with plague after eating a rabbit", REAL], title="Hunter diagnosed with plague",
        title_variants=["Hunter diagnosed with plague after eating a rabbit"],
    )
    assert kept == [REAL]
    assert dropped[0][0] == "repeated-title"


def test_menu_runs_are_removed_short_lists_are_not() -> None:
    menu = ["Home", "World", "Europe", "Business", "Sport", "Culture", "Opinion", "Video", "Podcasts"]
    assert fragment_runs(menu + [REAL]) == set(range(len(menu)))
    kept, _ = remove_residue([REAL, "Key points", "Ceasefire", "Prisoners", REAL])
    assert kept == [REAL, "Key points", "Ceasefire", "Prisoners", REAL]


@pytest.mark.parametrize(
    "sentence",
    [
        "Read more about the talks in our explainer, which was published on Monday.",
        "Lavrov said Russia would read more closely the Ukrainian memorandum before the next round.",
        "Реклама на российском телевидении подорожала на 20% в 2025 году, сообщили аналитики.",
        "Читайте также заявление МИД, опубликованное в среду, в котором говорится о переговорах.",
        "Читайте також заяву МЗС, оприлюднену в середу, у якій ідеться про переговори.",
        "Bakan, Devamını oku düğmesine basmadan önce açıklamanın tamamını okumuştu.",
        "The photo was released by AFP on Monday and shows the delegations meeting in Istanbul.",
        "By contrast, the Ukrainian delegation arrived in Istanbul late on Sunday night.",
        "Advertisement revenue fell sharply after the war began, the company said.",
        "The regulator said it would not accept cookies set without consent after the new rules.",
        "On May 16, talks between Ukraine and Russia were held in Istanbul.",
        "Reuters reported that the sides agreed to a prisoner exchange.",
        "Subscribers to the ministry's newsletter received the statement first, the spokesman said.",
        "The delegation will follow the talks on Telegram, where the ministry posts updates.",
        "Back to top of the agenda is the question of prisoner exchanges, officials said.",
        "Ukrainian Foreign Ministry spokesman said the document was shared via AFP reporters in Kyiv.",
        "Related talks on grain exports will take place in Istanbul next month, diplomats said.",
        "Tags on the luggage showed the delegation had flown in from Moscow overnight.",
        "The error has occurred twice before, the ministry admitted in a statement on Friday.",
        "Thank you, Mr. President, the minister replied as the session opened.",
    ],
)
def test_real_sentences_survive(sentence: str) -> None:
    kept, dropped = remove_residue([REAL, sentence, REAL])
    assert kept == [REAL, sentence, REAL], dropped


def test_a_giant_line_is_never_residue_and_is_not_matched_at_all() -> None:
    """A 4 MB paragraph without a space is one "word": its regex match ran for minutes before the length cap (the
    suite's per-test timeout is what would catch the hang)."""
    from pipelines.cleaning.residue import LINE_MAX_CHARS, match_rule

    assert match_rule("x" * 4_000_000) is None
    assert match_rule("Advertisement " + "x" * LINE_MAX_CHARS) is None
    assert match_rule("Advertisement") is not None
