"""The readers of typed answers: tables per function and Problem, plus fuzzing.

Each reader lives with its kind of answer (``conversations/kinds/``) or, for dates and plain
text, in ``conversations/dates.py`` and ``conversations/text.py``."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.dates import date_example, format_date, parse_birth_date, parse_date
from conversations.kinds.country import country_name, parse_country
from conversations.kinds.email import parse_email
from conversations.kinds.name import MAX_NAME_LENGTH, parse_name
from conversations.kinds.number import format_integer, parse_integer
from conversations.kinds.phone import parse_phone
from conversations.text import MAX_TEXT_LENGTH, InvalidAnswer, Problem, clean_text
from tests.fuzzing import examples

LOCALES = ["en", "de", "de_AT", "fr", "pl", "uk", "pt_BR", "en_GB"]
WIDE = date(1900, 1, 1), date(2100, 12, 31)
TODAY = date(2025, 6, 15)
DEC_31_1990 = date(1990, 12, 31)


def problem_of(call: Callable[[], object]) -> Problem:
    with pytest.raises(InvalidAnswer) as caught:
        call()
    return caught.value.problem


def parse_wide(text: str, locale: str) -> date:
    return parse_date(text, locale, earliest=WIDE[0], latest=WIDE[1])


# --- InvalidAnswer ---------------------------------------------------------------------------


def test_invalid_answer_carries_problem_and_is_a_value_error() -> None:
    error = InvalidAnswer(Problem.BAD_PHONE)
    assert isinstance(error, ValueError)
    assert error.problem is Problem.BAD_PHONE
    assert str(error) == "bad_phone"


def test_problem_values_are_stable_strings() -> None:
    assert {p.value for p in Problem} == {
        "empty",
        "too_long",
        "bad_name",
        "bad_email",
        "bad_phone",
        "bad_date",
        "date_too_early",
        "date_too_late",
        "bad_number",
        "not_whole_number",
        "number_out_of_range",
        "bad_country",
        "not_an_option",
        "not_text",
        "no_such_date",
        "too_young",
        "bad_phone_for_country",
        "email_typo",
        "no_house_number",
        "no_street",
        "no_postcode",
        "no_city",
        "bad_postcode",
        "required",
    }


# --- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Max  ", "Max"),
        ("Anna\nLena", "Anna Lena"),
        ("a\r\n\r\n\tb", "a b"),
        ("a\u00a0\u202f\u2003b", "a b"),
        ("e\u0301", "\u00e9"),  # NFC
        ("Anna\u202eLena", "AnnaLena"),  # RTL override
        ("\u200fMax\u200e", "Max"),  # RTL / LTR marks
        ("Ma\u200bx", "Max"),  # zero-width space
        ("\ufeffMax", "Max"),  # BOM
        ("Ma\u0000x\u0007", "Max"),  # NUL, BEL
        ("a\u2028b\u2029c\u0085d", "a b c d"),  # line/paragraph separators, NEL
        ("a\ud800b", "ab"),  # lone surrogate
        ("e\u200b\u0301", "\u00e9"),  # re-composed after dropping the format char
        ("Zoë 🏋️ ok", "Zoë 🏋️ ok"),
        ("مرحبا", "مرحبا"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "\u200b\u200e\u202e", "\u0000\u0001"])
def test_clean_text_empty(raw: str) -> None:
    assert problem_of(lambda: clean_text(raw)) is Problem.EMPTY


def test_clean_text_length_limits() -> None:
    assert clean_text("x" * MAX_TEXT_LENGTH) == "x" * MAX_TEXT_LENGTH
    assert problem_of(lambda: clean_text("x" * (MAX_TEXT_LENGTH + 1))) is Problem.TOO_LONG
    assert clean_text("  " + "x" * 5 + "\u200b" * 50, max_length=5) == "xxxxx"
    assert problem_of(lambda: clean_text("abcdef", max_length=5)) is Problem.TOO_LONG


# --- names and short text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Max", "Max"),
        ("  Anna-Lena \n Müller ", "Anna-Lena Müller"),
        ("O'Brien", "O'Brien"),
        ("José María", "José María"),
        ("Олена", "Олена"),
        ("李小龍", "李小龍"),
        ("Louis XIV 2nd", "Louis XIV 2nd"),
        ("x" * MAX_NAME_LENGTH, "x" * MAX_NAME_LENGTH),
    ],
)
def test_parse_name(raw: str, expected: str) -> None:
    assert parse_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", Problem.EMPTY),
        ("\u200b ", Problem.EMPTY),
        ("x" * (MAX_NAME_LENGTH + 1), Problem.TOO_LONG),
        ("12345", Problem.BAD_NAME),
        ("+49 151 1234", Problem.BAD_NAME),
        ("🙂🙂", Problem.BAD_NAME),
        ("max@example.com", Problem.BAD_NAME),
        ("https://example.com", Problem.BAD_NAME),
        ("www.example.com", Problem.BAD_NAME),
    ],
)
def test_parse_name_rejects(raw: str, problem: Problem) -> None:
    assert problem_of(lambda: parse_name(raw)) is problem


# --- e-mail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("max@mustermann.de", "max@mustermann.de"),
        ("  Max@Example.COM\n", "Max@example.com"),
        ("anna.lena+gym@studio.co.uk", "anna.lena+gym@studio.co.uk"),
        ("jürgen@müller.de", "jürgen@müller.de"),
        ("max@\u200bmustermann.de", "max@mustermann.de"),
    ],
)
def test_parse_email(raw: str, expected: str) -> None:
    assert parse_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", Problem.EMPTY),
        ("max", Problem.BAD_EMAIL),
        ("max@localhost", Problem.BAD_EMAIL),
        ("max@@x.de", Problem.BAD_EMAIL),
        ("max..m@x.de", Problem.BAD_EMAIL),
        ("max mustermann@x.de", Problem.BAD_EMAIL),
        ("Max <max@x.de>", Problem.BAD_EMAIL),
        ("a" * 400 + "@x.de", Problem.BAD_EMAIL),
    ],
)
def test_parse_email_rejects(raw: str, problem: Problem) -> None:
    assert problem_of(lambda: parse_email(raw)) is problem


# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+49 151 12345678", None, "+4915112345678"),
        ("+49 151 12345678", "US", "+4915112345678"),
        ("0151 12345678", "DE", "+4915112345678"),
        ("0151/123 456 78", "de", "+4915112345678"),
        ("00 49 151 12345678", "DE", "+4915112345678"),
        ("00 49 151 12345678", None, "+4915112345678"),
        ("0049 151 12345678", "US", "+4915112345678"),
        # Telegram contact share: international digits without "+".
        ("4915112345678", "DE", "+4915112345678"),
        ("4915112345678", None, "+4915112345678"),
        ("4915112345678", "US", "+4915112345678"),
        ("436641234567", "DE", "+436641234567"),
        ("48512345678", "PL", "+48512345678"),
        ("0664 1234567", "AT", "+436641234567"),
        ("512 345 678", "PL", "+48512345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("6502530000", "US", "+16502530000"),
        ("16502530000", "US", "+16502530000"),
        ("\u202a+1 650 253 0000\u202c", None, "+16502530000"),
    ],
)
def test_parse_phone(raw: str, region: str | None, expected: str) -> None:
    assert parse_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "country"),
    [
        ("+44 20 1234", "DE", "GB"),
        ("0044 20 1234", None, "GB"),
        ("+49 30 12", "AT", "DE"),
        ("+48 12 34", "PL", "PL"),
    ],
)
def test_a_number_typed_with_its_country_code_is_refused_for_that_country(
    raw: str, region: str | None, country: str
) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        parse_phone(raw, region)
    assert refused.value.problem is Problem.BAD_PHONE_FOR_COUNTRY
    assert refused.value.detail == country


@pytest.mark.parametrize(
    ("raw", "region", "problem"),
    [
        ("", "DE", Problem.EMPTY),
        ("0151 12345678", None, Problem.BAD_PHONE),  # national number, no region
        ("12", "DE", Problem.BAD_PHONE),
        ("+49 1", None, Problem.BAD_PHONE),
        ("call me", "DE", Problem.BAD_PHONE),
        ("+", "DE", Problem.BAD_PHONE),
        ("0151 12345678", "not-a-region", Problem.BAD_PHONE),
        ("1" * 300, "DE", Problem.BAD_PHONE),
    ],
)
def test_parse_phone_rejects(raw: str, region: str | None, problem: Problem) -> None:
    assert problem_of(lambda: parse_phone(raw, region)) is problem


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("31.12.1990", "de", DEC_31_1990),
        ("31.12.1990", "de_AT", DEC_31_1990),
        ("31.12.1990.", "de", DEC_31_1990),
        ("31. 12. 1990", "de", DEC_31_1990),
        ("1.2.1990", "de", date(1990, 2, 1)),
        ("01.02.1990", "de", date(1990, 2, 1)),
        ("12/31/1990", "en", DEC_31_1990),
        ("2/1/1990", "en", date(1990, 2, 1)),
        ("31/12/1990", "en_GB", DEC_31_1990),
        ("1/2/1990", "en_GB", date(1990, 2, 1)),
        ("31/12/1990", "fr", DEC_31_1990),
        ("31/12/1990", "pt_BR", DEC_31_1990),
        ("31.12.1990", "pl", DEC_31_1990),
        ("31.12.1990", "uk", DEC_31_1990),
        ("31-12-1990", "de", DEC_31_1990),
        ("31 12 1990", "de", DEC_31_1990),
        ("31.12.1990 \u0440.", "uk", DEC_31_1990),
        ("1990/12/31", "ja", DEC_31_1990),
        ("1990. 12. 31.", "ko", DEC_31_1990),
        ("1990年12月31日", "zh", DEC_31_1990),
        ("٣١/١٢/١٩٩٠", "ar", DEC_31_1990),
        ("29.02.2000", "de", date(2000, 2, 29)),
        # Month names, in the locale and in English.
        ("31 December 1990", "de", DEC_31_1990),
        ("31. Dezember 1990", "de", DEC_31_1990),
        ("31. Jänner 1990", "de_AT", date(1990, 1, 31)),
        ("Dec 31, 1990", "en", DEC_31_1990),
        ("December 31st, 1990", "en", DEC_31_1990),
        ("31 Dec 1990", "en_GB", DEC_31_1990),
        ("31 déc. 1990", "fr", DEC_31_1990),
        ("31 decembre 1990", "fr", DEC_31_1990),
        ("31 grudnia 1990", "pl", DEC_31_1990),
        ("31 грудня 1990 \u0440.", "uk", DEC_31_1990),
        ("31 de dezembro de 1990", "pt_BR", DEC_31_1990),
        ("1990-Dec-31", "de", DEC_31_1990),
        ("31 DEZEM 1990", "de", DEC_31_1990),  # unique prefix of a month name
    ],
)
def test_parse_date(raw: str, locale: str, expected: date) -> None:
    assert parse_wide(raw, locale) == expected


@pytest.mark.parametrize("locale", [*LOCALES, "ja", "ko", "zh", "hu", "en_CA", "ar", "bg"])
@pytest.mark.parametrize("raw", ["1990-12-31", "1990/12/31", "1990.12.31", " 1990-12-31 "])
def test_parse_date_accepts_iso_everywhere(raw: str, locale: str) -> None:
    assert parse_wide(raw, locale) == DEC_31_1990


@pytest.mark.parametrize(
    ("raw", "locale"),
    [
        ("12.31.1990", "de"),  # month 31: never swapped into 31 December
        ("31/12/1990", "en"),
        ("12/31/1990", "en_GB"),
        ("31/12/1990", "ja"),
        ("00.01.1990", "de"),
        ("1.13.1990", "de"),
        ("1990-13-01", "de"),
        ("0000-01-01", "de"),
        ("31.12.199", "de"),  # three-digit year
        ("31.12.1", "de"),
        ("31.12.19900", "de"),
        ("123.12.1990", "de"),
        ("31.12", "de"),
        ("31.12.1990.5", "de"),
        ("31x12x1990", "de"),
        ("12:30:45", "de"),
        ("tomorrow", "en"),
        ("31 Smarch 1990", "en"),
        ("31 jui 1990", "fr"),  # juin or juillet
        ("31 Dec Jan 1990", "en"),
        ("Dec 1990", "en"),
        ("-", "de"),
        ("1" * 90, "de"),
        ("1.1." * 30 + "1990", "de"),  # over the length limit
        ("31.12.90", "de"),  # two-digit year: 1990 and 2090 both fit the wide bounds
    ],
)
def test_parse_date_bad(raw: str, locale: str) -> None:
    assert problem_of(lambda: parse_wide(raw, locale)) is Problem.BAD_DATE


@pytest.mark.parametrize(
    ("raw", "locale"),
    [
        ("31.02.1990", "de"),
        ("29.02.1990", "de"),
        ("1990-02-30", "en"),
        ("31/04/1990", "en_GB"),
        ("2/30/1990", "en"),
        ("30.2.90", "de"),  # no century has a 30 February
    ],
)
def test_a_day_the_month_does_not_have_is_named_as_such(raw: str, locale: str) -> None:
    assert problem_of(lambda: parse_wide(raw, locale)) is Problem.NO_SUCH_DATE


def test_parse_date_empty() -> None:
    assert problem_of(lambda: parse_wide(" \u200b", "de")) is Problem.EMPTY


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("31.12.2019", Problem.DATE_TOO_EARLY),
        ("01.01.2021", Problem.DATE_TOO_LATE),
        ("2021-01-01", Problem.DATE_TOO_LATE),
    ],
)
def test_parse_date_bounds(raw: str, problem: Problem) -> None:
    earliest, latest = date(2020, 1, 1), date(2020, 12, 31)
    assert problem_of(lambda: parse_date(raw, "de", earliest=earliest, latest=latest)) is problem
    assert parse_date("01.01.2020", "de", earliest=earliest, latest=latest) == earliest
    assert parse_date("31.12.2020", "de", earliest=earliest, latest=latest) == latest


def test_parse_date_two_digit_year_takes_the_only_century_in_bounds() -> None:
    assert parse_date("1.2.30", "de", earliest=date(2025, 1, 1), latest=date(2040, 1, 1)) == date(
        2030, 2, 1
    )
    assert parse_date("1.2.30", "de", earliest=date(1920, 1, 1), latest=date(1940, 1, 1)) == date(
        1930, 2, 1
    )
    nowhere = (date(2000, 1, 1), date(2010, 1, 1))
    assert (
        problem_of(lambda: parse_date("1.2.30", "de", earliest=nowhere[0], latest=nowhere[1]))
        is Problem.BAD_DATE
    )


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("1.2.85", "de", date(1985, 2, 1)),
        ("01.02.85", "de_AT", date(1985, 2, 1)),
        ("2/1/85", "en", date(1985, 2, 1)),
        ("1/2/85", "en_GB", date(1985, 2, 1)),
        ("1.2.05", "de", date(2005, 2, 1)),  # 1905 is more than 120 years back
        ("20.6.25", "de", date(1925, 6, 20)),  # 2025-06-20 is after today
        ("1 Feb 85", "en_GB", date(1985, 2, 1)),
        ("Feb 1, 85", "en", date(1985, 2, 1)),
        ("15.06.2025", "de", TODAY),  # today is the latest accepted day
        ("15.06.1905", "de", date(1905, 6, 15)),  # exactly 120 years
        ("1985-02-01", "uk", date(1985, 2, 1)),
    ],
)
def test_parse_birth_date(raw: str, locale: str, expected: date) -> None:
    assert parse_birth_date(raw, locale, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("1.2.25", Problem.BAD_DATE),  # 1925 and 2025 both lie in the last 120 years
        ("16.06.2025", Problem.DATE_TOO_LATE),
        ("01.01.2030", Problem.DATE_TOO_LATE),
        ("14.06.1905", Problem.DATE_TOO_EARLY),
        ("01.01.1800", Problem.DATE_TOO_EARLY),
        ("31.02.1985", Problem.NO_SUCH_DATE),
        ("1.2.985", Problem.BAD_DATE),
        ("", Problem.EMPTY),
    ],
)
def test_parse_birth_date_rejects(raw: str, problem: Problem) -> None:
    assert problem_of(lambda: parse_birth_date(raw, "de", today=TODAY)) is problem


def test_parse_birth_date_on_leap_day() -> None:
    leap_today = date(2020, 2, 29)  # 120 years back, 1900 has no 29 February
    assert parse_birth_date("28.02.1900", "de", today=leap_today) == date(1900, 2, 28)
    assert (
        problem_of(lambda: parse_birth_date("27.02.1900", "de", today=leap_today))
        is Problem.DATE_TOO_EARLY
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "31.12.1990"),
        ("de_AT", "31.12.1990"),
        ("en", "12/31/1990"),
        ("en_GB", "31/12/1990"),
        ("fr", "31/12/1990"),
        ("pl", "31.12.1990"),
        ("uk", "31.12.1990"),
        ("pt_BR", "31/12/1990"),
        ("ja", "1990/12/31"),
        ("ko", "1990. 12. 31."),
    ],
)
def test_date_example(locale: str, expected: str) -> None:
    assert date_example(locale) == expected


@pytest.mark.parametrize("locale", [*LOCALES, "ja", "ko", "zh", "hu", "ar", "bg", "he", "nl"])
def test_date_example_reads_back(locale: str) -> None:
    assert parse_wide(date_example(locale), locale) == DEC_31_1990


@pytest.mark.parametrize("locale", [*LOCALES, "ja", "ko", "zh", "hu", "ar", "bg", "nl", "vi"])
def test_format_date_reads_back(locale: str) -> None:
    assert parse_wide(format_date(DEC_31_1990, locale), locale) == DEC_31_1990


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "31.12.1990"),
        ("en", "December 31, 1990"),
        ("en_GB", "31 December 1990"),
        ("fr", "31 décembre 1990"),
        ("pl", "31 grudnia 1990"),  # the month in the genitive, as a date needs
        ("ru", "31 декабря 1990\u202f\u0433."),
    ],
)
def test_format_date(locale: str, expected: str) -> None:
    assert format_date(DEC_31_1990, locale) == expected


@pytest.mark.parametrize("locale", ["pt-br", "en-US", "xx", "", "de_XX"])
def test_unknown_or_telegram_style_locales_fall_back(locale: str) -> None:
    assert parse_wide("1990-12-31", locale) == DEC_31_1990
    assert date_example(locale)
    assert format_integer(1234, locale)
    assert parse_country("DE", locale) == "DE"


def test_telegram_style_locale_uses_its_conventions() -> None:
    assert date_example("pt-br") == "31/12/1990"
    assert parse_integer("1.234", "pt-br") == 1234


# --- integers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("0", "en", 0),
        ("42", "de", 42),
        (" 42 ", "de", 42),
        ("-42", "en", -42),
        ("- 42", "en", -42),
        ("\u221242", "de", -42),  # MINUS SIGN
        ("+7", "en", 7),
        ("007", "en", 7),
        ("1.234", "de", 1234),
        ("1.234", "de_AT", 1234),
        ("1.234", "pt_BR", 1234),
        ("1,234", "en", 1234),
        ("1,234", "en_GB", 1234),
        ("1 234", "fr", 1234),
        ("1\u202f234", "fr", 1234),
        ("1 234", "pl", 1234),
        ("1\u00a0234", "pl", 1234),
        ("1 234", "uk", 1234),
        ("1 234", "de", 1234),  # a space never means a decimal point
        ("1.234.567", "de", 1234567),
        ("1,234,567", "en", 1234567),
        ("1,234,567", "de", 1234567),  # two commas cannot be German decimals
        ("12,34,567", "hi", 1234567),
        ("1\u2019234", "de_CH", 1234),
        ("12,0", "de", 12),
        ("12.00", "en", 12),
        ("١٢٣", "ar", 123),
        ("1000000000", "en", 10**9),
        ("-1.000.000.000", "de", -(10**9)),
        ("0" * 5000 + "7", "en", 7),
    ],
)
def test_parse_integer(raw: str, locale: str, expected: int) -> None:
    assert parse_integer(raw, locale) == expected


@pytest.mark.parametrize(
    ("raw", "locale", "problem"),
    [
        ("", "en", Problem.EMPTY),
        ("12,5", "de", Problem.NOT_WHOLE_NUMBER),
        ("12.5", "en", Problem.NOT_WHOLE_NUMBER),
        ("1,234", "de", Problem.NOT_WHOLE_NUMBER),  # a German decimal comma
        ("1.5", "de", Problem.NOT_WHOLE_NUMBER),  # English-style decimal in German
        ("1.234,5", "en", Problem.NOT_WHOLE_NUMBER),
        ("0,001", "de", Problem.NOT_WHOLE_NUMBER),
        ("1000000001", "en", Problem.NUMBER_OUT_OF_RANGE),
        ("-1000000001", "en", Problem.NUMBER_OUT_OF_RANGE),
        ("99999999999999999999", "en", Problem.NUMBER_OUT_OF_RANGE),
        ("9" * 5000, "en", Problem.NUMBER_OUT_OF_RANGE),  # beyond int()'s 4300-digit limit
        ("1" + "0" * 4400, "de", Problem.NUMBER_OUT_OF_RANGE),
        ("1.000", "en", Problem.BAD_NUMBER),  # 1 or 1000? do not guess
        ("1,000", "de", Problem.BAD_NUMBER),
        ("abc", "en", Problem.BAD_NUMBER),
        ("12abc", "en", Problem.BAD_NUMBER),
        ("1e5", "en", Problem.BAD_NUMBER),
        ("NaN", "en", Problem.BAD_NUMBER),
        ("Infinity", "en", Problem.BAD_NUMBER),
        ("1_000", "en", Problem.BAD_NUMBER),
        ("0x1F", "en", Problem.BAD_NUMBER),
        ("²", "en", Problem.BAD_NUMBER),
        ("½", "en", Problem.BAD_NUMBER),
        ("1,2,3", "en", Problem.BAD_NUMBER),
        ("12,34", "en", Problem.NOT_WHOLE_NUMBER),  # read as a European decimal comma
        ("1.234.5", "en", Problem.BAD_NUMBER),
        ("--5", "en", Problem.BAD_NUMBER),
        ("-", "en", Problem.BAD_NUMBER),
        ("5-", "en", Problem.BAD_NUMBER),
        (".5", "en", Problem.BAD_NUMBER),
        ("1 2 3 4", "fr", Problem.BAD_NUMBER),
        ("1,0" + "0" * 200, "de", Problem.BAD_NUMBER),
    ],
)
def test_parse_integer_rejects(raw: str, locale: str, problem: Problem) -> None:
    assert problem_of(lambda: parse_integer(raw, locale)) is problem


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (1234567, "en", "1,234,567"),
        (1234567, "de", "1.234.567"),
        (1234567, "fr", "1\u202f234\u202f567"),
        (-42, "en", "-42"),
        (0, "pl", "0"),
        (1234567, "hi", "12,34,567"),
        (10**9, "de_CH", "1'000'000'000"),  # Babel alone drops the apostrophes
    ],
)
def test_format_integer(value: int, locale: str, expected: str) -> None:
    assert format_integer(value, locale) == expected


# --- countries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "locale", "expected"),
    [
        ("de", "en", "DE"),
        ("AT", "de", "AT"),
        (" pl. ", "uk", "PL"),
        ("Deutschland", "de", "DE"),
        ("deutschland", "de_AT", "DE"),
        ("Österreich", "de", "AT"),
        ("osterreich", "de", "AT"),
        ("OSTERREICH!", "de", "AT"),
        ("Germany", "de", "DE"),
        ("germany", "fr", "DE"),
        ("Allemagne", "fr", "DE"),
        ("Autriche", "fr", "AT"),
        ("Niemcy", "pl", "DE"),
        ("Polska", "pl", "PL"),
        ("Німеччина", "uk", "DE"),
        ("Україна", "uk", "UA"),
        ("Alemanha", "pt_BR", "DE"),
        ("Brasil", "pt_BR", "BR"),
        ("United Kingdom", "en_GB", "GB"),
        ("UK", "en", "GB"),
        ("DEU", "en", "DE"),
        ("USA", "en", "US"),
        ("United States", "en", "US"),
        ("Türkiye", "en", "TR"),
        ("Turkey", "de", "TR"),
        ("Schweiz", "de", "CH"),
        ("  ...Schweiz!!", "de", "CH"),
        ("Guinea Bissau", "en", "GW"),
        ("Côte d\u2019Ivoire", "fr", "CI"),
        ("cote d ivoire", "fr", "CI"),
    ],
)
def test_parse_country(raw: str, locale: str, expected: str) -> None:
    assert parse_country(raw, locale) == expected


@pytest.mark.parametrize(
    ("raw", "locale", "problem"),
    [
        ("", "de", Problem.EMPTY),
        ("Deutschland", "en", Problem.BAD_COUNTRY),  # neither English nor the locale
        ("Germ", "en", Problem.BAD_COUNTRY),
        ("XX", "en", Problem.BAD_COUNTRY),
        ("ZZ", "en", Problem.BAD_COUNTRY),  # "unknown region"
        ("EU", "de", Problem.BAD_COUNTRY),
        ("UN", "en", Problem.BAD_COUNTRY),
        ("Europe", "en", Problem.BAD_COUNTRY),
        ("001", "en", Problem.BAD_COUNTRY),  # CLDR's "World"
        ("Germany" * 20, "en", Problem.BAD_COUNTRY),
    ],
)
def test_parse_country_rejects(raw: str, locale: str, problem: Problem) -> None:
    assert problem_of(lambda: parse_country(raw, locale)) is problem


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        ("DE", "de", "Deutschland"),
        ("AT", "en", "Austria"),
        ("at", "fr", "Autriche"),
        ("PL", "pl", "Polska"),
        ("UA", "uk", "Україна"),
        ("QQ", "de", "QQ"),
    ],
)
def test_country_name(code: str, locale: str, expected: str) -> None:
    assert country_name(code, locale) == expected


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("code", ["DE", "AT", "CH", "PL", "UA", "BR", "GB", "US", "FR"])
def test_country_name_reads_back(code: str, locale: str) -> None:
    assert parse_country(country_name(code, locale), locale) == code


# --- properties ------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

_CONTROL = st.sampled_from(
    [
        *("\u0000", "\u0007", "\n", "\r", "\t", "\u200b", "\u200d", "\u200e", "\u200f"),
        *("\u202e", "\u2066", "\ufeff", "\u00a0", "\u202f", "\u2028", "\u0301", "\u2212"),
    ]
)
_STRUCTURE = st.sampled_from([*"0123456789./-, +'\u2019:@()", "00", "49", "1990", "12", "31"])
_WORDS = st.sampled_from(
    ["Dec", "Dezember", "грудня", "de", "r.", "年", "月", "e", "NaN", "inf", "1e5", "Deutschland"]
)
_MIXED = st.lists(st.one_of(_STRUCTURE, _CONTROL, _WORDS, st.characters()), max_size=200).map(
    "".join
) | st.text(alphabet="0123456789.,- ", min_size=4000, max_size=5000)
ANY_TEXT = st.one_of(st.text(), _MIXED)
ANY_LOCALE = st.sampled_from([*LOCALES, "ja", "ar", "hi", "de_CH", "pt-br", "xx"])
ANY_REGION = st.sampled_from([None, "DE", "US", "PL", "GB", "de", "", "XX", "not-a-region"])


def _outcome(call: Callable[[], object]) -> object:
    """The parser's value, or the InvalidAnswer it raised; anything else fails the test."""
    try:
        return call()
    except InvalidAnswer as error:
        return error


