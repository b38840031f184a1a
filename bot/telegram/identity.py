"""Who the token belongs to: getMe, with one explanation for each way it fails.

``check`` reports the answer as a line and ``link`` needs the bot's username for the link; both
say the same about a refused token or an unreachable Telegram, and neither message can carry
the token (it is in every request URL, and PTB may quote it).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.logging_setup import Masked
from bot.settings import TelegramSettings


class TelegramSignInError(Exception):
    """getMe failed; the message is one operator-facing line saying what to fix."""


def describe(exc: BaseException) -> str:
    """An exception as ``Type: first line``, for a one-line report."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL: enough to say where, never a path that may hold a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


@contextlib.asynccontextmanager
async def signed_in(settings: TelegramSettings) -> AsyncIterator[Bot]:
    """A PTB ``Bot`` that has asked getMe (so ``bot.bot`` is the bot's own user), shut down on
    exit; raises :class:`TelegramSignInError` when getMe fails."""
    token = settings.telegram_bot_token.get_secret_value()
    mask = Masked(token)
    bot = Bot(token, base_url=settings.telegram_api_base_url)
    try:
        try:
            await bot.initialize()  # getMe
        except InvalidToken:
            raise TelegramSignInError(
                "the bot token was refused: set TELEGRAM_BOT_TOKEN to the token @BotFather "
                "gave (/mybots, API Token)"
            ) from None
        except NetworkError as exc:
            raise TelegramSignInError(
                mask(
                    f"Telegram not reachable at {origin(settings.telegram_api_base_url)} "
                    f"({describe(exc)}): check the network or TELEGRAM_API_BASE_URL"
                )
            ) from None
        except TelegramError as exc:
            raise TelegramSignInError(mask(f"getMe failed ({describe(exc)})")) from None
        yield bot
    finally:
        await bot.shutdown()
