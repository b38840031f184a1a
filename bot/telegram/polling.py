"""Polling mode with several instances: only the leader calls ``getUpdates``.

Telegram answers a second ``getUpdates`` caller with 409 Conflict, so instances on one
PostgreSQL elect one poller by an advisory lock (``Storage.acquire_leadership``). The others
keep their outbox going and ask again every ``interval`` seconds, so when the leader stops (a
rolling deploy's SIGTERM) or dies, one of them polls within a few seconds. Updates wait at
Telegram meanwhile; none is lost. On SQLite there is one process, always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram.ext import Updater

from bot.storage.leadership import Leadership

log = logging.getLogger(__name__)

INTERVAL = 2.0


class Poller:
    def __init__(
        self,
        updater: Updater,
        storage: Leadership,
        *,
        allowed_updates: list[str],
        interval: float = INTERVAL,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self._updater = updater
        self._storage = storage
        self._allowed_updates = allowed_updates
        self._interval = interval
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self._updater.running

    async def start(self) -> None:
        """One election now, so a lone instance polls before it reports ready; then keep
        watching in the background."""
        await self._step()
        if not self.leading:
            log.info("another instance polls Telegram; this one stands by")
        self._task = asyncio.create_task(self._watch(), name="poller")

    async def stop(self) -> None:
        """Stop polling first, then let go of the leadership, so the next poller starts only
        once this one's last getUpdates is done."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._updater.running:
            await self._updater.stop()
            self._changed()
        await self._storage.release_leadership()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._step()
            except Exception as exc:  # a database hiccup: the next step tries again
                log.warning("poller election failed (%s)", type(exc).__name__)

    async def _step(self) -> None:
        if self.leading:
            if not await self._storage.leadership_alive():
                log.warning("lost the poller lock with its database connection; stop polling")
                await self._updater.stop()
                self._changed()
            return
        if await self._storage.acquire_leadership():
            await self._updater.start_polling(
                allowed_updates=self._allowed_updates, poll_interval=0.0, timeout=10
            )
            log.info("polling for updates")
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self.leading)
