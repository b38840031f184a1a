"""Diagnostic only: ``python -m bot`` with the AIORateLimiter's limits switched off.

The production bot limits itself to Telegram's 30 messages per second across all chats. Under a
benchmark where every prospect answers instantly that limit, not our code, sets every figure; this
entry point runs the very same bot with a limiter that never waits, so ``--no-rate-limit`` shows
what the rest of the code costs. Never use it against real Telegram.
"""

from __future__ import annotations

import sys

from telegram.ext import AIORateLimiter

import bot.telegram.application


class UnlimitedRateLimiter(AIORateLimiter):
    def __init__(self, max_retries: int = 0) -> None:
        super().__init__(
            overall_max_rate=0,
            overall_time_period=0,
            group_max_rate=0,
            group_time_period=0,
            max_retries=max_retries,
        )


def main(argv: list[str]) -> int:
    # build_application looks the class up in its module's namespace when it runs.
    vars(bot.telegram.application)["AIORateLimiter"] = UnlimitedRateLimiter
    from bot.__main__ import main as bot_main

    return bot_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
