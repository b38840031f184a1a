"""PerfectGym's webhook events: stored while the request is answered, processed afterwards by
whichever instance claims each (held as outbox entries are leased), once.

A delivery PerfectGym repeats (same studio, ``uuid`` and payload element) is not stored again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.database import Row, SqlRecords
from bot.storage.lead_customers import chat_of_customers
from bot.storage.studios import studio_key


class EventStatus(StrEnum):
    PENDING = "pending"  # stored, not processed yet
    DONE = "done"
    FAILED = "failed"  # given up after repeated failures (logged)


@dataclass(frozen=True)
class NewEvent:
    """One element of a delivery's payload, as stored. ``studio`` None: the single studio;
    ``chat_id`` the chat of the bot's customer or booking it is about (None: the studio's own
    event); ``content`` JSON of the properties the bot reads; ``timestamp`` in seconds."""

    studio: str | None
    uuid: str
    part: int
    type: str
    entity_id: int
    content: str
    chat_id: int | None
    timestamp: float


@dataclass(frozen=True)
class StoredEvent(NewEvent):
    received_at: float = 0.0
    attempts: int = 0


class PerfectGymEventRecords(Protocol):
    async def store_event(self, event: NewEvent, now: float) -> bool:
        """Store ``event`` as pending, due now; False (nothing stored) when that delivery's
        element is stored already (PerfectGym sent it again). Its chat is stored only while
        the bot still has a customer in it: a chat forgotten since the event was recognised
        as the bot's is not written again (the event is kept without it, and finds nobody)."""
        ...

    async def claim_events(self, now: float, limit: int, until: float) -> list[StoredEvent]:
        """Due pending events nobody holds, each held until ``until`` by the caller; of two
        instances claiming at once, each event goes to one."""
        ...

    async def finish_event(self, event: StoredEvent, status: EventStatus) -> None: ...

    async def retry_event(self, event: StoredEvent, attempts: int, next_attempt_at: float) -> None:
        """Processing failed: due again at ``next_attempt_at``, held by nobody."""
        ...


_COLUMNS = "studio, uuid, part, type, entity_id, content, chat_id, timestamp, received_at, attempts"
_KEY = "studio = $1 AND uuid = $2 AND part = $3"

# Retention: every event received before $1, processed or not.
EXPIRE_EVENTS = "DELETE FROM perfectgym_events WHERE received_at < $1 RETURNING chat_id"
DELETE_CHAT_EVENTS = "DELETE FROM perfectgym_events WHERE chat_id = $1"  # /forget
# SQLite is one process: whatever held an event when it stopped is gone.
RELEASE_EVENTS = "UPDATE perfectgym_events SET held_until = NULL WHERE held_until IS NOT NULL"


def _event(row: Row) -> StoredEvent:
    return StoredEvent(
        studio=row["studio"] or None,
        uuid=row["uuid"],
        part=int(row["part"]),
        type=row["type"],
        entity_id=int(row["entity_id"]),
        content=row["content"],
        chat_id=None if row["chat_id"] is None else int(row["chat_id"]),
        timestamp=float(row["timestamp"]),
        received_at=float(row["received_at"]),
        attempts=int(row["attempts"]),
    )


class SqlPerfectGymEvents(SqlRecords):
    async def store_event(self, event: NewEvent, now: float) -> bool:
        stored = await self._db.fetchval(
            "INSERT INTO perfectgym_events (studio, uuid, part, type, entity_id, content, "
            "chat_id, timestamp, received_at, status, attempts, next_attempt_at) "
            f"VALUES ($1, $2, $3, $4, $5, $6, {chat_of_customers('$7')}, $8, $9, $10, 0, $9) "
            "ON CONFLICT (studio, uuid, part) DO NOTHING RETURNING uuid",
            studio_key(event.studio),
            event.uuid,
            event.part,
            event.type,
            event.entity_id,
            event.content,
            event.chat_id,
            event.timestamp,
            now,
            EventStatus.PENDING.value,
        )
        return stored is not None

    async def claim_events(self, now: float, limit: int, until: float) -> list[StoredEvent]:
        candidates = await self._db.fetch(
            "SELECT studio, uuid, part FROM perfectgym_events WHERE status = 'pending' "
            "AND next_attempt_at <= $1 AND (held_until IS NULL OR held_until < $1) "
            "ORDER BY next_attempt_at, received_at, part LIMIT $2",
            now,
            limit,
        )
        claimed = []
        for candidate in candidates:
            # The condition is checked again against the latest committed row: on PostgreSQL
            # the second of two instances waits for the first's update, then finds it held.
            row = await self._db.fetchrow(
                f"UPDATE perfectgym_events SET held_until = $4 WHERE {_KEY} "
                "AND status = 'pending' AND (held_until IS NULL OR held_until < $5) "
                f"RETURNING {_COLUMNS}",
                candidate["studio"],
                candidate["uuid"],
                candidate["part"],
                until,
                now,
            )
            if row is not None:
                claimed.append(_event(row))
        return claimed

    async def finish_event(self, event: StoredEvent, status: EventStatus) -> None:
        await self._db.execute(
            f"UPDATE perfectgym_events SET status = $4, held_until = NULL WHERE {_KEY}",
            studio_key(event.studio),
            event.uuid,
            event.part,
            status.value,
        )

    async def retry_event(self, event: StoredEvent, attempts: int, next_attempt_at: float) -> None:
        await self._db.execute(
            "UPDATE perfectgym_events SET attempts = $4, next_attempt_at = $5, held_until = NULL "
            f"WHERE {_KEY}",
            studio_key(event.studio),
            event.uuid,
            event.part,
            attempts,
            next_attempt_at,
        )
