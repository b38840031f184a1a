"""PerfectGym's webhook events end to end (issue 26): real HTTP to the bot's web port, the real
Application against the fake Telegram and PerfectGym, the bot's own database read afterwards.

The answer's speed is not timed: what makes it fast is that it never waits for PerfectGym, and
that is what is asserted, from the fake's request log (or a request it holds)."""

from __future__ import annotations

import asyncio
import datetime
import html
import json
import logging
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest

from bot.events.receiver import STORE_DEADLINE, EventReceiver
from bot.storage import open_storage
from bot.storage.schema import PERFECTGYM_EVENTS
from bot.storage.sql import SqlStorage
from tests.databases import fresh_database_url
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import (
    BotProcess,
    Clock,
    Prospect,
    bot_environment,
    free_port,
    load_config,
    run_command,
    running_bot,
)
from tests.postgres_server import PostgresServer
from tests.test_event_storage import silenced
from tests.test_forget import _only_the_record_is_left
from tests.test_trial_booking import _env as trial_env
from tests.test_trial_booking import _lead, _offer, _pick, _yoga

HOOK_KEY = "pg-hook-key-0123456789abcdef"
STAFF = -1001234500088
PATH = "/perfectgym/webhook"
COLUMNS = [column.name for column in PERFECTGYM_EVENTS.columns]
# PerfectGym's first lead in a tenant is customer 5001 (the fake's numbering), its second 5002.
FIRST, SECOND = 5001, 5002


class RecordedBookingEvents:
    """The trial reminders' side, as a test double: every call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, int]] = []

    async def cancelled(self, studio: str | None, booking_id: int) -> None:
        self.calls.append(("cancelled", studio, booking_id))

    async def moved(self, studio: str | None, booking_id: int) -> None:
        self.calls.append(("moved", studio, booking_id))

    async def attended(self, studio: str | None, customer_id: int) -> None:
        self.calls.append(("attended", studio, customer_id))

    async def silenced(self, studio: str | None, customer_id: int) -> None:
        self.calls.append(("silenced", studio, customer_id))


def event(
    entity_id: int, kind: str, *, event_uuid: str | None = None, content: Any = None, **more: Any
) -> dict[str, Any]:
    """A body as PerfectGym sends it (``more``: properties it may add one day)."""
    element: dict[str, Any] = {"timestamp": int(time.time() * 1000), "type": kind}
    if content is not None:
        element["content"] = content
    return {
        "entityId": entity_id,
        "uuid": event_uuid or str(uuid.uuid4()),
        "payload": [element],
        **more,
    }


async def post(port: int, body: object, key: str | None = HOOK_KEY) -> int:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-api-key"] = key
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}{PATH}", content=content, headers=headers, timeout=10
        )
    return answer.status_code


async def stored_events(url: str) -> list[dict[str, Any]]:
    """The events table as it is now. PostgreSQL is read over a connection of its own: opening
    the storage would run its schema statements under the running bots' feet."""
    query = "SELECT * FROM perfectgym_events ORDER BY received_at, part"
    if url.startswith("postgres"):
        connection = await asyncpg.connect(url)
        try:
            return [{key: row[key] for key in COLUMNS} for row in await connection.fetch(query)]
        finally:
            await connection.close()
    storage = await open_storage(url)  # SQLite: the running bot's own connection
    try:
        rows = await cast(SqlStorage, storage)._db.fetch(query)
        return [{key: row[key] for key in COLUMNS} for row in rows]
    finally:
        await storage.close()


async def contract_counts(url: str) -> Counter[tuple[str | None, str | None, str]]:
    """(studio, campaign, stage) -> count, for the stages after the lead."""
    storage = await open_storage(url)
    try:
        today = datetime.date.today()
        counts = await storage.funnel_counts(
            today - datetime.timedelta(days=2), today + datetime.timedelta(days=2)
        )
    finally:
        await storage.close()
    return Counter(
        {
            (c.studio, c.campaign, c.stage): c.count
            for c in counts
            if c.stage in ("attended", "member")
        }
    )


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def all_done(url: str, count: int) -> None:
    async def done() -> bool:
        rows = await stored_events(url)
        return len(rows) == count and all(row["status"] == "done" for row in rows)

    await until(done)


