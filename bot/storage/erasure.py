"""Erasing personal data across the kinds of record: a chat on /forget, a trial booking on
/cancel, and whatever has outlived its rule after the retention period. Each statement lives
with its kind of record; this module only composes them into one transaction. Funnel counts
and the caches hold no chat and stay."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Protocol

from bot.storage.chat_messages import (
    DATE_UNDATED_MESSAGES,
    DELETE_CHAT_MESSAGES,
    EXPIRE_ORPHANED_MESSAGES,
)
from bot.storage.conversations import DELETE_CHAT_CONVERSATION
from bot.storage.database import SqlRecords
from bot.storage.forgotten import MARK_FORGOTTEN, ForgottenChat, forgotten_from_row
from bot.storage.lead_customers import DELETE_CHAT_CUSTOMERS, EXPIRE_CUSTOMERS, LATEST_CUSTOMER
from bot.storage.outbox import (
    DELETE_CHAT_LEADS,
    EXPIRE_LEASES,
    EXPIRE_SETTLED_LEADS,
    LATEST_LEAD_OF_STATUS,
    LeadStatus,
)
from bot.storage.perfectgym_events import DELETE_CHAT_EVENTS, EXPIRE_EVENTS
from bot.storage.relays import DELETE_CHAT_RELAYS, EXPIRE_RELAYS, STAFF_COPIES, Direction
from bot.storage.replies import DELETE_CHAT_REPLIES, EXPIRE_REPLIES, KEPT_SECONDS
from bot.storage.threads import (
    DELETE_CHAT_THREAD,
    EXPIRE_THREADS,
    SELECT_THREAD,
    Thread,
    thread_from_row,
)
from bot.storage.trial_bookings import (
    CHAT_BOOKING,
    DATE_UNDATED_BOOKINGS,
    DELETE_CHAT_BOOKING,
    EXPIRE_SETTLED_BOOKINGS,
)
from bot.storage.trial_reminders import DELETE_CHAT_REMINDERS, EXPIRE_REMINDERS


@dataclass(frozen=True)
class ErasedChat:
    """What /forget left: the chat's record for staff, its trial booking as it was (the
    caller reads the booking id from it; storage does not read booking states), the studio
    of the created lead whose customer number the record keeps (its staff erase the person in
    their PerfectGym; None: the single studio's, or no lead created), else of the lead posted
    to staff for entry by hand, and its front desk thread as it was (staff's topic is closed
    and told)."""

    forgotten: ForgottenChat
    booking: str | None
    studio: str | None = None
    thread: Thread | None = None
    staff_messages: tuple[int, ...] = ()  # the bot's messages of the thread in the staff chat


class Erasure(Protocol):
    async def forget_chat(self, chat_id: int, now: float | None = None) -> ErasedChat:
        """Mark the chat as forgotten (with its PerfectGym customer number and booking id, if
        its lead was created, and when its lead was posted to staff by hand, if it could not
        be delivered) and delete every other row about it, in one transaction."""
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
            await self._hold_chat(db, chat_id, erasing=True)
            created = await db.fetchrow(LATEST_LEAD_OF_STATUS, chat_id, LeadStatus.CREATED.value)
            failed = await db.fetchrow(LATEST_LEAD_OF_STATUS, chat_id, LeadStatus.FAILED.value)
            # Outbox entries expire before the customer they created: it still names the person.
            customer = await db.fetchrow(LATEST_CUSTOMER, chat_id)
            customer_number: str | None = None if created is None else created["lead_ref"]
            studio: str | None = None if created is None else created["studio"]
            booking_id: int | None = None
            if customer is not None:
                customer_number = customer_number or customer["customer_number"]
                studio = studio or customer["studio"] or None
                booking_id = customer["booking_id"]
            manual_entry_at: float | None = None if failed is None else failed["next_attempt_at"]
            if studio is None and customer_number is None and failed is not None:
                studio = failed["studio"]
            marked = await db.fetchrow(
                MARK_FORGOTTEN,
                chat_id,
                when,
                customer_number,
                secrets.token_urlsafe(12),
                booking_id,
                manual_entry_at,
            )
            booking: str | None = await db.fetchval(CHAT_BOOKING, chat_id)
            thread = await db.fetchrow(SELECT_THREAD, chat_id)
            staff_messages = await db.fetch(STAFF_COPIES, chat_id, Direction.TO_STAFF.value)
            for delete in (
                DELETE_CHAT_CONVERSATION,
                DELETE_CHAT_LEADS,
                DELETE_CHAT_MESSAGES,
                DELETE_CHAT_BOOKING,
                DELETE_CHAT_REMINDERS,
                DELETE_CHAT_REPLIES,
                # The thread before its relays: a relay is queued under the thread's row lock,
                # so on PostgreSQL one queued meanwhile is committed, and seen, by then.
                DELETE_CHAT_THREAD,
                DELETE_CHAT_RELAYS,
                DELETE_CHAT_CUSTOMERS,
                DELETE_CHAT_EVENTS,
            ):
                await db.execute(delete, chat_id)
        assert marked is not None  # an upsert ... RETURNING yields its row
        return ErasedChat(
            forgotten_from_row(marked),
            booking,
            studio,
            None if thread is None else thread_from_row(thread),
            tuple(int(row["sent_message_id"]) for row in staff_messages),
        )

    async def delete_booking(self, chat_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(DELETE_CHAT_BOOKING, chat_id)
            await db.execute(DELETE_CHAT_REMINDERS, chat_id)

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
