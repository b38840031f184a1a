"""One club's membership offers, cached like its studio information: kept in memory for a TTL,
persisted (``studio_caches``, kind ``membership_offers``), and refreshed in the background.

A prospect never waits on a failing API: a stale copy is answered at once while a refresh runs
behind it; only with no copy at all (a first start, and the start-up fetch failed) does an
answer wait for PerfectGym, and then at most :data:`FIRST_WAIT` seconds. A key without the
scope (403) or a tenant without the endpoint (404) means "no offers": the copy is dropped, and
asked again after the TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from pydantic import ValidationError

from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError, PerfectGymRejected
from bot.perfectgym.offers import MembershipOffers
from bot.storage.cache import CachedAnswers
from bot.storage.errors import failure_cause
from conversations.prices import Offer

log = logging.getLogger(__name__)

KIND = "membership_offers"
RETRY_AFTER_FAILURE = 60.0
FIRST_WAIT = 3.0
"""How long a prospect's question waits for the first answer PerfectGym ever gives."""


class OfferShelf:
    def __init__(
        self,
        client: PerfectGymClient,
        storage: CachedAnswers,
        *,
        studio: str | None,
        ttl: float,
        clock: Callable[[], float] = time.time,
        first_wait: float = FIRST_WAIT,
    ) -> None:
        self._client = client
        self._storage = storage
        self._studio = studio
        self._ttl = ttl
        self._clock = clock
        self._first_wait = first_wait
        self._offers: tuple[Offer, ...] | None = None
        self._fresh_until = 0.0
        self._stored_read = False
        self._refreshing: asyncio.Task[None] | None = None

    @property
    def known(self) -> tuple[Offer, ...] | None:
        """The offers as last known, without asking anyone (None: none known)."""
        return self._offers

    async def get(self) -> tuple[Offer, ...] | None:
        """The offers to answer with now; None when there are none to show."""
        if not self._stored_read:
            await self._read_stored()
        if self._clock() < self._fresh_until:
            return self._offers
        refreshing = self._refresh_soon()
        if self._offers is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(refreshing), self._first_wait)
        return self._offers

    async def refresh(self) -> None:
        try:
            answer = await self._client.membership_offers()
        except (PerfectGymAuthError, PerfectGymRejected) as exc:
            log.info("membership offers not available (%s); prices are left to staff", exc)
            self._offers = None
            self._fresh_until = self._clock() + self._ttl
            return
        except PerfectGymError as exc:
            log.warning("membership offers fetch failed (%s); using the last known", exc)
            self._fresh_until = self._clock() + RETRY_AFTER_FAILURE
            return
        now = self._clock()
        self._offers = answer.offers()
        self._fresh_until = now + self._ttl
        await self._storage.save_cached(
            KIND, answer.model_dump_json(by_alias=True), now, studio=self._studio
        )

    async def close(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    def _refresh_soon(self) -> asyncio.Task[None]:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_quietly())
        return self._refreshing

    async def _refresh_quietly(self) -> None:
        """Nobody may be waiting for it: a failure is logged, and the next ask tries again."""
        try:
            await self.refresh()
        except Exception as exc:  # e.g. the database briefly gone
            log.warning("membership offers refresh failed (%s)", failure_cause(exc))
            self._fresh_until = self._clock() + RETRY_AFTER_FAILURE

    async def _read_stored(self) -> None:
        """The copy an earlier run kept, once: answered while PerfectGym is asked again."""
        self._stored_read = True
        try:
            stored = await self._storage.load_cached(KIND, studio=self._studio)
        except Exception as exc:
            log.warning("stored membership offers unreadable (%s)", failure_cause(exc))
            return
        if stored is None or self._offers is not None:
            return
        try:
            self._offers = MembershipOffers.model_validate_json(stored[0]).offers()
        except ValidationError:
            log.error("the stored membership offers no longer parse; ignoring them")
            return
        self._fresh_until = stored[1] + self._ttl