async def created_lead(
    tg: FakeTelegram, chat_id: int, start: str = "/start", first: str = "Pat"
) -> Prospect:
    prospect = Prospect(tg, chat_id=chat_id, first_name=first)
    summary = await prospect.introduce(first, "Jones", f"{chat_id}@example.com", start=start)
    await prospect.press(summary, "Yes, send it")
    await prospect.expect_eventually(f"Thank you, {first}")
    return prospect


def contract_rows(text: str) -> dict[str, list[str]]:
    """The funnel to the contract's table read back: label -> its cells (count, then count and
    share for each later step), from the line after its rule to the next empty line."""
    lines = text.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("To the contract"))
    rows: dict[str, list[str]] = {}
    for line in lines[title + 3 :]:
        if not line:
            break
        cells = re.split(" +", line)
        label_end = next(i for i, cell in enumerate(cells) if cell[:1].isdigit())
        rows[" ".join(cells[:label_end])] = cells[label_end:]
    return rows


def single_env(
    tg: FakeTelegram, pg: FakePerfectGym, url: str, port: int, **extra: str
) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    return bot_environment(
        tg,
        pg,
        url,
        PERFECTGYM_WEBHOOK_KEY=HOOK_KEY,
        PORT=str(port),
        WEBHOOK_LISTEN_HOST="127.0.0.1",
        OUTBOX_RETRY_BASE_SECONDS="0.2",
        **extra,
    )


