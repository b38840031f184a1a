"""Nothing about a chat is kept for ever: unfinished conversations are erased ``days`` after
the chat went quiet, and every other record with a chat id once its rule says so
(``Erasure.expire``; the README's retention table lists the rules).

What a prospect typed but never sent is personal data with no further use once they have
clearly left; a lead still on its way to PerfectGym is kept until it arrives, and a trial
booking until PerfectGym has been told.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.periodic import Periodic
from bot.storage.erasure import Erasure
from bot.storage.forgotten import ForgottenChats

log = logging.getLogger(__name__)

DAY = 24 * 3600.0


class RetentionRecords(Erasure, ForgottenChats, Protocol):
    """What the sweep erases."""


class Retention:
    def __init__(
        self,
        storage: RetentionRecords,
        *,
        days: int,
        interval: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._days = days
        self._clock = clock
        self._sweeping = Periodic("retention", interval, self.sweep)

    def start(self) -> None:
        self._sweeping.start()

    async def stop(self) -> None:
        await self._sweeping.stop()

    async def sweep(self) -> int:
        """The number of unfinished conversations erased."""
        now = self._clock()
        before = now - self._days * DAY
        erased = await self._storage.erase_idle(before)
        expired = await self._storage.expire(before, now)
        if erased:
            log.info("%d unfinished conversations erased after %d days", erased, self._days)
        if expired:
            log.info("%d records past their retention deleted", expired)
        expired += await self._expire_erasure_requests(before)
        if erased or expired:
            await self._storage.wipe_deleted()
        return erased

    async def _expire_erasure_requests(self, before: float) -> int:
        """What a forgotten chat left for staff goes after the retention period, confirmed or not."""
        expired = await self._storage.expire_forgotten(before)
        if expired:
            log.info("%d erasure requests expired after %d days", expired, self._days)
        return expired
