"""Different prospects run side by side; one prospect's messages are handled in order."""

from __future__ import annotations

import asyncio

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot


async def test_a_slow_perfectgym_call_does_not_hold_up_other_prospects(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        slow, quick = Prospect(tg, chat_id=8001), Prospect(tg, chat_id=8002)
        summary = await slow.introduce("Slow", "Tester", "slow@example.com")
        await quick.introduce("Quick", "Tester")  # up to the e-mail question
        pg.hold()
        await slow.press(summary, "Yes, send it")
        await pg.holding("validate")  # the slow prospect's validate call is now in flight
        reply = await quick.answer("quick@example.com", "Please check your details")
        pg.release()
        thanks = await slow.expect("Thank you, Slow")
    assert reply.sent_at < thanks.sent_at


async def test_one_prospects_rapid_messages_are_answered_in_order(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        ann = Prospect(tg, chat_id=8003)
        await ann.introduce()
        for text in ("Ann", "Lee", "ann@example.com"):
            await ann.send(text)
        await ann.expect("last name")
        await ann.expect("e-mail")
        await ann.expect("First name: Ann", "Last name: Lee", "E-mail: ann@example.com")


async def test_many_prospects_at_once_all_get_their_lead(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.latency = 0.05
    async with running_bot(bot_environment(tg, pg, database_url)):

        async def one(chat_id: int) -> None:
            p = Prospect(tg, chat_id=chat_id)
            summary = await p.introduce(f"P{chat_id}", "Tester", f"p{chat_id}@example.com")
            await p.choose(summary, "Yes, send it", f"Thank you, P{chat_id}")

        await asyncio.gather(*(one(9000 + i) for i in range(30)))
    assert len(pg.created) == 30
    assert pg.calls["config"] == 1
    assert {lead["leadCustomer"]["thirdPartyId"] for lead in pg.created} == {
        str(9000 + i) for i in range(30)
    }
