"""Concurrency with per-chat order, and a cap on how much one chat may queue.

python-telegram-bot's ``concurrent_updates`` runs updates concurrently with no ordering, so a
prospect's second answer could overtake their first. Here each chat has a lock: different chats
run side by side (a slow PerfectGym call for one prospect holds up nobody else), one chat's
updates run in arrival order. (A second instance on the same PostgreSQL is ordered by the
conversation's compare-and-set write instead: see ``ConversationStore``.) A chat that floods the
bot has everything beyond ``max_pending_per_chat`` queued updates dropped, so it cannot make the
bot call PerfectGym or answer fifty times a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 512,
        max_pending_per_chat: int = 8,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._max_pending = max_pending_per_chat
        self._on_update = on_update
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Runs inside one of the global slots; a flooding chat holds at most its pending cap."""
        chat_id = _chat_id(update)
        if chat_id is None:
            await coroutine
            return
        pending = self._pending.get(chat_id, 0)
        if pending >= self._max_pending:
            log.warning("flood control: dropped an update from a chat with %d queued", pending)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            return
        self._pending[chat_id] = pending + 1
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock:
                await coroutine
            if self._on_update is not None:
                self._on_update()
        finally:
            left = self._pending[chat_id] - 1
            if left:
                self._pending[chat_id] = left
            else:
                del self._pending[chat_id]
                del self._locks[chat_id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
