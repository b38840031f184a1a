"""The storage interface: conversations (write-through), the lead outbox and the config cache.

Kept deliberately small so SQLite and PostgreSQL implement the same contract and one test suite
runs against both. Values cross it as JSON text and plain dataclasses, never as ORM objects.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.funnel.counts import FunnelCount


class LeadStatus(StrEnum):
    PENDING = "pending"  # stored, not yet accepted by PerfectGym
    CREATED = "created"  # PerfectGym created it (personal data erased)
    DUPLICATE = "duplicate"  # validate said DUPLICATE_CUSTOMER: nothing created
    INVALID = "invalid"  # validate said INVALID_LEAD_DATA: nothing created
    FAILED = "failed"  # rejected (4xx) or given up after the give-up age


FINISHED = frozenset({LeadStatus.CREATED, LeadStatus.DUPLICATE, LeadStatus.FAILED})


@dataclass(frozen=True)
class OutboxEntry:
    """A confirmed lead waiting for (or done with) delivery.

    ``create_sent`` records that a create request may have reached PerfectGym, so a retry after
    a lost answer checks for a duplicate first instead of creating blindly.
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


@dataclass(frozen=True)
class ChatMessages:
    """The bot's messages in a chat that it may still edit: the one whose buttons are live, and
    the last summary. Telegram's message ids are known only after sending, so these are stored
    after the replies went out, apart from the conversation."""

    buttons: int | None = None
    summary: int | None = None


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


OUTBOX_COLUMNS = (
    "id, chat_id, payload, locale, status, attempts, next_attempt_at, created_at, create_sent, "
    "last_error, lead_ref"
)


class Row(Protocol):
    """A database row addressable by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: str) -> Any: ...


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
    )


class Storage(Protocol):
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

    async def submit(
        self, chat_id: int, state: str, previous: str | None, payload: str, locale: str, now: float
    ) -> OutboxEntry | None:
        """Store the final conversation state, compared and set as ``replace_conversation``
        does, and enqueue its lead in one transaction; None (nothing stored) if it changed."""
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

    async def acquire_leadership(self) -> bool:
        """Try to become the one instance that long-polls Telegram (a second ``getUpdates``
        caller gets 409); True while this instance is it."""
        ...

    async def leadership_alive(self) -> bool:
        """Whether the leadership is still held (False: lost with its connection)."""
        ...

    async def release_leadership(self) -> None: ...

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
    ) -> None: ...

    async def finish_lead(
        self, entry_id: int, status: LeadStatus, lead_ref: str | None, last_error: str | None
    ) -> None:
        """Close an entry. Once it is final, erase the personal data (payload and conversation)."""
        ...

    async def reopen_conversation(self, entry_id: int, state: str, now: float) -> None:
        """The studio refused the details: drop the entry, keep the conversation to correct."""
        ...

    async def forget_chat(self, chat_id: int) -> None: ...

    async def load_messages(self, chat_id: int) -> ChatMessages: ...

    async def save_messages(self, chat_id: int, messages: ChatMessages) -> None:
        """The buttons message as given (None: no live buttons); the summary kept when None."""
        ...

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

    async def erase_idle(self, before: float) -> int:
        """Erase conversations last answered before ``before`` (and their message ids) unless
        their lead is still being delivered, and the details of leads that failed before it;
        the number of conversations erased."""
        ...

    async def add_funnel_counts(self, counts: Sequence[FunnelCount]) -> None:
        """Add to the stored counts (they are sums: any instance may add to any day)."""
        ...

    async def funnel_counts(
        self, first_day: datetime.date, last_day: datetime.date
    ) -> list[FunnelCount]: ...

    async def load_booking(self, chat_id: int) -> str | None: ...

    async def save_booking(
        self, chat_id: int, state: str, *, due_at: float | None, held_until: float | None
    ) -> None:
        """The booking as it is now: ``due_at`` while a PerfectGym call is owed, ``held_until``
        while this instance makes it."""
        ...

    async def hold_booking(self, chat_id: int, now: float, until: float) -> str | None:
        """The booking, held until ``until`` unless another instance holds it (None then, or
        when there is none)."""
        ...

    async def due_bookings(self, now: float, limit: int) -> list[int]:
        """Chats whose booking owes a PerfectGym call now and nobody holds."""
        ...

    async def delete_booking(self, chat_id: int) -> None: ...

    async def load_config(self) -> tuple[str, float] | None: ...

    async def save_config(self, config: str, fetched_at: float) -> None: ...

    async def load_studio(self) -> tuple[str, float] | None:
        """The last studio information PerfectGym gave, as JSON, and when it was fetched."""
        ...

    async def save_studio(self, information: str, fetched_at: float) -> None: ...

    async def close(self) -> None: ...
