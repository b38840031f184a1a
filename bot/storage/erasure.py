"""Erasing personal data across the kinds of record: a chat on /forget, idle conversations and
failed leads' details after the retention period. Funnel counts hold no chat and stay."""

from __future__ import annotations

from typing import Protocol

from bot.storage.database import SqlRecords
from bot.storage.outbox import LeadStatus


class Erasure(Protocol):
    async def forget_chat(self, chat_id: int) -> None: ...

    async def erase_idle(self, before: float) -> int:
        """Erase conversations last answered before ``before`` (and their message ids) unless
        their lead is still being delivered, and the details of leads that failed before it;
        the number of conversations erased."""
        ...


# Idle conversations whose lead is not on its way to PerfectGym.
IDLE = (
    "SELECT c.chat_id FROM conversations c WHERE c.updated_at < $1 AND NOT EXISTS ("
    "SELECT 1 FROM outbox o WHERE o.chat_id = c.chat_id AND o.status = $2)"
)


class SqlErasure(SqlRecords):
    async def forget_chat(self, chat_id: int) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM conversations WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM outbox WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM chat_messages WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM trial_bookings WHERE chat_id = $1", chat_id)
            await db.execute("DELETE FROM pending_replies WHERE chat_id = $1", chat_id)

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
