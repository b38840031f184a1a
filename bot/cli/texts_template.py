"""``python -m bot studio-texts-template``: a complete, blank STUDIO_TEXTS_FILE for the studio's
live leads config, to fill in."""

from __future__ import annotations

import asyncio
import sys

from bot.perfectgym.adapter import additional_fields, date_field_ids
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymError
from bot.perfectgym.models import LeadConfig
from bot.settings import SettingsError, load_perfectgym_settings
from bot.studio.texts import template

# On stderr, so that what is printed on stdout stays a file to save as it is.
GUIDE = (
    "Fill in what you want; a blank text falls back to the bot's own. welcome and thank_you may "
    "say {studio} (the studio's name). studio_word: the studio's word for itself per language, "
    "said where its name is not known, as the subject of a sentence with its article "
    '("das Fitnessstudio", "el gimnasio", "the gym"); blank: the catalog\'s word.'
)


def main() -> int:
    """Print a complete, blank studio texts file for the studio's live leads config."""
    try:
        settings = load_perfectgym_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    async def fetch() -> LeadConfig:
        async with PerfectGymClient(
            settings.perfectgym_api_url,
            settings.perfectgym_api_key.get_secret_value(),
            timeout=settings.perfectgym_timeout_seconds,
        ) as client:
            return await client.get_config()

    try:
        config = asyncio.run(fetch())
    except PerfectGymError as exc:
        print(f"could not read the leads config from PerfectGym: {exc}", file=sys.stderr)
        return 1
    print(template(additional_fields(config), date_fields=date_field_ids(config)), end="")
    print(GUIDE, file=sys.stderr)
    return 0
