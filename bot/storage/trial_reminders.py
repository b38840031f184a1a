"""Reminders before a booked trial session and the one follow-up after it (``bot/followup``),
one row per message, claimed like the outbox's leases so each is sent once across restarts and
instances.

A row is written only for a chat whose trial booking still exists (/cancel and /forget delete
the booking and these rows in one go), and the chat's rows not yet sent are replaced whenever
its booking changes. ``studio`` is '' for the single studio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.database import Row, SqlRecords
from bot.storage.trial_bookings import BOOKING_EXISTS

FOLLOWUP = "followup"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one instance until ``held_until``
    SENT = "sent"
    SKIPPED = "skipped"  # its moment passed, the session started, or it was changed
    CANCELLED = "cancelled"  # the studio cancelled the booking, or the customer is silenced
    BLOCKED = "blocked"  # the prospect blocked the bot


@dataclass(frozen=True)
class TrialReminder:
    id: int
    chat_id: int
    studio: str | None
    booking_id: int
    customer_id: int
    kind: str  # "24h", "2h", ... or FOLLOWUP
    starts_at: float
    due_at: float
    attended: bool = False
    moved: bool = False

    @property
    def followup(self) -> bool:
        return self.kind == FOLLOWUP


@dataclass(frozen=True)
class Planned:
    """One row to write: its kind and when it is due."""

    kind: str
    due_at: float


class TrialReminderRecords(Protocol):
    async def plan_reminders(
        self,
        chat_id: int,
        studio: str | None,
        booking_id: int,
        customer_id: int,
        starts_at: float,
        planned: Sequence[Planned],
    ) -> bool:
        """Replace the chat's rows not yet sent by ``planned``, but for a kind the booking had
        already (a booking moved after its 24-hour reminder or its follow-up gets no second);
        False (nothing written) when the chat's trial booking is gone (/cancel, /forget)."""
        ...

    async def claim_trial_reminders(
        self, now: float, until: float, limit: int
    ) -> list[TrialReminder]:
        """Rows due now, and rows whose sender's hold ran out, held until ``until``."""
        ...

    async def finish_trial_reminder(self, reminder_id: int, status: ReminderStatus) -> None: ...

    async def release_trial_reminder(self, reminder_id: int) -> None:
        """Not sent: due again at the next sweep."""
        ...

    async def stop_chat_reminders(self, chat_id: int, status: ReminderStatus) -> int:
        """Every row of the chat not yet sent ends with ``status``; how many."""
        ...

    async def stop_booking_reminders(
        self, studio: str | None, booking_id: int, status: ReminderStatus
    ) -> list[TrialReminder]:
        """The booking's rows not yet sent end with ``status``; the rows so ended."""
        ...

    async def booking_reminders(self, studio: str | None, booking_id: int) -> list[TrialReminder]:
        """The booking's rows not yet sent, soonest first, left as they are: what a cancelled
        booking's notice is built from before they are stopped."""
        ...

    async def stop_customer_reminders(self, studio: str | None, customer_id: int) -> int:
        """A silenced customer: every row of theirs not yet sent is cancelled; how many."""
        ...

    async def customer_followups(self, studio: str | None, customer_id: int) -> list[TrialReminder]:
        """The customer's follow-ups not yet sent (a check-in finds its booking's)."""
        ...

    async def attend_followup(self, reminder_id: int, due_at: float) -> bool:
        """A check-in: the follow-up asks "How was it?" at ``due_at``; False if it was
        attended already or is no longer pending."""
        ...

    async def mark_moved(self, studio: str | None, booking_id: int) -> list[TrialReminder]:
        """The booking changed: its rows not yet sent wait for its time to be read again."""
        ...

    async def moved_bookings(self, limit: int) -> list[TrialReminder]:
        """One row of each booking whose time is to be read again."""
        ...


# Retention: every row due longer ago than the retention period.
EXPIRE_REMINDERS = "DELETE FROM trial_reminders WHERE due_at < $1 RETURNING chat_id"
DELETE_CHAT_REMINDERS = "DELETE FROM trial_reminders WHERE chat_id = $1"

COLUMNS = "id, chat_id, studio, booking_id, customer_id, kind, starts_at, due_at, attended, moved"
OPEN = "status IN ('pending', 'sending')"

# The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
# instance changed meanwhile, so a row is claimed once.
CLAIM_DUE = (
    "UPDATE trial_reminders SET status = 'sending', held_until = $2 WHERE id IN ("
    "SELECT id FROM trial_reminders WHERE status = 'pending' AND due_at <= $1 AND NOT moved "
    "ORDER BY due_at LIMIT $3) AND status = 'pending' AND due_at <= $1 AND NOT moved "
    f"RETURNING {COLUMNS}"
)
CLAIM_LAPSED = (
    "UPDATE trial_reminders SET held_until = $2 WHERE id IN ("
    "SELECT id FROM trial_reminders WHERE status = 'sending' AND held_until < $1 LIMIT $3) "
    f"AND status = 'sending' AND held_until < $1 RETURNING {COLUMNS}"
)


def _key(studio: str | None) -> str:
    return studio or ""


def _reminder(row: Row) -> TrialReminder:
    return TrialReminder(
        id=int(row["id"]),
        chat_id=int(row["chat_id"]),
        studio=row["studio"] or None,
        booking_id=int(row["booking_id"]),
        customer_id=int(row["customer_id"]),
        kind=str(row["kind"]),
        starts_at=float(row["starts_at"]),
        due_at=float(row["due_at"]),
        attended=bool(row["attended"]),
        moved=bool(row["moved"]),
    )


