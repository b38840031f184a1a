"""Stored conversations (write-through, one row per chat) and the claim of their one reminder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.database import Database, SqlRecords


class Reminder(StrEnum):
    """How a conversation's one reminder went (the ``reminder`` column; NULL: none yet)."""

    SENDING = "sending"  # claimed by an instance until ``reminder_until``
    SENT = "sent"
    BLOCKED = "blocked"  # Telegram said 403: the prospect blocked the bot; never retried
    SKIPPED = "skipped"  # nothing to remind of (the lead was already confirmed)


@dataclass(frozen=True)
class IdleConversation:
    """A conversation claimed for its reminder, with the state it was claimed in."""

    chat_id: int
    state: str


class ConversationRecords(Protocol):
    async def load_conversation(self, chat_id: int) -> str | None: ...

    async def save_conversation(self, chat_id: int, state: str) -> None: ...

    async def replace_conversation(
        self, chat_id: int, state: str, previous: str | None, now: float
    ) -> bool:
        """Store ``state`` only if the stored one is still ``previous`` (None: if there is none),
        as last updated ``now`` (reminders and retention count from it).

        False when another writer got there first: the caller reads again and recomputes. This
        is how two instances never apply two updates of one chat at once, nor lose one."""
        ...

    async def delete_conversation(self, chat_id: int) -> None: ...

    async def claim_reminders(
        self, idle_since: float, not_before: float, now: float, until: float, limit: int
    ) -> list[IdleConversation]:
        """Conversations last answered in (``not_before``, ``idle_since``] that have had no
        reminder, and those whose sender's claim ran out before ``now``, each claimed until
        ``until``: of two instances sweeping at once, exactly one gets each."""
        ...

    async def finish_reminder(self, chat_id: int, outcome: Reminder | None) -> None:
        """Record how the reminder went; None: not sent, so due again once the chat is idle."""
        ...


# /forget and /cancel, and "the chat still exists" (``bot.storage.chats``).
DELETE_CHAT_CONVERSATION = "DELETE FROM conversations WHERE chat_id = $1"
CONVERSATION_EXISTS = "EXISTS (SELECT 1 FROM conversations WHERE chat_id = $1)"

# A lead the studio refused goes back to the prospect to correct (``OutboxRecords.
# reopen_conversation``): one reminder may follow.
REOPEN_CONVERSATION = (
    "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, "
    "reminder = NULL, reminder_until = NULL"
)

SAVE_CONVERSATION = (
    "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
)

# Compare-and-set: written only over the state the caller read (or only where there is none).
# The stored text itself is the version: equal text means an equal state to compute from.
REPLACE_CONVERSATION = (
    "UPDATE conversations SET state = $2, updated_at = $3 WHERE chat_id = $1 AND state = $4 "
    "RETURNING chat_id"
)
INSERT_CONVERSATION = (
    "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (chat_id) DO NOTHING RETURNING chat_id"
)

# The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
# instance changed meanwhile, so a conversation is claimed once.
CLAIM_NEW_REMINDERS = (
    "UPDATE conversations SET reminder = $1, reminder_until = $2 WHERE chat_id IN ("
    "SELECT chat_id FROM conversations WHERE reminder IS NULL AND updated_at <= $3 "
    "AND updated_at > $4 ORDER BY updated_at LIMIT $5) AND reminder IS NULL "
    "RETURNING chat_id, state"
)
CLAIM_LAPSED_REMINDERS = (
    "UPDATE conversations SET reminder_until = $2 WHERE chat_id IN ("
    "SELECT chat_id FROM conversations WHERE reminder = $1 AND reminder_until < $3 LIMIT $4) "
    "AND reminder = $1 AND reminder_until < $3 RETURNING chat_id, state"
)


async def replace(db: Database, chat_id: int, state: str, previous: str | None, now: float) -> bool:
    """``replace_conversation`` on ``db`` (the outbox runs it inside its own transaction).

    One statement, so one round trip: PostgreSQL's row lock orders two instances' writes,
    and the second one's condition is checked against the first one's committed row."""
    if previous is None:
        written = await db.fetchval(INSERT_CONVERSATION, chat_id, state, now)
    else:
        written = await db.fetchval(REPLACE_CONVERSATION, chat_id, state, now, previous)
    return written is not None


class SqlConversations(SqlRecords):
    async def load_conversation(self, chat_id: int) -> str | None:
        state: str | None = await self._db.fetchval(
            "SELECT state FROM conversations WHERE chat_id = $1", chat_id
        )
        return state

    async def save_conversation(self, chat_id: int, state: str) -> None:
        await self._db.execute(SAVE_CONVERSATION, chat_id, state, time.time())

    async def replace_conversation(
        self, chat_id: int, state: str, previous: str | None, now: float
    ) -> bool:
        return await replace(self._db, chat_id, state, previous, now)

    async def delete_conversation(self, chat_id: int) -> None:
        await self._db.execute(DELETE_CHAT_CONVERSATION, chat_id)

    async def claim_reminders(
        self, idle_since: float, not_before: float, now: float, until: float, limit: int
    ) -> list[IdleConversation]:
        sending = Reminder.SENDING.value
        rows = [
            *await self._db.fetch(
                CLAIM_NEW_REMINDERS, sending, until, idle_since, not_before, limit
            ),
            *await self._db.fetch(CLAIM_LAPSED_REMINDERS, sending, until, now, limit),
        ]
        return [IdleConversation(int(row["chat_id"]), str(row["state"])) for row in rows]

    async def finish_reminder(self, chat_id: int, outcome: Reminder | None) -> None:
        await self._db.execute(
            "UPDATE conversations SET reminder = $2, reminder_until = NULL WHERE chat_id = $1",
            chat_id,
            None if outcome is None else outcome.value,
        )
