"""Unfinished conversations are not kept for ever: erased ``days`` after the chat went quiet.

What a prospect typed but never sent is personal data with no further use once they have
clearly left; a lead still on its way to PerfectGym is kept until it arrives.
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
        erased = await self._storage.erase_idle(self._clock() - self._days * DAY)
        if erased:
            log.info("%d unfinished conversations erased after %d days", erased, self._days)
        await self._expire_erasure_requests()
        return erased

    async def _expire_erasure_requests(self) -> None:
        """What a forgotten chat left for staff goes after the retention period, confirmed or not."""
        expired = await self._storage.expire_forgotten(self._clock() - self._days * DAY)
        if expired:
            log.info("%d erasure requests expired after %d days", expired, self._days)
