"""Three stand-in clubs of one chain, in three cities, for ``python -m bot demo --chain``.

Each is what one PerfectGym tenant of a chain would serve: its own API key, its own leads
configuration (Camden asks a little, Manchester the least, Berlin Mitte everything the sample
config has) and its own studio information with address and coordinates, so the club question,
the distances from a typed location and the re-planned questions after a change of club all
show as they would for a real chain.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Final

from bot.standin.leads import sample_config

DEMO_BRAND: Final = "Studio Sol"


@dataclass(frozen=True)
class StandInClub:
    """``studio`` is raw ``StudioInformation`` JSON, ``config`` raw ``LeadConfig`` JSON."""

    id: str
    api_key: str
    studio: dict[str, Any]
    config: dict[str, Any]
    timezone: str
    privacy_url: str

    @property
    def name(self) -> str:
        return str(self.studio["name"])

    @property
    def city(self) -> str:
        return str(self.studio["city"])

    @property
    def label(self) -> str:
        """As the club question shows it: the city unless the name has it already."""
        return self.name if self.city in self.name else f"{self.name} ({self.city})"


def _fewer_questions(ask: dict[str, str], fields: dict[int, str]) -> dict[str, Any]:
    """The sample config with other modes: ``ask`` sets the customer fields' modes (the rest
    INACTIVE), ``fields`` the additional fields kept active (the rest INACTIVE)."""
    config = copy.deepcopy(sample_config())
    for mode in ("addressMode", "dateOfBirthMode", "genderMode", "telephoneMode"):
        config[mode] = ask.get(mode, "INACTIVE")
    for extra in config["additionalInformation"]:
        extra["mode"] = fields.get(extra["additionalFieldId"], "INACTIVE")
    return config


def chain_clubs() -> tuple[StandInClub, ...]:
    """London Camden, Manchester and Berlin Mitte, in the order the question offers them."""
    camden = _fewer_questions({"telephoneMode": "OPTIONAL"}, {7001: "MANDATORY", 7003: "OPTIONAL"})
    manchester = _fewer_questions({"telephoneMode": "MANDATORY"}, {})
    manchester["communicationPreferences"] = [
        pref
        for pref in manchester["communicationPreferences"]
        if pref["messageCategory"] == "CONTRACT"
    ]
    return (
        StandInClub(
            id="camden",
            api_key="demo-key-camden",
            studio={
                "studioId": 1,
                "name": "Studio Sol Camden",
                "countryCode": "GB",
                "email": "camden@studio-sol.example",
                "street": "Camden High Street",
                "houseNumber": "12",
                "zip": "NW1 8AB",
                "city": "London",
                "location": {"latitude": 51.5390, "longitude": -0.1426},
            },
            config=camden,
            timezone="Europe/London",
            privacy_url="https://studio-sol.example/privacy",
        ),
        StandInClub(
            id="manchester",
            api_key="demo-key-manchester",
            studio={
                "studioId": 2,
                "name": "Studio Sol Manchester",
                "countryCode": "GB",
                "email": "manchester@studio-sol.example",
                "street": "Oldham Street",
                "houseNumber": "40",
                "zip": "M4 1HN",
                "city": "Manchester",
                "location": {"latitude": 53.4839, "longitude": -2.2367},
            },
            config=manchester,
            timezone="Europe/London",
            privacy_url="https://studio-sol.example/privacy",
        ),
        StandInClub(
            id="mitte",
            api_key="demo-key-mitte",
            studio={
                "studioId": 3,
                "name": "Studio Sol Mitte",
                "countryCode": "DE",
                "email": "mitte@studio-sol.example",
                "street": "Rosenthaler Straße",
                "houseNumber": "40",
                "zip": "10178",
                "city": "Berlin",
                "location": {"latitude": 52.5246, "longitude": 13.4024},
            },
            config=sample_config(),
            timezone="Europe/Berlin",
            privacy_url="https://studio-sol.example/de/datenschutz",
        ),
    )
