"""Durable storage, selected by ``DATABASE_URL``: SQLite by default, PostgreSQL on PaaS add-ons.

Each kind of record has a module of its own with its protocol and its statements; ``Storage``
is all of them, and what a consumer takes is the one protocol it uses. Values cross it as JSON
text and plain dataclasses, never as ORM objects.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.storage.cache import CachedAnswers, ConfigCache, StudioCache
from bot.storage.chat_messages import ChatMessageRecords, ChatMessages
from bot.storage.conversations import ConversationRecords
from bot.storage.erasure import Erasure
from bot.storage.errors import StorageUnavailable
from bot.storage.forgotten import ForgottenChats
from bot.storage.funnel_counts import FunnelCountRecords
from bot.storage.health import StorageHealth
from bot.storage.lead_customers import LeadCustomerRecords
from bot.storage.leadership import Leadership
from bot.storage.outbox import LeadStatus, OutboxEntry, OutboxRecords
from bot.storage.perfectgym_events import PerfectGymEventRecords
from bot.storage.relays import RelayRecords
from bot.storage.replies import PendingReplies
from bot.storage.threads import ThreadRecords
from bot.storage.trial_bookings import TrialBookingRecords
from bot.storage.trial_reminders import TrialReminderRecords

__all__ = [
    "ChatMessages",
    "LeadStatus",
    "OutboxEntry",
    "Storage",
    "StorageHealth",
    "StorageUnavailable",
    "open_storage",
]

log = logging.getLogger(__name__)

# A database that is starting along with the bot (a platform restarting both) gets this long.
WAIT_SECONDS = 60.0
PAUSE_SECONDS = 5.0


class Storage(
    ConversationRecords,
    OutboxRecords,
    ChatMessageRecords,
    FunnelCountRecords,
    TrialBookingRecords,
    TrialReminderRecords,
    PendingReplies,
    ConfigCache,
    StudioCache,
    CachedAnswers,
    Leadership,
    Erasure,
    ForgottenChats,
    ThreadRecords,
    RelayRecords,
    LeadCustomerRecords,
    PerfectGymEventRecords,
    Protocol,
):
    """Every kind of record, on one database (SQLite and PostgreSQL implement it alike)."""

    async def close(self) -> None: ...


async def open_storage(
    url: str,
    health: StorageHealth | None = None,
    *,
    wait: float = 0.0,
    pause: float = PAUSE_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Storage:
    """The storage; while the database is unavailable, tried again every ``pause`` seconds for
    up to ``wait`` seconds, one log line per failed try, before ``StorageUnavailable``."""
    deadline = clock() + wait
    attempt = 1
    while True:
        try:
            return await _open(url, health)
        except StorageUnavailable as exc:
            if clock() + pause > deadline:
                raise
            log.warning(
                "database unavailable (%s); trying again in %g s (attempt %d)",
                exc.cause,
                pause,
                attempt,
            )
        await sleep(pause)
        attempt += 1


async def _open(url: str, health: StorageHealth | None) -> Storage:
    # Imported here, so a SQLite deployment never loads asyncpg.
    if url.startswith(("postgres://", "postgresql://")):
        from bot.storage.postgres import PostgresStorage

        return await PostgresStorage.connect(url, health)
    from bot.storage.sqlite import SqliteStorage

    return SqliteStorage.open(url, health)
