"""Durable storage, selected by ``DATABASE_URL``: SQLite by default, PostgreSQL on PaaS add-ons.

Each kind of record has a module of its own with its protocol and its statements; ``Storage``
is all of them, and what a consumer takes is the one protocol it uses. Values cross it as JSON
text and plain dataclasses, never as ORM objects.
"""

from typing import Protocol

from bot.storage.cache import ConfigCache, StudioCache
from bot.storage.chat_messages import ChatMessageRecords, ChatMessages
from bot.storage.conversations import ConversationRecords
from bot.storage.erasure import Erasure
from bot.storage.funnel_counts import FunnelCountRecords
from bot.storage.leadership import Leadership
from bot.storage.outbox import LeadStatus, OutboxEntry, OutboxRecords
from bot.storage.trial_bookings import TrialBookingRecords

__all__ = ["ChatMessages", "LeadStatus", "OutboxEntry", "Storage", "open_storage"]


class Storage(
    ConversationRecords,
    OutboxRecords,
    ChatMessageRecords,
    FunnelCountRecords,
    TrialBookingRecords,
    ConfigCache,
    StudioCache,
    Leadership,
    Erasure,
    Protocol,
):
    """Every kind of record, on one database (SQLite and PostgreSQL implement it alike)."""

    async def close(self) -> None: ...


async def open_storage(url: str) -> Storage:
    # Imported here, so a SQLite deployment never loads asyncpg.
    if url.startswith(("postgres://", "postgresql://")):
        from bot.storage.postgres import PostgresStorage

        return await PostgresStorage.connect(url)
    from bot.storage.sqlite import SqliteStorage

    return SqliteStorage.open(url)
