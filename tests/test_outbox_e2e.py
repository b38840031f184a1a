"""Confirmed leads survive API outages: stored first, retried, created exactly once."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import LeadStatus, open_storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

STAFF = -100777
FAST_RETRIES = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "OUTBOX_RATE_LIMIT_SECONDS": "0.3",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",
    "STAFF_CHAT_ID": str(STAFF),
}


async def test_api_down_at_confirm_the_lead_is_delivered_when_it_returns(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url_all_backends, **FAST_RETRIES)):
        lou = Prospect(tg, chat_id=11001)
        await lou.introduce()
        await pg.go_down()  # from the middle of the conversation on
        await lou.answer("Lou", "last name")
        await lou.answer("Tester", "e-mail")
        summary = await lou.answer("lou@example.com", "Please check your details")
        await lou.press(summary, "Yes, send it")
        await lou.expect("We have received your details")
        await pg.come_up()
        # The retries back off while it is down (a slow machine keeps it down longer).
        for _ in range(600):
            if pg.created:
                break
            await asyncio.sleep(0.1)
        await lou.expect("Thank you, Lou", "will contact you soon")
        staff = await tg.next_message(STAFF)
        assert "New lead from Telegram" in (staff.text or "")
    assert len(pg.created) == 1


async def test_5xx_and_429_are_retried_until_created(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("validate", 429, times=1)
    pg.fail_next("create", 503, times=2)
    async with running_bot(bot_environment(tg, pg, database_url_all_backends, **FAST_RETRIES)):
        mo = Prospect(tg, chat_id=11002)
        await mo.confirm_lead("Mo", "Tester", "mo@example.com")
        await mo.expect("We have received your details")
        await mo.expect("Thank you, Mo")
    assert len(pg.created) == 1
    assert pg.calls["create"] == 3


async def test_409_concurrent_modification_is_retried_validate_first(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("create", 409)  # the vendor's "Concurrent modification detected": try again
    async with running_bot(bot_environment(tg, pg, database_url, **FAST_RETRIES)):
        lu = Prospect(tg, chat_id=11009)
        await lu.confirm_lead("Lu", "Tester", "lu@example.com")
        await lu.expect("We have received your details")
        await lu.expect("Thank you, Lu")
    assert len(pg.created) == 1
    assert pg.calls["create"] == 2
    assert pg.calls["validate"] == 2  # the retry checked first whether the 409 had landed


async def test_a_create_whose_answer_was_lost_is_not_created_twice(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.create_then_fail(times=1, hang_up=True)
    async with running_bot(bot_environment(tg, pg, database_url_all_backends, **FAST_RETRIES)):
        jo = Prospect(tg, chat_id=11003)
        await jo.confirm_lead("Jo", "Tester", "jo@example.com")
        await jo.expect("We have received your details")
        await jo.expect("Thank you, Jo")
    assert len(pg.created) == 1
    assert pg.calls["create"] == 1
    assert pg.calls["validate"] == 2


@pytest.mark.parametrize(("endpoint", "status"), [("validate", 404), ("create", 400)])
async def test_a_refused_campaign_code_does_not_cost_the_lead(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, endpoint: str, status: int
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next(endpoint, status)
    async with running_bot(bot_environment(tg, pg, database_url, **FAST_RETRIES)):
        kai = Prospect(tg, chat_id=11010)
        summary = await kai.introduce("Kai", "Tester", "kai@example.com", start="/start summer_26")
        await kai.press(summary, "Yes, send it")
        await kai.expect("Thank you, Kai")
        staff = await tg.next_message(STAFF)
    [lead] = pg.created
    assert "externalIdentifier" not in lead
    assert "refused the campaign code summer_26" in (staff.text or "")
    assert pg.calls[endpoint] == 2  # refused with the code, accepted without it


async def test_a_rejected_lead_is_not_retried_and_staff_are_told(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("create", 400)
    async with running_bot(bot_environment(tg, pg, database_url_all_backends, **FAST_RETRIES)):
        al = Prospect(tg, chat_id=11004)
        await al.confirm_lead("Al", "Tester", "al@example.com")
        await al.expect("the studio will follow up")
        staff = await tg.next_message(STAFF)
        assert "needs manual entry" in (staff.text or "")
        assert "al@example.com" in (staff.text or "")
    assert pg.created == []
    assert pg.calls["create"] == 1


async def test_a_lead_is_given_up_after_the_configured_age(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("validate", 503, times=1000)  # validate is first called at the confirmation
    env = bot_environment(
        tg, pg, database_url_all_backends, **FAST_RETRIES, OUTBOX_GIVE_UP_HOURS="0.0003"
    )
    async with running_bot(env):
        bo = Prospect(tg, chat_id=11005)
        await bo.confirm_lead("Bo", "Tester", "bo@example.com")
        await bo.expect("We have received your details")
        staff = await tg.next_message(STAFF)
        assert "could not be delivered" in (staff.text or "")
    assert pg.created == []


async def test_after_a_lead_personal_data_is_erased_and_start_says_so(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url_all_backends)):
        cy = Prospect(tg, chat_id=11006)
        await cy.confirm_lead("Cy", "Tester", "cy@example.com")
        await cy.expect("Thank you, Cy")
        await cy.answer("/start", "already sent us your details")
        await cy.answer("hello", "already sent us your details")
    storage = await open_storage(database_url_all_backends)
    try:
        assert await storage.load_conversation(11006) is None
        lead = await storage.latest_lead(11006)
        assert lead is not None
        assert lead.status is LeadStatus.CREATED
        assert lead.payload is None
        assert lead.lead_ref == "1-1"  # the customer number PerfectGym answered
    finally:
        await storage.close()
    assert len(pg.created) == 1


async def test_forget_deletes_everything_about_the_chat(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url_all_backends)):
        di = Prospect(tg, chat_id=11007)
        await di.confirm_lead("Di", "Tester", "di@example.com")
        await di.expect("Thank you, Di")
        await di.answer("/forget", "has been deleted")
        other = Prospect(tg, chat_id=11008)
        await other.introduce("Ed")
        await other.answer("/forget", "has been deleted")
    storage = await open_storage(database_url_all_backends)
    try:
        assert await storage.latest_lead(11007) is None
        assert await storage.load_conversation(11008) is None
    finally:
        await storage.close()
