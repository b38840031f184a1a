"""The studios (clubs) of a chain as the prospect chooses among them: by distance from a shared
location, or by what they type (a city, a postcode or a club's name).

Pure: no Telegram, no vendor API, no I/O. Numbers are shown with Babel in the prospect's locale.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import format_decimal

from conversations.i18n import babel_locale
from conversations.text import fold

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG); haversine on a sphere is off by well under 1 % for our use."""
MIN_TYPED = 2
"""Fewer significant characters than this match too much to mean anything."""

# Letters NFKD does not take apart, so "Łódź" and "lodz" or "Tromsø" and "tromso" still meet.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "\u0131": "i", "æ": "ae", "œ": "oe"}
)
_NOT_ALNUM = re.compile(r"[\W_]+")
_COORDINATE = r"([+-]?\d{1,3}\.\d+)"
_COORDINATES = re.compile(rf"\s*{_COORDINATE}\s*,\s*{_COORDINATE}\s*")


@dataclass(frozen=True)
class ClubCard:
    """What the prospect needs to recognise a club."""

    id: str
    name: str
    city: str | None = None
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): plenty for "which club is nearest"."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _valid(latitude: float, longitude: float) -> bool:
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


def nearest(
    cards: Sequence[ClubCard], latitude: float, longitude: float, count: int = 3
) -> list[tuple[ClubCard, float]]:
    """The ``count`` clubs nearest to a location, nearest first, however far: a prospect far
    from every club still gets the closest ones offered. Clubs without coordinates are left out."""
    placed = [
        (card, distance_km(latitude, longitude, card.latitude, card.longitude))
        for card in cards
        if card.latitude is not None
        and card.longitude is not None
        and _valid(card.latitude, card.longitude)
    ]
    placed.sort(key=lambda pair: pair[1])  # stable: equal distances keep the configured order
    return placed[: max(count, 0)]


def search_key(text: str) -> str:
    """Case, accents and punctuation ignored: "Saint-Étienne" -> "saint etienne"."""
    folded = fold(text).translate(_UNDECOMPOSED)
    return " ".join(_NOT_ALNUM.sub(" ", folded).split())


@lru_cache(maxsize=4096)
def card_key(text: str) -> str:
    """:func:`search_key` of a club's name, city or postcode, remembered: the club question
    folds every club's each time it is shown, 4.6 ms a question with 200 studios before (and
    11 ms a typed city). Only the clubs' own words are kept, never what a prospect typed."""
    return search_key(text)


@lru_cache(maxsize=4096)
def _compact(text: str) -> str:
    """A club's postcode without spaces or dashes: "NW1 7AB" -> "nw17ab"."""
    return card_key(text).replace(" ", "")


def _rank(card: ClubCard, query: str, compact: str) -> int | None:
    """0 exact (name, city or postcode), 1 prefix, 2 every typed word starts a word of the
    club's name or city; None for no match."""
    names = [card_key(field) for field in (card.name, card.city) if field]
    postcode = _compact(card.postcode) if card.postcode else ""
    if query in names or (postcode and compact == postcode):
        return 0
    if any(name.startswith(query) for name in names) or (postcode and postcode.startswith(compact)):
        return 1
    words = " ".join(names).split()
    typed_words = query.split()
    if max(map(len, typed_words)) >= MIN_TYPED and all(
        any(word.startswith(typed) for word in words) for typed in typed_words
    ):
        return 2
    return None


def _matches(cards: Sequence[ClubCard], query: str) -> list[ClubCard]:
    compact = query.replace(" ", "")
    if len(compact) < MIN_TYPED:
        return []
    ranked = [(rank, card) for card in cards if (rank := _rank(card, query, compact)) is not None]
    ranked.sort(key=lambda pair: pair[0])  # stable: the configured order within a rank
    return [card for _, card in ranked]


def find(cards: Sequence[ClubCard], typed: str) -> list[ClubCard]:
    """Clubs matching what the prospect typed, best first; empty when nothing sensible matches.

    A full postcode no club has ("NW1 8XY") falls back to its first part ("NW1"), so a prospect
    typing their own postcode still finds the clubs of their district.
    """
    query = search_key(typed)
    found = _matches(cards, query)
    first = query.split(" ")[0]
    if not found and " " in query and any(char.isdigit() for char in first):
        found = _matches(cards, first)
    return found


def _number(value: float, pattern: str, locale: str) -> str:
    return format_decimal(value, format=pattern, locale=babel_locale(locale.split("@")[0]))


def distance_text(km: float, locale: str) -> str:
    """ "850 m" under a kilometre (to 10 m), "1.2 km" / "1,2 km" under ten, whole km beyond."""
    metres = max(10, round(km * 100) * 10)
    if metres < 1000:
        return f"{_number(metres, '#,##0', locale)} m"
    if round(km, 1) < 10:
        return f"{_number(round(km, 1), '#,##0.0', locale)} km"
    return f"{_number(round(km), '#,##0', locale)} km"


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """A location typed as "latitude,longitude" (the terminal demo's stand-in for sharing one);
    decimals are required, so a typed "52,5" is not mistaken for a place."""
    match = _COORDINATES.fullmatch(text)
    if match is None:
        return None
    latitude, longitude = float(match[1]), float(match[2])
    return (latitude, longitude) if _valid(latitude, longitude) else None
