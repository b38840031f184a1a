"""The chain's tools: ``python -m bot check`` checks every studio of STUDIOS_FILE (one line each,
a few at a time), and ``python -m bot demo --chain`` chats with three stand-in clubs, chosen by
button or by a location typed as "lat,lon"."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.chain.chain import LOAD_CONCURRENCY
from bot.chain.roster import Roster, StudioSpec
from bot.cli.check import Check, check_studios, summary
from bot.cli.demo import TerminalChat
from bot.settings import load_settings
from conversations.events import ButtonPress, LocationShared, TextInput
from conversations.replies import Button, Reply
from tests.chain_fixtures import KEYS, ChainOfFakes, fake_chain
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import load_config, run_command

ROOT = Path(__file__).resolve().parent.parent
# What PerfectGym says of each studio here: neither it nor the file places Camden or Manchester.
STUDIOS: dict[str, dict[str, Any]] = {
    "camden": {"name": "Studio Sol Camden", "countryCode": "GB", "city": "London"},
    "manchester": {"name": "Studio Sol Manchester", "countryCode": "GB", "city": "Manchester"},
    "mitte": {
        "name": "Studio Sol Mitte",
        "countryCode": "DE",
        "city": "Berlin",
        "location": {"latitude": 52.5321, "longitude": 13.3849},
    },
}


@pytest.fixture
async def tenants(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> AsyncIterator[ChainOfFakes]:
    """Three fake PerfectGym tenants, each its own key, named by a STUDIOS_FILE (no staff
    chats)."""
    async with fake_chain(
        tg,
        database_url,
        tmp_path,
        configs={"mitte": "everything"},
        staff_chats={},
        chain_chat=None,
        named=True,
    ) as chain:
        for number, (studio_id, fake) in enumerate(chain.tenants.items(), 1):
            fake.studio = {"studioId": number, **STUDIOS[studio_id]}
        yield chain


def _studio_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line[5:].split(":")[0] in KEYS]


def _untouched(tenants: ChainOfFakes) -> None:
    """Nothing but the leads config and the studio's information was read, nothing created."""
    for fake in tenants.tenants.values():
        assert fake.created == []
        assert set(fake.calls) <= {"config", "studio"}


# ----------------------------------------------------------------------------------- check


@pytest.mark.e2e
async def test_check_gives_each_studio_one_line_and_fails_for_a_refused_key(
    tenants: ChainOfFakes,
) -> None:
    env = {**tenants.env, "KEY_MANCHESTER": "wrong-key-0000"}
    code, lines, err = await run_command("check", env=env)
    assert code == 1, (lines, err)
    assert lines[0].startswith("ok   telegram:")
    camden, manchester, mitte = _studio_lines(lines)
    assert camden.startswith("ok   camden: Studio Sol Camden (London): 3 questions")
    assert manchester.startswith("FAIL manchester: Studio Sol Manchester: ")
    assert "refused the API key (HTTP 401)" in manchester
    assert "perfectgym_api_key_env" in manchester
    assert mitte.startswith("ok   mitte: Studio Sol Mitte (Berlin): ")
    assert "no location" in camden  # neither PerfectGym nor the file places it
    assert "no location" not in mitte
    assert lines[-1] == "2 of 3 studios can take leads; 1 cannot: manchester"
    output = "\n".join(lines) + err
    for secret in (*KEYS.values(), "wrong-key-0000", env["TELEGRAM_BOT_TOKEN"]):
        assert secret not in output
    assert tenants.tenants["manchester"].calls["studio"] == 0  # refused: nothing more asked
    _untouched(tenants)


@pytest.mark.e2e
async def test_check_passes_when_every_studio_can_take_leads(tenants: ChainOfFakes) -> None:
    code, lines, err = await run_command("check", env=tenants.env)
    assert code == 0, (lines, err)
    assert [line.split()[0] for line in _studio_lines(lines)] == ["ok", "ok", "ok"]
    assert any(line.startswith("ok   database:") for line in lines), lines
    assert lines[-1] == "3 of 3 studios can take leads"
    _untouched(tenants)


@pytest.mark.e2e
async def test_check_fails_a_studio_whose_texts_do_not_fit_its_config(
    tenants: ChainOfFakes,
) -> None:
    _give_mitte_texts(Path(tenants.env["STUDIOS_FILE"]), {"4242": {"label": {"de": "Wie?"}}})
    code, lines, err = await run_command("check", env=tenants.env)
    assert code == 1, (lines, err)
    *_, mitte = _studio_lines(lines)
    assert mitte.startswith("FAIL mitte: Studio Sol Mitte (Berlin): ")
    assert "additional_fields.4242" in mitte
    assert lines[-1] == "2 of 3 studios can take leads; 1 cannot: mitte"


def _give_mitte_texts(studios_file: Path, fields: dict[str, Any]) -> None:
    """Mitte (the file's last studio) gets a texts_file translating ``fields``."""
    texts = studios_file.parent / "mitte.json"
    texts.write_text(json.dumps({"additional_fields": fields}))
    studios_file.write_text(studios_file.read_text() + 'texts_file = "mitte.json"\n')


