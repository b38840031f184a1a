"""``python -m bot``: one clear line for bad configuration; the demo runs the whole conversation."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.storage import open_storage

pytestmark = pytest.mark.e2e  # every test runs ``python -m bot`` as a process

ROOT = Path(__file__).resolve().parent.parent
VALID = {
    "TELEGRAM_BOT_TOKEN": "123456:abcdef",
    "PERFECTGYM_API_URL": "http://127.0.0.1:9",
    "PERFECTGYM_API_KEY": "key-123456",
}


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "PERFECTGYM_", "WEBHOOK_", "DATABASE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({k: v for k, v in VALID.items() if k != "PERFECTGYM_API_KEY"}, "PERFECTGYM_API_KEY"),
        ({**VALID, "PORT": "eighty"}, "PORT"),
        ({**VALID, "TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
        ({**VALID, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**VALID, "WEBHOOK_URL": "https://bot.example/hook"}, "WEBHOOK_SECRET"),
        ({**VALID, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({**VALID, "STUDIO_COUNTRY": "England"}, "STUDIO_COUNTRY"),
        ({**VALID, "STUDIO_TIMEZONE": "Europe/Londn"}, "STUDIO_TIMEZONE"),
        ({**VALID, "PRIVACY_URL": "studio.example/privacy"}, "PRIVACY_URL"),
        ({**VALID, "ADDRESS_FORM": "polite"}, "ADDRESS_FORM"),
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    result = _run([], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr
    assert "abcdef" not in result.stderr
    assert "key-123456" not in result.stderr


# Some months ahead, so the demo reads the same whatever day the test runs on.
TRIAL_DAY = datetime.date.today() + datetime.timedelta(days=120)

DEMO_ANSWERS = [
    "Anna Muster",  # typed over the profile's "Alex Muster"
    "anna@example.com",
    "1",  # phone: share contact
    "1",  # gender: first button
    "12/31/1990",
    "Germany",
    "Hauptstraße 5",
    "10115 Berlin",
    "2",  # how did you hear: Friends
    "1",
    "3",
    "4",  # goals: two picks, Done
    f"{TRIAL_DAY:%m/%d/%Y}",  # a preferred trial date must lie ahead
    "3",
    "none",
    "1",  # trial date, sessions, injuries, student yes
    "1",  # newsletter yes
    "1",  # summary: confirm
]


def test_demo_runs_the_whole_conversation_and_prints_the_lead() -> None:
    result = _run(["demo"], {}, stdin="\n".join(DEMO_ANSWERS) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Please check your details" in out
    lead = json.loads(out[out.index("{", out.index("The lead the bot created")) :])
    assert lead["leadCustomer"]["firstname"] == "Anna"
    assert lead["leadCustomer"]["lastname"] == "Muster"
    assert lead["address"] == {
        "street": "Hauptstraße",
        "houseNumber": "5",
        "zipCode": "10115",
        "city": "Berlin",
        "countryCode": "DE",
    }
    assert lead["leadCustomer"]["dateOfBirth"] == "1990-12-31"
    assert lead["address"]["countryCode"] == "DE"
    assert lead["externalIdentifier"] == "demo-campaign"
    assert {"additionalFieldId": 7002, "values": ["Lose weight", "Stay healthy"]} in lead[
        "additionalInformation"
    ]


def test_the_demo_books_a_trial_session_after_the_lead() -> None:
    booking = ["1", "1", "1", "1"]  # book one, Yoga Flow, its first day, its first time
    result = _run(["demo"], {}, stdin="\n".join([*DEMO_ANSWERS, *booking]) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Would you like to book a free trial session" in out
    assert "Booked: Yoga Flow" in out


def test_help_prints_usage_commands_and_variables_without_any_configuration() -> None:
    for flag in ("--help", "-h"):
        result = _run([flag], {})
        assert result.returncode == 0, result.stderr
        assert "usage: python -m bot" in result.stdout
        assert "demo" in result.stdout
        assert "  check " in result.stdout
        for variable in ("TELEGRAM_BOT_TOKEN", "PERFECTGYM_API_KEY", "DATABASE_URL", "MIN_AGE"):
            assert variable in result.stdout


def test_an_unknown_command_says_so_with_the_usage() -> None:
    result = _run(["serve-please"], {})
    assert result.returncode == 2
    assert "unknown command 'serve-please'" in result.stderr
    assert "usage: python -m bot" in result.stderr


def test_demo_help_lists_the_languages_and_refuses_an_unknown_one() -> None:
    helped = _run(["demo", "--help"], {})
    assert helped.returncode == 0
    assert "de, en, es, fr, it, nl, pl" in " ".join(helped.stdout.split())
    refused = _run(["demo", "--language", "sv"], {})
    assert refused.returncode == 2
    assert "unknown language 'sv'" in refused.stderr
    assert "available: de, en, es" in refused.stderr


def test_the_demo_previews_the_studios_own_bot(tmp_path: Path) -> None:
    texts = tmp_path / "texts.json"
    texts.write_text(
        json.dumps({"additional_fields": {"7001": {"label": {"de": "Woher kennen Sie uns?"}}}}),
        encoding="utf-8",
    )
    env = {
        "STUDIO_NAME": "FitBox Wien",
        "STUDIO_COUNTRY": "AT",
        "PRIVACY_URL": "https://fitbox.example/datenschutz",
        "ADDRESS_FORM": "formal",
        "STUDIO_TEXTS_FILE": str(texts),
    }
    answers = ["1", "eva@example.at", "0664 1234567", "1", "17.05.1990", "1", "Ring 1", "1010 Wien"]
    result = _run(["demo", "--language", "de"], env, stdin="\n".join(answers) + "\n")
    out = result.stdout
    assert "Hier ist FitBox Wien" in out
    assert "https://fitbox.example/datenschutz" in out
    assert "Wie lautet Ihre E-Mail-Adresse?" in out  # formal German
    assert "+43" in out  # the studio's country decides the phone example
    assert "Woher kennen Sie uns?" in out  # the studio's own question, in German


def test_the_demo_shows_where_the_privacy_link_would_go() -> None:
    result = _run(["demo"], {}, stdin="")
    assert "set PRIVACY_URL" in result.stdout
    assert "This is Demo Studio" in result.stdout


def test_the_demo_refuses_a_broken_studio_texts_file(tmp_path: Path) -> None:
    texts = tmp_path / "texts.json"
    texts.write_text('{"welcome": {"de": "Hallo {name}"}}', encoding="utf-8")
    result = _run(["demo"], {"STUDIO_TEXTS_FILE": str(texts)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: STUDIO_TEXTS_FILE: welcome.de: unknown placeholder {name} "
        "(allowed: {studio})"
    ]


async def test_a_second_process_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    held = await open_storage(url)  # the first "instance": this test process
    try:
        result = await asyncio.to_thread(_run, [], {**VALID, "DATABASE_URL": url})
    finally:
        await held.close()
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "is in use by another bot process: SQLite is for one process" in last
    assert "Traceback" not in result.stderr
