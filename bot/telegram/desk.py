"""The front desk's Bot API calls (``bot.frontdesk.relay.Courier``): copies, forum topics, the
bot's own notes, and Telegram's refusals translated into what the relay worker does next."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable
from typing import TypeVar

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.frontdesk.relay import Blocked, Place, Refused, Retry

T = TypeVar("T")
MAX_TEXT_LENGTH = 4096
MAX_DELETED = 100  # deleteMessages takes at most 100 ids a call


async def _called(call: Awaitable[T]) -> T:
    """The call's answer; a refusal as the worker reads it: for good (400), blocked (403), or
    for now (429 with its pause, 5xx, a timeout, a dropped connection)."""
    try:
        return await call
    except Forbidden as error:
        raise Blocked(error.message) from None
    except BadRequest as error:  # before NetworkError, which it is a kind of
        raise Refused(error.message) from None
    except RetryAfter as error:
        pause = error.retry_after
        seconds = pause.total_seconds() if isinstance(pause, datetime.timedelta) else float(pause)
        raise Retry(seconds) from None
    except TelegramError:
        raise Retry() from None


class TelegramCourier:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._forums: dict[int, bool] = {}  # getChat's is_forum, per staff chat

    async def is_forum(self, chat_id: int) -> bool:
        known = self._forums.get(chat_id)
        if known is None:
            chat = await _called(self._bot.get_chat(chat_id))
            known = self._forums[chat_id] = bool(chat.is_forum)
        return known

    async def create_topic(self, chat_id: int, name: str) -> int:
        topic = await _called(self._bot.create_forum_topic(chat_id, name))
        return topic.message_thread_id

    async def reopen_topic(self, chat_id: int, topic_id: int) -> None:
        await _called(self._bot.reopen_forum_topic(chat_id, topic_id))

    async def close_topic(self, chat_id: int, topic_id: int) -> None:
        await _called(self._bot.close_forum_topic(chat_id, topic_id))

    async def rename_topic(self, chat_id: int, topic_id: int, name: str) -> None:
        await _called(self._bot.edit_forum_topic(chat_id, topic_id, name=name))

    async def edit_text(self, chat_id: int, message_id: int, text: str) -> None:
        await _called(self._bot.edit_message_text(text, chat_id=chat_id, message_id=message_id))

    async def delete(self, chat_id: int, message_ids: tuple[int, ...]) -> None:
        for start in range(0, len(message_ids), MAX_DELETED):
            await _called(
                self._bot.delete_messages(chat_id, message_ids[start : start + MAX_DELETED])
            )

    async def copy(self, to: Place, from_chat_id: int, message_id: int) -> int:
        copied = await _called(
            self._bot.copy_message(
                to.chat_id,
                from_chat_id,
                message_id,
                message_thread_id=to.topic_id,
                reply_parameters=_under(to),
            )
        )
        return copied.message_id

    async def say(self, to: Place, text: str) -> int:
        if len(text) > MAX_TEXT_LENGTH:
            text = text[: MAX_TEXT_LENGTH - 1] + "…"
        sent = await _called(
            self._bot.send_message(
                to.chat_id, text, message_thread_id=to.topic_id, reply_parameters=_under(to)
            )
        )
        return sent.message_id


def _under(to: Place) -> ReplyParameters | None:
    """In a group without topics, a thread's messages reply to its header (gone: sent anyway)."""
    if to.reply_to is None:
        return None
    return ReplyParameters(to.reply_to, allow_sending_without_reply=True)
