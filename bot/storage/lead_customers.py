"""The PerfectGym customers the bot created: which chat, studio and campaign each came from, the
trial booking the bot made for them, and which later steps (a visit, a contract) were counted.

PerfectGym's webhook events name a customer or a booking by its id only; this table is how one
of them is recognised as the bot's without asking PerfectGym, and how everyone else's is
ignored. Ids only: no name, no contact. Each step is marked in the same transaction that counts
it in the funnel, so a repeated or re-processed event never counts twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.database import Database, Row, SqlRecords
from bot.storage.funnel_counts import StoredCount, add_count
from bot.storage.outbox import ENTRY_OWNER, CreatedCustomer
from bot.storage.studios import studio_key


class CustomerMark(StrEnum):
    """A step of a created lead's customer, kept once (the column that dates it)."""

    ATTENDED = "attended_at"  # checked in at the studio
    MEMBER = "member_at"  # a membership contract was created
    SILENCED = "silenced_at"  # deleted or access disabled in PerfectGym: nothing more is sent


@dataclass(frozen=True)
class LeadCustomer:
    """One customer the bot created. ``studio`` None: the single studio; ``campaign`` None:
    not from a campaign link."""

    studio: str | None
    customer_id: int
    chat_id: int
    campaign: str | None
    booking_id: int | None = None


@dataclass(frozen=True)
class Counted:
    """The funnel stage a mark counts as, on the studio's day."""

    stage: str
    day: datetime.date


class LeadCustomerRecords(Protocol):
    async def lead_customer(self, studio: str | None, customer_id: int) -> LeadCustomer | None:
        """The bot's customer of that id in ``studio``; None for anyone else."""
        ...

    async def booked_customers(
        self,
        studio: str | None,
        *,
        booking_id: int | None = None,
        class_slot_id: int | None = None,
    ) -> list[LeadCustomer]:
        """The bot's customers whose trial booking is ``booking_id``, or on ``class_slot_id``."""
        ...

    async def mark_customer(
        self,
        studio: str | None,
        customer_id: int,
        mark: CustomerMark,
        now: float,
        *,
        counted: Counted | None = None,
    ) -> LeadCustomer | None:
        """Set ``mark`` on the customer once and, with ``counted``, add one to the funnel under
        the customer's campaign, in one transaction; None when the customer is not the bot's
        or was marked before (nothing changed)."""
        ...

    async def remember_customer(self, entry_id: int, customer: CreatedCustomer) -> None:
        """PerfectGym created outbox entry ``entry_id``'s lead as ``customer``: kept for the
        entry's chat and studio, before the entry is closed, so that a crash in between loses
        nothing; nothing when the entry is gone (/forget) or the customer is known."""
        ...


_COLUMNS = "studio, customer_id, chat_id, campaign, booking_id"

# A created lead's customer, under its outbox entry's chat and studio: $1 entry id, $2 customer
# id, $3 campaign ('' for none), $4 now, $5 customer number (kept for an erasure request after
# the entry expired). One statement: nothing if the entry is gone (/forget); a repeated close
# keeps the first row. (SQLite reads an upsert's SELECT only with a WHERE.)
REMEMBER_CUSTOMER = (
    "INSERT INTO lead_customers (studio, customer_id, chat_id, campaign, created_at, updated_at, "
    "customer_number) "
    f"SELECT COALESCE(entry.studio, ''), $2, entry.chat_id, $3, $4, $4, $5 FROM ({ENTRY_OWNER}) entry "
    "WHERE true ON CONFLICT (studio, customer_id) DO NOTHING"
)
# The trial booking the bot made for the chat's customer: $1 chat, $2 customer, $3 booking id,
# $4 class slot id, $5 now.
NOTE_BOOKING = (
    "UPDATE lead_customers SET booking_id = $3, class_slot_id = $4, updated_at = $5 "
    "WHERE chat_id = $1 AND customer_id = $2"
)
# Retention: customers whose last step was before $1.
EXPIRE_CUSTOMERS = "DELETE FROM lead_customers WHERE updated_at < $1 RETURNING chat_id"
DELETE_CHAT_CUSTOMERS = "DELETE FROM lead_customers WHERE chat_id = $1"  # /forget


def chat_of_customers(chat: str) -> str:
    """A value: the chat the placeholder ``chat`` names while a customer of the bot still
    belongs to it, else NULL (/forget erased them meanwhile)."""
    return f"(SELECT MAX(chat_id) FROM lead_customers WHERE chat_id = {chat})"


# The chat's ($1) latest customer: where /forget finds the person in PerfectGym once the
# outbox entry that created it has expired.
LATEST_CUSTOMER = (
    "SELECT studio, customer_number, booking_id FROM lead_customers WHERE chat_id = $1 "
    "ORDER BY created_at DESC, customer_id DESC LIMIT 1"
)


async def note_booking(
    db: Database,
    chat_id: int,
    customer_id: int,
    booking_id: int,
    class_slot_id: int | None,
    now: float,
) -> None:
    """The trial booking PerfectGym holds for the chat's customer, inside the transaction that
    saves the booking (``TrialBookingRecords.save_booking``)."""
    await db.execute(NOTE_BOOKING, chat_id, customer_id, booking_id, class_slot_id, now)


def _customer(row: Row) -> LeadCustomer:
    return LeadCustomer(
        studio=row["studio"] or None,
        customer_id=int(row["customer_id"]),
        chat_id=int(row["chat_id"]),
        campaign=row["campaign"] or None,
        booking_id=None if row["booking_id"] is None else int(row["booking_id"]),
    )


class SqlLeadCustomers(SqlRecords):
    async def lead_customer(self, studio: str | None, customer_id: int) -> LeadCustomer | None:
        row = await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM lead_customers WHERE studio = $1 AND customer_id = $2",
            studio_key(studio),
            customer_id,
        )
        return None if row is None else _customer(row)

    async def booked_customers(
        self,
        studio: str | None,
        *,
        booking_id: int | None = None,
        class_slot_id: int | None = None,
    ) -> list[LeadCustomer]:
        if (booking_id is None) == (class_slot_id is None):
            raise ValueError("a booking id or a class slot id")
        column, value = (
            ("booking_id", booking_id)
            if booking_id is not None
            else ("class_slot_id", class_slot_id)
        )
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM lead_customers WHERE studio = $1 AND {column} = $2 "
            "ORDER BY customer_id",
            studio_key(studio),
            value,
        )
        return [_customer(row) for row in rows]

    async def mark_customer(
        self,
        studio: str | None,
        customer_id: int,
        mark: CustomerMark,
        now: float,
        *,
        counted: Counted | None = None,
    ) -> LeadCustomer | None:
        column = CustomerMark(mark).value  # one of three column names, never a value
        async with self._transaction() as db:
            row = await db.fetchrow(
                f"UPDATE lead_customers SET {column} = $3, updated_at = $3 "
                f"WHERE studio = $1 AND customer_id = $2 AND {column} IS NULL "
                f"RETURNING {_COLUMNS}",
                studio_key(studio),
                customer_id,
                now,
            )
            if row is None:
                return None
            customer = _customer(row)
            if counted is not None:
                await add_count(
                    db,
                    StoredCount(
                        counted.day, customer.campaign, counted.stage, "", 1, customer.studio
                    ),
                )
        return customer

    async def remember_customer(self, entry_id: int, customer: CreatedCustomer) -> None:
        await self._db.execute(
            REMEMBER_CUSTOMER,
            entry_id,
            customer.customer_id,
            customer.campaign or "",
            customer.now,
            customer.customer_number,
        )
