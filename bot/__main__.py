"""Entry point: ``python -m bot`` runs the bot, ``python -m bot demo`` the terminal demo."""

from __future__ import annotations

import asyncio
import sys

from bot.logging_setup import configure_logging
from bot.settings import SettingsError, load_settings
from bot.studio_texts import StudioTexts, StudioTextsError


def main(argv: list[str]) -> int:
    if argv[:1] == ["demo"]:
        from bot.demo import main as demo_main

        return demo_main(argv[1:])
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
