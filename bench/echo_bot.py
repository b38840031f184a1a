"""The floor: a bare python-telegram-bot echo bot, no storage, no API calls.

It is built like ``bot.telegram_app.build_application`` where that matters for throughput:
``concurrent_updates`` with the same 512 slots (PTB's own processor, without our per-chat
ordering), the ``AIORateLimiter(max_retries=3)`` unless ``--no-rate-limit``, an 8-connection pool
with a 10 s pool timeout, and long polling as ``bot.runtime.serve`` does it (the same allowed
updates, ``poll_interval=0``, ``timeout=10``), and ``gc.freeze()`` before the first update as
``bot.runtime.serve`` does. Every text, command and contact gets a message
with one inline button; pressing it answers the query and edits the message.

``python -m bench.echo_bot [--no-rate-limit]`` with ``TELEGRAM_BOT_TOKEN`` and
``TELEGRAM_API_BASE_URL`` set. It imports nothing from ``bot`` so its memory is PTB's alone.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import Any

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
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


def _again(update: Update) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton("Echo again", callback_data=f"again:{update.update_id}")
    return InlineKeyboardMarkup([[button]])


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        text = "start:" + " ".join(context.args or [])
        await update.effective_message.reply_text(text, reply_markup=_again(update))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(f"echo: {message.text}", reply_markup=_again(update))


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.contact is not None:
        text = f"contact {message.contact.phone_number}"
        await message.reply_text(text, reply_markup=_again(update))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer()
        # The update id makes every edit differ from the message's current text.
        text = f"pressed {query.data} (update {update.update_id})"
        await query.edit_message_text(text, reply_markup=_again(update))


def _file_url(base_url: str) -> str:
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


async def _freeze(application: AnyApplication) -> None:
    gc.freeze()


def build_echo(token: str, base_url: str, *, rate_limit: bool) -> AnyApplication:
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(_file_url(base_url))
        .concurrent_updates(512)
        .connection_pool_size(8)
        .pool_timeout(10.0)
        .post_init(_freeze)
    )
    app: AnyApplication = (
        builder.rate_limiter(AIORateLimiter(max_retries=3)).build()
        if rate_limit
        else builder.build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo_bot", description=__doc__)
    parser.add_argument("--no-rate-limit", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    app = build_echo(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["TELEGRAM_API_BASE_URL"],
        rate_limit=not args.no_rate_limit,
    )
    app.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
