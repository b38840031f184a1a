"""``python -m bot check``: one line per check, exit 0 only when the bot can take leads, and
nothing of any prospect touched (no lead validated or created, no webhook changed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.storage import open_storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.harness import bot_environment, run_command

pytestmark = pytest.mark.e2e  # every test runs ``python -m bot check`` as a process

HOOK = "http://127.0.0.1:9/telegram/hook"


async def _check(env: dict[str, str]) -> tuple[int, list[str], str]:
    return await run_command("check", env=env)


def _line(lines: list[str], name: str) -> str:
    found = [line for line in lines if line[5:].startswith(f"{name}:")]
    assert len(found) == 1, lines
    return found[0]


def _texts_file(tmp_path: Path, field_id: int) -> str:
    path = tmp_path / "texts.json"
    path.write_text(
        json.dumps(
            {
                "welcome": {"en": "Hi from {studio}!"},
                "additional_fields": {str(field_id): {"label": {"de": "Wie?"}}},
            }
        )
    )
    return str(path)


def _sqlite_file_exists(url: str) -> bool:
    return Path(url.removeprefix("sqlite:///")).exists()


def _untouched(tg: FakeTelegram, pg: FakePerfectGym) -> None:
    assert pg.created == []
    assert set(pg.calls) <= {"config", "studio"}
    for method in ("setWebhook", "deleteWebhook", "getUpdates", "sendMessage", "setMyCommands"):
        assert tg.method_calls(method) == 0, method


async def test_a_good_setup_passes_every_check(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, tmp_path: Path
) -> None:
    database_url = database_url_all_backends
    await (await open_storage(database_url)).close()  # a bot has run: the database exists
    pg.studio = {"studioId": 1, "name": "Studio Sol London", "countryCode": "GB"}
    tg.webhook_url = HOOK
    env = bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=HOOK,
        WEBHOOK_SECRET="webhook-secret-0123456789",
        STUDIO_TEXTS_FILE=_texts_file(tmp_path, 7001),
    )
    code, lines, err = await _check(env)
    assert code == 0, (lines, err)
    assert [line.split()[0] for line in lines] == ["ok"] * 6, lines
    assert BOT_USERNAME in _line(lines, "telegram")
    assert "registered at WEBHOOK_URL" in _line(lines, "webhook")
    assert "leads config is readable" in _line(lines, "perfectgym")
    assert "Studio Sol London" in _line(lines, "studio")
    assert "opens" in _line(lines, "database")
    assert "valid for the leads config" in _line(lines, "studio texts")
    assert tg.token not in "\n".join(lines) + err
    _untouched(tg, pg)


async def test_a_wrong_perfectgym_key_fails_and_says_what_to_do(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    env = {**bot_environment(tg, pg, database_url), "PERFECTGYM_API_KEY": "wrong-key-0000"}
    code, lines, err = await _check(env)
    assert code == 1, (lines, err)
    failed = _line(lines, "perfectgym")
    assert failed.startswith("FAIL")
    assert "PERFECTGYM_API_KEY" in failed
    assert "401" in failed
    assert _line(lines, "telegram").startswith("ok")
    assert "is created at the first start" in _line(lines, "database")
    assert not _sqlite_file_exists(database_url), "the check leaves no file"
    assert "wrong-key-0000" not in "\n".join(lines) + err
    _untouched(tg, pg)


async def test_without_studio_read_the_environment_stands_in_and_the_bot_can_take_leads(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    # pg.studio is None: 403, a key without STUDIO_READ. No webhook registered yet.
    env = bot_environment(
        tg,
        pg,
        database_url,
        STUDIO_NAME="Studio Sol",
        STUDIO_COUNTRY="GB",
        WEBHOOK_URL=HOOK,
        WEBHOOK_SECRET="webhook-secret-0123456789",
    )
    code, lines, err = await _check(env)
    assert code == 0, (lines, err)
    studio = _line(lines, "studio")
    assert studio.startswith("ok")
    assert "no STUDIO_READ" in studio
    assert "STUDIO_NAME=Studio Sol" in studio
    webhook = _line(lines, "webhook")
    assert webhook.startswith("FAIL")
    assert "no webhook registered" in webhook
    _untouched(tg, pg)


async def test_a_wrong_token_a_broken_texts_file_and_an_unreachable_database_fail(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    env = bot_environment(
        tg,
        pg,
        "postgresql://nobody:secret-pw@127.0.0.1:9/none",
        TELEGRAM_BOT_TOKEN="999999:WRONG-token-zzzzzzzzzz",
        STUDIO_TEXTS_FILE=_texts_file(tmp_path, 4242),
    )
    code, lines, err = await _check(env)
    assert code == 1, (lines, err)
    assert "TELEGRAM_BOT_TOKEN" in _line(lines, "telegram")
    assert _line(lines, "perfectgym").startswith("ok")
    assert "DATABASE_URL" in _line(lines, "database")
    texts = _line(lines, "studio texts")
    assert texts.startswith("FAIL")
    assert "additional_fields.4242" in texts
    output = "\n".join(lines) + err
    assert "WRONG-token" not in output
    assert "secret-pw" not in output


async def test_bad_configuration_exits_2_with_one_line() -> None:
    code, lines, err = await _check({"PERFECTGYM_API_URL": "http://127.0.0.1:9"})
    assert code == 2
    assert lines == []
    assert err.strip().splitlines() == [
        "configuration error: TELEGRAM_BOT_TOKEN is required but not set"
    ]
