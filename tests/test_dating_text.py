"""Written and machine dates: localized month names with their cases, numeric forms, ISO/RFC strings."""

from datetime import datetime, timedelta, timezone

import pytest

from pipelines.dating.text import find_written_dates, find_yearless_dates, parse_date_value

MSK = timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        # English
        ("Published May 28, 2025", datetime(2025, 5, 28), "day"),
        ("Posted 2:05 pm May 28th, 2025", datetime(2025, 5, 28, 14, 5), "time"),
        ("28 May 2025 at 09:30", datetime(2025, 5, 28, 9, 30), "time"),
        # Russian: genitive case
        ("29 мая 2025", datetime(2025, 5, 29), "day"),
        ("14:05, 29 мая 2025", datetime(2025, 5, 29, 14, 5), "time"),
        ("2 июня 2025 г., 16:20", datetime(2025, 6, 2, 16, 20), "time"),
        ("16 декабря 2024 года", datetime(2024, 12, 16), "day"),
        # Ukrainian: genitive case
        ("29 травня 2025", datetime(2025, 5, 29), "day"),
        ("2 червня 2025 р., 10:15", datetime(2025, 6, 2, 10, 15), "time"),
        ("11 листопада 2024", datetime(2024, 11, 11), "day"),
        # Turkish, with the dotless i and in capitals
        ("29 Mayıs 2025", datetime(2025, 5, 29), "day"),
        ("Mayıs 29, 2025 - 20:36", datetime(2025, 5, 29, 20, 36), "time"),
        ("02 HAZİRAN 2025 PAZARTESİ", datetime(2025, 6, 2), "day"),
        ("16 Ağustos 2024", datetime(2024, 8, 16), "day"),
        # German
        ("29. Mai 2025, 14:05 Uhr", datetime(2025, 5, 29, 14, 5), "time"),
        ("3. März 2025", datetime(2025, 3, 3), "day"),
        # French
        ("le 29 mai 2025 à 14h05", datetime(2025, 5, 29, 14, 5), "time"),
        ("1er février 2025", datetime(2025, 2, 1), "day"),
        ("17 août 2024", datetime(2024, 8, 17), "day"),
        # Spanish
        ("29 de mayo de 2025", datetime(2025, 5, 29), "day"),
        ("2 de junio de 2025 a las 18:40", datetime(2025, 6, 2, 18, 40), "time"),
        # numeric
        ("28.05.2025 14:05", datetime(2025, 5, 28, 14, 5), "time"),
        ("Updated: 2025-06-02 09:00", datetime(2025, 6, 2, 9, 0), "time"),
    ],
)
def test_written_dates_in_each_language(text, expected, precision):
    found = find_written_dates(text)
    assert found, text
    assert found[0].value == expected
    assert found[0].precision == precision


def test_written_date_keeps_a_written_offset():
    found = find_written_dates("29 Mayıs 2025 - 10:43 +03:00")
    assert found[0].value == datetime(2025, 5, 29, 10, 43, tzinfo=MSK)


def test_slash_dates_follow_the_language_and_are_marked_ambiguous():
    english = find_written_dates("05/06/2025", language="en")[0]
    french = find_written_dates("05/06/2025", language="fr")[0]
    assert english.value == datetime(2025, 5, 6)
    assert french.value == datetime(2025, 6, 5)
    assert english.ambiguous and french.ambiguous
    clear = find_written_dates("25/06/2025", language="en")[0]
    assert clear.value == datetime(2025, 6, 25)
    assert not clear.ambiguous


def test_a_us_time_zone_after_an_english_slash_date_settles_it_month_first():
    """Sweep 6: "06/02/2025 2:05 PM EDT" was ambiguous, lost to a day-first reading and stored as 6 February."""
    (us,) = find_written_dates("By Jane Doe | 06/02/2025 2:05 PM EDT", "en")
    assert (us.value, us.ambiguous) == (datetime(2025, 6, 2, 14, 5), False)
    (plain,) = find_written_dates("By Jane Doe | 06/02/2025 2:05 PM", "en")
    assert plain.ambiguous  # without the zone it stays a question
    (french,) = find_written_dates("Publié le 06/02/2025 14:05 et mis à jour", "fr")
    assert french.value == datetime(2025, 2, 6, 14, 5) and french.ambiguous  # "et" is a word, not a zone


def test_no_false_dates_in_plain_numbers_and_words():
    assert find_written_dates("Room 12 may hold 2025 people") == []
    assert find_written_dates("1,000 to 1,000 prisoners; 30-day ceasefire") == []
    assert find_written_dates("32 May 2025") == []  # not a calendar day