async def test_a_large_chain_is_checked_a_few_studios_at_a_time_in_the_files_order(
    tg: FakeTelegram, database_url: str
) -> None:
    async with FakePerfectGym(load_config("everything"), "key-shared", latency=0.05) as fake:
        fake.studio = {"studioId": 1, "name": "Studio Sol", "city": "Leeds"}
        ids = [f"club_{number:02}" for number in range(3 * LOAD_CONCURRENCY)]
        roster = Roster(
            brand=None,
            staff_chat_id=None,
            studios=tuple(StudioSpec(i, fake.url, SecretStr("key-shared")) for i in ids),
            from_file=True,
        )
        settings = load_settings({"TELEGRAM_BOT_TOKEN": tg.token, "STUDIOS_FILE": "unused.toml"})
        reported: list[Check] = []
        checks = await check_studios(roster, settings, reported.append)
    assert [check.name for check in reported] == ids
    assert checks == reported
    assert all(check.ok for check in checks)
    assert fake.calls["config"] == len(ids)
    assert fake.in_flight.peak == LOAD_CONCURRENCY


def test_the_summary_names_a_few_failing_studios_and_counts_the_rest() -> None:
    checks = [Check(f"s{number}", number % 2 == 0, "") for number in range(30)]
    assert summary(checks) == (
        "15 of 30 studios can take leads; 15 cannot: s1, s3, s5, s7, s9, s11, s13, s15, s17, "
        "s19 and 5 more"
    )


# ------------------------------------------------------------------------------------ demo


def test_a_typed_location_is_a_location_only_where_one_is_asked_for() -> None:
    terminal = TerminalChat(io.StringIO())
    clubs = Reply("Which club?", buttons=((Button("Camden", "club:camden"),),))
    terminal.show([clubs, Reply("Or send it", location_button="📍 Send my location")])
    assert terminal.event_for("52.51, 13.39") == LocationShared(52.51, 13.39)
    assert terminal.event_for("1") == ButtonPress("club:camden")
    assert terminal.event_for("Berlin") == TextInput("Berlin")
    terminal.show([Reply("How many sessions a week?")])
    assert terminal.event_for("52.51,13.39") == TextInput("52.51,13.39")


def _demo(*args: str, stdin: list[str]) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "PERFECTGYM_", "DATABASE_", "STUDIO_", "STUDIOS_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--chain", *args],
        env=clean,
        input="\n".join(stdin) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _created(out: str) -> tuple[str, dict[str, Any]]:
    """The club line of the created lead, and the lead."""
    start = out.index("The lead the bot created")
    lead: dict[str, Any] = json.loads(out[out.index("{", start) :])
    return out[start : out.index("\n", start)], lead


# The Berlin club's questions (the sample config's every field), as a prospect in London's format.
BERLIN_ANSWERS = [
    "Anna Muster",
    "anna@example.com",
    "1",  # phone: share contact
    "1",  # gender: first button
    "31/12/1990",
    "Germany",
    "Hauptstraße 5",
    "10115 Berlin",
    "2",  # how did you hear: Friends
    "4",  # goals: Done, none picked
    "Skip",
    "Skip",
    "Skip",
    "2",  # student: no
    "2",  # newsletter: no
    "1",  # summary: confirm
]


@pytest.mark.e2e
async def test_the_chain_demo_finds_the_berlin_club_by_a_typed_location() -> None:
    out = await asyncio.to_thread(_demo, stdin=["52.51,13.39", "1", *BERLIN_ANSWERS])
    assert "Welcome to Studio Sol! Which club" in out
    nearest = out[out.index("The clubs nearest to you") :]
    assert nearest.index("[1] Studio Sol Mitte · 1.8 km") < nearest.index("Studio Sol Camden ·")
    assert "This is Studio Sol Mitte" in out
    assert "• Club: Studio Sol Mitte" in out
    club, lead = _created(out)
    assert club.startswith(
        'The lead the bot created at Studio Sol Mitte (Berlin) (the stand-in club "mitte"'
    )
    assert lead["leadCustomer"]["email"] == "anna@example.com"
    assert lead["address"]["city"] == "Berlin"
    assert out.count("The lead the bot created") == 1


@pytest.mark.e2e
async def test_the_chain_demo_takes_a_club_by_button_and_changes_it_with_club() -> None:
    answers = ["1", "Pat Jones", "pat@example.com", "/club", "2", "1", "1"]
    out = await asyncio.to_thread(_demo, stdin=answers)
    assert "This is Studio Sol Camden" in out
    assert "What is your phone number? (optional)" in out  # Camden's config
    after = out[out.index("you> /club") :]
    assert "Which club would you like to join?" in after
    assert "Great, Studio Sol Manchester it is." in after
    assert "What is your phone number?\n" in after  # Manchester's: required
    assert "• Club: Studio Sol Manchester" in after
    club, lead = _created(out)
    assert club.startswith(
        'The lead the bot created at Studio Sol Manchester (the stand-in club "manchester"'
    )
    assert lead["leadCustomer"]["firstname"] == "Pat"
    assert lead["leadCustomer"]["telephone"] == "+4915123456789"
    assert out.count("The lead the bot created") == 1
