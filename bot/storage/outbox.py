"""The lead outbox: confirmed leads waiting for (or done with) delivery, and who is attempting
each (its lease), so that with two instances only one calls PerfectGym for a lead."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.conversations import DELETE_CHAT_CONVERSATION, REOPEN_CONVERSATION, replace
from bot.storage.database import Database, Row, SqlRecords
from bot.storage.studios import checked_studio


class LeadStatus(StrEnum):
    PENDING = "pending"  # stored, not yet accepted by PerfectGym
    CREATED = "created"  # PerfectGym created it (personal data erased)
    DUPLICATE = "duplicate"  # validate said DUPLICATE_CUSTOMER: nothing created
    INVALID = "invalid"  # validate said INVALID_LEAD_DATA: nothing created
    FAILED = "failed"  # rejected (4xx) or given up after the give-up age


FINISHED = frozenset({LeadStatus.CREATED, LeadStatus.DUPLICATE, LeadStatus.FAILED})
# Final outcomes after which the personal data has no further use. FAILED keeps it for a human.
ERASING = FINISHED - {LeadStatus.FAILED}


@dataclass(frozen=True)
class CreatedCustomer:
    """PerfectGym's customer for a created lead, and the campaign the lead came from (also when
    it had to go without it): what later events of the customer are counted under."""

    customer_id: int
    campaign: str | None
    now: float
    customer_number: str | None = None  # what staff look the customer up by


@dataclass(frozen=True)
class OutboxEntry:
    """A confirmed lead waiting for (or done with) delivery.

    ``create_sent`` records that a create request may have reached PerfectGym, so a retry after
    a lost answer checks for a duplicate first instead of creating blindly. ``studio`` is the
    id of the chain's studio the lead goes to; None: the one studio of a single-studio
    deployment (and every entry stored by an earlier release). ``campaign`` is the link's
    campaign (None: none, or stored by an earlier release); it holds nothing personal and
    stays once the payload is erased.
    """

    id: int
    chat_id: int
    payload: str | None
    locale: str
    status: LeadStatus
    attempts: int
    next_attempt_at: float
    created_at: float
    create_sent: bool
    last_error: str | None
    lead_ref: str | None
    studio: str | None = None
    campaign: str | None = None


class OutboxRecords(Protocol):
    async def submit(
        self,
        chat_id: int,
        state: str,
        previous: str | None,
        payload: str,
        locale: str,
        now: float,
        *,
        studio: str | None = None,
        campaign: str | None = None,
    ) -> OutboxEntry | None:
        """Store the final conversation state, compared and set as ``replace_conversation``
        does, and enqueue its lead (for ``studio``) in one transaction; None (nothing stored)
        if it changed."""
        ...

    async def due_leads(self, now: float, limit: int) -> list[OutboxEntry]: ...

    async def claim_due_leads(
        self, now: float, limit: int, owner: str, until: float
    ) -> list[OutboxEntry]:
        """Due entries nobody else holds, each leased to ``owner`` until ``until``."""
        ...

    async def claim_lead(
        self, entry_id: int, owner: str, now: float, until: float
    ) -> OutboxEntry | None:
        """The entry, fresh, leased to ``owner``; None if another holds it or it is finished."""
        ...

    async def release_lead(self, entry_id: int, owner: str) -> None: ...

    async def renew_lease(self, entry_id: int, owner: str, until: float) -> bool:
        """Extend ``owner``'s lease to ``until``; False if it holds none (taken over meanwhile)."""
        ...

    async def outbox_stats(self, now: float) -> tuple[int, float | None]:
        """Pending leads, and when the oldest of those due now was confirmed (metrics)."""
        ...

    async def replace_payload(self, entry_id: int, payload: str) -> None:
        """The lead as it will be sent from now on (e.g. without a refused campaign code)."""
        ...

    async def get_lead(self, entry_id: int) -> OutboxEntry | None: ...

    async def latest_lead(self, chat_id: int) -> OutboxEntry | None: ...

    async def record_attempt(
        self,
        entry_id: int,
        *,
        attempts: int,
        next_attempt_at: float,
        create_sent: bool,
        last_error: str | None,
    ) -> bool:
        """False: the entry is gone (its chat was forgotten), so nothing more is sent for it."""
        ...

    async def finish_lead(
        self,
        entry_id: int,
        status: LeadStatus,
        lead_ref: str | None,
        last_error: str | None,
        *,
        at: float | None = None,
    ) -> bool:
        """Close an entry. Once it is final, erase the personal data (payload and conversation).
        ``at``: when PerfectGym answered, the entry's last attempt (retention counts from it, and
        a lead posted to staff by hand is dated by it); None keeps the time it was due.
        False: the entry is gone (its chat was forgotten while PerfectGym was answering)."""
        ...

    async def reopen_conversation(self, entry_id: int, state: str, now: float) -> None:
        """The studio refused the details: drop the entry, keep the conversation to correct."""
        ...


OUTBOX_COLUMNS = (
    "id, chat_id, payload, locale, status, attempts, next_attempt_at, created_at, create_sent, "
    "last_error, lead_ref, studio, campaign"
)

