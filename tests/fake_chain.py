"""Many PerfectGym studios behind one loopback server: a chain of N studios, each its own key.

PerfectGym gives each studio its own key (and tenant URL); one server answering for N keys is
enough to make the bot hold N clients, and it can count what the bot asks of all of them at
once: the requests in flight, at their peak, are what "no burst of 400 requests at start" is
about. Each studio is a :class:`PerfectGymStandIn` of its own (its leads, its information).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tornado.httputil import HTTPServerRequest

from bot.standin.leads import (
    PerfectGymStandIn,
    StandInReply,
    StandInRequest,
    read_request,
    write_reply,
)

# A few cities with real coordinates: the clubs spread over them, offered city by city.
CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("London", "GB", 51.5072, -0.1276),
    ("Manchester", "GB", 53.4808, -2.2426),
    ("Berlin", "DE", 52.5200, 13.4050),
    ("Munich", "DE", 48.1351, 11.5820),
    ("Vienna", "AT", 48.2082, 16.3738),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Madrid", "ES", 40.4168, -3.7038),
    ("Warsaw", "PL", 52.2297, 21.0122),
)


@dataclass(frozen=True)
class ChainStudio:
    """One studio of the fake chain, as STUDIOS_FILE and its information describe it."""

    id: str
    key: str
    name: str
    city: str
    country: str
    latitude: float
    longitude: float

    @property
    def key_variable(self) -> str:
        return f"KEY_{self.id.upper()}"

    def information(self, number: int) -> dict[str, Any]:
        return {
            "studioId": number,
            "name": self.name,
            "countryCode": self.country,
            "city": self.city,
            "zip": f"{number:05d}",
            "location": {"latitude": self.latitude, "longitude": self.longitude},
        }


def chain_studios(count: int) -> list[ChainStudio]:
    """``count`` studios s000, s001, ... dealt round the cities, a few hundred metres apart."""
    studios = []
    for n in range(count):
        city, country, lat, lon = CITIES[n % len(CITIES)]
        offset = (n // len(CITIES)) * 0.003
        studios.append(
            ChainStudio(
                id=f"s{n:03d}",
                key=f"pg-chain-key-{n:03d}-0123456789",
                name=f"Sol s{n:03d}",
                city=city,
                country=country,
                latitude=round(lat + offset, 6),
                longitude=round(lon + offset, 6),
            )
        )
    return studios


def studios_toml(studios: Sequence[ChainStudio], url: str, *, brand: str = "Studio Sol") -> str:
    """STUDIOS_FILE for ``studios``, all at ``url``; each key in its own variable."""
    lines = [f'brand = "{brand}"']
    for studio in studios:
        lines += [
            "",
            "[[studio]]",
            f'id = "{studio.id}"',
            f'perfectgym_api_url = "{url}"',
            f'perfectgym_api_key_env = "{studio.key_variable}"',
            f'name = "{studio.name}"',
            f'city = "{studio.city}"',
            f'country = "{studio.country}"',
            f"latitude = {studio.latitude}",
            f"longitude = {studio.longitude}",
        ]
    return "\n".join(lines) + "\n"


class FakeChain(PerfectGymStandIn):
    """Answers for every studio of ``studios`` by the request's key, each from its own stand-in,
    after ``latency`` seconds; counts requests per endpoint and in flight (now and at the peak)."""

    def __init__(
        self, studios: Sequence[ChainStudio], config: dict[str, Any], *, latency: float = 0.0
    ) -> None:
        super().__init__(config, api_key="")
        self.latency = latency
        self.studios = list(studios)
        self.tenants: dict[str, PerfectGymStandIn] = {}
        self._by_key: dict[str, PerfectGymStandIn] = {}
        for number, studio in enumerate(studios, start=1):
            tenant = PerfectGymStandIn(config, studio.key, studio.information(number))
            self.tenants[studio.id] = tenant
            self._by_key[studio.key] = tenant
        self.calls: collections.Counter[str] = collections.Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        # Per studio id, the endpoints it has been answered on.
        self.answered: dict[str, set[str]] = collections.defaultdict(set)
        self._ids = {studio.key: studio.id for studio in studios}
        self._all_loaded = asyncio.Event()
        self._held: dict[str, asyncio.Event] = {}
        self.loaded_at: float | None = None  # perf_counter() when the last studio's config went

    def hold(self, studio_id: str) -> asyncio.Event:
        """Keep the studio's answers waiting until the returned event is set: a studio that
        has not loaded yet for as long as a test needs, without a clock."""
        return self._held.setdefault(studio_id, asyncio.Event())

    async def stop(self) -> None:
        for held in self._held.values():  # let held answers go: stopping waits for them
            held.set()
        await super().stop()

    def reset_peak(self) -> None:
        self.peak_in_flight = self.in_flight

    def created_per_studio(self) -> dict[str, int]:
        """Leads created per studio id."""
        return {studio_id: len(tenant.created) for studio_id, tenant in self.tenants.items()}

    def loaded(self) -> int:
        """Studios whose information and leads configuration have both been answered."""
        return sum(1 for done in self.answered.values() if {"studio", "config"} <= done)

    async def all_loaded(self, timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            await self._all_loaded.wait()

    async def respond(self, request: StandInRequest) -> StandInReply:
        tenant = self._by_key.get(request.api_key or "")
        if tenant is None:
            return StandInReply.error(
                401, "Authentication failed. Wrong or missing api key.", "UNAUTHORIZED"
            )
        return await tenant.respond(request)

    async def _serve(self, request: HTTPServerRequest) -> None:
        incoming = read_request(request)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if incoming.endpoint is not None:
                self.calls[incoming.endpoint] += 1
            if self.latency:
                await asyncio.sleep(self.latency)
            studio = self._ids.get(incoming.api_key or "")
            if studio in self._held:
                await self._held[studio].wait()
            reply = await self.respond(incoming)
            if studio is not None and incoming.endpoint is not None and reply.status == 200:
                self.answered[studio].add(incoming.endpoint)
                if not self._all_loaded.is_set() and self.loaded() == len(self.studios):
                    self.loaded_at = time.perf_counter()
                    self._all_loaded.set()
            write_reply(request, reply)
        finally:
            self.in_flight -= 1
