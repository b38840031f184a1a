"""A local fake of the Telegram Bot API, served over real loopback HTTP.

A real python-telegram-bot ``Application`` talks to it through ``base_url``/``base_file_url``, so
tests and benchmarks exercise PTB's actual request, polling and webhook code paths while the fake
plays any number of prospects and records every answer. It enforces the Telegram limits that bots
typically trip over (text length, callback_data bytes, HTML markup, editing unchanged messages) so
that a green test run means real Telegram would have accepted the same traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_perfectgym import Hold

JSONDict = dict[str, Any]
_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]

BOT_USERNAME: Final = "studio_test_bot"
MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
WEBHOOK_TIMEOUT: Final = 10.0

_PATH = re.compile(r"/bot([^/]*)/([^/]*)")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})

# Form-encoded values are JSON-encoded by PTB unless they are already strings, so "123" may be a
# string (text, callback_query_id) or an int (chat_id). These parameters are always strings.
_STRING_PARAMS: Final = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "description",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "secret_token",
        "short_description",
        "text",
        "url",
    }
)
# Off by default in Telegram unless explicitly listed in allowed_updates.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_TAG = re.compile(r"<(/?)([^\s>/]*)([^>]*)>")
_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request (``sendPhoto`` with bytes)."""

    filename: str
    body: bytes


@dataclass(frozen=True)
class SentPhoto:
    chat_id: int
    message_id: int
    photo: bytes
    caption: str | None


@dataclass(frozen=True)
class SentVenue:
    chat_id: int
    message_id: int
    latitude: float
    longitude: float
    title: str
    address: str
    reply_markup: dict[str, Any] | None


@dataclass(frozen=True)
class SentMessage:
    """One thing the bot did to a chat: a new message, an edit or a deletion."""

    method: str
    chat_id: int
    message_id: int
    text: str | None
    reply_markup: dict[str, Any] | None
    parse_mode: str | None
    sent_at: float
    # Where in the chat (a forum topic; the message it replies to), and for a copyMessage the
    # chat and message it copies.
    thread_id: int | None = None
    reply_to: int | None = None
    copy_of: tuple[int, int] | None = None

    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (text, callback_data); non-callback buttons get ``""`` as data."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            (str(button.get("text", "")), str(button.get("callback_data", "")))
            for row in rows
            for button in row
        ]

    def reply_buttons(self) -> list[str]:
        """Texts of a reply keyboard (the one replacing the user's keyboard), flattened."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [
            button if isinstance(button, str) else str(button.get("text", ""))
            for row in rows
            for button in row
        ]

    def button_data(self, text_contains: str) -> str:
        for text, data in self.buttons():
            if text_contains in text and data:
                return data
        raise AssertionError(
            f"no inline button containing {text_contains!r} in message {self.message_id} "
            f"({self.method}, text={self.text!r}); buttons: {self.buttons()!r}, "
            f"reply keyboard: {self.reply_buttons()!r}"
        )

    @property
    def requests_contact(self) -> bool:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return any(
            isinstance(button, dict) and bool(button.get("request_contact"))
            for row in rows
            for button in row
        )


@dataclass
class Topic:
    """A forum topic of a group."""

    name: str
    closed: bool = False


GARBLED = "garbled-update-content"
"""What a garbled answer carries, so a test can look for it in the bot's log."""


def text_content(text: str) -> JSONDict:
    return {"text": text}


def photo_content(tag: str, caption: str | None = None) -> JSONDict:
    sizes = [
        {
            "file_id": f"photo-{tag}-{size}",
            "file_unique_id": f"p-{tag}-{size}",
            "width": size,
            "height": size,
        }
        for size in (90, 800)
    ]
    return {"photo": sizes, **({"caption": caption} if caption else {})}


def voice_content(tag: str, seconds: int = 3) -> JSONDict:
    return {"voice": {"file_id": f"voice-{tag}", "file_unique_id": f"v-{tag}", "duration": seconds}}


def location_content(latitude: float, longitude: float) -> JSONDict:
    return {"location": {"latitude": latitude, "longitude": longitude}}


def contact_content(phone: str, first_name: str) -> JSONDict:
    return {"contact": {"phone_number": phone, "first_name": first_name}}


def document_content(name: str) -> JSONDict:
    return {
        "document": {"file_id": f"doc-{name}", "file_unique_id": f"d-{name}", "file_name": name}
    }


def describe(content: JSONDict) -> str:
    """What a copied message shows, as tests read it: its text, or its kind and gist."""
    if "text" in content:
        return str(content["text"])
    caption = f" {content['caption']}" if content.get("caption") else ""
    if "photo" in content:
        return f"[photo {content['photo'][-1]['file_id']}]{caption}"
    if "voice" in content:
        return f"[voice {content['voice']['file_id']}]{caption}"
    if "location" in content:
        where = content["location"]
        return f"[location {where['latitude']},{where['longitude']}]"
    if "contact" in content:
        return f"[contact {content['contact']['phone_number']}]"
    if "sticker" in content:
        return f"[sticker {content['sticker'].get('emoji', '')}]"
    if "document" in content:
        return f"[document {content['document'].get('file_name', '')}]{caption}"
    return "[" + ",".join(sorted(content)) + "]"


def is_settle(message: SentMessage) -> bool:
    """An edit that only took an answered question's buttons away (or wrote the answer under it):
    nothing for the prospect to answer."""
    return message.method.startswith("edit") and not message.buttons()


class _ApiError(Exception):
    """An error answer; ``recorded`` errors are bot mistakes that tests assert never happen."""

    def __init__(
        self,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to: int | None = None,
        recorded: bool = True,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to = migrate_to
        self.recorded = recorded


def _chat_of(params: JSONDict) -> int | None:
    """A request's ``chat_id`` as a number (sent as a string or a number), if it has one."""
    value = params.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


@dataclass
class _Call:
    """One Bot API request with typed access to its parameters."""

    method: str
    params: JSONDict
    received_at: float
    connection_gone: Callable[[], bool]

    def get_int(self, name: str, default: int | None = None) -> int:
        value = self.params.get(name)
        if value is None:
            if default is None:
                raise _bad_request(f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise _bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float) -> float:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f"invalid {name} specified") from None

    def get_str(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)

    def get_bool(self, name: str) -> bool:
        return self.params.get(name) in (True, "true", "True", "1", 1)

    def get_obj(self, name: str) -> JSONDict | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _bad_request(f"can't parse {name} JSON object")
        return value

    def get_list(self, name: str) -> list[Any] | None:
        value = self.params.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise _bad_request(f"can't parse {name} JSON array")
        return value


