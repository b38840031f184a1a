"""Replies Telegram did not take (a 5xx, a timeout, a dropped connection), kept until they are
sent: a prospect whose next question was lost gets it once Telegram is back, restart or not."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.chats import CHAT_EXISTS
from bot.storage.database import SqlRecords


class ReplyKind(StrEnum):
    """``ANSWER``: what the bot answered to a prospect's update; their next update makes it
    obsolete (it is answered afresh). ``NOTICE``: anything else (a thank-you, a reminder, a
    message to staff), sent however late."""

    ANSWER = "answer"
    NOTICE = "notice"


@dataclass(frozen=True)
class PendingReply:
    id: int
    chat_id: int
    kind: ReplyKind
    payload: str  # the replies still to send, as ``bot.telegram.resend`` encodes them
    attempts: int
    created_at: float
    not_after: float | None = None  # a reminder of a session: worthless once it began


class PendingReplies(Protocol):
    async def hold_reply(
        self,
        chat_id: int,
        kind: ReplyKind,
        payload: str,
        now: float,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> None:
        """Keep replies Telegram did not take, due at once, and not to be sent after
        ``not_after``. A notice for a chat forgotten meanwhile (a thank-you, a reminder on its
        way when /forget came) is not kept."""
        ...

    async def claim_replies(self, now: float, until: float, limit: int) -> list[PendingReply]:
        """Due replies nobody holds, oldest first, held until ``until``: of two instances
        sweeping at once, exactly one gets each."""
        ...

    async def reply_sent(self, reply_id: int) -> None: ...

    async def retry_reply(self, reply_id: int, due_at: float) -> None:
        """Not sent this time either: due again at ``due_at``, no longer held."""
        ...

    async def drop_answers(self, chat_id: int) -> None:
        """The chat's pending answers, made obsolete by the prospect's next update."""
        ...

    async def drop_replies(self, chat_id: int) -> None:
        """Everything pending for the chat: the prospect blocked the bot."""
        ...

    async def any_replies(self) -> bool: ...


# A reply still not taken a day later is about a conversation the prospect has long left: the
# resender drops it, and the retention sweep deletes one nobody was left to drop.
KEPT_SECONDS = 24 * 3600.0

# Retention: replies kept since before $1.
# /forget: the chat's kept replies, and kept staff notices about it.
DELETE_CHAT_REPLIES = "DELETE FROM pending_replies WHERE chat_id = $1 OR about_chat_id = $1"
EXPIRE_REPLIES = "DELETE FROM pending_replies WHERE created_at < $1 RETURNING id"

# The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
# instance changed meanwhile, so a reply is claimed once.
CLAIM_REPLIES = (
    "UPDATE pending_replies SET held_until = $2 WHERE id IN ("
    "SELECT id FROM pending_replies WHERE due_at <= $1 AND (held_until IS NULL OR held_until < $1) "
    "ORDER BY id LIMIT $3) AND due_at <= $1 AND (held_until IS NULL OR held_until < $1) "
    "RETURNING id, chat_id, kind, payload, attempts, created_at, not_after"
)


class SqlPendingReplies(SqlRecords):
    async def hold_reply(
        self,
        chat_id: int,
        kind: ReplyKind,
        payload: str,
        now: float,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> None:
        await self._db.execute(
            "INSERT INTO pending_replies "
            "(chat_id, kind, payload, attempts, due_at, created_at, not_after, about_chat_id) "
            "SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), 0, "
            "CAST($4 AS DOUBLE PRECISION), CAST($4 AS DOUBLE PRECISION), "
            "CAST($6 AS DOUBLE PRECISION), CAST($7 AS BIGINT) "
            f"WHERE CAST($2 AS TEXT) = $5 OR {CHAT_EXISTS}",
            chat_id,
            kind.value,
            payload,
            now,
            ReplyKind.ANSWER.value,
            not_after,
            about,
        )

    async def claim_replies(self, now: float, until: float, limit: int) -> list[PendingReply]:
        rows = await self._db.fetch(CLAIM_REPLIES, now, until, limit)
        return sorted(
            (
                PendingReply(
                    int(row["id"]),
                    int(row["chat_id"]),
                    ReplyKind(row["kind"]),
                    str(row["payload"]),
                    int(row["attempts"]),
                    float(row["created_at"]),
                    None if row["not_after"] is None else float(row["not_after"]),
                )
                for row in rows
            ),
            key=lambda reply: reply.id,
        )

    async def reply_sent(self, reply_id: int) -> None:
        await self._db.execute("DELETE FROM pending_replies WHERE id = $1", reply_id)

    async def retry_reply(self, reply_id: int, due_at: float) -> None:
        await self._db.execute(
            "UPDATE pending_replies SET attempts = attempts + 1, due_at = $2, held_until = NULL "
            "WHERE id = $1",
            reply_id,
            due_at,
        )

    async def drop_answers(self, chat_id: int) -> None:
        await self._db.execute(
            "DELETE FROM pending_replies WHERE chat_id = $1 AND kind = $2",
            chat_id,
            ReplyKind.ANSWER.value,
        )

    async def drop_replies(self, chat_id: int) -> None:
        await self._db.execute(DELETE_CHAT_REPLIES, chat_id)

    async def any_replies(self) -> bool:
        return await self._db.fetchval("SELECT 1 FROM pending_replies LIMIT 1") is not None
