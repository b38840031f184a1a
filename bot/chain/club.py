"""One studio of the chain, with everything the bot holds per studio: its PerfectGym tenant
(URL and key), what PerfectGym says about it, its leads configuration, its texts and its staff
chat. A deployment without ``STUDIOS_FILE`` is a chain of one such club."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from bot.perfectgym.client import PerfectGymClient
from bot.studio.information import StudioDirectory, StudioProfile
from bot.studio.leads_config import LeadsConfigSource
from bot.studio.texts import StudioTexts
from conversations.clubs import ClubCard

log = logging.getLogger(__name__)


class Standing(StrEnum):
    """Whether the club takes prospects: PerfectGym gave its leads configuration, or refused."""

    UNKNOWN = "unknown"  # not asked yet: offered, its config is fetched when a prospect picks it
    UP = "up"
    DOWN = "down"  # refused the key (401, 403) or did not answer: out of the choice


@dataclass
class Club:
    """``storage_key`` names the club's rows in the database: ``None`` for the one studio of a
    deployment configured by the environment alone (its rows predate chains), else its id."""

    id: str
    storage_key: str | None
    client: PerfectGymClient
    directory: StudioDirectory
    config: LeadsConfigSource
    texts: StudioTexts
    staff_chat_id: int | None = None
    # PerfectGym's webhook key of the studio: what names the studio an event is of.
    webhook_key: str | None = field(default=None, repr=False)
    standing: Standing = Standing.UNKNOWN
    why_down: str = field(default="")

    @property
    def profile(self) -> StudioProfile:
        return self.directory.current()

    @property
    def name(self) -> str:
        return self.profile.name or self.id

    def card(self) -> ClubCard:
        """The club as the choice shows it: name, city, postcode and where it is."""
        profile = self.profile
        point = profile.point
        address = ", ".join(
            part for part in (profile.street, profile.postcode, profile.city) if part
        )
        return ClubCard(
            id=self.id,
            name=self.name,
            city=profile.city,
            postcode=profile.postcode,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            address=address or None,
        )