@dataclass
class _BotMessage:
    """Current state of a message the bot sent, so edits and button presses see the latest."""

    chat: JSONDict
    message_id: int
    date: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    bot_user: JSONDict

    def to_json(self) -> JSONDict:
        message: JSONDict = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat,
            "from": self.bot_user,
            "text": self.text,
        }
        # A Message only ever carries inline keyboards; reply keyboards are not echoed back.
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class _ChatLog:
    """Per-chat record of what the bot sent, with the test's read cursor."""

    messages: list[SentMessage] = field(default_factory=list)
    cursor: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    bot_message_ids: list[int] = field(default_factory=list)
    send_times: deque[float] = field(default_factory=deque)


def _decode_value(name: str, raw: str) -> Any:
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _html_visible_text(text: str) -> str:
    """Validates Telegram HTML like Bot API's parser does and returns the visible text."""
    visible: list[str] = []
    open_tags: list[str] = []
    position = 0
    while True:
        start = text.find("<", position)
        chunk = text[position:] if start < 0 else text[position:start]
        visible.append(html.unescape(chunk))
        if start < 0:
            break
        offset = len(text[:start].encode())
        match = _HTML_TAG.match(text, start)
        if match is None:
            raise _bad_request(f"can't parse entities: Unclosed start tag at byte offset {offset}")
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if not open_tags:
                raise _bad_request(
                    f"can't parse entities: Unexpected end tag at byte offset {offset}"
                )
            expected = open_tags.pop()
            if name != expected:
                raise _bad_request(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected "</{expected}>", found "</{name}>"'
                )
        else:
            if name not in _HTML_TAGS:
                raise _bad_request(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                )
            if name == "span" and "tg-spoiler" not in attributes:
                raise _bad_request('can\'t parse entities: Tag "span" must have class "tg-spoiler"')
            if not attributes.rstrip().endswith("/"):
                open_tags.append(name)
        position = match.end()
    if open_tags:
        raise _bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{open_tags[-1]}\""
        )
    return "".join(visible)


def _check_text(text: str | None, parse_mode: str | None) -> None:
    if text is None:
        raise _bad_request("message text is empty")
    visible = _html_visible_text(text) if (parse_mode or "").upper() == "HTML" else text
    if not visible.strip():
        raise _bad_request("message text is empty")
    if len(visible) > MAX_TEXT_LENGTH:
        raise _bad_request("message is too long")


def _check_reply_markup(markup: JSONDict | None, *, inline_only: bool) -> None:
    if markup is None:
        return
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                _check_inline_button(button)
        return
    if inline_only:
        raise _bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise _bad_request("keyboard button text must be non-empty")
        return
    if "remove_keyboard" in markup or "force_reply" in markup:
        return
    raise _bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_button(button: Any) -> None:
    if (
        not isinstance(button, dict)
        or not isinstance(button.get("text"), str)
        or not button["text"]
    ):
        raise _bad_request("BUTTON_TEXT_INVALID")
    actions = _INLINE_BUTTON_ACTIONS.intersection(button)
    if len(actions) != 1:
        raise _bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode()) if isinstance(data, str) else 0
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request(
                f"BUTTON_DATA_INVALID (callback_data of button {button['text']!r} is {size} bytes, "
                f"allowed 1..{MAX_CALLBACK_DATA_BYTES})"
            )


