"""The front desk's relay queue: every message between a prospect and the studio's staff, stored
before its update is confirmed to Telegram, then sent by a worker (``bot/frontdesk/relay.py``).

A relay names its source message (chat and message id), never its text: Telegram copies it
(``copyMessage``). Only the bot's own words to a topic (the lead's summary, a note) carry text,
erased once sent. Relays are claimed like the outbox's leads (a lease, ``held_until``, taken by
one statement that PostgreSQL re-checks on a row another instance changed), one thread's relays
in each direction strictly in order: a relay is claimable only while no older one of its lane
is pending. So with two instances each message is relayed once, and in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.database import Database, Row, SqlRecords


class Direction(StrEnum):
    TO_STAFF = "to_staff"
    TO_PROSPECT = "to_prospect"


class RelayKind(StrEnum):
    COPY = "copy"  # copyMessage of the source message
    TEXT = "text"  # the bot's own words (a summary, a note)
    REOPEN = "reopen"  # reopen the forum topic (the prospect wrote again after /close)
    CLOSE = "close"  # close the forum topic (staff sent /close)


class RelayStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class NewRelay:
    direction: Direction
    kind: RelayKind
    source_chat_id: int | None = None
    source_message_id: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class Relay:
    id: int
    chat_id: int  # the prospect's chat, whichever the direction
    direction: Direction
    kind: RelayKind
    source_chat_id: int | None
    source_message_id: int | None
    text: str | None
    attempts: int
    created_at: float


class RelayRecords(Protocol):
    async def claim_relays(self, now: float, until: float, limit: int) -> list[Relay]:
        """Due relays nobody holds, each the oldest pending one of its thread and direction,
        held until ``until``: of two instances claiming at once, exactly one gets each."""
        ...

    async def relay_done(self, relay_id: int, sent_message_id: int | None) -> bool:
        """Sent: the copy's id in the target chat is kept (staff reply to it), any text goes.
        False when the relay is gone: /forget came while it was on its way."""
        ...

    async def retry_relay(self, relay_id: int, due_at: float) -> None: ...

    async def relay_failed(self, relay_id: int) -> None:
        """Given up (refused, or a day old): no longer pending, its text erased."""
        ...

    async def fail_relays(self, chat_id: int, direction: Direction) -> None:
        """Everything still pending for the chat in ``direction`` (the prospect blocked the bot)."""
        ...

    async def any_relays(self) -> bool:
        """Whether anything is pending (another instance may have died holding some)."""
        ...


RELAY_COLUMNS = (
    "id, chat_id, direction, kind, source_chat_id, source_message_id, text, attempts, created_at"
)

# Retention: relays queued before $1, whatever became of them.
EXPIRE_RELAYS = "DELETE FROM relays WHERE created_at < $1 RETURNING chat_id"
DELETE_CHAT_RELAYS = "DELETE FROM relays WHERE chat_id = $1"  # /forget
# What the bot posted in the staff chat for chat $1 (direction $2 = to staff): /forget deletes it.
STAFF_COPIES = (
    "SELECT sent_message_id FROM relays WHERE chat_id = $1 AND direction = $2 "
    "AND sent_message_id IS NOT NULL ORDER BY id"
)
# The chats whose relay to staff was sent as the staff chat's message $2 (a reply to it).
RELAYED_AS = "SELECT chat_id FROM relays WHERE direction = $4 AND sent_message_id = $2"

# The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
# instance changed meanwhile, so a relay is claimed once; the lane's order is the inner NOT EXISTS.
CLAIM_RELAYS = (
    "UPDATE relays SET held_until = $2 WHERE id IN ("
    "SELECT r.id FROM relays r WHERE r.status = $4 AND r.due_at <= $1 "
    "AND (r.held_until IS NULL OR r.held_until < $1) "
    "AND NOT EXISTS (SELECT 1 FROM relays e WHERE e.chat_id = r.chat_id "
    "AND e.direction = r.direction AND e.status = $4 AND e.id < r.id) "
    "ORDER BY r.id LIMIT $3) AND status = $4 AND (held_until IS NULL OR held_until < $1) "
    f"RETURNING {RELAY_COLUMNS}"
)


def relay_from_row(row: Row) -> Relay:
    return Relay(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        direction=Direction(row["direction"]),
        kind=RelayKind(row["kind"]),
        source_chat_id=None if row["source_chat_id"] is None else int(row["source_chat_id"]),
        source_message_id=(
            None if row["source_message_id"] is None else int(row["source_message_id"])
        ),
        text=row["text"],
        attempts=int(row["attempts"]),
        created_at=float(row["created_at"]),
    )


async def insert_relay(
    db: Database, chat_id: int, relay: NewRelay, now: float, thread_exists: str
) -> int:
    """Queue ``relay`` for the chat's thread (1), unless its source message is queued already
    (0: a redelivered update) or the chat has no thread (0: forgotten meanwhile).
    ``thread_exists``: the threads' condition on chat $1, written by their kind."""
    inserted = await db.fetchval(
        "INSERT INTO relays (chat_id, direction, kind, source_chat_id, source_message_id, text, "
        "status, attempts, due_at, held_until, created_at, sent_message_id) "
        "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT), "
        "CAST($5 AS BIGINT), CAST($6 AS TEXT), CAST($7 AS TEXT), 0, "
        "CAST($8 AS DOUBLE PRECISION), NULL, CAST($8 AS DOUBLE PRECISION), NULL "
        f"WHERE {thread_exists} ON CONFLICT DO NOTHING RETURNING id",
        chat_id,
        relay.direction.value,
        relay.kind.value,
        relay.source_chat_id,
        relay.source_message_id,
        relay.text,
        RelayStatus.PENDING.value,
        now,
    )
    return 0 if inserted is None else 1


class SqlRelays(SqlRecords):
    async def claim_relays(self, now: float, until: float, limit: int) -> list[Relay]:
        rows = await self._db.fetch(CLAIM_RELAYS, now, until, limit, RelayStatus.PENDING.value)
        return sorted((relay_from_row(row) for row in rows), key=lambda relay: relay.id)

    async def relay_done(self, relay_id: int, sent_message_id: int | None) -> bool:
        done = await self._db.fetchval(
            "UPDATE relays SET status = $2, text = NULL, held_until = NULL, sent_message_id = $3 "
            "WHERE id = $1 RETURNING id",
            relay_id,
            RelayStatus.DONE.value,
            sent_message_id,
        )
        return done is not None

    async def retry_relay(self, relay_id: int, due_at: float) -> None:
        await self._db.execute(
            "UPDATE relays SET attempts = attempts + 1, due_at = $2, held_until = NULL "
            "WHERE id = $1",
            relay_id,
            due_at,
        )

    async def relay_failed(self, relay_id: int) -> None:
        await self._db.execute(
            "UPDATE relays SET status = $2, text = NULL, held_until = NULL WHERE id = $1",
            relay_id,
            RelayStatus.FAILED.value,
        )

    async def fail_relays(self, chat_id: int, direction: Direction) -> None:
        await self._db.execute(
            "UPDATE relays SET status = $3, text = NULL, held_until = NULL "
            "WHERE chat_id = $1 AND direction = $2 AND status = $4",
            chat_id,
            direction.value,
            RelayStatus.FAILED.value,
            RelayStatus.PENDING.value,
        )

    async def any_relays(self) -> bool:
        found = await self._db.fetchval(
            "SELECT 1 FROM relays WHERE status = $1 LIMIT 1", RelayStatus.PENDING.value
        )
        return found is not None
