"""The floor: a bare python-telegram-bot echo bot, no API calls, and no storage unless
``--database-url`` is given.

It is built like ``bot.telegram.application.build_application`` where that matters for throughput:
``concurrent_updates`` with the same 512 slots (PTB's own processor, without our per-chat
ordering), the ``AIORateLimiter(max_retries=3)`` unless ``--no-rate-limit``, an 8-connection pool
with a 10 s pool timeout, and long polling as ``bot.runtime.serve`` does it (the same allowed
updates, ``poll_interval=0``, ``timeout=10``), and ``gc.freeze()`` before the first update as
``bot.runtime.serve`` does. Every text, command and contact gets a message
with one inline button; pressing it answers the query and edits the message.

With ``--database-url`` (PostgreSQL) it first stores each update's text in one row per chat, in
one statement, before it replies: the least any bot must pay that keeps what a prospect said
before answering, so the real bot on PostgreSQL is measured against a floor on PostgreSQL.

``python -m bench.echo_bot [--no-rate-limit] [--database-url URL]`` with ``TELEGRAM_BOT_TOKEN``
and ``TELEGRAM_API_BASE_URL`` set. It imports nothing from ``bot`` so its memory is PTB's alone.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import Any

import asyncpg
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
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

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
STORE = (
    "INSERT INTO echo (chat_id, last) VALUES ($1, $2) "
    "ON CONFLICT (chat_id) DO UPDATE SET last = excluded.last"
)


class _NoReset(asyncpg.Connection):
    """As the real bot's pool: no reset query (a round trip) when a connection goes back."""

    def get_reset_query(self) -> str:
        return ""


class _Store:
    """The optional PostgreSQL row per chat; a no-op without a database."""

    def __init__(self, url: str | None) -> None:
        self._url = url
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._url is not None:
            self._pool = await asyncpg.create_pool(
                self._url, min_size=1, max_size=10, connection_class=_NoReset
            )
            await self._pool.execute(
                "CREATE TABLE IF NOT EXISTS echo (chat_id BIGINT PRIMARY KEY, last TEXT NOT NULL)"
            )

    async def keep(self, update: Update, text: str) -> None:
        if self._pool is not None and update.effective_chat is not None:
            await self._pool.execute(STORE, update.effective_chat.id, text)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


def _store(context: ContextTypes.DEFAULT_TYPE) -> _Store:
    store: _Store = context.bot_data["store"]
    return store


ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


def _again(update: Update) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton("Echo again", callback_data=f"again:{update.update_id}")
    return InlineKeyboardMarkup([[button]])


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        text = "start:" + " ".join(context.args or [])
        await _store(context).keep(update, text)
        await update.effective_message.reply_text(text, reply_markup=_again(update))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await _store(context).keep(update, message.text)
        await message.reply_text(f"echo: {message.text}", reply_markup=_again(update))


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.contact is not None:
        text = f"contact {message.contact.phone_number}"
        await _store(context).keep(update, text)
        await message.reply_text(text, reply_markup=_again(update))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None:
        await _store(context).keep(update, query.data or "")
        await query.answer()
        # The update id makes every edit differ from the message's current text.
        text = f"pressed {query.data} (update {update.update_id})"
        await query.edit_message_text(text, reply_markup=_again(update))


def _file_url(base_url: str) -> str:
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


async def _start(application: AnyApplication) -> None:
    await application.bot_data["store"].open()
    gc.freeze()


async def _stop(application: AnyApplication) -> None:
    await application.bot_data["store"].close()


def build_echo(
    token: str, base_url: str, *, rate_limit: bool, database_url: str | None = None
) -> AnyApplication:
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(_file_url(base_url))
        .concurrent_updates(512)
        .connection_pool_size(8)
        .pool_timeout(10.0)
        .post_init(_start)
        .post_shutdown(_stop)
    )
    app: AnyApplication = (
        builder.rate_limiter(AIORateLimiter(max_retries=3)).build()
        if rate_limit
        else builder.build()
    )
    app.bot_data["store"] = _Store(database_url)
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo_bot", description=__doc__)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--database-url", help="PostgreSQL: store each update before replying")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    app = build_echo(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        rate_limit=not args.no_rate_limit,
        database_url=args.database_url,
    )
    app.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
