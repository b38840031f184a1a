"""Erasing personal data across the kinds of record: a chat on /forget, and whatever has
outlived its rule after the retention period (each rule's statement lives with its kind of
record). Funnel counts and the caches hold no chat and stay."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from bot.storage.chat_messages import DATE_UNDATED_MESSAGES, EXPIRE_ORPHANED_MESSAGES
from bot.storage.database import SqlRecords
from bot.storage.forgotten import MARK_FORGOTTEN, ForgottenChat, forgotten_from_row
from bot.storage.lead_customers import EXPIRE_CUSTOMERS
from bot.storage.outbox import EXPIRE_LEASES, EXPIRE_SETTLED_LEADS, LeadStatus
from bot.storage.perfectgym_events import EXPIRE_EVENTS
from bot.storage.relays import EXPIRE_RELAYS, Direction
from bot.storage.replies import EXPIRE_REPLIES, KEPT_SECONDS
from bot.storage.threads import EXPIRE_THREADS, THREAD_COLUMNS, Thread, thread_from_row
from bot.storage.trial_bookings import DATE_UNDATED_BOOKINGS, EXPIRE_SETTLED_BOOKINGS
from bot.storage.trial_reminders import DELETE_CHAT_REMINDERS, EXPIRE_REMINDERS


@dataclass(frozen=True)
class ErasedChat:
    """What /forget left: the chat's record for staff, its trial booking as it was (the
    caller reads the booking id from it; storage does not read booking states), the studio
    of the created lead whose customer number the record keeps (its staff erase the person in
    their PerfectGym; None: the single studio's, or no lead created), and its front desk thread
    as it was (staff's topic is closed and told)."""

    forgotten: ForgottenChat
    booking: str | None
    studio: str | None = None
    thread: Thread | None = None
    staff_messages: tuple[int, ...] = ()  # the bot's messages of the thread in the staff chat


class Erasure(Protocol):
    async def forget_chat(self, chat_id: int, now: float | None = None) -> ErasedChat:
        """Mark the chat as forgotten (with its PerfectGym customer number, if its lead was
        created) and delete every other row about it, in one transaction."""
        ...

    async def erase_idle(self, before: float) -> int:
        """Erase conversations last answered before ``before`` (and their message ids) unless
        their lead is still being delivered, and the details of leads that failed before it;
        the number of conversations erased."""
        ...

    async def expire(self, before: float, now: float) -> int:
        """Delete the rows that outlived their rule: outbox entries no longer pending whose last
        attempt was before ``before`` (and leases that ran out before it), trial bookings that
        owe PerfectGym no call and message ids of chats without a conversation, both last saved
        before it, replies kept for more than a day, front-desk relays queued and threads
        last written to before it, the bot's PerfectGym customers whose last step was before
        it, PerfectGym's events received before it and trial reminders due before it; the
        number of rows with a chat id."""
        ...

    async def wipe_deleted(self) -> None:
        """Make what was deleted unreadable in the database's files too, not only to queries."""
        ...


# Idle conversations whose lead is not on its way to PerfectGym.
IDLE = (
    "SELECT c.chat_id FROM conversations c WHERE c.updated_at < $1 AND NOT EXISTS ("
    "SELECT 1 FROM outbox o WHERE o.chat_id = c.chat_id AND o.status = $2)"
)


class SqlErasure(SqlRecords):
    async def forget_chat(self, chat_id: int, now: float | None = None) -> ErasedChat:
        when = time.time() if now is None else now
        async with self._transaction() as db:
            marked = await db.fetchrow(
                MARK_FORGOTTEN, chat_id, when, LeadStatus.CREATED.value, secrets.token_urlsafe(12)
            )
            booking: str | None = await db.fetchval(
                "SELECT state FROM trial_bookings WHERE chat_id = $1", chat_id
            )
            thread = await db.fetchrow(
                f"SELECT {THREAD_COLUMNS} FROM threads WHERE chat_id = $1", chat_id
            )
            staff_messages = await db.fetch(
                "SELECT sent_message_id FROM relays WHERE chat_id = $1 AND direction = $2 "
                "AND sent_message_id IS NOT NULL ORDER BY id",
                chat_id,
                Direction.TO_STAFF.value,
            )
            studio: str | None = await db.fetchval(
                "SELECT studio FROM outbox WHERE chat_id = $1 AND status = $2 "
                "ORDER BY id DESC LIMIT 1",
                chat_id,
                LeadStatus.CREATED.value,
            )
            await db.execute("DELETE FROM conversations WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM outbox WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM chat_messages WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM trial_bookings WHERE chat_id = $1", chat_id)
            await db.execute(DELETE_CHAT_REMINDERS, chat_id)
            await db.execute("DELETE FROM pending_replies WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM relays WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM threads WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM lead_customers WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM perfectgym_events WHERE chat_id = $1", chat_id)
        assert marked is not None  # an upsert ... RETURNING yields its row
        return ErasedChat(
            forgotten_from_row(marked),
            booking,
            studio,
            None if thread is None else thread_from_row(thread),
            tuple(int(row["sent_message_id"]) for row in staff_messages),
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

    async def expire(self, before: float, now: float) -> int:
        async with self._transaction() as db:
            await db.execute(DATE_UNDATED_MESSAGES, now)
            await db.execute(DATE_UNDATED_BOOKINGS, now)
            deleted = [
                *await db.fetch(EXPIRE_SETTLED_LEADS, before),
                *await db.fetch(EXPIRE_ORPHANED_MESSAGES, before),
                *await db.fetch(EXPIRE_SETTLED_BOOKINGS, before),
                *await db.fetch(EXPIRE_REPLIES, now - KEPT_SECONDS),
                *await db.fetch(EXPIRE_RELAYS, before),
                *await db.fetch(EXPIRE_THREADS, before),
                *await db.fetch(EXPIRE_CUSTOMERS, before),
                *await db.fetch(EXPIRE_EVENTS, before),
                *await db.fetch(EXPIRE_REMINDERS, before),
            ]
            await db.execute(EXPIRE_LEASES, before)
        return len(deleted)

    async def wipe_deleted(self) -> None:
        """Nothing to do on PostgreSQL: a deleted row stays in its table's file until VACUUM
        (autovacuum, within minutes on a busy table) makes its space reusable; see the README."""
