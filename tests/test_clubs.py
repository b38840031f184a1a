"""Choosing a club by distance or by what was typed: pure, no database or network."""

from __future__ import annotations

import pytest

from conversations.clubs import (
    ClubCard,
    distance_km,
    distance_text,
    find,
    nearest,
    parse_coordinates,
)

LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)
BERLIN = (52.5200, 13.4050)
NEW_YORK = (40.7128, -74.0060)
SYDNEY = (-33.8688, 151.2093)

CAMDEN = ClubCard("c1", "Camden", "London", "NW1 7AB", 51.5390, -0.1426)
ISLINGTON = ClubCard("c2", "Islington", "London", "N1 0PS", 51.5362, -0.1033)
BRIXTON = ClubCard("c3", "Brixton", "London", "SW9 8HE", 51.4613, -0.1156)
MITTE = ClubCard("c4", "Mitte", "Berlin", "10115", 52.5320, 13.3849)
KREUZBERG = ClubCard("c5", "Kreuzberg", "Berlin", "10997", 52.4986, 13.4180)
MUNICH = ClubCard("c6", "Schwabing", "München", "80802", 48.1625, 11.5860)
STRASSE = ClubCard("c7", "Große Straße", "Köln", "50667")  # no coordinates
ZURICH = ClubCard("c8", "Zürich HB", "Zürich", "8001", 47.3779, 8.5403)
CARDS = (CAMDEN, ISLINGTON, BRIXTON, MITTE, KREUZBERG, MUNICH, STRASSE, ZURICH)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (LONDON, PARIS, 343.6),
        (LONDON, BERLIN, 931.9),
        (LONDON, NEW_YORK, 5570.2),
        (PARIS, SYDNEY, 16960.6),
    ],
)
def test_distance_between_known_cities(
    a: tuple[float, float], b: tuple[float, float], expected: float
) -> None:
    assert distance_km(*a, *b) == pytest.approx(expected, rel=0.005)
    assert distance_km(*b, *a) == pytest.approx(distance_km(*a, *b))


def test_distance_to_itself_and_across_the_antimeridian() -> None:
    assert distance_km(*LONDON, *LONDON) == 0.0
    # Fiji's two sides of 180°: a few dozen kilometres, not half the globe.
    assert distance_km(-17.0, 179.9, -17.0, -179.9) == pytest.approx(21.3, abs=0.1)
    # Pole to pole is half the circumference (pi * R).
    assert distance_km(90.0, 0.0, -90.0, 0.0) == pytest.approx(20015.1, abs=0.1)


def test_nearest_orders_by_distance_and_skips_clubs_without_coordinates() -> None:
    angel = (51.5322, -0.1058)
    found = nearest(CARDS, *angel)
    assert [card for card, _ in found] == [ISLINGTON, CAMDEN, BRIXTON]
    assert [km for _, km in found] == sorted(km for _, km in found)
    assert found[0][1] == pytest.approx(0.48, abs=0.02)
    assert STRASSE not in [card for card, _ in nearest(CARDS, 50.94, 6.96, count=len(CARDS))]
    assert len(nearest(CARDS, 50.94, 6.96, count=len(CARDS))) == len(CARDS) - 1


def test_far_from_every_club_still_offers_the_nearest() -> None:
    found = nearest(CARDS, *NEW_YORK)
    assert [card for card, _ in found] == [CAMDEN, ISLINGTON, BRIXTON]
    assert all(km > 5000 for _, km in found)
    assert nearest(CARDS, *SYDNEY, count=1)[0][0] in (MITTE, KREUZBERG, MUNICH, ZURICH)


def test_nearest_with_fewer_clubs_or_none() -> None:
    assert nearest([CAMDEN], *LONDON, count=3) == [(CAMDEN, distance_km(*LONDON, 51.5390, -0.1426))]
    assert nearest([STRASSE], *LONDON) == []
    assert nearest([], *LONDON) == []
    assert nearest(CARDS, *LONDON, count=0) == []


def test_find_ignores_case_and_accents() -> None:
    assert find(CARDS, "MÜNCHEN") == [MUNICH]
    assert find(CARDS, "munchen") == [MUNICH]
    assert find(CARDS, "zurich hb") == [ZURICH]
    assert find(CARDS, "koln") == [STRASSE]
    assert find(CARDS, "grosse strasse") == [STRASSE]  # ß -> ss
    assert find(CARDS, "  camden ") == [CAMDEN]


def test_find_by_postcode_ignoring_spaces_and_by_prefix() -> None:
    assert find(CARDS, "nw17ab") == [CAMDEN]
    assert find(CARDS, "NW1 7AB") == [CAMDEN]
    assert find(CARDS, "NW1") == [CAMDEN]
    assert find(CARDS, "10115") == [MITTE]
    assert find(CARDS, "10") == [MITTE, KREUZBERG]
    # A full postcode no club has falls back to its district.
    assert find(CARDS, "NW1 8XY") == [CAMDEN]


def test_find_ranks_exact_before_prefix_before_word() -> None:
    cards = [
        ClubCard("a", "Londoner Strasse", "Hamburg"),  # prefix of its name
        ClubCard("b", "Riverside", "London"),  # exact city
        ClubCard("c", "Fit London Bridge", "Southwark"),  # a word of its name
    ]
    assert [card.id for card in find(cards, "london")] == ["b", "a", "c"]
    # Every typed word starts a word of the name or city.
    assert [card.id for card in find(cards, "river lond")] == ["b"]


def test_find_returns_nothing_for_nonsense_or_too_little() -> None:
    assert find(CARDS, "") == []
    assert find(CARDS, "c") == []
    assert find(CARDS, " - ") == []
    assert find(CARDS, "a b") == []
    assert find(CARDS, "swimming pool") == []
    assert find(CARDS, "99999") == []


@pytest.mark.parametrize(
    ("km", "locale", "expected"),
    [
        (0.85, "en", "850 m"),
        (0.8549, "en", "850 m"),
        (0.0, "en", "10 m"),
        (0.996, "en", "1.0 km"),
        (1.23, "en", "1.2 km"),
        (1.23, "de", "1,2 km"),
        (1.23, "de@formal", "1,2 km"),
        (1.23, "fr", "1,2 km"),
        (1.23, "ru", "1,2 km"),
        (9.96, "en", "10 km"),
        (12.6, "de", "13 km"),
        (1234.4, "en", "1,234 km"),
        (1234.4, "de", "1.234 km"),
        (1234.4, "fr", "1\u202f234 km"),
        (1234.4, "ru", "1\u00a0234 km"),
        (1.23, "xx", "1.2 km"),  # an unknown locale falls back to English
    ],
)
def test_distance_text(km: float, locale: str, expected: str) -> None:
    assert distance_text(km, locale) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("51.539,-0.1426", (51.539, -0.1426)),
        ("51.539, -0.1426", (51.539, -0.1426)),
        (" -33.8688 , 151.2093 ", (-33.8688, 151.2093)),
        ("90.0,180.0", (90.0, 180.0)),
        ("-90.0,-180.0", (-90.0, -180.0)),
        ("90.1,0.0", None),
        ("0.0,180.5", None),
        ("-91.0,10.0", None),
        ("52,5", None),  # no decimals: a number, not a place
        ("51.539", None),
        ("51.539,-0.1426,3.0", None),
        ("lat,lon", None),
        ("", None),
    ],
)
def test_parse_coordinates(text: str, expected: tuple[float, float] | None) -> None:
    assert parse_coordinates(text) == expected
