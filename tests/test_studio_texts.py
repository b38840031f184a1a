"""A studio words its own welcome, privacy link and thank-you, per language."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.studio.texts import StudioTexts, StudioTextsError, template
from conversations.i18n import available_locales
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, Prospect, bot_environment, load_config, running_bot

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


# --- the file's rules: one clear line per mistake --------------------------------------------

FIELDS = {
    7001: ("How did you hear about us?", ("Instagram", "Friends")),
    7002: ("Student", ()),
}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"welcome": {"de": "Hallo"}', "not valid JSON"),
        ('{"welcom": {"de": "Hallo"}}', "welcom: Extra inputs are not permitted"),
        ('{"welcome": {"de": 5}}', "welcome.de: Input should be a valid string"),
        ('{"welcome": {"xx": "Hallo"}}', "welcome.xx: the bot has no language 'xx'"),
        ('{"welcome": {"ja": "こんにちは"}}', "welcome.ja: the bot has no language 'ja'"),
        ('{"welcome": {"de": "Hallo {name}!"}}', "welcome.de: unknown placeholder {name}"),
        ('{"thank_you": {"de": "Danke {"}}', "thank_you.de: unbalanced { or }"),
        (
            '{"additional_fields": {"7001": {"label": {"de": "Wie {studio}?"}}}}',
            "additional_fields.7001.label.de: unknown placeholder {studio} (allowed: none)",
        ),
        ('{"additional_fields": {"abc": {}}}', "additional_fields.abc"),
    ],
)
def test_a_malformed_texts_file_stops_the_start_with_one_line(content: str, message: str) -> None:
    with pytest.raises(StudioTextsError) as caught:
        StudioTexts.parse(content)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_fields_and_options_must_exist_in_the_leads_config() -> None:
    StudioTexts.parse(
        '{"additional_fields": {"7001": {"options": {"Friends": {"de": "Freunde"}}}}}'
    ).check_fields(FIELDS)
    with pytest.raises(StudioTextsError, match=r"additional_fields\.7003: the leads config has"):
        StudioTexts.parse('{"additional_fields": {"7003": {}}}').check_fields(FIELDS)
    with pytest.raises(StudioTextsError, match=r"options\.Friend: not one of the field's"):
        StudioTexts.parse(
            '{"additional_fields": {"7001": {"options": {"Friend": {"de": "Freunde"}}}}}'
        ).check_fields(FIELDS)


def test_the_template_as_printed_is_a_valid_file_that_changes_nothing() -> None:
    printed = template(FIELDS)
    data = json.loads(printed)
    languages = set(available_locales())
    assert set(data["welcome"]) == languages
    assert set(data["additional_fields"]["7001"]["options"]) == {"Instagram", "Friends"}
    assert set(data["additional_fields"]["7001"]["options"]["Friends"]) == languages
    assert data["additional_fields"]["7001"]["configured"] == "How did you hear about us?"
    texts = StudioTexts.parse(printed)
    texts.check_fields(FIELDS)
    assert texts.welcome_for("de", "Sol") is None  # blanks fall back to the bot's own text
    assert texts.privacy_url_for("de") is None
    assert texts.wording_for("de").labels == {}


def test_a_language_falls_back_to_its_base_then_to_the_config() -> None:
    texts = StudioTexts.parse(
        '{"additional_fields": {"7001": {"label": {"de": "Woher?", "de_CH": "Vo wo?"},'
        ' "options": {"Friends": {"de": "Freunde"}}}}, "welcome": {"de": "Hallo {studio}!"}}',
        privacy_url="https://sol.example/privacy",
    )
    assert texts.wording_for("de_AT").labels == {7001: "Woher?"}
    assert texts.wording_for("de_CH").labels == {7001: "Vo wo?"}
    assert texts.wording_for("de@formal").options == {(7001, "Friends"): "Freunde"}
    assert texts.wording_for("pl").labels == {}
    assert texts.welcome_for("de", "Studio Sol") == "Hallo Studio Sol!"
    assert texts.privacy_url_for("pl") == "https://sol.example/privacy"  # PRIVACY_URL


async def test_studio_texts_template_prints_the_live_config(pg: FakePerfectGym) -> None:
    env = {**os.environ, "PERFECTGYM_API_URL": pg.url, "PERFECTGYM_API_KEY": API_KEY}
    env.pop("TELEGRAM_BOT_TOKEN", None)  # not needed to read the config
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "studio-texts-template",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    data = json.loads(stdout)
    assert set(data["additional_fields"]) == {str(n) for n in range(7001, 7008)}
    assert "Lose weight" in data["additional_fields"]["7002"]["options"]
    StudioTexts.parse(stdout.decode()).check_fields(
        {7001: ("", ("Instagram", "Friends", "Flyer", "Google"))}
        | {n: ("", ("Lose weight", "Build muscle", "Stay healthy")) for n in range(7002, 7008)}
    )


@pytest.mark.e2e
def test_studio_texts_template_without_credentials_names_the_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERFECTGYM_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "studio-texts-template"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "configuration error: PERFECTGYM_API_URL is required but not set"
    )