def _rejected(result: object) -> bool:
    return isinstance(result, InvalidAnswer) and isinstance(result.problem, Problem)


@FUZZ
@given(text=ANY_TEXT)
def test_fuzz_clean_text_name_short_email(text: str) -> None:
    parsers: tuple[Callable[[str], str], ...] = (
        clean_text,
        parse_name,
        parse_email,
    )
    for parser in parsers:
        result = _outcome(partial(parser, text))
        assert _rejected(result) or (isinstance(result, str) and result)


@FUZZ
@given(text=ANY_TEXT, region=ANY_REGION)
def test_fuzz_parse_phone(text: str, region: str | None) -> None:
    result = _outcome(lambda: parse_phone(text, region))
    assert _rejected(result) or (isinstance(result, str) and result[0] == "+")


@FUZZ
@given(text=ANY_TEXT, locale=ANY_LOCALE)
def test_fuzz_parse_dates(text: str, locale: str) -> None:
    result = _outcome(lambda: parse_wide(text, locale))
    assert _rejected(result) or (isinstance(result, date) and WIDE[0] <= result <= WIDE[1])
    result = _outcome(lambda: parse_birth_date(text, locale, today=TODAY))
    assert _rejected(result) or (isinstance(result, date) and result <= TODAY)


@FUZZ
@given(text=ANY_TEXT, locale=ANY_LOCALE)
def test_fuzz_parse_integer_and_country(text: str, locale: str) -> None:
    number = _outcome(lambda: parse_integer(text, locale))
    assert _rejected(number) or (type(number) is int and abs(number) <= 10**9)
    country = _outcome(lambda: parse_country(text, locale))
    assert _rejected(country) or (
        isinstance(country, str) and len(country) == 2 and country.isupper()
    )


