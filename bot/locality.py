"""Countries and time zones as Babel's CLDR data and the system's tz database know them."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global

# Countries with several zones whose first CLDR zone is not where most of the country lives.
MAIN_ZONES = {
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "NL": "Europe/Amsterdam",
    "DE": "Europe/Berlin",
}


@cache
def territory_names() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes Babel knows (CLDR also has numeric regions such as 001)."""
    return frozenset(code for code in get_global("territory_zones") if code.isalpha())


@cache
def _zones() -> frozenset[str]:
    """The system's zone names, read once: ``available_timezones()`` walks the tz directory
    on every call (about 90 ms here), which a chain did for each studio at every refresh."""
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    if name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def main_zone(country: str | None) -> str | None:
    """The zone most of a country lives in, for "today" and ages."""
    if country is None:
        return None
    if country in MAIN_ZONES:
        return MAIN_ZONES[country]
    zones: list[str] = get_global("territory_zones").get(country, [])
    return zones[0] if zones and is_time_zone(zones[0]) else None