def _reminders(rows: Sequence[Row]) -> list[TrialReminder]:
    return [_reminder(row) for row in rows]


class SqlTrialReminders(SqlRecords):
    async def plan_reminders(
        self,
        chat_id: int,
        studio: str | None,
        booking_id: int,
        customer_id: int,
        starts_at: float,
        planned: Sequence[Planned],
    ) -> bool:
        async with self._transaction() as db:
            booked = await db.fetchval(f"SELECT {BOOKING_EXISTS}", chat_id)
            if not booked:
                return False
            await db.execute(f"DELETE FROM trial_reminders WHERE chat_id = $1 AND {OPEN}", chat_id)
            for plan in planned:
                await db.execute(
                    "INSERT INTO trial_reminders (chat_id, studio, booking_id, customer_id, "
                    "kind, starts_at, due_at, status, held_until, attended, moved) "
                    "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS BIGINT), "
                    "CAST($4 AS BIGINT), CAST($5 AS TEXT), CAST($6 AS DOUBLE PRECISION), "
                    "CAST($7 AS DOUBLE PRECISION), 'pending', NULL, CAST($8 AS BOOLEAN), "
                    "CAST($8 AS BOOLEAN) "
                    "WHERE NOT EXISTS (SELECT 1 FROM trial_reminders WHERE chat_id = $1 "
                    "AND booking_id = $3 AND kind = $5)",
                    chat_id,
                    _key(studio),
                    booking_id,
                    customer_id,
                    plan.kind,
                    starts_at,
                    plan.due_at,
                    False,
                )
        return True

    async def claim_trial_reminders(
        self, now: float, until: float, limit: int
    ) -> list[TrialReminder]:
        rows = [
            *await self._db.fetch(CLAIM_DUE, now, until, limit),
            *await self._db.fetch(CLAIM_LAPSED, now, until, limit),
        ]
        return sorted(_reminders(rows), key=lambda r: (r.due_at, r.id))

    async def finish_trial_reminder(self, reminder_id: int, status: ReminderStatus) -> None:
        await self._db.execute(
            "UPDATE trial_reminders SET status = $2, held_until = NULL WHERE id = $1",
            reminder_id,
            status.value,
        )

    async def release_trial_reminder(self, reminder_id: int) -> None:
        await self._db.execute(
            "UPDATE trial_reminders SET status = 'pending', held_until = NULL "
            "WHERE id = $1 AND status = 'sending'",
            reminder_id,
        )

    async def stop_chat_reminders(self, chat_id: int, status: ReminderStatus) -> int:
        rows = await self._db.fetch(
            f"UPDATE trial_reminders SET status = $2, held_until = NULL WHERE chat_id = $1 "
            f"AND {OPEN} RETURNING id",
            chat_id,
            status.value,
        )
        return len(rows)

    async def stop_booking_reminders(
        self, studio: str | None, booking_id: int, status: ReminderStatus
    ) -> list[TrialReminder]:
        rows = await self._db.fetch(
            "UPDATE trial_reminders SET status = $3, held_until = NULL WHERE studio = $1 "
            f"AND booking_id = $2 AND {OPEN} RETURNING {COLUMNS}",
            _key(studio),
            booking_id,
            status.value,
        )
        return _reminders(rows)

    async def booking_reminders(self, studio: str | None, booking_id: int) -> list[TrialReminder]:
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM trial_reminders WHERE studio = $1 AND booking_id = $2 "
            f"AND {OPEN} ORDER BY due_at, id",
            _key(studio),
            booking_id,
        )
        return _reminders(rows)

    async def stop_customer_reminders(self, studio: str | None, customer_id: int) -> int:
        rows = await self._db.fetch(
            "UPDATE trial_reminders SET status = $3, held_until = NULL WHERE studio = $1 "
            f"AND customer_id = $2 AND {OPEN} RETURNING id",
            _key(studio),
            customer_id,
            ReminderStatus.CANCELLED.value,
        )
        return len(rows)

    async def customer_followups(self, studio: str | None, customer_id: int) -> list[TrialReminder]:
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM trial_reminders WHERE studio = $1 AND customer_id = $2 "
            f"AND kind = $3 AND status = 'pending' ORDER BY starts_at",
            _key(studio),
            customer_id,
            FOLLOWUP,
        )
        return _reminders(rows)

    async def attend_followup(self, reminder_id: int, due_at: float) -> bool:
        done = await self._db.fetchval(
            "UPDATE trial_reminders SET attended = $3, due_at = $2 WHERE id = $1 "
            "AND status = 'pending' AND attended = $4 RETURNING id",
            reminder_id,
            due_at,
            True,
            False,
        )
        return done is not None

    async def mark_moved(self, studio: str | None, booking_id: int) -> list[TrialReminder]:
        rows = await self._db.fetch(
            f"UPDATE trial_reminders SET moved = $3 WHERE studio = $1 AND booking_id = $2 "
            f"AND status = 'pending' RETURNING {COLUMNS}",
            _key(studio),
            booking_id,
            True,
        )
        return _reminders(rows)

    async def moved_bookings(self, limit: int) -> list[TrialReminder]:
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM trial_reminders WHERE moved = $1 AND status = 'pending' "
            "ORDER BY due_at LIMIT $2",
            True,
            limit,
        )
        seen: dict[tuple[str | None, int], TrialReminder] = {}
        for reminder in _reminders(rows):
            seen.setdefault((reminder.studio, reminder.booking_id), reminder)
        return list(seen.values())
