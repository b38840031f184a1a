"""One studio of the chain, with everything the bot holds per studio: its PerfectGym tenant
(URL and key), what PerfectGym says about it, its leads configuration, its texts and its staff
chat. A deployment without ``STUDIOS_FILE`` is a chain of one such club."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.perfectgym.client import PerfectGymClient
from bot.studio.information import StudioDirectory, StudioProfile
from bot.studio.leads_config import ConfigProblem, LeadsConfigSource
from bot.studio.texts import StudioTexts
from conversations.clubs import ClubCard
from conversations.studio import Studio


class Standing(StrEnum):
    """Whether the club takes prospects: PerfectGym gave its leads configuration, or refused."""

    UNKNOWN = "unknown"  # not asked yet: offered, its config is fetched when a prospect picks it
    UP = "up"
    DOWN = "down"  # refused the key (401, 403, also on leads) or did not answer: out of the choice


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
    # The outbox was refused (401/403 on validate or create: a key without LEAD_WRITE) and no
    # lead of the club has gone through since: a readable config alone does not bring it back.
    leads_refused: bool = False

    def problem(self) -> ConfigProblem | None:
        """Why the club is out of the choice, as staff are told it."""
        return ConfigProblem.KEY_REFUSED if self.leads_refused else self.config.problem()

    @property
    def profile(self) -> StudioProfile:
        return self.directory.current()

    def studio_for(self, locale: str) -> Studio:
        """Who receives the details, as a prospect speaking ``locale`` is told: the name
        PerfectGym gives, else the studio's own word for itself in that language."""
        return replace(self.profile.studio, word=self.texts.studio_word_for(locale))

    @property
    def name(self) -> str:
        return self.profile.name or self.id

    def card(self) -> ClubCard:
        """The club as the choice shows it: name, city, postcode and where it is, as last
        known (the chain's rounds refresh it, a few clubs at a time)."""
        profile = self.directory.known()
        point = profile.point
        return ClubCard(
            id=self.id,
            name=profile.name or self.id,
            city=profile.city,
            postcode=profile.postcode,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
        )
