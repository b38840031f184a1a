"""The fake Bot API proven against a real python-telegram-bot Application over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, RetryAfter
from telegram.ext import Application

from tests.fake_telegram import FakeTelegram, SentMessage, build_echo_application
from tests.harness import free_port

pytestmark = pytest.mark.e2e  # the fake proven against a real Application

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as running:
        yield running


@contextlib.asynccontextmanager
async def polling(application: AnyApplication) -> AsyncIterator[AnyApplication]:
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@contextlib.asynccontextmanager
async def bot_for(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


async def until(condition: Callable[[], bool]) -> None:
    """Lets the event loop run until the fake has received a request we need to be in flight."""
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def test_echo_bot_over_polling(fake: FakeTelegram) -> None:
    async with polling(build_echo_application(fake)):
        await fake.send_text(7, "/start promo42")
        started = await fake.next_message(7)
        assert (started.method, started.text) == ("sendMessage", "start:promo42")

        await fake.send_text(7, "hello")
        echo = await fake.next_message(7)
        assert echo.text == "echo: hello"
        assert echo.buttons() == [("Echo again", "again:5")]
        assert echo.message_id > started.message_id

        await fake.press(7, echo.button_data("again"))
        edit = await fake.next_message(7)
        assert (edit.method, edit.message_id, edit.text) == (
            "editMessageText",
            echo.message_id,
            "pressed again:5",
        )
        assert edit.reply_markup is None
        assert [answer["text"] for answer in fake.callback_answers] == ["ok"]

        await fake.send_contact(7, "+48123456789")
        contact = await fake.next_message(7)
        assert contact.text == "contact +48123456789"

    assert fake.messages_to(7) == [started, echo, edit, contact]
    assert fake.method_calls("getMe") == 1
    assert fake.method_calls("getUpdates") >= 2
    assert fake.errors == []


async def test_many_chats_concurrently_keep_per_chat_order(fake: FakeTelegram) -> None:
    chats = range(1000, 1050)
    per_chat = 5

    async def converse(chat_id: int) -> list[str | None]:
        for index in range(per_chat):
            await fake.send_text(chat_id, f"m{index} from {chat_id}")
        return [(await fake.next_message(chat_id)).text for _ in range(per_chat)]

    async with polling(build_echo_application(fake)):
        replies = await asyncio.gather(*(converse(chat_id) for chat_id in chats))

    for chat_id, texts in zip(chats, replies, strict=True):
        assert texts == [f"echo: m{index} from {chat_id}" for index in range(per_chat)]
    assert len(fake.sent) == len(chats) * per_chat
    assert fake.errors == []


async def test_webhook_mode_pushes_updates_with_the_secret(fake: FakeTelegram) -> None:
    port = free_port()
    application = build_echo_application(fake)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="s3cret",
    )
    try:
        assert (fake.webhook_url, fake.webhook_secret) == (
            f"http://127.0.0.1:{port}/hook",
            "s3cret",
        )
        await fake.send_text(3, "via hook")
        assert (await fake.next_message(3)).text == "echo: via hook"
        assert fake.errors == []

        fake.webhook_secret = "wrong"
        with pytest.raises(AssertionError, match="HTTP 403"):
            await fake.send_text(3, "rejected")
        assert len(fake.errors) == 1
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    assert fake.method_calls("setWebhook") == 1


async def test_callback_data_over_64_bytes_is_rejected(fake: FakeTelegram) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("pick", callback_data=data)]])

    async with bot_for(fake) as bot:
        await bot.send_message(5, "fits", reply_markup=keyboard("\u00e9" * 32))
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(5, "too long", reply_markup=keyboard("\u00e9" * 33))

    assert [message.text for message in fake.sent] == ["fits"]
    assert len(fake.errors) == 1
    assert "BUTTON_DATA_INVALID" in fake.errors[0]
    assert "66 bytes" in fake.errors[0]


async def test_text_length_and_html_are_checked(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        await bot.send_message(5, "x" * 4096)
        await bot.send_message(5, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
        await bot.send_message(5, "1 &lt; 2 &amp; <a href='https://e.x'>ok</a>", parse_mode="HTML")
        rejected = [
            ("x" * 4097, None),
            ("   ", None),
            ("1 < 2", "HTML"),
            ("<b>open", "HTML"),
            ("<b><i>x</b></i>", "HTML"),
            ("<br>", "HTML"),
        ]
        for text, parse_mode in rejected:
            with pytest.raises(BadRequest):
                await bot.send_message(5, text, parse_mode=parse_mode)
    assert len(fake.sent) == 3
    assert len(fake.errors) == len(rejected)


async def test_edits_and_deletes_follow_telegram_rules(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        sent = await bot.send_message(9, "v1")
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("v1", chat_id=9, message_id=sent.message_id)
        edited = await bot.edit_message_text(
            "v2",
            chat_id=9,
            message_id=sent.message_id,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]]),
        )
        assert isinstance(edited, Message)
        assert edited.reply_markup is not None
        await bot.edit_message_reply_markup(chat_id=9, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.edit_message_text("v3", chat_id=9, message_id=999)
        assert await bot.delete_message(9, sent.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.delete_message(9, sent.message_id)

    methods = [(m.method, m.text, m.reply_markup) for m in fake.messages_to(9)]
    assert methods == [
        ("sendMessage", "v1", None),
        ("editMessageText", "v2", {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}),
        ("editMessageReplyMarkup", "v2", None),
        ("deleteMessage", None, None),
    ]
    assert len(fake.errors) == 3


async def test_reply_keyboard_and_press_checks(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        await bot.send_message(
            4,
            "share?",
            reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Share", request_contact=True)]]),
        )
    message: SentMessage = await fake.next_message(4)
    assert message.requests_contact
    assert message.reply_buttons() == ["Share"]
    with pytest.raises(AssertionError, match="no button"):
        await fake.press(4, "anything")
    with pytest.raises(AssertionError, match="no inline button"):
        message.button_data("Share")
    with pytest.raises(AssertionError, match="share\\?"):
        await fake.next_message(4, timeout=0.05)


async def test_answering_a_callback_query_twice_is_an_error(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        await bot.send_message(
            6,
            "q",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("y", callback_data="y")]]),
        )
        await fake.press(6, "y")
        (update,) = await bot.get_updates(timeout=0)
        assert update.callback_query is not None
        assert update.callback_query.message is not None
        assert update.callback_query.message.message_id == 1
        assert await bot.answer_callback_query(update.callback_query.id)
        with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
            await bot.answer_callback_query(update.callback_query.id)
    assert len(fake.errors) == 1


async def test_get_updates_offset_limit_allowed_updates_and_long_poll(
    fake: FakeTelegram,
) -> None:
    async with bot_for(fake) as bot:
        first = await fake.send_text(1, "a")
        await fake.send_sticker(1)
        await fake.send_photo(1)
        batch = await bot.get_updates(limit=2, timeout=0)
        assert [update.update_id for update in batch] == [first, first + 1]
        assert batch[1].message is not None
        assert batch[1].message.sticker is not None
        rest = await bot.get_updates(offset=first + 2, timeout=0)
        assert len(rest) == 1
        assert rest[0].message is not None
        assert rest[0].message.photo
        assert await bot.get_updates(offset=first + 3, timeout=0) == ()

        await bot.get_updates(offset=first + 3, timeout=0, allowed_updates=["callback_query"])
        await fake.send_text(1, "filtered out")
        assert await bot.get_updates(timeout=0, allowed_updates=[]) == ()

        calls = fake.method_calls("getUpdates")
        poll = asyncio.create_task(bot.get_updates(offset=first + 3, timeout=30))
        await until(lambda: fake.method_calls("getUpdates") > calls)
        edited = await fake.send_update(
            {
                "edited_message": {
                    "message_id": 50,
                    "date": 0,
                    "edit_date": 1,
                    "chat": {"id": -100, "type": "group", "title": "Staff"},
                    "from": {"id": 2, "is_bot": False, "first_name": "Al"},
                    "text": "changed",
                }
            }
        )
        (received,) = await poll
        assert received.update_id == edited
        assert received.edited_message is not None
        assert received.edited_message.chat.type == "group"
    assert fake.errors == []


async def test_flood_limit_answers_429(fake: FakeTelegram) -> None:
    fake.flood_limit_per_chat = 2
    async with bot_for(fake) as bot:
        await bot.send_message(8, "one")
        await bot.send_message(8, "two")
        with pytest.raises(RetryAfter):
            await bot.send_message(8, "three")
        await bot.send_message(88, "other chat is unaffected")
    assert fake.flood_rejections == 1
    assert fake.errors == []


async def test_http_surface_tokens_methods_and_encodings(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        unauthorized = await client.post(f"{fake.base_url}999:NOPE/getMe")
        unknown = await client.post(f"{fake.base_url}{fake.token}/sendTelepathy")
        json_body = await client.post(
            f"{fake.base_url}{fake.token}/sendMessage",
            json={
                "chat_id": 2,
                "text": "123",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "x", "callback_data": "1"}]]}
                ),
            },
        )
        multipart = await client.post(
            f"{fake.base_url}{fake.token}/sendMessage",
            data={"chat_id": "2", "text": "true"},
            files={"unused": ("f.txt", b"data")},
        )
    assert (unauthorized.status_code, unauthorized.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert json_body.json()["result"]["text"] == "123"
    assert json_body.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "x"
    assert multipart.json()["result"]["text"] == "true"
    assert [message.text for message in fake.messages_to(2)] == ["123", "true"]
    assert len(fake.errors) == 2


async def test_stop_ends_long_polls_without_leaking_tasks() -> None:
    before = asyncio.all_tasks()
    fake = FakeTelegram()
    await fake.start()
    async with httpx.AsyncClient(trust_env=False) as client:
        poll = asyncio.create_task(
            client.post(f"{fake.base_url}{fake.token}/getUpdates", data={"timeout": "60"})
        )
        await until(lambda: fake.method_calls("getUpdates") == 1)
        async with asyncio.timeout(10):
            await fake.stop()
            response = await poll
    assert response.json() == {"ok": True, "result": []}
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before - {asyncio.current_task()} == set()


async def test_venues_need_coordinates_in_range_a_title_and_an_address(fake: FakeTelegram) -> None:
    async with bot_for(fake) as bot:
        sent = await bot.send_venue(5, 52.5298, 13.4015, "Studio Sol", "Torstraße 140, Berlin")
        assert sent.venue is not None
        assert sent.venue.title == "Studio Sol"
        assert sent.location is not None
        assert sent.location.latitude == 52.5298
        for latitude, longitude, title, address in (
            (91.0, 13.4, "Studio Sol", "Berlin"),
            (52.5, -180.5, "Studio Sol", "Berlin"),
            (52.5, 13.4, " ", "Berlin"),  # python-telegram-bot itself refuses an empty one
            (52.5, 13.4, "Studio Sol", " "),
        ):
            with pytest.raises(BadRequest):
                await bot.send_venue(5, latitude, longitude, title, address)
    [venue] = fake.venues
    assert (venue.chat_id, venue.latitude, venue.longitude) == (5, 52.5298, 13.4015)
    assert venue.address == "Torstraße 140, Berlin"
    assert [m.method for m in fake.sent] == ["sendVenue"]
    assert len(fake.errors) == 4
