"""A prospect's trial booking after their lead was created, one per chat, and which instance is
making the PerfectGym call it owes (held as outbox entries are leased)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.storage.database import SqlRecords
from bot.storage.lead_customers import note_booking
from bot.storage.outbox import LEADS_EXIST


@dataclass(frozen=True)
class BookedTrial:
    """The booking PerfectGym holds for a chat's customer: its id and, for a class, the class
    slot's (PerfectGym's events name one or the other)."""

    customer_id: int
    booking_id: int
    class_slot_id: int | None = None


class TrialBookingRecords(Protocol):
    async def load_booking(self, chat_id: int) -> str | None: ...

    async def open_booking(self, chat_id: int, state: str, now: float) -> bool:
        """A new booking, under the chat's lead; False (nothing stored) if the lead is gone:
        the chat was forgotten while its lead was being created."""
        ...

    async def save_booking(
        self,
        chat_id: int,
        state: str,
        *,
        due_at: float | None,
        held_until: float | None,
        now: float,
        booked: BookedTrial | None = None,
    ) -> bool:
        """The booking as it is now: ``due_at`` while a PerfectGym call is owed, ``held_until``
        while this instance makes it; ``booked``: the booking PerfectGym holds for the chat's
        customer (so that its events are recognised). False (nothing stored) if it is gone:
        /cancel or /forget came meanwhile."""
        ...

    async def hold_booking(self, chat_id: int, now: float, until: float) -> str | None:
        """The booking, held until ``until`` unless another instance holds it (None then, or
        when there is none)."""
        ...

    async def due_bookings(self, now: float, limit: int) -> list[int]:
        """Chats whose booking owes a PerfectGym call now and nobody holds."""
        ...

    async def delete_booking(self, chat_id: int) -> None:
        """/cancel: the booking goes, and with it its reminders and follow-up (a delete across
        kinds, written with the others in ``bot.storage.erasure``)."""
        ...


# Retention: bookings that owe PerfectGym no call and were last saved before $1.
EXPIRE_SETTLED_BOOKINGS = (
    "DELETE FROM trial_bookings WHERE due_at IS NULL AND updated_at < $1 RETURNING chat_id"
)
DELETE_CHAT_BOOKING = "DELETE FROM trial_bookings WHERE chat_id = $1"  # /cancel, /forget
CHAT_BOOKING = "SELECT state FROM trial_bookings WHERE chat_id = $1"
# "The chat has a booking": its reminders and "the chat still exists" (``bot.storage.chats``).
BOOKING_EXISTS = "EXISTS (SELECT 1 FROM trial_bookings WHERE chat_id = $1)"
# Bookings saved by a release that did not date them count from the first sweep that sees them.
DATE_UNDATED_BOOKINGS = "UPDATE trial_bookings SET updated_at = $1 WHERE updated_at IS NULL"


class SqlTrialBookings(SqlRecords):
    async def load_booking(self, chat_id: int) -> str | None:
        state: str | None = await self._db.fetchval(CHAT_BOOKING, chat_id)
        return state

    async def open_booking(self, chat_id: int, state: str, now: float) -> bool:
        opened = await self._db.fetchval(
            "INSERT INTO trial_bookings (chat_id, state, due_at, held_until, updated_at) "
            "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), NULL, NULL, CAST($3 AS DOUBLE PRECISION) "
            f"WHERE {LEADS_EXIST} "
            "ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, due_at = NULL, "
            "held_until = NULL, updated_at = excluded.updated_at RETURNING chat_id",
            chat_id,
            state,
            now,
        )
        return opened is not None

    async def save_booking(
        self,
        chat_id: int,
        state: str,
        *,
        due_at: float | None,
        held_until: float | None,
        now: float,
        booked: BookedTrial | None = None,
    ) -> bool:
        async with self._transaction() as db:
            saved = await db.fetchval(
                "UPDATE trial_bookings SET state = $2, due_at = $3, held_until = $4, "
                "updated_at = $5 WHERE chat_id = $1 RETURNING chat_id",
                chat_id,
                state,
                due_at,
                held_until,
                now,
            )
            if saved is not None and booked is not None:
                await note_booking(
                    db,
                    chat_id,
                    booked.customer_id,
                    booked.booking_id,
                    booked.class_slot_id,
                    now,
                )
        return saved is not None

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
