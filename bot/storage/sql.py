"""``Storage`` in SQL: each kind of record's statements, on one ``Database``.

The statements live with their kind of record (``conversations``, ``outbox``, …), written once
for SQLite and PostgreSQL; a backend subclasses this, opens the database and runs transactions.
"""

from __future__ import annotations

from abc import abstractmethod

from bot.storage.cache import SqlCache
from bot.storage.chat_messages import SqlChatMessages
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.erasure import SqlErasure
from bot.storage.forgotten import SqlForgottenChats
from bot.storage.funnel_counts import SqlFunnelCounts
from bot.storage.lead_customers import SqlLeadCustomers
from bot.storage.outbox import SqlOutbox
from bot.storage.perfectgym_events import SqlPerfectGymEvents
from bot.storage.relays import SqlRelays
from bot.storage.replies import SqlPendingReplies
from bot.storage.threads import SqlThreads
from bot.storage.trial_bookings import SqlTrialBookings
from bot.storage.trial_reminders import SqlTrialReminders


class SqlStorage(
    SqlConversations,
    SqlOutbox,
    SqlChatMessages,
    SqlFunnelCounts,
    SqlTrialBookings,
    SqlTrialReminders,
    SqlPendingReplies,
    SqlCache,
    SqlErasure,
    SqlForgottenChats,
    SqlThreads,
    SqlRelays,
    SqlLeadCustomers,
    SqlPerfectGymEvents,
):
    """Every kind of record but the poller's lock, which is the backend's own (``Leadership``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @abstractmethod
    async def close(self) -> None: ...