class _WebhookClient:
    """Keep-alive HTTP/1.1 POSTs to the bot's webhook.

    A general client (httpx) spends more CPU per delivery than the echo bot spends per update,
    which would make the fake, not the bot, the bottleneck of webhook benchmarks.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[asyncio.StreamWriter] = set()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        key = (parts.scheme, parts.hostname or "", parts.port or (443 if secure else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        idle = self._idle.setdefault(key, [])
        while idle:
            connection = idle.pop()
            try:
                return await self._exchange(key, connection, request)
            except (OSError, EOFError):
                continue  # the server closed this idle keep-alive connection
        return await self._exchange(key, await self._connect(key, secure), request)

    async def _connect(self, key: tuple[str, str, int], secure: bool) -> _Connection:
        context: ssl.SSLContext | None = None
        if secure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # a loopback test server with a throwaway cert
        reader, writer = await asyncio.open_connection(key[1], key[2], ssl=context)
        self._open.add(writer)
        return reader, writer

    async def _exchange(
        self, key: tuple[str, str, int], connection: _Connection, request: bytes
    ) -> int:
        reader, writer = connection
        try:
            writer.write(request)
            status_line, _, header_block = (
                (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").partition("\r\n")
            )
            status = int(status_line.split(" ", 2)[1])
            fields: dict[str, str] = {}
            for line in header_block.split("\r\n"):
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip().lower()
            reusable = fields.get("connection") != "close"
            if "chunked" in fields.get("transfer-encoding", ""):
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            elif "content-length" in fields:
                await reader.readexactly(int(fields["content-length"]))
            else:
                await reader.read()
                reusable = False
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            self._close(writer)
            raise EOFError("webhook closed the connection mid-response") from error
        except BaseException:
            self._close(writer)
            raise
        if reusable:
            self._idle[key].append(connection)
        else:
            self._close(writer)
        return status

    def _close(self, writer: asyncio.StreamWriter) -> None:
        self._open.discard(writer)
        writer.close()

    async def aclose(self) -> None:
        writers = list(self._open)
        self._open.clear()
        self._idle.clear()
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class _BotApiHandler(tornado.web.RequestHandler):
    """Translates HTTP to FakeTelegram calls; never logs the URL because it holds the token."""

    def initialize(self, fake: FakeTelegram) -> None:
        self._fake = fake
        self._gone = False

    async def get(self, *args: str, **kwargs: str) -> None:
        await self._serve()

    async def post(self, *args: str, **kwargs: str) -> None:
        await self._serve()

    def on_connection_close(self) -> None:
        self._gone = True
        self._fake._wake_pollers()

    def _request_summary(self) -> str:
        return f"{self.request.method} <bot api request>"

    def _parameters(self) -> JSONDict:
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            return {
                name: json.loads(value)
                if isinstance(value, str) and name not in _STRING_PARAMS and value[:1] in "[{"
                else value
                for name, value in body.items()
            }
        params: JSONDict = {}
        for source in (self.request.query_arguments, self.request.body_arguments):
            for name, values in source.items():
                params[name] = _decode_value(name, values[-1].decode())
        for name, files in self.request.files.items():
            params[name] = Upload(files[-1].filename, files[-1].body)
        return params

    async def _serve(self) -> None:
        received_at = time.perf_counter()
        try:
            params = self._parameters()
        except (ValueError, UnicodeDecodeError):
            status, payload = self._fake._failure(
                "?", None, _bad_request("can't parse request parameters")
            )
        else:
            status, payload = await self._fake._handle(
                self.request.path, params, received_at, lambda: self._gone
            )
        if self._gone:
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


def _silent(handler: tornado.web.RequestHandler) -> None:
    """Access logging is off: it is noise at benchmark volume and the URLs contain the token."""


class FakeTelegram:
    """The Bot API side of a conversation: PTB calls it over HTTP, tests drive it directly."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        flood_limit_per_chat: int | None = None,
        webhook_redelivery_seconds: float | None = None,
    ) -> None:
        self.token = token
        # As Telegram does: a webhook update answered other than 2xx is delivered again after
        # this pause, a chat's later updates waiting behind it. None: delivered once.
        self.webhook_redelivery_seconds = webhook_redelivery_seconds
        self.webhook_refusals: list[tuple[int, str]] = []  # (update id, what the bot answered)
        self._webhook_chats: dict[int, asyncio.Lock] = {}
        self.flood_limit_per_chat = flood_limit_per_chat
        self.port = 0
        self.sent: list[SentMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.flood_rejections = 0
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        # Chats whose prospect blocked the bot: Telegram answers 403 to anything sent there.
        self.blocked: set[int] = set()
        self.refused_blocked: list[int] = []  # the chats of the 403s answered, in order
        self.refused: list[tuple[str, int]] = []  # answered 400 by ``refuse_chat``
        self.photos: list[SentPhoto] = []
        self.venues: list[SentVenue] = []
        # Methods answered with an error status for now (a Bot API hiccup), by lower-case name.
        self.failing: dict[str, int] = {}
        # Methods answered 200 with a result the client cannot read, how many times more.
        self.garbled: dict[str, int] = {}
        # Chats Telegram refuses every message to for good (``refuse_chat``), and their answers.
        self.refusing: dict[int, _ApiError] = {}
        bot_id = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": "Studio Test Bot",
            "username": BOT_USERNAME,
        }
        self._server: tornado.httpserver.HTTPServer | None = None
        self._webhook_client = _WebhookClient()
        self._closing = False
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._queue: deque[JSONDict] = deque()
        self._updates_arrived = asyncio.Event()
        self._poll_generation = 0
        self._allowed_updates: frozenset[str] = frozenset()
        self._chats: dict[int, JSONDict] = {}
        self._last_names: dict[int, str | None] = {}
        self.chat_actions: list[tuple[int, str, float]] = []
        self._last_message_id: dict[int, int] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._bot_messages: dict[tuple[int, int], _BotMessage] = {}
        self._logs: dict[int, _ChatLog] = {}
        self._open_callback_queries: set[str] = set()
        self._calls: dict[str, int] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._held_sends: dict[int, deque[Hold]] = {}
        self._held_topics: dict[int, deque[Hold]] = {}
        self._held_copies: dict[int, deque[Hold]] = {}
        self._background: set[asyncio.Task[None]] = set()
        # Forum groups' topics: chat -> topic id (its message_thread_id) -> name and whether closed.
        self.topics: dict[int, dict[int, Topic]] = {}
        # What users sent and what the bot copied, by (chat, message id): copyMessage's sources.
        self._contents: dict[tuple[int, int], JSONDict] = {}
        self._methods: dict[str, Callable[[_Call], Awaitable[Any]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendvenue": self._send_venue,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "createforumtopic": self._create_forum_topic,
            "closeforumtopic": self._close_forum_topic,
            "editforumtopic": self._edit_forum_topic,
            "deletemessages": self._delete_messages,
            "reopenforumtopic": self._reopen_forum_topic,
            "copymessage": self._copy_message,
            "close": self._true,
            "logout": self._true,
        }

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"{self._origin}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self._origin}/file/bot"

    @property
    def _origin(self) -> str:
        if not self.port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._closing = False
        app = tornado.web.Application(
            [(r"/.*", _BotApiHandler, {"fake": self})], log_function=_silent
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Ends long polls, waits for in-flight requests and background work, then closes."""
        self._closing = True
        self._wake_pollers()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=5.0)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
        await self._webhook_client.aclose()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ----------------------------------------------------------------- acting as prospects

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        language_code: str | None = "en",
        first_name: str = "Pat",
    ) -> int:
        extra: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            extra["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
            ]
        return await self._send_user_message(chat_id, extra, language_code, first_name)

    async def press(
        self,
        chat_id: int,
        callback_data: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "en",
        check: bool = True,
    ) -> int:
        """Presses an inline button; with ``check`` the button must exist on that message."""
        message = self._pressable_message(chat_id, message_id)
        if check:
            snapshot = self._snapshot(message, "press", time.perf_counter())
            if callback_data not in [data for _, data in snapshot.buttons()]:
                raise AssertionError(
                    f"message {message.message_id} in chat {chat_id} has no button with "
                    f"callback_data {callback_data!r}; buttons: {snapshot.buttons()!r}"
                )
        query_id = str(next(self._callback_ids))
        self._open_callback_queries.add(query_id)
        return await self.send_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(chat_id, None, language_code),
                    "message": message.to_json(),
                    "chat_instance": str(chat_id),
                    "data": callback_data,
                }
            }
        )

    async def send_contact(
        self,
        chat_id: int,
        phone_number: str,
        *,
        user_id: int | None = None,
        language_code: str | None = "en",
    ) -> int:
        contact = {
            "phone_number": phone_number,
            "first_name": self._first_name(chat_id),
            "user_id": chat_id if user_id is None else user_id,
        }
        return await self._send_user_message(chat_id, {"contact": contact}, language_code, None)

    async def send_location(
        self, chat_id: int, latitude: float, longitude: float, *, language_code: str | None = "en"
    ) -> int:
        """A pin the user sent (the share-location keyboard button, or the attachment menu)."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._send_user_message(chat_id, {"location": location}, language_code, None)

    async def send_sticker(self, chat_id: int, *, language_code: str | None = "en") -> int:
        sticker = {
            "file_id": f"sticker-{chat_id}",
            "file_unique_id": f"sticker-u-{chat_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\N{THUMBS UP SIGN}",
        }
        return await self._send_user_message(chat_id, {"sticker": sticker}, language_code, None)

    async def send_photo(self, chat_id: int, *, language_code: str | None = "en") -> int:
        photo = [
            {
                "file_id": f"photo-{chat_id}-{size}",
                "file_unique_id": f"photo-u-{chat_id}-{size}",
                "width": size,
                "height": size,
                "file_size": size * 40,
            }
            for size in (90, 800)
        ]
        return await self._send_user_message(chat_id, {"photo": photo}, language_code, None)

    async def send_update(self, update: dict[str, Any]) -> int:
        """Delivers a raw update (the fake sets update_id), via the webhook if one is set."""
        update = {**update, "update_id": next(self._update_ids)}
        self._remember_chats(update)
        kind = next((key for key in update if key != "update_id"), "")
        allowed = self._allowed_updates
        if (kind in allowed) if allowed else (kind not in _OPT_IN_UPDATES):
            if self.webhook_url is None:
                self._queue.append(update)
                self._updates_arrived.set()
            elif self.webhook_redelivery_seconds is not None:
                self._spawn(self._deliver_until_taken(update))
            else:
                await self._deliver(self.webhook_url, self.webhook_secret, update, raise_=True)
        return int(update["update_id"])

    async def _deliver_until_taken(self, update: JSONDict) -> None:
        pause = self.webhook_redelivery_seconds
        assert pause is not None
        body = next(value for key, value in update.items() if key != "update_id")
        sender = int(body.get("from", {}).get("id", 0))  # a private chat's id is its user's
        async with self._webhook_chats.setdefault(sender, asyncio.Lock()):
            while self.webhook_url is not None and not self._closing:
                problem = await self._deliver(
                    self.webhook_url, self.webhook_secret, update, raise_=False, note=False
                )
                if problem is None:
                    return
                self.webhook_refusals.append((int(update["update_id"]), problem))
                await asyncio.sleep(pause)

    # ----------------------------------------------------------------- reading answers

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> SentMessage:  # noqa: ASYNC109
        log = self._log(chat_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while log.cursor >= len(log.messages):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"no new message to chat {chat_id} within {timeout}s\n"
                    f"{self._history(chat_id)}\nfake errors: {self.errors!r}"
                )
            log.changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await log.changed.wait()
        log.cursor += 1
        return log.messages[log.cursor - 1]

    def drain(self, chat_id: int) -> list[SentMessage]:
        """Mark everything sent so far as read; returns what had not been read yet."""
        log = self._log(chat_id)
        unread, log.cursor = log.messages[log.cursor :], len(log.messages)
        return list(unread)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return list(self._log(chat_id).messages)

    async def wait_idle(
        self,
        chat_id: int,
        quiet: float = 0.3,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> None:
        log = self._log(chat_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            count = len(log.messages)
            log.changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(quiet):
                    await log.changed.wait()
            if len(log.messages) == count:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"chat {chat_id} never went quiet for {quiet}s within {timeout}s\n"
                    f"{self._history(chat_id)}"
                )

    def with_buttons(self, chat_id: int) -> list[int]:
        """Ids of the bot's messages in a chat that carry inline buttons right now."""
        return sorted(
            message_id
            for (chat, message_id), message in self._bot_messages.items()
            if chat == chat_id and (message.reply_markup or {}).get("inline_keyboard")
        )

    def method_calls(self, method: str) -> int:
        return self._calls.get(method.lower(), 0)

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle(
        self,
        path: str,
        params: JSONDict,
        received_at: float,
        connection_gone: Callable[[], bool],
    ) -> tuple[int, JSONDict]:
        match = _PATH.fullmatch(path)
        if match is None:
            return self._failure(path, None, _ApiError(404, "Not Found"))
        token, method = match.groups()
        key = method.lower()
        self._calls[key] = self._calls.get(key, 0) + 1
        if token != self.token:
            return self._failure(method, None, _ApiError(401, "Unauthorized"))
        implementation = self._methods.get(key)
        if implementation is None:
            return self._failure(method, None, _ApiError(404, "Not Found"))
        if key in self.failing:
            status = self.failing[key]
            return self._failure(method, None, _ApiError(status, "Bad Gateway", recorded=False))
        if self.garbled.get(key):
            self.garbled[key] -= 1
            return 200, {"ok": True, "result": [{"update_id": 0, "message": GARBLED}]}
        target = _chat_of(params)
        if target is not None and target in self.refusing:
            self.refused.append((method, target))
            return self._failure(method, None, self.refusing[target])
        call = _Call(method, params, received_at, connection_gone)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            result = await implementation(call)
        except _ApiError as error:
            return self._failure(method, params.get("chat_id"), error)
        except Exception as error:
            self.errors.append(f"{method}: fake crashed with {error!r}")
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        finally:
            if task is not None:
                self._handlers.discard(task)
        return 200, {"ok": True, "result": result}

    def _failure(self, method: str, chat_id: Any, error: _ApiError) -> tuple[int, JSONDict]:
        if error.recorded:
            where = "" if chat_id is None else f" (chat {chat_id})"
            self.errors.append(f"{method}{where}: {error.code} {error.description}")
        payload: JSONDict = {
            "ok": False,
            "error_code": error.code,
            "description": error.description,
        }
        if error.retry_after is not None:
            payload["parameters"] = {"retry_after": error.retry_after}
        if error.migrate_to is not None:
            payload["parameters"] = {"migrate_to_chat_id": error.migrate_to}
        return error.code, payload

    def _wake_pollers(self) -> None:
        self._updates_arrived.set()

    async def _deliver(
        self, url: str, secret: str | None, update: JSONDict, *, raise_: bool, note: bool = True
    ) -> str | None:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        problem: str | None = None
        try:
            async with asyncio.timeout(WEBHOOK_TIMEOUT):
                status = await self._webhook_client.post(url, json.dumps(update).encode(), headers)
        except (OSError, EOFError, ValueError, TimeoutError) as error:
            problem = type(error).__name__
        else:
            if status != 200:
                problem = f"HTTP {status}"
        if problem is not None and note:
            message = f"webhook delivery of update {update['update_id']} failed: {problem}"
            self.errors.append(message)
            if raise_:
                raise AssertionError(message)
        return problem

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----------------------------------------------------------------- Bot API methods

    async def _true(self, call: _Call) -> bool:
        return True

    async def _get_me(self, call: _Call) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, call: _Call) -> list[JSONDict]:
        if self.webhook_url is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = call.get_int("offset", 0)
        limit = min(max(call.get_int("limit", 100), 1), 100)
        timeout = max(call.get_float("timeout", 0.0), 0.0)
        allowed = call.get_list("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(str(kind) for kind in allowed)
        if offset < 0:
            while len(self._queue) > -offset:
                self._queue.popleft()
        else:
            while self._queue and self._queue[0]["update_id"] < offset:
                self._queue.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_arrived.set()  # terminates an older long poll, as Telegram does
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                # The client of an abandoned long poll is usually gone (PTB cancels it on stop).
                raise _ApiError(409, _TERMINATED, recorded=not call.connection_gone())
            if self._queue or self._closing or call.connection_gone():
                return list(itertools.islice(self._queue, limit))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self._updates_arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._updates_arrived.wait()

    async def _set_webhook(self, call: _Call) -> bool:
        url = call.get_str("url") or ""
        if not url:
            return await self._delete_webhook(call)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK_HOSTS:
            raise _bad_request("bad webhook: the fake only delivers to loopback http(s) URLs")
        secret = call.get_str("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = call.get_list("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(str(kind) for kind in allowed)
        if call.get_bool("drop_pending_updates"):
            self._queue.clear()
        self.webhook_url = url
        self.webhook_secret = secret
        self._poll_generation += 1
        self._wake_pollers()
        if self._queue:
            pending = list(self._queue)
            self._queue.clear()
            self._spawn(self._flush_to_webhook(url, secret, pending))
        return True

    async def _flush_to_webhook(
        self, url: str, secret: str | None, updates: list[JSONDict]
    ) -> None:
        for update in updates:
            await self._deliver(url, secret, update, raise_=False)

    async def _delete_webhook(self, call: _Call) -> bool:
        if call.get_bool("drop_pending_updates"):
            self._queue.clear()
        self.webhook_url = None
        self.webhook_secret = None
        return True

    async def _get_webhook_info(self, call: _Call) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self._allowed_updates:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _check_not_blocked(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            self.refused_blocked.append(chat_id)
            raise _ApiError(403, "Forbidden: bot was blocked by the user", recorded=False)

    async def _send_message(self, call: _Call) -> JSONDict:
        chat_id = call.get_int("chat_id")
        if not await self._held(chat_id):
            raise _bad_request("the fake stopped while the message was held")
        self._check_not_blocked(chat_id)
        text = call.get_str("text")
        parse_mode = call.get_str("parse_mode")
        markup = call.get_obj("reply_markup")
        _check_text(text, parse_mode)
        _check_reply_markup(markup, inline_only=False)
        self._check_flood(chat_id, call.received_at)
        assert text is not None
        message = _BotMessage(
            chat=self._chat(chat_id),
            message_id=self._next_message_id(chat_id),
            date=int(time.time()),
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            bot_user=self.bot_user,
        )
        thread_id, reply_to = self._placed(call, chat_id)
        self._bot_messages[(chat_id, message.message_id)] = message
        self._log(chat_id).bot_message_ids.append(message.message_id)
        self._record(
            replace(
                self._snapshot(message, call.method, call.received_at),
                thread_id=thread_id,
                reply_to=reply_to,
            )
        )
        answer = message.to_json()
        if thread_id is not None:
            answer |= {"message_thread_id": thread_id, "is_topic_message": True}
        return answer

    async def _send_photo(self, call: _Call) -> JSONDict:
        """A photo uploaded as bytes (a file id or URL is not what this bot sends)."""
        chat_id = call.get_int("chat_id")
        self._check_not_blocked(chat_id)
        photo = call.params.get("photo")
        if not isinstance(photo, Upload) or not photo.body:
            raise _bad_request("there is no photo in the request")
        caption = call.get_str("caption")
        if caption is not None and _utf16_length(caption) > 1024:
            raise _bad_request("message caption is too long")
        message_id = self._next_message_id(chat_id)
        self.photos.append(SentPhoto(chat_id, message_id, photo.body, caption))
        self._log(chat_id).bot_message_ids.append(message_id)
        self._record(
            SentMessage("sendPhoto", chat_id, message_id, caption, None, None, call.received_at)
        )
        size = {"file_id": f"photo-{message_id}", "file_unique_id": f"p{message_id}"}
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            "photo": [size | {"width": 1200, "height": 700, "file_size": len(photo.body)}],
        }
        if caption is not None:
            message["caption"] = caption
        return message

    async def _send_venue(self, call: _Call) -> JSONDict:
        """A place on the map, checked as Telegram checks it: coordinates that are numbers in
        range, a title and an address (both required, non-empty)."""
        chat_id = call.get_int("chat_id")
        self._check_not_blocked(chat_id)
        latitude = self._coordinate(call, "latitude", 90.0)
        longitude = self._coordinate(call, "longitude", 180.0)
        title, address = call.get_str("title"), call.get_str("address")
        if not title or not title.strip():
            raise _bad_request("title is empty")
        if not address or not address.strip():
            raise _bad_request("address is empty")
        markup = call.get_obj("reply_markup")
        _check_reply_markup(markup, inline_only=False)
        self._check_flood(chat_id, call.received_at)
        message_id = self._next_message_id(chat_id)
        self.venues.append(
            SentVenue(chat_id, message_id, latitude, longitude, title, address, markup)
        )
        self._log(chat_id).bot_message_ids.append(message_id)
        self._record(
            SentMessage(
                "sendVenue",
                chat_id,
                message_id,
                f"{title}\n{address}",
                markup,
                None,
                call.received_at,
            )
        )
        location = {"latitude": latitude, "longitude": longitude}
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            "location": location,
            "venue": {"location": location, "title": title, "address": address},
        }
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    @staticmethod
    def _coordinate(call: _Call, name: str, limit: float) -> float:
        value = call.params.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad_request(f"{name} is empty" if value is None else f"invalid {name}")
        try:
            number = float(value)
        except ValueError:
            raise _bad_request(f"invalid {name}") from None
        if not -limit <= number <= limit:
            raise _bad_request(f"{name} out of range")
        return number

    async def _edit_message_text(self, call: _Call) -> JSONDict | bool:
        text = call.get_str("text")
        parse_mode = call.get_str("parse_mode")
        markup = call.get_obj("reply_markup")
        _check_text(text, parse_mode)
        assert text is not None
        return self._edit(call, text, parse_mode, markup)

    async def _edit_message_reply_markup(self, call: _Call) -> JSONDict | bool:
        return self._edit(call, None, None, call.get_obj("reply_markup"))

    def _edit(
        self, call: _Call, text: str | None, parse_mode: str | None, markup: JSONDict | None
    ) -> JSONDict | bool:
        _check_reply_markup(markup, inline_only=True)
        if call.get_str("inline_message_id") is not None:
            return True
        chat_id = call.get_int("chat_id")
        message = self._bot_messages.get((chat_id, call.get_int("message_id")))
        if message is None:
            raise _bad_request("message to edit not found")
        new_text = message.text if text is None else text
        new_parse_mode = message.parse_mode if text is None else parse_mode
        if new_text == message.text and markup == message.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._check_flood(chat_id, call.received_at)
        message.text, message.parse_mode, message.reply_markup = new_text, new_parse_mode, markup
        self._record(self._snapshot(message, call.method, call.received_at))
        return message.to_json()

    async def _answer_callback_query(self, call: _Call) -> bool:
        query_id = call.get_str("callback_query_id") or ""
        if query_id not in self._open_callback_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(call.get_str("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._open_callback_queries.discard(query_id)
        self.callback_answers.append(dict(call.params))
        return True

    async def _delete_message(self, call: _Call) -> bool:
        chat_id = call.get_int("chat_id")
        message_id = call.get_int("message_id")
        key = (chat_id, message_id)
        if not 1 <= message_id <= self._last_message_id.get(chat_id, 0) or key in self._deleted:
            raise _bad_request("message to delete not found")
        self._deleted.add(key)
        self._bot_messages.pop(key, None)
        self._record(
            SentMessage("deleteMessage", chat_id, message_id, None, None, None, call.received_at)
        )
        return True

    async def _delete_messages(self, call: _Call) -> bool:
        """Up to 100 messages at once; those not found are skipped, as Telegram does."""
        chat_id = call.get_int("chat_id")
        message_ids = call.get_list("message_ids")
        if not message_ids or len(message_ids) > 100:
            raise _bad_request("message_ids must hold 1-100 ids")
        for message_id in message_ids:
            key = (chat_id, int(message_id))
            if not 1 <= key[1] <= self._last_message_id.get(chat_id, 0) or key in self._deleted:
                continue
            self._deleted.add(key)
            self._bot_messages.pop(key, None)
            self._record(
                SentMessage("deleteMessages", chat_id, key[1], None, None, None, call.received_at)
            )
        return True

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.get_list("commands")
        if commands is None:
            raise _bad_request("commands is empty")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    async def _delete_my_commands(self, call: _Call) -> bool:
        self.commands.pop(self._commands_key(call), None)
        return True

    async def _send_chat_action(self, call: _Call) -> bool:
        chat_id = call.get_int("chat_id")
        if call.get_str("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        self.chat_actions.append((chat_id, call.get_str("action") or "", call.received_at))
        return True

    async def _get_chat(self, call: _Call) -> JSONDict:
        chat_id = call.get_int("chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        return {
            **chat,
            "is_forum": bool(chat.get("is_forum")),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _topics_of(self, chat_id: int) -> dict[int, Topic]:
        topics = self.topics.get(chat_id)
        if topics is None:
            raise _bad_request("the chat is not a forum")
        return topics

    async def _create_forum_topic(self, call: _Call) -> JSONDict:
        chat_id = call.get_int("chat_id")
        if not await self._held(chat_id, self._held_topics):
            raise _bad_request("the fake stopped while the topic was held")
        name = call.get_str("name") or ""
        if not 1 <= len(name) <= 128:
            raise _bad_request("TOPIC_TITLE_EMPTY" if not name else "topic name is too long")
        topics = self._topics_of(chat_id)
        # A topic's id is the id of the service message that created it.
        topic_id = self._next_message_id(chat_id)
        topics[topic_id] = Topic(name)
        return {"message_thread_id": topic_id, "name": name, "icon_color": 7322096}

    def _topic(self, call: _Call) -> Topic:
        topics = self._topics_of(call.get_int("chat_id"))
        topic = topics.get(call.get_int("message_thread_id"))
        if topic is None:
            raise _bad_request("message thread not found")
        return topic

    async def _close_forum_topic(self, call: _Call) -> bool:
        topic = self._topic(call)
        if topic.closed:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED", recorded=False)
        topic.closed = True
        return True

    async def _edit_forum_topic(self, call: _Call) -> bool:
        """The topic's name (1-128 characters; left as it is when not given)."""
        topic = self._topic(call)
        name = call.get_str("name")
        if name is not None and not 1 <= len(name) <= 128:
            raise _bad_request("TOPIC_TITLE_EMPTY" if not name else "topic name is too long")
        if name is None or name == topic.name:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED", recorded=False)
        topic.name = name
        return True

    async def _reopen_forum_topic(self, call: _Call) -> bool:
        topic = self._topic(call)
        if not topic.closed:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED", recorded=False)
        topic.closed = False
        return True

    def _placed(self, call: _Call, chat_id: int) -> tuple[int | None, int | None]:
        """A send's forum topic (which must exist) and the message it replies to."""
        thread_id = call.params.get("message_thread_id")
        if thread_id is not None:
            topic = self._topics_of(chat_id).get(int(thread_id))
            if topic is None:
                raise _bad_request("message thread not found")
        reply = call.get_obj("reply_parameters")
        reply_to = None if reply is None else int(reply["message_id"])
        return (None if thread_id is None else int(thread_id)), reply_to

    async def _copy_message(self, call: _Call) -> JSONDict:
        chat_id = call.get_int("chat_id")
        if not await self._held(chat_id, self._held_copies):
            raise _bad_request("the fake stopped while the copy was held")
        source = (call.get_int("from_chat_id"), call.get_int("message_id"))
        content = self._contents.get(source)
        if content is None:
            raise _bad_request("message to copy not found")
        self._check_not_blocked(chat_id)
        if chat_id not in self._chats:
            raise _bad_request("chat not found")
        thread_id, reply_to = self._placed(call, chat_id)
        self._check_flood(chat_id, call.received_at)
        message_id = self._next_message_id(chat_id)
        self._contents[(chat_id, message_id)] = content
        self._log(chat_id).bot_message_ids.append(message_id)
        self._record(
            SentMessage(
                "copyMessage",
                chat_id,
                message_id,
                describe(content),
                None,
                None,
                call.received_at,
                thread_id=thread_id,
                reply_to=reply_to,
                copy_of=source,
            )
        )
        return {"message_id": message_id}

    # ----------------------------------------------------------------- helpers

    def _commands_key(self, call: _Call) -> tuple[str, str]:
        scope = call.get_obj("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), call.get_str("language_code") or ""

    def _check_flood(self, chat_id: int, now: float) -> None:
        limit = self.flood_limit_per_chat
        if limit is None:
            return
        times = self._log(chat_id).send_times
        while times and times[0] <= now - 1.0:
            times.popleft()
        if len(times) >= limit:
            self.flood_rejections += 1
            raise _ApiError(429, "Too Many Requests: retry after 1", retry_after=1, recorded=False)
        times.append(now)

    def _log(self, chat_id: int) -> _ChatLog:
        log = self._logs.get(chat_id)
        if log is None:
            log = self._logs[chat_id] = _ChatLog()
        return log

    def _record(self, message: SentMessage) -> None:
        self.sent.append(message)
        log = self._log(message.chat_id)
        log.messages.append(message)
        log.changed.set()

    def _snapshot(self, message: _BotMessage, method: str, at: float) -> SentMessage:
        return SentMessage(
            method=method,
            chat_id=int(message.chat["id"]),
            message_id=message.message_id,
            text=message.text,
            reply_markup=message.reply_markup,
            parse_mode=message.parse_mode,
            sent_at=at,
        )

    def _history(self, chat_id: int) -> str:
        log = self._log(chat_id)
        lines = [f"history of chat {chat_id} (read cursor at {log.cursor}):"]
        for index, message in enumerate(log.messages):
            buttons = message.buttons() or message.reply_buttons()
            lines.append(
                f"  [{index}] {message.method} #{message.message_id} {message.text!r}"
                + (f" buttons={buttons!r}" if buttons else "")
            )
        return "\n".join(lines)

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _chat(self, chat_id: int) -> JSONDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": "Pat"}
        return chat

    def _first_name(self, chat_id: int) -> str:
        return str(self._chat(chat_id).get("first_name", "Pat"))

    def add_group(self, chat_id: int, title: str, *, forum: bool = False) -> None:
        """A group the bot is in (the studio's staff chat); users' messages there come from it.
        A ``forum`` has topics (the bot, an admin, may create and close them)."""
        self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        if forum:
            self._chats[chat_id]["is_forum"] = True
            self.topics.setdefault(chat_id, {})

    async def staff_writes(
        self,
        chat_id: int,
        content: JSONDict | str,
        *,
        user_id: int = 5001,
        first_name: str = "Sam",
        topic: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        """A member of a group writes there: in a forum ``topic`` (as Telegram does, a message
        there without a reply of its own replies to the topic's creation), or in reply to a
        message of the group. Its message id."""
        if isinstance(content, str):
            content = text_content(content)
            if content["text"].startswith("/"):
                command = content["text"].split(maxsplit=1)[0]
                content["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
                ]
        chat = self._chat(chat_id)
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            **content,
        }
        if topic is not None:
            message |= {"message_thread_id": topic, "is_topic_message": True}
            if reply_to is None:
                name = self.topics.get(chat_id, {}).get(topic, Topic("?")).name
                message["reply_to_message"] = {
                    "message_id": topic,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": self.bot_user,
                    "message_thread_id": topic,
                    "forum_topic_created": {"name": name, "icon_color": 7322096},
                }
        if reply_to is not None:
            message["reply_to_message"] = self._message_json(chat_id, reply_to)
        self._contents[(chat_id, message["message_id"])] = content
        await self.send_update({"message": message})
        return int(message["message_id"])

    async def send_content(
        self, chat_id: int, content: JSONDict, *, language_code: str | None = "en"
    ) -> int:
        """A prospect sends any kind of message (``text_content``, ``voice_content``, ...);
        the update's id."""
        return await self._send_user_message(chat_id, content, language_code, None)

    def last_user_message_id(self, chat_id: int) -> int:
        return self._last_message_id.get(chat_id, 0)

    def topic_state(self, chat_id: int, topic_id: int) -> Topic:
        return self.topics[chat_id][topic_id]

    def _message_json(self, chat_id: int, message_id: int) -> JSONDict:
        """A message of the chat as a reply names it."""
        bot_message = self._bot_messages.get((chat_id, message_id))
        if bot_message is not None:
            return bot_message.to_json()
        content = self._contents.get((chat_id, message_id))
        if content is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id} to reply to")
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **content,
        }

    def fail(self, *methods: str, status: int = 502) -> None:
        """Answer ``methods`` with ``status`` until :meth:`recover`, nothing done (a Bot API
        hiccup: what was to be sent is not)."""
        self.failing.update({method.lower(): status for method in methods})

    def recover(self) -> None:
        self.failing.clear()

    def garble(self, method: str, *, times: int) -> None:
        """Answer the next ``times`` calls of ``method`` with a result python-telegram-bot
        cannot read (an update whose message is a string): not a ``TelegramError``, a fault the
        bot's own loop has to survive."""
        self.garbled[method.lower()] = times

    def refuse_chat(self, chat_id: int, *, migrate_to: int | None = None) -> None:
        """Answer anything sent to ``chat_id`` with a 400, for good: "chat not found" (the bot
        was never in it, or it is gone), or with ``migrate_to`` the group was upgraded to a
        supergroup of that id. Nothing is done; ``refused`` lists (method, chat) answered so."""
        if migrate_to is None:
            self.refusing[chat_id] = _ApiError(400, "Bad Request: chat not found", recorded=False)
        else:
            self.refusing[chat_id] = _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to=migrate_to,
                recorded=False,
            )

    def hold_next(self, chat_id: int) -> Hold:
        """Keep the next sendMessage to ``chat_id`` waiting (``arrived`` is set) until the test
        sets ``released``; then it is sent for real. Stopping the fake lets it go unanswered."""
        hold = Hold()
        self._held_sends.setdefault(chat_id, deque()).append(hold)
        return hold

    def hold_next_copy(self, chat_id: int) -> Hold:
        """Keep the next copyMessage into ``chat_id`` waiting, as :meth:`hold_next` does."""
        hold = Hold()
        self._held_copies.setdefault(chat_id, deque()).append(hold)
        return hold

    def hold_next_topic(self, chat_id: int) -> Hold:
        """Keep the next createForumTopic in ``chat_id`` waiting, as :meth:`hold_next` does."""
        hold = Hold()
        self._held_topics.setdefault(chat_id, deque()).append(hold)
        return hold

    async def _held(self, chat_id: int, held: dict[int, deque[Hold]] | None = None) -> bool:
        """Wait out a hold on this call, if there is one; False if the fake stopped first."""
        holds = (self._held_sends if held is None else held).get(chat_id)
        if not holds:
            return True
        hold = holds.popleft()
        hold.arrived.set()
        while not hold.released.is_set() and not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):  # notices the fake stopping
                    await hold.released.wait()
        return hold.released.is_set()

    def set_last_name(self, chat_id: int, last_name: str | None) -> None:
        """The last name on the prospect's profile, sent with their updates from now on."""
        self._last_names[chat_id] = last_name

    def _user(self, chat_id: int, first_name: str | None, language_code: str | None) -> JSONDict:
        user: JSONDict = {
            "id": chat_id,
            "is_bot": False,
            "first_name": first_name or self._first_name(chat_id),
        }
        if self._last_names.get(chat_id):
            user["last_name"] = self._last_names[chat_id]
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def _remember_chats(self, update: JSONDict) -> None:
        for value in update.values():
            if not isinstance(value, dict):
                continue
            message = value.get("message", value)
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                self._chats[chat["id"]] = chat
                message_id = message.get("message_id")
                if isinstance(message_id, int):
                    known = self._last_message_id.get(chat["id"], 0)
                    self._last_message_id[chat["id"]] = max(known, message_id)
            query_id = value.get("id")
            if "chat_instance" in value and isinstance(query_id, str):
                self._open_callback_queries.add(query_id)

    async def _send_user_message(
        self,
        chat_id: int,
        content: JSONDict,
        language_code: str | None,
        first_name: str | None,
    ) -> int:
        chat = self._chat(chat_id)
        if first_name is not None and chat.get("type") == "private":
            chat = self._chats[chat_id] = {**chat, "first_name": first_name}
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(chat_id, first_name, language_code),
            **content,
        }
        self._contents[(chat_id, message["message_id"])] = content
        return await self.send_update({"message": message})

    def _pressable_message(self, chat_id: int, message_id: int | None) -> _BotMessage:
        if message_id is None:
            ids = self._log(chat_id).bot_message_ids
            message_id = next(
                (mid for mid in reversed(ids) if (chat_id, mid) in self._bot_messages), None
            )
        message = None if message_id is None else self._bot_messages.get((chat_id, message_id))
        if message is None:
            raise AssertionError(
                f"no (undeleted) bot message {message_id} to press a button on in chat "
                f"{chat_id}\n{self._history(chat_id)}"
            )
        return message


def build_echo_application(fake: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    """The smallest real PTB bot: the framework's own floor for benchmarks and fake self-tests.

    /start answers ``start:<args>``, text is echoed with one inline button, pressing it answers
    the query and edits the message, a contact is acknowledged with its phone number.
    """

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("start:" + " ".join(context.args or []))

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.text is not None
        button = InlineKeyboardButton("Echo again", callback_data=f"again:{len(message.text)}")
        await message.reply_text(
            f"echo: {message.text}", reply_markup=InlineKeyboardMarkup([[button]])
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"pressed {query.data}")

    async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.contact is not None
        await message.reply_text(f"contact {message.contact.phone_number}")

    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(MessageHandler(filters.CONTACT, on_contact))
    application.add_handler(CallbackQueryHandler(on_button))
    return application
