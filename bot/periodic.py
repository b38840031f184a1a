"""A background task that runs one coroutine every few seconds until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """``action`` every ``interval`` seconds. An error is logged and the next round tries
    again: a sweep that fails once (the database restarting) must not stop for good."""

    def __init__(self, name: str, interval: float, action: Callable[[], Awaitable[object]]) -> None:
        self._name = name
        self._interval = interval
        self._action = action
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self._action()
            except Exception:
                log.warning(
                    "%s failed; trying again in %g s", self._name, self._interval, exc_info=True
                )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
