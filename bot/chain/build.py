"""The chain's clubs, built from the roster: one PerfectGym client, studio directory, leads
config source and set of texts per studio, all on the one database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from bot.chain.chain import LOAD_CONCURRENCY, Chain
from bot.chain.club import Club
from bot.chain.roster import SINGLE_STUDIO_ID, Roster, StudioSpec
from bot.perfectgym.budget import RateBudget
from bot.perfectgym.client import PerfectGymClient
from bot.storage import Storage
from bot.studio.information import StudioDirectory, StudioFallback
from bot.studio.leads_config import LeadsConfigSource
from bot.studio.texts import StudioTexts, StudioTextsError


class Observe(Protocol):
    """Told of every PerfectGym call, and of the studio whose client made it (metrics)."""

    def __call__(
        self, endpoint: str, status: str, seconds: float, /, *, studio: str | None = None
    ) -> None: ...


def observing(
    observe: Observe | None, studio: str | None
) -> Callable[[str, str, float], None] | None:
    """A client's ``observe``: ``observe`` with the client's studio filled in."""
    if observe is None:
        return None
    told = observe

    def call(endpoint: str, status: str, seconds: float) -> None:
        told(endpoint, status, seconds, studio=studio)

    return call


def build_chain(
    roster: Roster,
    storage: Storage,
    *,
    texts: StudioTexts | None = None,
    timeout: float = 10.0,
    deadline: float | None = None,
    observe: Observe | None = None,
    config_ttl: float = 600.0,
    health_interval: float = 60.0,
    clock: Callable[[], float] = time.time,
    client_for: Callable[[StudioSpec], PerfectGymClient] | None = None,
    rate_limit_pause: float = 60.0,
) -> Chain:
    """``texts`` are the one studio's (already loaded from STUDIO_TEXTS_FILE) when the roster
    comes from the environment; a file's studios each load their own ``texts_file``.
    ``observe`` is told of each client's calls with its studio (``None``: the single studio).
    ``client_for`` replaces the HTTP client (the demo's stand-ins). Each studio's client has a
    rate budget of its own (PerfectGym counts per key and endpoint), pausing at most
    ``rate_limit_pause`` after a 429 that gives no ``Retry-After``. ``health_interval``: how
    often a club out of the choice is asked again (STUDIO_HEALTH_SECONDS)."""

    def client(spec: StudioSpec, key: str | None) -> PerfectGymClient:
        if client_for is not None:
            return client_for(spec)
        return PerfectGymClient(
            spec.api_url,
            spec.api_key.get_secret_value(),
            timeout=timeout,
            deadline=deadline,
            observe=observing(observe, key),
            # On the services' clock: a pause after a 429 ends when the outbox's retry is due.
            budget=RateBudget(pause_without_retry_after=rate_limit_pause, clock=clock, wall=clock),
        )

    clubs = []
    gate = asyncio.Semaphore(LOAD_CONCURRENCY)  # every club's calls in the background, together
    for spec in roster.studios:
        key = spec.id if roster.from_file else None
        pg = client(spec, key)
        fallback = fallback_of(spec)
        clubs.append(
            Club(
                id=spec.id,
                storage_key=key,
                client=pg,
                directory=StudioDirectory(
                    pg, storage, fallback, ttl=config_ttl, clock=clock, studio=key, gate=gate
                ),
                config=LeadsConfigSource(pg, storage, ttl=config_ttl, clock=clock, studio=key),
                texts=texts if texts is not None and not roster.from_file else texts_of(spec),
                staff_chat_id=spec.staff_chat_id,
                webhook_key=spec.webhook_key.get_secret_value() if spec.webhook_key else None,
            )
        )
    return Chain(
        clubs,
        brand=roster.brand,
        staff_chat_id=roster.staff_chat_id,
        health_interval=health_interval,
        gate=gate,
    )


def fallback_of(spec: StudioSpec) -> StudioFallback:
    """What the file says of a studio, for whatever PerfectGym's information leaves out."""
    point = None
    if spec.latitude is not None and spec.longitude is not None:
        point = (spec.latitude, spec.longitude)
    return StudioFallback(
        spec.name, spec.country, spec.timezone, city=spec.city, postcode=spec.postcode, point=point
    )


def texts_of(spec: StudioSpec) -> StudioTexts:
    try:
        path = str(spec.texts_file) if spec.texts_file is not None else None
        return StudioTexts.load(path, privacy_url=spec.privacy_url)
    except StudioTextsError as exc:
        raise StudioTextsError(f"studio {spec.id}: {exc}") from None


def single_chain(
    client: PerfectGymClient,
    storage: Storage,
    *,
    texts: StudioTexts | None = None,
    fallback: StudioFallback | None = None,
    config_ttl: float = 600.0,
    staff_chat_id: int | None = None,
    clock: Callable[[], float] = time.time,
) -> Chain:
    """The chain of one studio that a deployment without ``STUDIOS_FILE`` is (and the demo's,
    and a test's)."""
    directory = StudioDirectory(
        client, storage, fallback or StudioFallback(), ttl=config_ttl, clock=clock
    )
    config = LeadsConfigSource(client, storage, ttl=config_ttl, clock=clock)
    club = Club(SINGLE_STUDIO_ID, None, client, directory, config, texts or StudioTexts())
    return Chain([club], staff_chat_id=staff_chat_id)