def test_several_dates_in_reading_order():
    found = find_written_dates("Created 1 June 2025, updated 3 June 2025 10:00")
    assert [f.value.date().isoformat() for f in found] == ["2025-06-01", "2025-06-03"]


@pytest.mark.parametrize(
    "raw, expected, precision",
    [
        ("2025-05-29T14:05:00+03:00", datetime(2025, 5, 29, 14, 5, tzinfo=MSK), "time"),
        ("2025-05-29T11:05:00.000Z", datetime(2025, 5, 29, 11, 5, tzinfo=timezone.utc), "time"),
        ("2025-05-29T23:15:0Z", datetime(2025, 5, 29, 23, 15, tzinfo=timezone.utc), "time"),
        ("2025-05-29 14:05", datetime(2025, 5, 29, 14, 5), "time"),
        ("2025-05-29", datetime(2025, 5, 29), "day"),
        ("20250529", datetime(2025, 5, 29), "day"),
        ("Thu, 29 May 2025 09:00:00 GMT", datetime(2025, 5, 29, 9, 0, tzinfo=timezone.utc), "time"),
        ("Thu, 29 May 2025 17:36:00 +0300", datetime(2025, 5, 29, 17, 36, tzinfo=MSK), "time"),
        ("1748527200", datetime(2025, 5, 29, 14, 0, tzinfo=timezone.utc), "time"),
        ("29 мая 2025", datetime(2025, 5, 29), "day"),
    ],
)
def test_machine_date_values(raw, expected, precision):
    found = parse_date_value(raw)
    assert found is not None
    assert found.value == expected
    assert found.precision == precision


@pytest.mark.parametrize("raw", ["", "   ", "yesterday", "2025-13-45", "n/a", "x" * 500])
def test_unreadable_values_give_none(raw):
    assert parse_date_value(raw) is None


def test_iso_day_with_a_bar_and_a_french_clock():
    # some CMS write "date|time" with the French "h": 2025-05-30|00h23
    found = parse_date_value("2025-05-30|00h23")
    assert found is not None
    assert (found.value, found.precision) == (datetime(2025, 5, 30, 0, 23), "time")
    assert parse_date_value("2025-05-30 14h05").value == datetime(2025, 5, 30, 14, 5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("29 мая, 14:05", (5, 29, 14, 5)),
        ("29 травня о 14:05", (5, 29, 14, 5)),
        ("14:05, 29 мая", (5, 29, 14, 5)),
        ("May 29 at 2:05 pm", (5, 29, 14, 5)),
        ("29. Mai, 14:05 Uhr", (5, 29, 14, 5)),
    ],
)
def test_yearless_dates_with_a_clock(text, expected):
    found = find_yearless_dates(text)
    assert [(d.month, d.day, d.hour, d.minute) for d in found] == [expected]


@pytest.mark.parametrize("text", ["29 мая 2025, 14:05", "On 16 May the talks began", "29 мая",
                                  "Publié le 27 Mar 20 à 9:21"])
def test_no_yearless_date_without_a_clock_or_with_a_year(text):
    assert find_yearless_dates(text) == []


def test_a_feed_date_in_year_one_is_no_date_not_2001():
    """Go's zero time, 'Mon, 01 Jan 0001 00:00:00 GMT', is common in feeds; the email parser read it as 2001."""
    from pipelines.dating.text import parse_date_value

    assert parse_date_value("Mon, 01 Jan 0001 00:00:00 GMT", None) is None
    assert parse_date_value("Thu, 29 May 25 11:00:00 +0300", None).value.isoformat() == "2025-05-29T11:00:00+03:00"
    assert parse_date_value("Mon, 01 Jan 1999 00:00:00 GMT", None).value.year == 1999


def test_a_page_of_thousands_of_written_days_is_read_in_linear_time() -> None:
    """Every match was checked against every span already taken: a paragraph of 8,000 "29 мая" took 8 s of a
    page worker, 30,000 more than the page deadline, which gave the page up. The same dates are found."""
    import time

    from pipelines.dating.text import find_yearless_dates

    started = time.process_time()
    assert find_yearless_dates("29 мая " * 40_000, "ru") == []  # no clock time: no byline date
    found = find_yearless_dates("29 мая, 14:05 " * 20_000, "ru")
    assert time.process_time() - started < 10  # it was minutes
    assert len(found) == 20_000 and {(d.month, d.day, d.hour, d.minute) for d in found} == {(5, 29, 14, 5)}
    # a two-digit year is not taken for a day and a time, however the spans were met
    assert [(d.month, d.day) for d in find_yearless_dates("27 mar 20 à 9:21 et 3 avr. à 10:15", "fr")] == [(4, 3)]