@settings(FUZZ, suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(text=st.text(alphabet="0123456789", min_size=4301, max_size=6000))
def test_fuzz_huge_digit_strings(text: str) -> None:
    result = _outcome(lambda: parse_integer(text, "en"))
    if isinstance(result, InvalidAnswer):
        assert result.problem is Problem.NUMBER_OUT_OF_RANGE
    else:
        assert result == int(text.lstrip("0")[:10] or "0")


@FUZZ
@given(text=ANY_TEXT, max_length=st.integers(min_value=1, max_value=600))
def test_fuzz_clean_text_output_is_clean(text: str, max_length: int) -> None:
    result = _outcome(lambda: clean_text(text, max_length))
    if isinstance(result, InvalidAnswer):
        return
    assert isinstance(result, str)
    assert 0 < len(result) <= max_length
    assert result == result.strip()
    assert "  " not in result
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in result)
    assert not any(c.isspace() and c != " " for c in result)
    assert clean_text(result, max_length) == result


@FUZZ
@given(value=st.integers(min_value=-(10**9), max_value=10**9), locale=ANY_LOCALE)
def test_format_integer_reads_back(value: int, locale: str) -> None:
    assert parse_integer(format_integer(value, locale), locale) == value


@FUZZ
@given(value=st.dates(min_value=WIDE[0], max_value=WIDE[1]), locale=ANY_LOCALE)
def test_format_date_and_iso_read_back(value: date, locale: str) -> None:
    assert parse_wide(format_date(value, locale), locale) == value
    assert parse_wide(value.isoformat(), locale) == value
