"""Nothing lost across a dyno's life: SIGTERM, SIGKILL, mid-conversation and mid-outbox.

The bot runs as a separate process against the loopback fakes in the test process.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import BotProcess, Prospect, bot_environment, load_config

FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.2",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",  # a call ends within 1.5 s, well inside the lease
    "OUTBOX_LEASE_SECONDS": "5",  # a killed instance's lead is taken over after 5 s
}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
async def test_a_restart_continues_at_the_same_question_with_all_answers(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url_all_backends: str,
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    bot = BotProcess(
        bot_environment(tg, pg, database_url_all_backends, **FAST), tg, tmp_path / "bot.log"
    )
    await bot.start()
    ida = Prospect(tg, chat_id=13001, language_code="de")
    await ida.introduce("Ida", "Ernst", welcome=["16"], count=16)
    code = await bot.stop(sig)
    assert code == (0 if sig is signal.SIGTERM else -signal.SIGKILL)
    await bot.start()
    await ida.send("ida@example.de")
    phone = await ida.expect_eventually("4/16")  # after SIGKILL, 3/16 may be asked once more
    assert phone.requests_contact
    await bot.stop(signal.SIGTERM)
    assert pg.calls["config"] == 2  # once per start; the conversation goes on with its own plan


async def test_killed_right_after_an_answer_it_is_applied_exactly_once(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, tmp_path: Path
) -> None:
    pg.set_config(load_config("all-inactive"))
    bot = BotProcess(
        bot_environment(tg, pg, database_url_all_backends, **FAST), tg, tmp_path / "bot.log"
    )
    await bot.start()
    joy = Prospect(tg, chat_id=13002)
    await joy.introduce()
    await joy.send("Joy")
    await bot.stop(signal.SIGKILL)  # maybe before, maybe after the answer was stored
    await bot.start()
    await joy.expect_eventually("last name")
    await joy.answer("Jones", "e-mail")
    summary = await joy.answer("joy@example.com", "Please check your details")
    assert "First name: Joy\n" in (summary.text or "")
    assert "Last name: Jones\n" in (summary.text or "")
    await bot.stop(signal.SIGTERM)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
async def test_a_confirmed_lead_survives_a_restart_during_an_outage(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url_all_backends: str,
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    pg.set_config(load_config("all-inactive"))
    bot = BotProcess(
        bot_environment(tg, pg, database_url_all_backends, **FAST), tg, tmp_path / "bot.log"
    )
    await bot.start()
    kai = Prospect(tg, chat_id=13003)
    summary = await kai.introduce("Kai", "Berg", "kai@example.com")
    await pg.go_down()
    await kai.press(summary, "Yes, send it")
    await kai.expect("We have received your details")
    await bot.stop(sig)
    await pg.come_up()
    await bot.start()
    await kai.expect("Thank you, Kai")
    await bot.stop(signal.SIGTERM)
    assert len(pg.created) == 1


async def test_killed_while_create_is_in_flight_the_lead_is_created_once(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, tmp_path: Path
) -> None:
    pg.set_config(load_config("all-inactive"))
    bot = BotProcess(
        bot_environment(tg, pg, database_url_all_backends, **FAST), tg, tmp_path / "bot.log"
    )
    await bot.start()
    lea = Prospect(tg, chat_id=13004)
    summary = await lea.introduce("Lea", "Roth", "lea@example.com")
    pg.hang_next("create", 0.3)  # PerfectGym is slow, then creates the lead anyway
    await lea.press(summary, "Yes, send it")
    while not any(endpoint == "create" for endpoint, _ in pg.requests):
        await tg.wait_idle(13004, quiet=0.01)
    await bot.stop(signal.SIGKILL)
    await bot.start()
    await lea.expect_eventually("Thank you, Lea")
    await bot.stop(signal.SIGTERM)
    assert len(pg.created) == 1
