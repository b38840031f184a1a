"""Address lines read the way each country writes them; only InvalidAnswer ever escapes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.addresses import (
    PostcodeLine,
    StreetLine,
    postcode_before_city,
    postcode_example,
    read_city,
    read_house_number,
    read_postcode,
    read_postcode_line,
    read_street,
    read_street_line,
)
from conversations.text import InvalidAnswer, Problem


@pytest.mark.parametrize(
    ("text", "country", "street", "number"),
    [
        ("Hauptstraße 12", "DE", "Hauptstraße", "12"),
        ("Mariahilfer Straße 12a", "AT", "Mariahilfer Straße", "12a"),
        ("Straße des 17. Juni 5", "DE", "Straße des 17. Juni", "5"),
        ("12 Hauptstraße", "DE", "Hauptstraße", "12"),  # the other order is understood too
        ("ul. Marszałkowska 10/12", "PL", "ul. Marszałkowska", "10/12"),
        ("Rynek Główny 1 m. 4", "PL", "Rynek Główny", "1 m. 4"),
        ("Calle Mayor 5", "ES", "Calle Mayor", "5"),
        ("Via Roma 1", "IT", "Via Roma", "1"),
        ("Kerkstraat 3-5", "NL", "Kerkstraat", "3-5"),
        ("Atatürk Caddesi No: 12", "TR", "Atatürk Caddesi", "12"),
        ("12 Baker Street", "GB", "Baker Street", "12"),
        ("221b Baker Street", "GB", "Baker Street", "221b"),
        ("Baker Street 221b", "GB", "Baker Street", "221b"),
        ("12 rue de la Paix", "FR", "rue de la Paix", "12"),
        ("350 Fifth Avenue", "US", "Fifth Avenue", "350"),
        ("Main Street 12", None, "Main Street", "12"),
        ("12 Main Street", None, "Main Street", "12"),
    ],
)
def test_street_and_house_number_in_one_answer(
    text: str, country: str | None, street: str, number: str
) -> None:
    assert read_street_line(text, country) == StreetLine(street, number)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hauptstraße", Problem.NO_HOUSE_NUMBER),
        ("12a", Problem.NO_STREET),
        ("12", Problem.NO_STREET),
        ("", Problem.EMPTY),
        ("x" * 101, Problem.TOO_LONG),
    ],
)
def test_a_street_line_without_one_of_its_parts_says_which(text: str, problem: Problem) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        read_street_line(text, "DE")
    assert refused.value.problem is problem


@pytest.mark.parametrize(
    ("text", "country", "code", "city"),
    [
        ("10115 Berlin", "DE", "10115", "Berlin"),
        ("1060 Wien", "AT", "1060", "Wien"),
        ("8001 Zürich", "CH", "8001", "Zürich"),
        ("00-001 Warszawa", "PL", "00-001", "Warszawa"),
        ("1012 AB Amsterdam", "NL", "1012 AB", "Amsterdam"),
        ("1012ab Amsterdam", "NL", "1012 AB", "Amsterdam"),
        ("1100-148 Lisboa", "PT", "1100-148", "Lisboa"),
        ("75001 Paris", "FR", "75001", "Paris"),
        ("London NW1 6XE", "GB", "NW1 6XE", "London"),
        ("NW1 6XE London", "GB", "NW1 6XE", "London"),
        ("london nw16xe", "GB", "NW1 6XE", "london"),
        ("New York, NY 10001", "US", "10001", "New York, NY"),
        ("10115 Berlin", None, "10115", "Berlin"),
        ("Berlin 10115", None, "10115", "Berlin"),
    ],
)
def test_postcode_and_city_in_one_answer(
    text: str, country: str | None, code: str, city: str
) -> None:
    assert read_postcode_line(text, country) == PostcodeLine(code, city)


@pytest.mark.parametrize(
    ("text", "country", "problem"),
    [
        ("SW1A 1AA", "GB", Problem.NO_CITY),
        ("1060", "AT", Problem.NO_CITY),
        ("Berlin", "DE", Problem.NO_POSTCODE),
        ("1234 Berlin", "DE", Problem.BAD_POSTCODE),
        ("12345 Wien", "AT", Problem.BAD_POSTCODE),
    ],
)
def test_a_postcode_line_without_one_of_its_parts_says_which(
    text: str, country: str, problem: Problem
) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        read_postcode_line(text, country)
    assert refused.value.problem is problem


def test_the_missing_part_alone() -> None:
    assert read_house_number(" 12a ") == "12a"
    assert read_street("Hauptstraße") == "Hauptstraße"
    assert read_postcode("nw1 6xe", "GB") == "NW1 6XE"
    assert read_city("Wien") == "Wien"
    for reader, text in ((read_house_number, "twelve"), (read_street, "12"), (read_city, "1")):
        with pytest.raises(InvalidAnswer):
            reader(text)
    with pytest.raises(InvalidAnswer) as refused:
        read_postcode("123", "DE")
    assert refused.value.problem is Problem.BAD_POSTCODE


def test_examples_and_the_order_of_the_line_per_country() -> None:
    assert postcode_example("DE") == "10115"
    assert postcode_example("GB") == "SW1A 1AA"
    assert postcode_example("PL") == "00-950"
    assert postcode_example("ZZ") is None
    assert postcode_before_city("AT")
    assert not postcode_before_city("GB")
    assert postcode_before_city(None)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=120),
    country=st.sampled_from([None, "DE", "AT", "GB", "PL", "NL", "US", "ZZ", "", "de"]),
)
def test_only_invalid_answer_escapes(text: str, country: str | None) -> None:
    for reader in (
        lambda: read_street_line(text, country),
        lambda: read_postcode_line(text, country),
        lambda: read_postcode(text, country),
        lambda: read_street(text),
        lambda: read_house_number(text),
        lambda: read_city(text),
    ):
        with contextlib.suppress(InvalidAnswer):
            reader()
