"""Who the studio is: its name, country, contact details and time zone.

PerfectGym knows the studio (``GET /v1/studios/information``), but a key without the
``STUDIO_READ`` scope gets 403 and a tenant may answer 404; ``STUDIO_NAME`` and
``STUDIO_COUNTRY`` stand in then, and before the first answer. The information is cached like the
leads config (TTL, persisted, last known value while PerfectGym is unreachable), but refreshed in
the background: a lead never waits for, or depends on, this endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.locality import main_zone, territory_names
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError, PerfectGymRejected
from bot.perfectgym.models import StudioInformation
from bot.settings import StudioSettings
from bot.storage.cache import StudioCache
from bot.storage.errors import failure_cause
from conversations.opening_hours import Closure, OpeningSpan
from conversations.replies import Venue
from conversations.studio import Studio

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 60.0


class Source(StrEnum):
    PERFECTGYM = "PerfectGym"
    STORED = "the last answer PerfectGym gave"
    ENVIRONMENT = "STUDIO_NAME/STUDIO_COUNTRY"
    NONE = "nowhere (neutral texts)"


@dataclass(frozen=True)
class StudioProfile:
    """What the bot says and reckons about the studio; every part may be unknown."""

    name: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    time_zone: str | None = None
    source: Source = Source.NONE
    street: str | None = None  # street and house number, as one line
    postcode: str | None = None
    city: str | None = None
    point: tuple[float, float] | None = None  # latitude, longitude
    opening_hours: tuple[OpeningSpan, ...] = ()  # the public ones, studio-local
    closures: tuple[Closure, ...] = ()  # studio-local

    @property
    def studio(self) -> Studio:
        return Studio(name=self.name, email=self.email, phone=self.phone)

    def today(self) -> date:
        """Today where the studio is: a birthday at midnight in London is not one in Sydney."""
        if self.time_zone is None:
            return date.today()
        return datetime.now(ZoneInfo(self.time_zone)).date()

    def local_time(self, timestamp: float) -> datetime:
        """The studio's wall clock at ``timestamp`` (no zone attached), as its opening hours and
        closures are written; the server's own zone when the studio's is unknown."""
        zone = ZoneInfo(self.time_zone) if self.time_zone else None
        return datetime.fromtimestamp(timestamp, zone).replace(tzinfo=None)

    @property
    def address(self) -> str | None:
        """The street, postcode and city as one line; None when none is known."""
        locality = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.street, locality) if part) or None

    def venue(self, name: str) -> Venue | None:
        """The studio on the map, as ``name`` (/where's answer and the trial reminders share
        it); None without coordinates."""
        if self.point is None:
            return None
        latitude, longitude = self.point
        return Venue(latitude, longitude, name, self.address or name)


@dataclass(frozen=True)
class StudioFallback:
    """The environment's word on the studio, used wherever PerfectGym's is missing."""

    name: str | None = None
    country: str | None = None
    time_zone: str | None = None
    city: str | None = None
    postcode: str | None = None
    point: tuple[float, float] | None = None

    @classmethod
    def from_settings(cls, settings: StudioSettings) -> StudioFallback:
        return cls(settings.studio_name, settings.studio_country, settings.studio_timezone)

    def profile(self, information: StudioInformation | None, source: Source) -> StudioProfile:
        if information is None:
            source = Source.ENVIRONMENT if self.name or self.country else Source.NONE
            profile = StudioProfile(
                name=self.name,
                country=self.country,
                source=source,
                city=self.city,
                postcode=self.postcode,
                point=self.point,
            )
        else:
            country = (information.country_code or "").upper()
            street = " ".join(p for p in (information.street, information.house_number) if p)
            location = information.location.point() if information.location else None
            profile = StudioProfile(
                name=information.name or self.name,
                country=country if country in territory_names() else self.country,
                email=information.email,
                phone=information.telephone,
                website=information.website,
                source=source,
                street=street or None,
                postcode=information.zip or self.postcode,
                city=information.city or self.city,
                point=location or self.point,
                opening_hours=information.opening_spans(),
                closures=information.closures(),
            )
        return replace(profile, time_zone=self.time_zone or main_zone(profile.country))


class StudioDirectory:
    """The current :class:`StudioProfile`, answered at once and refreshed behind the scenes."""

    def __init__(
        self,
        client: PerfectGymClient | None,
        storage: StudioCache,
        fallback: StudioFallback,
        *,
        ttl: float,
        clock: Callable[[], float] = time.time,
        studio: str | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> None:
        """``gate``: shared by a chain's clubs, so background refreshes of many studios ask
        PerfectGym a few at a time."""
        self._client = client
        self._gate = gate
        self._studio = studio  # the cache's key; None: the one studio
        self._storage = storage
        self._fallback = fallback
        self._ttl = ttl
        self._clock = clock
        self._profile = fallback.profile(None, Source.NONE)
        self._fresh_until = 0.0
        self._refreshing: asyncio.Task[None] | None = None

    def current(self) -> StudioProfile:
        if self._due():
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_gated())
        return self._profile

    def known(self) -> StudioProfile:
        """The profile as last known, asking for no refresh: a chain's choice reads 200 of
        them, whose refreshes :meth:`refresh_if_due` spreads out instead."""
        return self._profile

    async def refresh_if_due(self) -> None:
        """Refresh now if the information is due and no refresh is under way."""
        if self._due():
            await self._refresh_gated()

    async def start(self) -> StudioProfile:
        """Ask PerfectGym once before the first prospect, and say where the studio came from."""
        self._fresh_until = self._clock() + RETRY_AFTER_FAILURE  # no refresh on top of this one
        await self.refresh()
        profile = self._profile
        log.info(
            "studio information from %s: name %s, country %s, time zone %s",
            profile.source,
            "set" if profile.name else "unknown",
            profile.country or "unknown",
            profile.time_zone or "the server's",
        )
        return profile

    async def refresh(self) -> None:
        if self._client is None:
            return
        try:
            information = await self._client.get_studio_information()
        except (PerfectGymAuthError, PerfectGymRejected) as exc:
            # No STUDIO_READ scope (403) or no such resource (404): the environment decides.
            log.info("studio information not available (%s); using the environment", exc)
            self._profile = self._fallback.profile(None, Source.NONE)
            self._fresh_until = self._clock() + self._ttl
            return
        except PerfectGymError as exc:
            log.warning("studio information fetch failed (%s); using the last known", exc)
            if self._profile.source in (Source.NONE, Source.ENVIRONMENT):
                self._profile = await self._stored() or self._profile
            self._fresh_until = self._clock() + RETRY_AFTER_FAILURE
            return
        now = self._clock()
        self._profile = self._fallback.profile(information, Source.PERFECTGYM)
        self._fresh_until = now + self._ttl
        await self._storage.save_studio(
            information.model_dump_json(by_alias=True), now, studio=self._studio
        )

    async def close(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    def _due(self) -> bool:
        """Whether a refresh is due; claims it (one refresh at a time) if so."""
        if self._client is None or self._clock() < self._fresh_until:
            return False
        if self._refreshing is not None and not self._refreshing.done():
            return False
        self._fresh_until = self._clock() + RETRY_AFTER_FAILURE
        return True

    async def _refresh_gated(self) -> None:
        if self._gate is None:
            await self._refresh_quietly()
            return
        async with self._gate:
            await self._refresh_quietly()

    async def _refresh_quietly(self) -> None:
        """In the background nobody awaits the refresh: a failure is logged, never lost."""
        try:
            await self.refresh()
        except Exception as exc:  # e.g. the database briefly gone: the next refresh retries
            log.warning("studio information refresh failed (%s)", failure_cause(exc))

    async def _stored(self) -> StudioProfile | None:
        stored = await self._storage.load_studio(studio=self._studio)
        if stored is None:
            return None
        try:
            information = StudioInformation.model_validate_json(stored[0])
        except ValidationError:
            log.error("the stored studio information no longer parses; ignoring it")
            return None
        return self._fallback.profile(information, Source.STORED)
