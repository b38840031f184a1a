"""The storage contract in SQL, written once for SQLite and PostgreSQL.

Both databases run the same statements; a backend supplies only a ``Database`` (four query calls,
shaped like asyncpg's) and a transaction. Statements use PostgreSQL's ``$1`` placeholders, which
the SQLite backend rewrites to SQLite's numbered ``?1``.
"""

from __future__ import annotations

import datetime
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.funnel.counts import FunnelCount, Stage, Step
from bot.storage.base import (
    FINISHED,
    OUTBOX_COLUMNS,
    ChatMessages,
    IdleConversation,
    LeadStatus,
    OutboxEntry,
    Reminder,
    Row,
    entry_from_row,
)

# Final outcomes after which the personal data has no further use. FAILED keeps it for a human.
ERASING = FINISHED - {LeadStatus.FAILED}

SAVE_CONVERSATION = (
    "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at"
)
# A lead the studio refused goes back to the prospect to correct: one reminder may follow.
REOPEN_CONVERSATION = (
    "INSERT INTO conversations (chat_id, state, updated_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, "
    "reminder = NULL, reminder_until = NULL"
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
# Idle conversations whose lead is not on its way to PerfectGym.
IDLE = (
    "SELECT c.chat_id FROM conversations c WHERE c.updated_at < $1 AND NOT EXISTS ("
    "SELECT 1 FROM outbox o WHERE o.chat_id = c.chat_id AND o.status = $2)"
)


class Database(Protocol):
    """What the statements need from a connection (an asyncpg pool or connection has it)."""

    async def execute(self, query: str, *args: object) -> object: ...

    async def fetchrow(self, query: str, *args: object) -> Row | None: ...

    async def fetch(self, query: str, *args: object) -> Sequence[Row]: ...

    async def fetchval(self, query: str, *args: object) -> Any: ...


async def _replace(
    db: Database, chat_id: int, state: str, previous: str | None, now: float
) -> bool:
    """One statement, so one round trip: PostgreSQL's row lock orders two instances' writes,
    and the second one's condition is checked against the first one's committed row."""
    if previous is None:
        written = await db.fetchval(INSERT_CONVERSATION, chat_id, state, now)
    else:
        written = await db.fetchval(REPLACE_CONVERSATION, chat_id, state, now, previous)
    return written is not None


class SqlStorage(ABC):
    """``Storage`` over a ``Database``; a subclass opens it and knows how to run a transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Database]:
        """Commits what runs on the database it yields, or rolls it all back on an error.

        Await nothing but that database inside: SQLite's one connection is shared by all tasks.
        """

    @abstractmethod
    async def close(self) -> None: ...

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
        return await _replace(self._db, chat_id, state, previous, now)

    async def delete_conversation(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM conversations WHERE chat_id = $1", chat_id)

    async def submit(
        self, chat_id: int, state: str, previous: str | None, payload: str, locale: str, now: float
    ) -> OutboxEntry | None:
        async with self._transaction() as db:
            if not await _replace(db, chat_id, state, previous, now):
                return None
            row = await db.fetchrow(
                "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, "
                f"created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING {OUTBOX_COLUMNS}",
                chat_id,
                payload,
                locale,
                LeadStatus.PENDING.value,
                now,
            )
        assert row is not None  # INSERT ... RETURNING yields the row it inserted
        return entry_from_row(row)

    async def due_leads(self, now: float, limit: int) -> list[OutboxEntry]:
        rows = await self._db.fetch(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = $1 AND next_attempt_at <= $2 "
            "ORDER BY next_attempt_at, id LIMIT $3",
            LeadStatus.PENDING.value,
            now,
            limit,
        )
        return [entry_from_row(row) for row in rows]

    # Rows a claim's selection locks: PostgreSQL skips those another instance is claiming;
    # SQLite has one writer and no row locks.
    _SKIP_LOCKED = ""

    async def claim_due_leads(
        self, now: float, limit: int, owner: str, until: float
    ) -> list[OutboxEntry]:
        async with self._transaction() as db:
            rows = await db.fetch(
                "SELECT o.id FROM outbox o LEFT JOIN outbox_leases l ON l.entry_id = o.id "
                "WHERE o.status = $1 AND o.next_attempt_at <= $2 "
                "AND (l.until IS NULL OR l.until < $2) "
                f"ORDER BY o.next_attempt_at, o.id LIMIT $3{self._SKIP_LOCKED}",
                LeadStatus.PENDING.value,
                now,
                limit,
            )
            claimed = [
                entry
                for row in rows
                if (entry := await self._claim(db, int(row["id"]), owner, now, until))
            ]
        return claimed

    async def claim_lead(
        self, entry_id: int, owner: str, now: float, until: float
    ) -> OutboxEntry | None:
        async with self._transaction() as db:
            return await self._claim(db, entry_id, owner, now, until)

    async def _claim(
        self, db: Database, entry_id: int, owner: str, now: float, until: float
    ) -> OutboxEntry | None:
        """The lease, if nobody holds an unexpired one, and the entry as it is now. The upsert's
        condition is checked against the latest committed lease, so of two instances claiming
        at once exactly one gets the row back."""
        won = await db.fetchval(
            "INSERT INTO outbox_leases (entry_id, owner, until) VALUES ($1, $2, $3) "
            "ON CONFLICT (entry_id) DO UPDATE SET owner = excluded.owner, until = excluded.until "
            "WHERE outbox_leases.until < $4 RETURNING entry_id",
            entry_id,
            owner,
            until,
            now,
        )
        if won is None:
            return None
        row = await db.fetchrow(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1 AND status = $2",
            entry_id,
            LeadStatus.PENDING.value,
        )
        if row is None:  # finished meanwhile by whoever held it before
            await db.execute("DELETE FROM outbox_leases WHERE entry_id = $1", entry_id)
            return None
        return entry_from_row(row)

    # One process per SQLite file: it is always the poller. PostgreSQL overrides these.
    async def acquire_leadership(self) -> bool:
        return True

    async def leadership_alive(self) -> bool:
        return True

    async def release_leadership(self) -> None:
        return None

    async def outbox_stats(self, now: float) -> tuple[int, float | None]:
        row = await self._db.fetchrow(
            "SELECT COUNT(*) AS pending, "
            "MIN(CASE WHEN next_attempt_at <= $2 THEN created_at END) AS oldest_due "
            "FROM outbox WHERE status = $1",
            LeadStatus.PENDING.value,
            now,
        )
        assert row is not None  # an aggregate always yields one row
        oldest = row["oldest_due"]
        return int(row["pending"]), None if oldest is None else float(oldest)

    async def replace_payload(self, entry_id: int, payload: str) -> None:
        await self._db.execute("UPDATE outbox SET payload = $1 WHERE id = $2", payload, entry_id)

    async def release_lead(self, entry_id: int, owner: str) -> None:
        await self._db.execute(
            "DELETE FROM outbox_leases WHERE entry_id = $1 AND owner = $2", entry_id, owner
        )

    async def renew_lease(self, entry_id: int, owner: str, until: float) -> bool:
        renewed = await self._db.fetchval(
            "UPDATE outbox_leases SET until = $1 WHERE entry_id = $2 AND owner = $3 "
            "RETURNING entry_id",
            until,
            entry_id,
            owner,
        )
        return renewed is not None

    async def get_lead(self, entry_id: int) -> OutboxEntry | None:
        row = await self._db.fetchrow(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1", entry_id
        )
        return None if row is None else entry_from_row(row)

    async def latest_lead(self, chat_id: int) -> OutboxEntry | None:
        row = await self._db.fetchrow(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE chat_id = $1 ORDER BY id DESC LIMIT 1",
            chat_id,
        )
        return None if row is None else entry_from_row(row)

    async def record_attempt(
        self,
        entry_id: int,
        *,
        attempts: int,
        next_attempt_at: float,
        create_sent: bool,
        last_error: str | None,
    ) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = $1, next_attempt_at = $2, create_sent = $3, "
            "last_error = $4 WHERE id = $5",
            attempts,
            next_attempt_at,
            create_sent,
            last_error,
            entry_id,
        )

    async def finish_lead(
        self, entry_id: int, status: LeadStatus, lead_ref: str | None, last_error: str | None
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = $1, lead_ref = $2, last_error = $3 WHERE id = $4",
                status.value,
                lead_ref,
                last_error,
                entry_id,
            )
            if status in ERASING:
                await db.execute("UPDATE outbox SET payload = NULL WHERE id = $1", entry_id)
                await db.execute(
                    "DELETE FROM conversations WHERE chat_id = "
                    "(SELECT chat_id FROM outbox WHERE id = $1)",
                    entry_id,
                )

    async def reopen_conversation(self, entry_id: int, state: str, now: float) -> None:
        async with self._transaction() as db:
            chat_id: int | None = await db.fetchval(
                "UPDATE outbox SET status = $1, payload = NULL WHERE id = $2 RETURNING chat_id",
                LeadStatus.INVALID.value,
                entry_id,
            )
            if chat_id is not None:
                await db.execute(REOPEN_CONVERSATION, chat_id, state, now)

    async def forget_chat(self, chat_id: int) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM conversations WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM outbox WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM chat_messages WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM trial_bookings WHERE chat_id = $1", chat_id)

    async def load_messages(self, chat_id: int) -> ChatMessages:
        row = await self._db.fetchrow(
            "SELECT buttons_message_id, summary_message_id FROM chat_messages WHERE chat_id = $1",
            chat_id,
        )
        if row is None:
            return ChatMessages()
        return ChatMessages(row["buttons_message_id"], row["summary_message_id"])

    async def save_messages(self, chat_id: int, messages: ChatMessages) -> None:
        await self._db.execute(
            "INSERT INTO chat_messages (chat_id, buttons_message_id, summary_message_id) "
            "VALUES ($1, $2, $3) ON CONFLICT (chat_id) DO UPDATE SET "
            "buttons_message_id = excluded.buttons_message_id, "
            "summary_message_id = "
            "COALESCE(excluded.summary_message_id, chat_messages.summary_message_id)",
            chat_id,
            messages.buttons,
            messages.summary,
        )

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

    async def erase_idle(self, before: float) -> int:
        pending = LeadStatus.PENDING.value
        async with self._transaction() as db:
            await db.execute(
                f"DELETE FROM chat_messages WHERE chat_id IN ({IDLE})", before, pending
            )
            erased = await db.fetch(
                f"DELETE FROM conversations WHERE chat_id IN ({IDLE}) RETURNING chat_id",
                before,
                pending,
            )
            await db.execute(
                "UPDATE outbox SET payload = NULL WHERE status = $1 AND next_attempt_at < $2 "
                "AND payload IS NOT NULL",
                LeadStatus.FAILED.value,
                before,
            )
        return len(erased)

    async def add_funnel_counts(self, counts: Sequence[FunnelCount]) -> None:
        async with self._transaction() as db:
            for item in counts:
                await db.execute(
                    "INSERT INTO funnel_counts (day, campaign, stage, question, count) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day, campaign, stage, question) "
                    "DO UPDATE SET count = funnel_counts.count + excluded.count",
                    item.day.isoformat(),
                    item.campaign or "",
                    item.step.stage.value,
                    item.step.question,
                    item.count,
                )

    async def funnel_counts(
        self, first_day: datetime.date, last_day: datetime.date
    ) -> list[FunnelCount]:
        rows = await self._db.fetch(
            "SELECT day, campaign, stage, question, count FROM funnel_counts "
            "WHERE day >= $1 AND day <= $2 ORDER BY day, campaign, stage, question",
            first_day.isoformat(),
            last_day.isoformat(),
        )
        known = {stage.value for stage in Stage}
        return [
            FunnelCount(
                datetime.date.fromisoformat(row["day"]),
                row["campaign"] or None,
                Step(Stage(row["stage"]), row["question"]),
                int(row["count"]),
            )
            for row in rows
            if row["stage"] in known  # a stage of a newer release is left to that release
        ]

    async def load_booking(self, chat_id: int) -> str | None:
        state: str | None = await self._db.fetchval(
            "SELECT state FROM trial_bookings WHERE chat_id = $1", chat_id
        )
        return state

    async def save_booking(
        self, chat_id: int, state: str, *, due_at: float | None, held_until: float | None
    ) -> None:
        await self._db.execute(
            "INSERT INTO trial_bookings (chat_id, state, due_at, held_until) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, "
            "due_at = excluded.due_at, held_until = excluded.held_until",
            chat_id,
            state,
            due_at,
            held_until,
        )

    async def hold_booking(self, chat_id: int, now: float, until: float) -> str | None:
        state: str | None = await self._db.fetchval(
            "UPDATE trial_bookings SET held_until = $3 WHERE chat_id = $1 "
            "AND (held_until IS NULL OR held_until < $2) RETURNING state",
            chat_id,
            now,
            until,
        )
        return state

    async def due_bookings(self, now: float, limit: int) -> list[int]:
        rows = await self._db.fetch(
            "SELECT chat_id FROM trial_bookings WHERE due_at IS NOT NULL AND due_at <= $1 "
            "AND (held_until IS NULL OR held_until < $1) ORDER BY due_at LIMIT $2",
            now,
            limit,
        )
        return [int(row["chat_id"]) for row in rows]

    async def delete_booking(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM trial_bookings WHERE chat_id = $1", chat_id)

    async def load_config(self) -> tuple[str, float] | None:
        row = await self._db.fetchrow("SELECT config, fetched_at FROM config_cache")
        return None if row is None else (str(row["config"]), float(row["fetched_at"]))

    async def save_config(self, config: str, fetched_at: float) -> None:
        await self._db.execute(
            "INSERT INTO config_cache (id, config, fetched_at) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET config = excluded.config, "
            "fetched_at = excluded.fetched_at",
            config,
            fetched_at,
        )

    async def load_studio(self) -> tuple[str, float] | None:
        row = await self._db.fetchrow("SELECT information, fetched_at FROM studio_cache")
        return None if row is None else (str(row["information"]), float(row["fetched_at"]))

    async def save_studio(self, information: str, fetched_at: float) -> None:
        await self._db.execute(
            "INSERT INTO studio_cache (id, information, fetched_at) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET information = excluded.information, "
            "fetched_at = excluded.fetched_at",
            information,
            fetched_at,
        )
