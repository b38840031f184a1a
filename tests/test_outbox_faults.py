"""A create that PerfectGym carried out is never sent again, whatever fails around it: the
database dropping out before the result is stored, an answer trickling in past the lease, a
second instance looking for due leads (issue 22)."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import cast

import pytest

from bot.intake.outbox import Outbox, RetryPolicy
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.models import LeadCreationRequest, LeadCustomer
from bot.settings import SettingsError, load_settings
from bot.storage import LeadStatus, Storage, open_storage
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, Clock, Prospect, bot_environment, load_config, running_bot
from tests.postgres_server import PostgresServer

FAST_RETRIES = {"OUTBOX_RETRY_BASE_SECONDS": "0.1"}


async def _until(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.messages_to(chat_id) if m.method == "sendMessage"]


async def test_the_database_gone_while_a_create_is_in_flight_the_lead_is_created_once(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(load_config("all-inactive"))
    pg.match_duplicates(False)  # a create sent again would make a second lead
    clock = Clock()
    env = bot_environment(tg, pg, postgres_server.url, **FAST_RETRIES)
    async with running_bot(env, clock=clock):
        ada = Prospect(tg, chat_id=22001)
        summary = await ada.introduce("Ada", "Lovelace", "ada@example.com")
        create = pg.hold_next("create")
        await ada.press(summary, "Yes, send it")
        await create.arrived.wait()
        await postgres_server.stop()  # the create is in flight: its result cannot be stored
        create.released.set()
        await _until(lambda: ("create", 200) in [(e, status) for e, status, _ in pg.responses])
        clock.forward(120)  # the lease (60 s) runs out while the database is away
        failed = caplog.text.count("outbox pass failed")
        await _until(lambda: caplog.text.count("outbox pass failed") >= failed + 3)
        await postgres_server.start()
        await ada.expect_eventually("Thank you, Ada", "will contact you soon")
    assert pg.calls["create"] == 1
    gc.collect()  # a task whose exception nobody took says so when it is collected
    assert "never retrieved" not in caplog.text
    assert "lead 1: created in PerfectGym, but storing that failed" in caplog.text  # kept
    [lead] = pg.created
    customer = lead["leadCustomer"]
    assert (customer["firstname"], customer["lastname"], customer["email"]) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert customer["thirdPartyId"] == "22001"
    assert sum("will contact you soon" in text for text in _texts(tg, 22001)) == 1
    assert not any("We have received your details" in text for text in _texts(tg, 22001))
    storage = await open_storage(postgres_server.url)
    try:
        stored = await storage.latest_lead(22001)
    finally:
        await storage.close()
    assert stored is not None
    assert (stored.status, stored.lead_ref) == (LeadStatus.CREATED, "1-1")


async def test_a_trickling_create_answer_ends_at_the_deadline_and_is_never_attempted_twice(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.intake.outbox")
    pg.set_config(load_config("all-inactive"))
    # Each byte well inside the 1 s read timeout; the whole answer would take 20 s.
    trickle = pg.trickle_next("create", 0.2)
    clock = Clock()
    env = bot_environment(
        tg,
        pg,
        database_url,
        **FAST_RETRIES,
        PERFECTGYM_TIMEOUT_SECONDS="1",  # a call ends within 1.5 s
        OUTBOX_LEASE_SECONDS="5",
    )
    async with running_bot(env, clock=clock):
        tia = Prospect(tg, chat_id=22002)
        summary = await tia.introduce("Tia", "Park", "tia@example.com")
        await tia.press(summary, "Yes, send it")
        await trickle.started.wait()
        clock.forward(10)  # the lease runs out while the answer trickles in
        await tia.expect_eventually("We have received your details")
        await tia.expect("Thank you, Tia", "will contact you soon")
    assert not trickle.completed
    outbox = [
        record.getMessage() for record in caplog.records if record.name == "bot.intake.outbox"
    ]
    [cut] = [n for n, line in enumerate(outbox) if "no complete answer within 1.5 s" in line]
    [landed] = [n for n, line in enumerate(outbox) if "earlier create landed" in line]
    assert cut < landed  # the second attempt began only after the first had ended
    assert (pg.calls["create"], pg.calls["validate"]) == (1, 2)
    [lead] = pg.created
    assert lead["leadCustomer"]["email"] == "tia@example.com"
    assert sum("will contact you soon" in text for text in _texts(tg, 22002)) == 1


async def test_a_result_waiting_for_the_database_keeps_its_lease_from_another_instance(
    pg: FakePerfectGym, database_url_all_backends: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lead is created but its result cannot be stored yet: the attempt keeps renewing its
    lease, so another instance (whose clock says the first lease ran out) leaves it alone."""
    pg.set_config(load_config("all-inactive"))
    pg.match_duplicates(False)  # a create sent again would make a second lead
    clock = Clock()
    storage = await open_storage(database_url_all_backends)
    renewed, refused, store = asyncio.Event(), asyncio.Event(), asyncio.Event()
    renew, finish = storage.renew_lease, storage.finish_lead

    async def renew_and_tell(entry_id: int, owner: str, until: float) -> bool:
        held = await renew(entry_id, owner, until)
        renewed.set()
        return held

    async def finish_once_allowed(
        entry_id: int,
        status: LeadStatus,
        ref: str | None,
        why: str | None,
        *,
        at: float | None = None,
    ) -> bool:
        if not store.is_set():
            refused.set()
            raise OSError("the database is away")
        return await finish(entry_id, status, ref, why, at=at)

    monkeypatch.setattr(storage, "renew_lease", renew_and_tell)
    monkeypatch.setattr(storage, "finish_lead", finish_once_allowed)
    client = PerfectGymClient(pg.url, API_KEY, timeout=1.0)  # deadline 1.5 s
    policy = RetryPolicy(base_delay=0.1, lease=4.5)  # renewed every 1.5 s
    this = Outbox(storage, client, policy=policy, clock=clock)
    other = Outbox(storage, client, policy=policy, clock=clock)  # another owner, same rows
    lead = LeadCreationRequest(
        lead_customer=LeadCustomer(firstname="Uma", lastname="Roy", email="uma@example.com")
    )
    try:
        entry = await storage.submit(
            22003, "{}", None, lead.model_dump_json(by_alias=True), "en", clock()
        )
        assert entry is not None
        attempt = asyncio.create_task(this.deliver(entry))
        await refused.wait()  # created in PerfectGym, not stored
        clock.forward(60)  # far past the lease as first taken
        renewed.clear()
        await asyncio.wait_for(renewed.wait(), 10)
        assert await other.run_due() == 0  # the renewed lease holds the other instance off
        assert (await other.deliver(entry)).lead is None  # not attempted
        store.set()
        report = await attempt
        stored = await storage.get_lead(entry.id)
    finally:
        await client.aclose()
        await storage.close()
    assert report.result.value == "created"
    assert stored is not None
    assert stored.status is LeadStatus.CREATED
    assert (pg.calls["validate"], pg.calls["create"]) == (1, 1)
    assert [lead["leadCustomer"]["email"] for lead in pg.created] == ["uma@example.com"]


def test_a_lease_too_short_for_validate_create_and_storing_is_refused_at_start() -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN-abcdefghijklmnop",
        "PERFECTGYM_API_URL": "https://tenant.open-api.perfectgym.com",
        "PERFECTGYM_API_KEY": API_KEY,
        "PERFECTGYM_TIMEOUT_SECONDS": "10",
    }
    assert load_settings({**env, "OUTBOX_LEASE_SECONDS": "45"}).perfectgym_deadline_seconds == 15
    with pytest.raises(SettingsError) as refused:
        load_settings({**env, "OUTBOX_LEASE_SECONDS": "44"})
    assert str(refused.value).startswith("OUTBOX_LEASE_SECONDS must be at least 45 ")
    with pytest.raises(ValueError, match="shorter than validate, create and storing"):
        Outbox(
            cast(Storage, object()),
            PerfectGymClient("http://127.0.0.1:9", API_KEY, timeout=10),
            policy=RetryPolicy(lease=44),
        )
