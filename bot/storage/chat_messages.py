"""The bot's messages in each chat that it may still edit, by Telegram's message id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.storage.database import SqlRecords
from bot.storage.forgotten import CHAT_EXISTS


@dataclass(frozen=True)
class ChatMessages:
    """The bot's messages in a chat that it may still edit: the one whose buttons are live, and
    the last summary. Telegram's message ids are known only after sending, so these are stored
    after the replies went out, apart from the conversation."""

    buttons: int | None = None
    summary: int | None = None


class ChatMessageRecords(Protocol):
    async def load_messages(self, chat_id: int) -> ChatMessages: ...

    async def save_messages(self, chat_id: int, messages: ChatMessages) -> None:
        """The buttons message as given (None: no live buttons); the summary kept when None.
        Nothing for a chat forgotten meanwhile (a reply was on its way when /forget came)."""
        ...


class SqlChatMessages(SqlRecords):
    async def load_messages(self, chat_id: int) -> ChatMessages:
        row = await self._db.fetchrow(
            "SELECT buttons_message_id, summary_message_id FROM chat_messages WHERE chat_id = $1",
            chat_id,
        )
        if row is None:
            return ChatMessages()
        return ChatMessages(row["buttons_message_id"], row["summary_message_id"])

    async def save_messages(self, chat_id: int, messages: ChatMessages) -> None:
        await self._db.execute(
            "INSERT INTO chat_messages (chat_id, buttons_message_id, summary_message_id) "
            "SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS BIGINT) "
            f"WHERE {CHAT_EXISTS} ON CONFLICT (chat_id) DO UPDATE SET "
            "buttons_message_id = excluded.buttons_message_id, "
            "summary_message_id = "
            "COALESCE(excluded.summary_message_id, chat_messages.summary_message_id)",
            chat_id,
            messages.buttons,
            messages.summary,
        )
