"""Telegram wiring: python-telegram-bot handlers that translate updates into intake events.

Small and explicit, in the style of python-telegram-bot's examples: each handler turns one kind
of update into a call on :class:`bot.intake.Intake` and sends the replies back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.intake import Chat, Intake
from bot.settings import Settings
from bot.update_processor import PerChatUpdateProcessor
from conversations.events import ButtonPress, ContactShared, Event, TextInput, UnsupportedInput
from conversations.i18n import Translator, negotiate
from conversations.replies import Outcome, Reply

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def _markup(reply: Reply) -> ReplyMarkup | None:
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
                for row in reply.buttons
            ]
        )
    if reply.contact_button:
        rows = [[KeyboardButton(reply.contact_button, request_contact=True)]]
        rows += [[KeyboardButton(text)] for text in reply.keyboard_texts]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


class TelegramSender:
    """Delivers replies to a chat; replies with ``replace`` edit the pressed message."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(
        self, chat_id: int, replies: Sequence[Reply], *, query: CallbackQuery | None = None
    ) -> None:
        for reply in replies:
            markup = _markup(reply)
            if reply.replace and query is not None and query.message is not None:
                try:
                    await query.edit_message_text(
                        _fit(reply.text),
                        reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                    )
                    continue
                except BadRequest:
                    pass  # e.g. "message is not modified" or too old to edit: send anew
            try:
                await self._bot.send_message(chat_id, _fit(reply.text), reply_markup=markup)
            except Forbidden:
                log.info("a prospect blocked the bot; reply not delivered")
                return


async def _answer(query: CallbackQuery, notice: str | None) -> None:
    # An old query cannot be answered; the replies still go out.
    with contextlib.suppress(TelegramError):
        await query.answer(notice)


class TelegramHandlers:
    def __init__(self, intake: Intake, sender: TelegramSender, default_locale: str) -> None:
        self._intake = intake
        self._sender = sender
        self._default_locale = default_locale

    @staticmethod
    def _chat(update: Update) -> Chat | None:
        if update.effective_chat is None:
            return None
        user = update.effective_user
        return Chat(
            update.effective_chat.id, user.language_code if user else None, update.update_id
        )

    async def _deliver(self, update: Update, outcome: Outcome) -> None:
        """Send the replies; for a pressed button, answer its query alongside, not before.

        The query's answer only ends the button's loading spinner, so it need not cost the
        prospect a round trip of waiting before the next question.
        """
        chat = self._chat(update)
        query = update.callback_query
        deliveries = []
        if query is not None:
            deliveries.append(_answer(query, outcome.notice))
        if chat is not None and outcome.replies:
            deliveries.append(self._sender.send(chat.id, outcome.replies, query=query))
        await asyncio.gather(*deliveries)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        if chat is not None:
            payload = " ".join(context.args or ()) or None
            await self._deliver(update, await self._intake.start(chat, payload))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        if chat is not None:
            await self._deliver(update, await self._intake.cancel(chat))

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = self._chat(update)
        if chat is not None:
            await self._deliver(update, await self._intake.forget(chat))

    async def _event(self, update: Update, event: Event) -> None:
        chat = self._chat(update)
        if chat is not None:
            await self._deliver(update, await self._intake.handle(chat, event))

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None:
            await self._event(update, TextInput(message.text))

    async def contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.contact is not None:
            await self._event(update, ContactShared(message.contact.phone_number))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None:
            await self._event(update, ButtonPress(query.data or ""))

    async def unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        kind = message.effective_attachment.__class__.__name__ if message else "unknown"
        await self._event(update, UnsupportedInput(kind))

    async def _notice(self, update: Update, message: Callable[[Translator], str]) -> None:
        """A short answer outside the conversation, in the sender's language."""
        chat = self._chat(update)
        if chat is not None:
            tr = Translator(negotiate(chat.language_code, self._default_locale))
            await self._sender.send(chat.id, [Reply(message(tr))])

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._notice(
            update,
            lambda tr: tr.gettext(
                "I don't know that command. You can use /start, /cancel and /forget."
            ),
        )

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._notice(
            update,
            lambda tr: tr.gettext(
                "I can't use edited messages. Please send your corrected answer as a new message."
            ),
        )

    async def not_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups and channels: prospects' details belong in a private chat only."""
        message = update.effective_message
        if message is not None and (message.text or "").startswith("/start"):
            await self._notice(
                update,
                lambda tr: tr.gettext(
                    "Please message me in a private chat so your details stay private."
                ),
            )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error("unhandled %s while processing an update", type(error).__name__, exc_info=error)
        if isinstance(update, Update) and (chat := self._chat(update)) is not None:
            tr = Translator(negotiate(chat.language_code, self._default_locale))
            with contextlib.suppress(TelegramError):
                await self._sender.send(
                    chat.id,
                    [
                        Reply(
                            tr.gettext(
                                "Sorry, something went wrong on my side. Please send your answer again."
                            )
                        )
                    ],
                )


def file_url_for(base_url: str) -> str:
    """Telegram's file endpoint sits next to the Bot API one: ``.../bot`` -> ``.../file/bot``."""
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


def build_application(settings: Settings) -> AnyApplication:
    """The application without handlers: the services that handlers call need its bot first."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url_for(settings.telegram_api_base_url))
        .concurrent_updates(PerChatUpdateProcessor())
        .rate_limiter(AIORateLimiter(max_retries=3))
        .connection_pool_size(8)
        .get_updates_connection_pool_size(2)
        .pool_timeout(10.0)
    )
    if settings.webhook_url:
        builder = builder.updater(None)
    return builder.build()


def add_handlers(app: AnyApplication, handlers: TelegramHandlers) -> None:
    """Which update goes to which handler, in the order python-telegram-bot tries them."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", handlers.start, filters=private))
    app.add_handler(CommandHandler("cancel", handlers.cancel, filters=private))
    app.add_handler(CommandHandler("forget", handlers.forget, filters=private))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, handlers.edited))
    app.add_handler(MessageHandler(private & filters.CONTACT, handlers.contact))
    app.add_handler(MessageHandler(private & filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, handlers.text))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, handlers.unsupported))
    app.add_handler(MessageHandler(~private, handlers.not_private))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_error_handler(handlers.error)
