"""A studio words its own welcome, privacy link and thank-you, per language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.studio_texts import StudioTexts, StudioTextsError
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

TEXTS = {
    "welcome": {"de": "Servus vom Studio Sol! ☀️", "en": "Hello from Studio Sol! ☀️"},
    "privacy_url": {"en": "https://studio-sol.example/privacy"},
    "thank_you": {"de": "Danke! Wir rufen dich binnen 24 Stunden an."},
}


async def test_studio_texts_replace_the_shipped_ones_per_language(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "texts.json"
    path.write_text(json.dumps(TEXTS), encoding="utf-8")
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url), StudioTexts.load(str(path))):
        vera = Prospect(tg, chat_id=15001, language_code="de-AT")
        summary = await vera.introduce(
            "Vera",
            "Lind",
            "vera@example.com",
            welcome=["Servus vom Studio Sol!", "https://studio-sol.example/privacy"],
            count=3,
            then=["Vera"],
        )
        welcome = tg.messages_to(15001)[0]
        assert "Servus vom Studio Sol!" in (welcome.text or "")
        assert "Hello" not in (welcome.text or "")
        await vera.press(summary, summary.buttons()[0][0])
        await vera.expect("Danke! Wir rufen dich binnen 24 Stunden an.")

        walt = Prospect(tg, chat_id=15002, language_code="en")
        summary = await walt.introduce(
            "Walt",
            "Lind",
            "walt@example.com",
            welcome=["Hello from Studio Sol!"],
            count=3,
            then=["Walt"],
        )
        await walt.press(summary, "Yes, send it")
        await walt.expect("Thank you, Walt")  # no English thank-you set: the shipped text


def test_an_unreadable_texts_file_is_a_configuration_error(tmp_path: Path) -> None:
    broken = tmp_path / "texts.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(StudioTextsError, match="STUDIO_TEXTS_FILE"):
        StudioTexts.load(str(broken))
    with pytest.raises(StudioTextsError):
        StudioTexts.load(str(tmp_path / "missing.json"))