async def test_only_the_studios_key_is_heard_and_only_its_customers_events_are_kept(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    events = RecordedBookingEvents()
    tg.add_group(STAFF, "Studio staff")
    env = single_env(tg, pg, database_url, port, STAFF_CHAT_ID=str(STAFF))
    async with running_bot(env, clock=Clock(), booking_events=events):
        await created_lead(tg, 27001, start="/start spring")
        checkin = event(FIRST, "CUSTOMER_CHECKIN")
        asked = len(pg.arrivals)

        # Whoever does not hold the studio's webhook key changes nothing.
        assert await post(port, checkin, key=None) == 401
        assert await post(port, checkin, key="") == 401
        assert await post(port, checkin, key="pg-hook-key-wrong") == 401
        assert await post(port, checkin, key=HOOK_KEY + "0") == 401
        assert await post(port, checkin, key=HOOK_KEY.upper()) == 401
        assert await stored_events(database_url) == []

        # Not PerfectGym's body: 400, nothing kept.
        malformed: list[object] = [
            b"",
            b"not json",
            b"\xff\xfe",
            [],
            {"uuid": "a", "payload": []},  # no entityId
            {"entityId": "5001", "uuid": "a", "payload": []},
            {"entityId": True, "uuid": "a", "payload": []},
            {"entityId": 5001, "payload": []},  # no uuid
            {"entityId": 5001, "uuid": 7, "payload": []},
            {"entityId": 5001, "uuid": "a", "payload": {}},
            {"entityId": 5001, "uuid": "a", "payload": [{"timestamp": 1}]},  # no type
            {"entityId": 5001, "uuid": "a", "payload": [{"type": "CUSTOMER_CHECKIN"}]},
            {"entityId": 5001, "uuid": "a", "payload": ["CUSTOMER_CHECKIN"]},
            event(FIRST, "CUSTOMER_CHECKIN", content=["not", "an", "object"]),
            {**checkin, "payload": [{"type": "CUSTOMER_CHECKIN", "timestamp": "yesterday"}]},
            # Strings the database cannot store (a lone surrogate, NUL): PerfectGym's mistake,
            # not the database's, so 400 rather than 503 (which it would send again forever).
            {**checkin, "uuid": "\ud800"},
            {**checkin, "uuid": "a\x00b"},
            {**checkin, "uuid": "a\nb"},
            event(FIRST, "CUSTOMER_CHECKIN", content={"contractId": "12\x00"}),
            event(FIRST, "CUSTOMER_CHECKIN", content={"contractId": "\udfff"}),
            event(FIRST, "STUDIO_OPENING_HOURS_UPDATED", event_uuid="\ud800-studio"),
        ]
        for body in malformed:
            assert await post(port, body) == 400, body
        assert await stored_events(database_url) == []

        # An event type the bot does not act on, and a check-in of someone the bot did not
        # bring: accepted, nothing about them kept.
        unknown = event(FIRST, "EMPLOYEE_CREATED", content={"firstName": "Zoe"})
        assert await post(port, unknown) == 200
        assert await post(port, event(7777, "CUSTOMER_CHECKIN")) == 200
        assert await post(port, event(7777, "CONTRACT_CREATED")) == 200
        assert await stored_events(database_url) == []

        # The bot's customer: kept and processed, once however often PerfectGym sends it;
        # properties added one day (and anything personal in the content) are left out.
        visit = {
            **checkin,
            "addedLater": {"x": 1},
            "payload": [
                {
                    **checkin["payload"][0],
                    "content": {"firstName": "Pat", "contractId": 12},
                    "new": 1,
                }
            ],
        }
        assert await post(port, visit) == 200
        assert await post(port, visit) == 200
        await all_done(database_url, 1)
        assert await post(port, visit) == 200  # again after it was processed
        # A second visit is another event, but not another attended lead.
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN")) == 200
        await all_done(database_url, 2)
        assert len(pg.arrivals) == asked  # PerfectGym was never asked, answering or after

        # The studio sees it in /report: one of the one lead from "spring" came in.
        tg.drain(STAFF)
        await tg.send_text(STAFF, "/report 7")
        table = await tg.next_message(STAFF)
        chart = await tg.next_message(STAFF)
        assert chart.method == "sendPhoto"
        text = html.unescape((table.text or "").removeprefix("<pre>").removesuffix("</pre>"))
        assert contract_rows(text) == {"spring": ["1", "1", "100%", "1", "100%", "0", "0%"]}
    rows = await stored_events(database_url)
    assert [(r["type"], r["entity_id"], r["chat_id"], r["studio"]) for r in rows] == [
        ("CUSTOMER_CHECKIN", FIRST, 27001, ""),
        ("CUSTOMER_CHECKIN", FIRST, 27001, ""),
    ]
    assert json.loads(rows[0]["content"]) == {"contractId": 12}
    assert "Pat" not in json.dumps(rows, default=str)
    assert await contract_counts(database_url) == {(None, "spring", "attended"): 1}
    assert events.calls == [("attended", None, FIRST), ("attended", None, FIRST)]


async def test_in_webhook_mode_the_events_share_telegrams_port(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    env = single_env(
        tg,
        pg,
        database_url,
        port,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        WEBHOOK_SECRET="telegram-secret-0123456789",
    )
    async with running_bot(env):
        await created_lead(tg, 27201, start="/start summer")  # Telegram's pushes, same port
        assert (
            await post(port, event(FIRST, "CUSTOMER_CHECKIN"), key="telegram-secret-0123456789")
            == 401
        )
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN")) == 200
        await all_done(database_url, 1)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert health.status_code == 200
    assert await contract_counts(database_url) == {(None, "summer", "attended"): 1}


async def test_after_forget_nothing_of_the_customer_is_kept_and_their_events_are_ignored(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    events = RecordedBookingEvents()
    async with running_bot(single_env(tg, pg, database_url, port), booking_events=events):
        pat = await created_lead(tg, 27101, start="/start spring")
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN")) == 200
        await all_done(database_url, 1)
        await pat.send("/forget")
        await pat.expect_eventually("has been deleted")
        assert await stored_events(database_url) == []
        # PerfectGym still knows the customer; the bot no longer does.
        assert await post(port, event(FIRST, "CONTRACT_CREATED")) == 200
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN")) == 200
        assert await stored_events(database_url) == []
    await _only_the_record_is_left(database_url, 27101, ("27101@example.com",))
    assert await contract_counts(database_url) == {(None, "spring", "attended"): 1}  # counts stay
    assert events.calls == [("attended", None, FIRST)]


# --- a chain: each studio's key names the studio -------------------------------------------------

KEYS = {"camden": ("key-camden-1", "hook-camden-1"), "mitte": ("key-mitte-3", "hook-mitte-3")}


@pytest.fixture
async def two_studios(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[dict[str, FakePerfectGym], dict[str, str], int]]:
    tenants: dict[str, FakePerfectGym] = {}
    port = free_port()
    try:
        for studio_id, (key, _) in KEYS.items():
            fake = FakePerfectGym(load_config("all-inactive"), key)
            await fake.__aenter__()
            fake.studio = {"studioId": len(tenants) + 1, "name": f"Studio Sol {studio_id}"}
            tenants[studio_id] = fake
        lines = ['brand = "Studio Sol"']
        for studio_id, fake in tenants.items():
            lines += [
                "[[studio]]",
                f'id = "{studio_id}"',
                f'perfectgym_api_url = "{fake.url}"',
                f'perfectgym_api_key_env = "KEY_{studio_id.upper()}"',
                f'perfectgym_webhook_key_env = "HOOK_{studio_id.upper()}"',
            ]
        studios_file = tmp_path / "studios.toml"
        studios_file.write_text("\n".join(lines) + "\n")
        env = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DATABASE_URL": database_url,
            "PERFECTGYM_TIMEOUT_SECONDS": "5",
            "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            "STUDIOS_FILE": str(studios_file),
            "PORT": str(port),
            "WEBHOOK_LISTEN_HOST": "127.0.0.1",
        }
        for studio_id, (key, hook) in KEYS.items():
            env[f"KEY_{studio_id.upper()}"] = key
            env[f"HOOK_{studio_id.upper()}"] = hook
        yield tenants, env, port
    finally:
        for fake in tenants.values():
            await fake.__aexit__(None, None, None)


async def test_check_ins_and_contracts_count_once_in_the_campaign_and_studio_of_the_lead(
    tg: FakeTelegram,
    two_studios: tuple[dict[str, FakePerfectGym], dict[str, str], int],
    database_url: str,
) -> None:
    tenants, env, port = two_studios
    camden, mitte = KEYS["camden"][1], KEYS["mitte"][1]
    events = RecordedBookingEvents()
    async with running_bot(env, clock=Clock(), booking_events=events):
        await created_lead(tg, 28001, "/start camden--spring", "Ann")  # camden's 5001
        await created_lead(tg, 28002, "/start mitte--flyer", "Bea")  # mitte's 5001
        await created_lead(tg, 28003, "/start camden", "Cy")  # camden's 5002, no campaign
        asked = {name: len(fake.arrivals) for name, fake in tenants.items()}
        bodies = [
            (camden, event(FIRST, "CUSTOMER_CHECKIN")),
            (camden, event(FIRST, "CUSTOMER_CHECKIN")),  # her second visit
            (camden, event(FIRST, "CONTRACT_CREATED", content={"contractId": 1})),
            (camden, event(FIRST, "CONTRACT_CREATED", content={"contractId": 2})),
            (mitte, event(FIRST, "CUSTOMER_CHECKIN")),  # the same id names Bea at Mitte
            (camden, event(SECOND, "CONTRACT_CREATED")),  # a member without a visit counted
            (mitte, event(SECOND, "CUSTOMER_CHECKIN")),  # Mitte has no second lead
            (camden, event(9999, "CUSTOMER_CHECKIN")),  # not the bot's
        ]
        for key, body in bodies:
            assert await post(port, body, key) == 200
        await all_done(database_url, 6)
        assert {name: len(fake.arrivals) for name, fake in tenants.items()} == asked
    assert await contract_counts(database_url) == {
        ("camden", "spring", "attended"): 1,
        ("camden", "spring", "member"): 1,
        ("mitte", "flyer", "attended"): 1,
        ("camden", None, "member"): 1,
    }
    # python -m bot report: a line per studio, then the campaigns across studios.
    code, out, err = await run_command("report", "--days", "3", env=env)
    assert code == 0, err
    text = "\n".join(out)
    by_studio, by_campaign = text.split("Funnel ", 1)
    assert contract_rows(by_studio) == {
        "camden": ["2", "2", "100%", "1", "50%", "2", "100%"],
        "mitte": ["1", "1", "100%", "1", "100%", "0", "0%"],
        "total": ["3", "3", "100%", "2", "67%", "2", "67%"],
    }
    assert contract_rows(by_campaign) == {
        "spring": ["1", "1", "100%", "1", "100%", "1", "100%"],
        "flyer": ["1", "1", "100%", "1", "100%", "0", "0%"],
        "no campaign": ["1", "1", "100%", "0", "0%", "1", "100%"],
        "total": ["3", "3", "100%", "2", "67%", "2", "67%"],
    }
    rows = await stored_events(database_url)
    assert {(r["studio"], r["entity_id"]) for r in rows} == {
        ("camden", FIRST),
        ("mitte", FIRST),
        ("camden", SECOND),
    }
    assert sorted(c for c in events.calls) == sorted(
        [("attended", "camden", FIRST)] * 2 + [("attended", "mitte", FIRST)]
    )


async def test_one_studios_key_does_not_open_the_others_events(
    tg: FakeTelegram,
    two_studios: tuple[dict[str, FakePerfectGym], dict[str, str], int],
    database_url: str,
) -> None:
    """A key is checked against every studio's: the API key of a studio is not its webhook
    key, and nothing is stored for a wrong one."""
    _, env, port = two_studios
    async with running_bot(env):
        await created_lead(tg, 28101, "/start mitte", "Dee")
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN"), KEYS["mitte"][0]) == 401
        assert await post(port, event(FIRST, "CUSTOMER_CHECKIN"), "hook-mitte") == 401
    assert await stored_events(database_url) == []
    assert await contract_counts(database_url) == {}


# --- trial bookings the bot made -----------------------------------------------------------------


async def test_a_cancelled_or_moved_trial_booking_reaches_the_reminders_and_a_deleted_customer_is_silenced(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    events = RecordedBookingEvents()
    env = trial_env(
        tg,
        pg,
        database_url,
        PERFECTGYM_WEBHOOK_KEY=HOOK_KEY,
        PORT=str(port),
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )
    async with running_bot(env, booking_events=events):
        lena, invitation = await _lead(tg, 29001)
        days = await _offer(lena, invitation, "Yoga Flow")
        slot = _yoga(pg)[0]
        await _pick(lena, days, slot.start)
        await lena.expect("Booked: Yoga Flow")
        [booking] = pg.trials.bookings.values()
        asked = len(pg.arrivals)
        bodies = [
            event(booking.id, "CLASS_BOOKING_UPDATED"),
            event(slot.id, "CLASS_SLOT_UPDATED", content={"classId": 1}),
            event(booking.id + 1000, "CLASS_BOOKING_CANCELLED"),  # someone else's booking
            event(slot.id + 1000, "CLASS_SLOT_CANCELLED"),  # a class the bot booked nobody in
            event(booking.id, "APPOINTMENT_BOOKING_CANCELLED"),
            event(booking.customer_id, "CUSTOMER_ACCESS_DISABLED"),
        ]
        for body in bodies:
            assert await post(port, body) == 200
        await all_done(database_url, 4)
        assert len(pg.arrivals) == asked
        storage = await open_storage(database_url)
        try:
            assert await silenced(storage, 29001)
            assert not await silenced(storage, 29002)
        finally:
            await storage.close()
    assert events.calls == [
        ("moved", None, booking.id),
        ("moved", None, booking.id),
        ("cancelled", None, booking.id),
        ("silenced", None, booking.customer_id),
    ]
    rows = await stored_events(database_url)
    slot_rows = [r for r in rows if r["type"] == "CLASS_SLOT_UPDATED"]
    assert [r["chat_id"] for r in slot_rows] == [None]  # the studio's class, not a person's


# --- the studio's own events ---------------------------------------------------------------------


async def test_the_studios_information_and_leads_config_are_fetched_again_after_answering(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    pg.studio = {"studioId": 1, "name": "Studio Alt", "countryCode": "GB"}
    async with running_bot(single_env(tg, pg, database_url, port)):
        old = Prospect(tg, chat_id=29101)
        await old.send("/start")
        await old.expect("This is Studio Alt")
        pg.studio = {"studioId": 1, "name": "Studio Neu", "countryCode": "GB"}
        studio_calls, config_calls = pg.calls["studio"], pg.calls["config"]

        # Held at PerfectGym: had the answer waited for it, the request would not come back.
        held = pg.hold_next("studio")
        assert await post(port, event(1, "STUDIO_OPENING_HOURS_UPDATED")) == 200
        await asyncio.wait_for(held.arrived.wait(), 10)  # afterwards, it does ask
        held.released.set()
        await all_done(database_url, 1)
        assert pg.calls["studio"] == studio_calls + 1
        new = Prospect(tg, chat_id=29102)
        await new.send("/start")
        await new.expect("This is Studio Neu")

        held = pg.hold_next("config")
        assert await post(port, event(1, "ADDITIONAL_INFORMATION_FIELDS_UPDATED")) == 200
        await asyncio.wait_for(held.arrived.wait(), 10)
        held.released.set()
        await all_done(database_url, 2)
        assert pg.calls["config"] == config_calls + 1


# --- nothing lost, nothing twice -----------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL])
async def test_killed_between_storing_and_processing_the_event_is_processed_once_after_restart(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    database_url_all_backends: str,
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    """The worker is busy with a studio event held at PerfectGym while a check-in is stored;
    the process is killed, the check-in still pending. After the restart it is processed, and
    counted once."""
    url = database_url_all_backends
    port = free_port()
    env = single_env(
        tg,
        pg,
        url,
        port,
        PERFECTGYM_TIMEOUT_SECONDS="1",
        OUTBOX_LEASE_SECONDS="5",  # a killed instance's event is taken over after 5 s
        SWEEP_SECONDS="0.2",
    )
    bot = BotProcess(env, tg, tmp_path / "bot.log")
    await bot.start()
    await created_lead(tg, 29201, start="/start autumn")
    held = pg.hold_next("studio")
    assert await post(port, event(1, "STUDIO_OPENING_HOURS_UPDATED")) == 200
    await asyncio.wait_for(held.arrived.wait(), 10)  # claimed, being processed
    assert await post(port, event(FIRST, "CUSTOMER_CHECKIN")) == 200  # stored, waiting
    assert "customer attended" not in bot.log()
    assert await bot.stop(sig) == -sig
    held.released.set()
    await bot.start()
    deadline = time.monotonic() + 20
    while (
        "customer attended" not in bot.log() or "opening_hours_updated refreshed" not in bot.log()
    ):
        assert time.monotonic() < deadline, bot.log()
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # any second processing would show by now
    await bot.stop(signal.SIGTERM)
    assert bot.log().count("customer attended") == 1
    assert bot.log().count("opening_hours_updated refreshed") == 1
    rows = await stored_events(url)
    assert [r["status"] for r in rows] == ["done", "done"]
    assert await contract_counts(url) == {(None, "autumn", "attended"): 1}


@pytest.mark.e2e
async def test_two_instances_on_postgresql_process_each_event_once(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    """Every event goes to both instances (PerfectGym repeating itself behind a load balancer),
    both workers sweep often: each event is processed by one of them, once."""
    ports = [free_port(), free_port()]
    events = RecordedBookingEvents()
    async with fresh_database_url("postgres", tmp_path) as url:
        envs = [single_env(tg, pg, url, port, SWEEP_SECONDS="0.05") for port in ports]
        async with (
            running_bot(envs[0], booking_events=events),
            running_bot(envs[1], booking_events=events),
        ):
            await created_lead(tg, 29301, start="/start winter")
            await created_lead(tg, 29302, start="/start winter", first="Bo")
            bodies = [event(FIRST, "CUSTOMER_CHECKIN") for _ in range(15)]
            bodies += [event(SECOND, "CUSTOMER_CHECKIN") for _ in range(15)]
            bodies += [event(FIRST, "CONTRACT_CREATED"), event(SECOND, "CUSTOMER_DELETED")]
            answers = await asyncio.gather(*(post(port, body) for body in bodies for port in ports))
            assert answers == [200] * len(bodies) * 2
            await all_done(url, len(bodies))
            await asyncio.sleep(0.3)  # a few more sweeps by each instance
        assert await contract_counts(url) == {
            (None, "winter", "attended"): 2,
            (None, "winter", "member"): 1,
        }
    assert Counter(events.calls) == {
        ("attended", None, FIRST): 15,
        ("attended", None, SECOND): 15,
        ("silenced", None, SECOND): 1,
    }


async def test_refused_requests_are_counted_in_one_line_a_minute_not_one_each(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone who finds the URL may send these: one WARNING a minute counts them (as the
    Telegram webhook's refusals are counted, in the same line), never a line for each."""
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    port = free_port()

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]

    async with running_bot(single_env(tg, pg, database_url, port), clock=clock):
        caplog.clear()  # what the start said
        checkin = event(FIRST, "CUSTOMER_CHECKIN")
        statuses = [await post(port, checkin, key="pg-hook-key-guess") for _ in range(40)]
        statuses += [await post(port, b"x" * (64 * 1024 + 1)) for _ in range(20)]
        statuses += [await post(port, {**checkin, "uuid": "\ud800"}) for _ in range(20)]
        statuses += [await post(port, b"not json") for _ in range(20)]
        assert statuses == [401] * 40 + [413] * 20 + [400] * 40
        assert warnings() == [], "nothing is logged within the minute"
        clock.forward(61)
        assert await post(port, checkin, key=None) == 401
        assert warnings() == [
            "101 webhook requests refused in the last minute (PerfectGym: wrong key: 41, "
            "PerfectGym: too large: 20, PerfectGym: malformed body: 40)"
        ]
        assert await post(port, b"[]") == 400
    assert warnings()[1:] == [
        "1 webhook request refused in the last minute (PerfectGym: malformed body: 1)"
    ]
    assert await stored_events(database_url) == []


class _HangingRecords:
    """A database that takes the connection and never answers."""

    def __init__(self) -> None:
        self.asked = 0

    async def lead_customer(self, studio: str | None, customer_id: int) -> object:
        self.asked += 1
        await asyncio.Event().wait()
        raise AssertionError("never answered")


async def test_a_database_that_does_not_answer_is_answered_503_within_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PerfectGym gives up after 5 s: the storage work is cut at the receiver's deadline
    (``STORE_DEADLINE``, 4 s; here shorter) and answered 503, so PerfectGym sends it again."""
    assert STORE_DEADLINE < 5
    records = _HangingRecords()
    receiver = EventReceiver(cast(Any, records), {HOOK_KEY: None}, deadline=0.05)
    body = json.dumps(event(FIRST, "CUSTOMER_CHECKIN")).encode()
    with caplog.at_level(logging.WARNING):
        answer = await receiver.receive(HOOK_KEY, body)
    assert (answer.status, answer.stored, records.asked) == (503, 0, 1)
    assert [r.getMessage() for r in caplog.records] == [
        "PerfectGym webhook: event not stored (the database did not answer within 0.05 s); "
        "answered 503"
    ]


async def test_postgresql_stopped_the_event_is_answered_503_naming_the_cause_and_taken_once_back(
    tg: FakeTelegram,
    pg: FakePerfectGym,
    postgres_server: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    url = postgres_server.url
    async with running_bot(single_env(tg, pg, url, port)):
        await created_lead(tg, 27401, start="/start autumn")
        checkin = event(FIRST, "CUSTOMER_CHECKIN")
        await postgres_server.stop()
        with caplog.at_level(logging.WARNING):
            assert await post(port, checkin) == 503  # answered: PerfectGym sends it again
        [line] = [
            r.getMessage()
            for r in caplog.records
            if r.getMessage().startswith("PerfectGym webhook")
        ]
        assert line.startswith("PerfectGym webhook: event not stored (StorageUnavailable: ")
        cause = line.removeprefix("PerfectGym webhook: event not stored (StorageUnavailable: ")
        assert cause.removesuffix("); answered 503").strip(), "the database's own message"
        assert "27401" not in line
        assert "Pat" not in line
        await postgres_server.start()
        assert await post(port, checkin) == 200  # PerfectGym's resend
        await all_done(url, 1)
        assert await post(port, checkin) == 200  # and once more: still one event
        await all_done(url, 1)
    [row] = await stored_events(url)
    assert (row["type"], row["entity_id"], row["chat_id"]) == ("CUSTOMER_CHECKIN", FIRST, 27401)
    assert await contract_counts(url) == {(None, "autumn", "attended"): 1}
