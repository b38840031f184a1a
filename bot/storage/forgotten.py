"""Chats whose prospect sent /forget, and the one thing kept about each: what the studio's staff
need to erase the person in PerfectGym too (the customer number and the trial booking id), or
in what they entered by hand (the day their undeliverable lead was posted to them).

The record is written in the transaction that erases everything else (``Erasure.forget_chat``),
so work still under way for the chat (a lead or a booking in PerfectGym, a reminder, a reply)
finds it forgotten before it writes anything further. It is deleted when staff confirm the
erasure in PerfectGym (a button under their notice names the record by a random token, so
the staff chat never holds the prospect's chat id), or by the retention sweep after ``RETENTION_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.storage.database import Row, SqlRecords


@dataclass(frozen=True)
class ForgottenChat:
    """An erasure the studio still has a part in: where the prospect is in PerfectGym."""

    chat_id: int
    forgotten_at: float
    token: str  # names the record in the staff's confirming button
    customer_number: str | None = None
    booking_id: int | None = None
    # When the chat's lead, undeliverable, was posted to staff with the person's details for
    # entry by hand (None: never): the studio holds them though PerfectGym may not.
    manual_entry_at: float | None = None


class ForgottenChats(Protocol):
    async def note_erasure(
        self, chat_id: int, *, customer_number: str | None = None, booking_id: int | None = None
    ) -> ForgottenChat | None:
        """Add what PerfectGym answered after /forget (a lead or a booking in flight) to the
        chat's record; the record as it is now, None if it is gone (confirmed or expired)."""
        ...

    async def confirm_erasure(self, token: str) -> bool:
        """Staff erased the person in PerfectGym: the record with ``token`` goes; False if
        there is none (confirmed already, expired, or a token never handed out)."""
        ...

    async def expire_forgotten(self, before: float) -> int:
        """Records of chats forgotten before ``before`` (``RETENTION_DAYS``); how many."""
        ...


FORGOTTEN_COLUMNS = "chat_id, forgotten_at, customer_number, booking_id, token, manual_entry_at"

# Marks the chat as forgotten with what staff need ($1 chat, $2 now, $3 customer number, $4 a
# fresh token, $5 booking id, $6 when its lead was posted for entry by hand); read from the
# other kinds by ``Erasure.forget_chat``. A second /forget renews the mark and keeps what staff
# need, and the token, so a button already under a staff notice still confirms it.
MARK_FORGOTTEN = (
    "INSERT INTO forgotten_chats (chat_id, forgotten_at, customer_number, token, booking_id, "
    "manual_entry_at) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (chat_id) DO UPDATE SET forgotten_at = excluded.forgotten_at, "
    "customer_number = COALESCE(excluded.customer_number, forgotten_chats.customer_number), "
    "booking_id = COALESCE(excluded.booking_id, forgotten_chats.booking_id), "
    "manual_entry_at = COALESCE(excluded.manual_entry_at, forgotten_chats.manual_entry_at) "
    f"RETURNING {FORGOTTEN_COLUMNS}"
)
# Part of "the chat still exists" (``bot.storage.chats``): never forgotten.
NOT_FORGOTTEN = "NOT EXISTS (SELECT 1 FROM forgotten_chats WHERE chat_id = $1)"


def forgotten_from_row(row: Row) -> ForgottenChat:
    """A row, selected with ``FORGOTTEN_COLUMNS``, as a record."""
    booking_id = row["booking_id"]
    return ForgottenChat(
        chat_id=int(row["chat_id"]),
        forgotten_at=float(row["forgotten_at"]),
        token=str(row["token"]),
        customer_number=row["customer_number"],
        booking_id=None if booking_id is None else int(booking_id),
        manual_entry_at=None if row["manual_entry_at"] is None else float(row["manual_entry_at"]),
    )


class SqlForgottenChats(SqlRecords):
    async def note_erasure(
        self, chat_id: int, *, customer_number: str | None = None, booking_id: int | None = None
    ) -> ForgottenChat | None:
        row = await self._db.fetchrow(
            "UPDATE forgotten_chats SET customer_number = COALESCE($2, customer_number), "
            f"booking_id = COALESCE($3, booking_id) WHERE chat_id = $1 RETURNING {FORGOTTEN_COLUMNS}",
            chat_id,
            customer_number,
            booking_id,
        )
        return None if row is None else forgotten_from_row(row)

    async def confirm_erasure(self, token: str) -> bool:
        gone = await self._db.fetchval(
            "DELETE FROM forgotten_chats WHERE token = $1 RETURNING chat_id", token
        )
        return gone is not None

    async def expire_forgotten(self, before: float) -> int:
        rows = await self._db.fetch(
            "DELETE FROM forgotten_chats WHERE forgotten_at < $1 RETURNING chat_id", before
        )
        return len(rows)