# /forget; "the chat still exists" (``bot.storage.chats``).
DELETE_CHAT_LEADS = "DELETE FROM outbox WHERE chat_id = $1"
LEADS_EXIST = "EXISTS (SELECT 1 FROM outbox WHERE chat_id = $1)"
# The chat's ($1) latest lead with status $2: what /forget keeps for staff of a created one
# (its customer number and studio) and of a failed one (posted to staff by hand at its last
# attempt).
LATEST_LEAD_OF_STATUS = (
    "SELECT lead_ref, studio, next_attempt_at FROM outbox WHERE chat_id = $1 AND status = $2 "
    "ORDER BY id DESC LIMIT 1"
)
# The chat and studio of entry $1 (the customer its lead became is kept under them).
ENTRY_OWNER = "SELECT chat_id, studio FROM outbox WHERE id = $1"


# Retention: entries no longer pending (created, duplicate, refused, handed back to correct),
# their last attempt before $1, with any lease left on them. Written with the literal status so
# that both databases use the partial index ``outbox_settled``.
EXPIRE_SETTLED_LEADS = (
    f"DELETE FROM outbox WHERE status <> '{LeadStatus.PENDING.value}' AND next_attempt_at < $1 "
    "RETURNING id"
)
# Leases run out within minutes; one left behind by a stopped instance (PostgreSQL: SQLite
# drops them all at start) holds no personal data and goes once it is as old as the retention.
# The table holds only the leads in flight: no index needed.
EXPIRE_LEASES = "DELETE FROM outbox_leases WHERE until < $1"


def entry_from_row(row: Row) -> OutboxEntry:
    """An outbox row, selected with ``OUTBOX_COLUMNS``, as an entry."""
    return OutboxEntry(
        id=row["id"],
        chat_id=row["chat_id"],
        payload=row["payload"],
        locale=row["locale"],
        status=LeadStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        create_sent=bool(row["create_sent"]),
        last_error=row["last_error"],
        lead_ref=row["lead_ref"],
        studio=row["studio"],
        campaign=row["campaign"],
    )


class SqlOutbox(SqlRecords):
    # Rows a claim's selection locks: PostgreSQL skips those another instance is claiming;
    # SQLite has one writer and no row locks.
    _SKIP_LOCKED = ""

    async def submit(
        self,
        chat_id: int,
        state: str,
        previous: str | None,
        payload: str,
        locale: str,
        now: float,
        *,
        studio: str | None = None,
        campaign: str | None = None,
    ) -> OutboxEntry | None:
        checked_studio(studio)
        async with self._transaction() as db:
            if not await replace(db, chat_id, state, previous, now):
                return None
            row = await db.fetchrow(
                "INSERT INTO outbox (chat_id, payload, locale, status, next_attempt_at, "
                f"created_at, studio, campaign) VALUES ($1, $2, $3, $4, $5, $5, $6, $7) "
                f"RETURNING {OUTBOX_COLUMNS}",
                chat_id,
                payload,
                locale,
                LeadStatus.PENDING.value,
                now,
                studio,
                campaign,
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
        """The lease, if nobody else holds an unexpired one, and the entry as it is now. The
        upsert's condition is checked against the latest committed lease, so of two instances
        claiming at once exactly one gets the row back. ``owner`` itself may hold it: its
        sweep may have claimed the entry an instant before its first attempt did (the process
        keeps one attempt per entry by itself), and that attempt must not wait out the lease."""
        won = await db.fetchval(
            "INSERT INTO outbox_leases (entry_id, owner, until) VALUES ($1, $2, $3) "
            "ON CONFLICT (entry_id) DO UPDATE SET owner = excluded.owner, until = excluded.until "
            "WHERE outbox_leases.until < $4 OR outbox_leases.owner = excluded.owner "
            "RETURNING entry_id",
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
    ) -> bool:
        recorded = await self._db.fetchval(
            "UPDATE outbox SET attempts = $1, next_attempt_at = $2, create_sent = $3, "
            "last_error = $4 WHERE id = $5 RETURNING id",
            attempts,
            next_attempt_at,
            create_sent,
            last_error,
            entry_id,
        )
        return recorded is not None

    async def finish_lead(
        self,
        entry_id: int,
        status: LeadStatus,
        lead_ref: str | None,
        last_error: str | None,
        *,
        at: float | None = None,
    ) -> bool:
        async with self._transaction() as db:
            chat_id: int | None = await db.fetchval(
                "UPDATE outbox SET status = $1, lead_ref = $2, last_error = $3, "
                "next_attempt_at = COALESCE(CAST($5 AS DOUBLE PRECISION), next_attempt_at) "
                "WHERE id = $4 RETURNING chat_id",
                status.value,
                lead_ref,
                last_error,
                entry_id,
                at,
            )
            if chat_id is not None and status in ERASING:
                await db.execute("UPDATE outbox SET payload = NULL WHERE id = $1", entry_id)
                await db.execute(DELETE_CHAT_CONVERSATION, chat_id)
        return chat_id is not None

    async def reopen_conversation(self, entry_id: int, state: str, now: float) -> None:
        async with self._transaction() as db:
            chat_id: int | None = await db.fetchval(
                "UPDATE outbox SET status = $1, payload = NULL WHERE id = $2 RETURNING chat_id",
                LeadStatus.INVALID.value,
                entry_id,
            )
            if chat_id is not None:
                await db.execute(REOPEN_CONVERSATION, chat_id, state, now)
