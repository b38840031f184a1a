"""Entry point: ``python -m bot`` runs the bot, ``python -m bot demo`` the terminal demo."""

from __future__ import annotations

import asyncio
import sys

from bot.logging_setup import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.studio_texts import StudioTexts, StudioTextsError

USAGE = """usage: python -m bot [demo [--language CODE]] [--help]

Telegram lead-intake bot for fitness studios on the PerfectGym Next API.

commands:
  (none)   run the bot: configuration from the environment variables below
  demo     chat with the bot in this terminal, no credentials needed (demo --help)

environment variables:
"""


def usage() -> str:
    """The sub-commands and every setting, read from the settings model itself."""
    lines = []
    for name, field in Settings.model_fields.items():
        required = " (required)" if field.is_required() else ""
        lines.append(f"  {name.upper():<28}{field.description or ''}{required}")
    return USAGE + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] in (["--help"], ["-h"], ["help"]):
        print(usage(), end="")
        return 0
    if argv[:1] == ["demo"]:
        from bot.demo import main as demo_main

        return demo_main(argv[1:])
    if argv:
        print(f"unknown command {argv[0]!r}\n\n{usage()}", file=sys.stderr, end="")
        return 2
    try:
        settings = load_settings()
        texts = StudioTexts.load(settings.studio_texts_file)
    except (SettingsError, StudioTextsError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level,
        [
            settings.telegram_bot_token.get_secret_value(),
            settings.perfectgym_api_key.get_secret_value(),
        ],
    )
    from bot.runtime import run

    asyncio.run(run(settings, texts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
