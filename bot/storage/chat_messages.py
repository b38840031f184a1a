"""The bot's messages in each chat that it may still edit, by Telegram's message id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.storage.chats import CHAT_EXISTS
from bot.storage.database import SqlRecords


@dataclass(frozen=True)
class ChatMessages:
    """The bot's messages in a chat that it may still edit: the one whose buttons are live, and
    the last summary. Telegram's message ids are known only after sending, so these are stored
    after the replies went out, apart from the conversation."""

    buttons: int | None = None
    summary: int | None = None


class ChatMessageRecords(Protocol):
    async def load_messages(self, chat_id: int) -> ChatMessages: ...

    async def save_messages(self, chat_id: int, messages: ChatMessages, now: float) -> None:
        """The buttons message as given (None: no live buttons); the summary kept when None.
        Nothing for a chat forgotten meanwhile (a reply was on its way when /forget came)."""
        ...


# Retention: the ids of a chat that has no conversation (left, done or cancelled), saved before
# $1. Those of a conversation go with it (``Erasure.erase_idle``).
EXPIRE_ORPHANED_MESSAGES = (
    "DELETE FROM chat_messages WHERE updated_at < $1 AND NOT EXISTS ("
    "SELECT 1 FROM conversations c WHERE c.chat_id = chat_messages.chat_id) RETURNING chat_id"
)
DELETE_CHAT_MESSAGES = "DELETE FROM chat_messages WHERE chat_id = $1"  # /forget
# Ids saved by a release that did not date them count from the first sweep that sees them.
DATE_UNDATED_MESSAGES = "UPDATE chat_messages SET updated_at = $1 WHERE updated_at IS NULL"


class SqlChatMessages(SqlRecords):
    async def load_messages(self, chat_id: int) -> ChatMessages:
        row = await self._db.fetchrow(
            "SELECT buttons_message_id, summary_message_id FROM chat_messages WHERE chat_id = $1",
            chat_id,
        )
        if row is None:
            return ChatMessages()
        return ChatMessages(row["buttons_message_id"], row["summary_message_id"])

    async def save_messages(self, chat_id: int, messages: ChatMessages, now: float) -> None:
        await self._db.execute(
            "INSERT INTO chat_messages (chat_id, buttons_message_id, summary_message_id, "
            "updated_at) SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS BIGINT), "
            f"CAST($4 AS DOUBLE PRECISION) WHERE {CHAT_EXISTS} ON CONFLICT (chat_id) DO UPDATE SET "
            "buttons_message_id = excluded.buttons_message_id, "
            "summary_message_id = "
            "COALESCE(excluded.summary_message_id, chat_messages.summary_message_id), "
            "updated_at = excluded.updated_at",
            chat_id,
            messages.buttons,
            messages.summary,
            now,
        )
