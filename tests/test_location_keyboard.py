"""The share-location button as Telegram gets it: a message has one keyboard, so beside the
club buttons the location keyboard comes in a message of its own, and its failing never costs
the question. A stub bot records the calls; no network."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import NetworkError

from bot.storage.chat_messages import ChatMessages
from bot.storage.replies import ReplyKind
from bot.telegram.application import SenderRecords, Sent, TelegramSender
from bot.telegram.resend import decode, encode
from conversations.replies import Button, Outcome, Reply

CHAT = 42
QUESTION = Reply(
    "Which club?", buttons=((Button("Camden", "club:c1"),),), location_button="📍 Location"
)


@dataclass
class _Message:
    message_id: int


@dataclass
class StubBot:
    fail_keyboard: bool = False
    sent: list[tuple[str, Any]] = field(default_factory=list)

    async def send_message(self, chat_id: int, text: str, reply_markup: Any = None) -> _Message:
        if self.fail_keyboard and isinstance(reply_markup, ReplyKeyboardMarkup):
            raise NetworkError("timed out")
        self.sent.append((text, reply_markup))
        return _Message(len(self.sent))


@dataclass
class StubRecords:
    held: list[str] = field(default_factory=list)
    saved: list[ChatMessages] = field(default_factory=list)

    async def load_messages(self, chat_id: int) -> ChatMessages:
        return ChatMessages()

    async def save_messages(self, chat_id: int, messages: ChatMessages, now: float) -> None:
        self.saved.append(messages)

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
        self.held.append(payload)


def _sender(bot: StubBot, records: StubRecords) -> TelegramSender:
    return TelegramSender(cast(Bot, bot), cast(SenderRecords, records), clock=lambda: 0.0)


async def test_club_buttons_then_the_location_keyboard() -> None:
    bot, records = StubBot(), StubRecords()
    assert await _sender(bot, records).reply(CHAT, Outcome(replies=(QUESTION,))) is Sent.DELIVERED
    (text, inline), (label, keyboard) = bot.sent
    assert text == "Which club?"
    assert isinstance(inline, InlineKeyboardMarkup)
    assert inline.inline_keyboard[0][0].callback_data == "club:c1"
    assert label == "📍 Location"
    assert isinstance(keyboard, ReplyKeyboardMarkup)
    ((button,),) = keyboard.keyboard
    assert button.text == "📍 Location"
    assert button.request_location
    assert keyboard.one_time_keyboard
    # The message whose buttons are live is the question, not the keyboard's.
    assert records.saved == [ChatMessages(buttons=1)]


async def test_a_location_button_alone_is_the_message_keyboard() -> None:
    bot = StubBot()
    reply = Reply("Where are you?", location_button="📍 Location")
    await _sender(bot, StubRecords()).reply(CHAT, Outcome(replies=(reply,)))
    ((text, keyboard),) = bot.sent
    assert text == "Where are you?"
    assert isinstance(keyboard, ReplyKeyboardMarkup)
    assert keyboard.keyboard[0][0].request_location


async def test_the_keyboard_failing_leaves_the_question_delivered() -> None:
    bot, records = StubBot(fail_keyboard=True), StubRecords()
    assert await _sender(bot, records).reply(CHAT, Outcome(replies=(QUESTION,))) is Sent.DELIVERED
    assert [text for text, _ in bot.sent] == ["Which club?"]
    assert records.held == []  # nothing kept: sending it again would repeat the question


def test_a_kept_reply_keeps_its_location_button() -> None:
    assert decode(encode([QUESTION])) == (QUESTION,)
    # Replies kept before the field existed still read.
    old = json.loads(encode([Reply("Hello")]))
    del old[0]["location_button"]
    assert decode(json.dumps(old)) == (Reply("Hello"),)
