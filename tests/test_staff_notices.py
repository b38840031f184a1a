"""What the staff chat is told of a lead: the staff chat keeps every message for every present
and future member, out of reach of /forget and retention, so a created lead is named by its
PerfectGym customer number alone unless the studio asks for the full text; a lead staff must
enter by hand carries the details they need for it."""

from __future__ import annotations

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

STAFF = -100555
FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",
    "STAFF_CHAT_ID": str(STAFF),
}


async def _staff_notice(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, **extra: str
) -> str:
    """Lou confirms a lead from the ``summer_26`` campaign; what the staff chat reads."""
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url, **FAST, **extra)):
        lou = Prospect(tg, chat_id=23401)
        summary = await lou.introduce(
            "Lou", "Tester", "lou.tester@example.com", start="/start summer_26"
        )
        await lou.press(summary, "Yes, send it")
        await lou.expect_eventually("Thank you, Lou")
        staff = await tg.next_message(STAFF)
    return staff.text or ""


async def test_a_created_lead_is_named_by_its_customer_number_alone(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    text = await _staff_notice(tg, pg, database_url)
    assert text == "New lead from Telegram: PerfectGym customer number 1-1. [summer_26]"
    assert len(pg.created) == 1


async def test_staff_read_the_default_locale(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    text = await _staff_notice(tg, pg, database_url, DEFAULT_LOCALE="de")
    assert text == "Neuer Lead aus Telegram: PerfectGym-Kundennummer 1-1. [summer_26]"


async def test_staff_notice_details_full_keeps_the_name_and_contact(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    text = await _staff_notice(tg, pg, database_url, STAFF_NOTICE_DETAILS="Full")
    assert text == (
        "New lead from Telegram: Lou Tester <lou.tester@example.com> (customer number 1-1). "
        "[summer_26]"
    )


async def test_a_created_lead_whose_number_was_lost_says_so_without_details(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.create_then_fail(times=1, hang_up=True)
    text = await _staff_notice(tg, pg, database_url)
    assert text == (
        "New lead from Telegram: created in PerfectGym, but its customer number is not known "
        "(PerfectGym's answer was lost); it is among the newest leads there. [summer_26]"
    )
    assert len(pg.created) == 1


@pytest.mark.parametrize("details", ["minimal", "full"])
async def test_a_lead_that_failed_carries_the_details_for_manual_entry(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, details: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("create", 400)
    env = bot_environment(tg, pg, database_url, **FAST, STAFF_NOTICE_DETAILS=details)
    async with running_bot(env):
        al = Prospect(tg, chat_id=23402)
        await al.confirm_lead("Al", "Tester", "al.tester@example.com")
        await al.expect("the studio will follow up")
        staff = await tg.next_message(STAFF)
    assert pg.created == []
    assert staff.text == (
        "A lead from Telegram could not be delivered to PerfectGym and needs manual entry: "
        "Al Tester <al.tester@example.com>. "
        "Reason: POST /v1/leads/create, HTTP 400, errorCode=FAKE_400"
    )
