"""One studio of a chain down does not take the others down (issue 24), end to end: three fake
PerfectGym tenants (each its own key), the real Application, one of them silent, rate-limited or
refusing the key on leads. Its leads wait in the outbox and go once it is back; it drops out of
the choice and comes back with one log line and one staff message each way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.chain_fixtures import CHAIN_CHAT, KEYS
from tests.chain_fixtures import ChainOfFakes as Chain
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Clock, Prospect, running_bot
from tests.test_chain import three_tenants

# The health check every 0.2 s and quick retries: the studio is asked again at once.
QUICK = {"STUDIO_HEALTH_SECONDS": "0.2", "OUTBOX_RETRY_BASE_SECONDS": "0.05"}
ALL_THREE = ["Studio Sol Camden (London)", "Studio Sol Manchester", "Studio Sol Mitte (Berlin)"]
WITHOUT_MANCHESTER = ["Studio Sol Camden (London)", "Studio Sol Mitte (Berlin)"]


@pytest.fixture
async def chain(tg: FakeTelegram, database_url: str, tmp_path: Path) -> AsyncIterator[Chain]:
    async with three_tenants(tg, database_url, tmp_path) as tenants:
        yield tenants


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (the timeout only guards against a hung test)."""
    async with asyncio.timeout(20):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def loaded(chain: Chain) -> None:
    """Every club's configuration was asked for at start."""
    await until(lambda: all(fake.calls["config"] for fake in chain.tenants.values()))


def customers(fake: FakePerfectGym) -> list[tuple[str, str, str, str]]:
    """The leads a tenant created: (thirdPartyId, first name, last name, e-mail), in order."""
    return [
        (c["thirdPartyId"], c["firstname"], c["lastname"], c["email"])
        for c in (lead["leadCustomer"] for lead in fake.created)
    ]


def statuses(fake: FakePerfectGym, endpoint: str) -> list[int]:
    return [status for name, status, _ in fake.responses if name == endpoint]


def labels(question: SentMessage) -> list[str]:
    return [text for text, _ in question.buttons()]


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def staff(tg: FakeTelegram, fragment: str) -> list[str]:
    return [m.text or "" for m in tg.messages_to(CHAIN_CHAT) if fragment in (m.text or "")]


def back(caplog: pytest.LogCaptureFixture, studio: str) -> bool:
    return any(f"studio {studio} takes leads again" in r.getMessage() for r in caplog.records)


async def to_summary(
    person: Prospect, start: str, first: str, last: str, email: str, *, club: str | None = None
) -> SentMessage:
    """From ``start`` to the summary of a names-and-e-mail club (``club``: tapped first)."""
    await person.send(start)
    if club is not None:
        question = await person.expect("Which club")
        await person.press(question, club)
    await person.expect_eventually("first name")
    await person.answer(first, "last name")
    await person.answer(last, "e-mail")
    return await person.answer(email, "Please check your details")


async def confirm(person: Prospect, summary: SentMessage) -> None:
    await person.press(summary, "Yes, send it")


async def choice(tg: FakeTelegram, chat_id: int) -> list[str]:
    """The clubs a new prospect is offered now."""
    person = Prospect(tg, chat_id=chat_id)
    await person.send("/start")
    return labels(await person.expect("Which club"))


async def test_a_silent_studio_drops_out_its_lead_waits_and_goes_once_it_is_back(
    tg: FakeTelegram, chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    manchester, camden = chain.tenants["manchester"], chain.tenants["camden"]
    async with running_bot({**chain.env, **QUICK}):
        await loaded(chain)
        sam = Prospect(tg, chat_id=32001, first_name="Sam")
        summary = await to_summary(sam, "/start manchester", "Sam", "Stone", "sam@example.com")
        await manchester.go_down()  # nothing answers at its address any more
        await confirm(sam, summary)
        await sam.expect_eventually("We have received your details")  # the lead waits
        assert [text for text in errors(caplog) if "out of the choice" in text] == [
            "studio manchester is out of the choice: PerfectGym did not answer "
            "(POST /v1/leads/validate: ConnectError); its pending leads wait in the outbox"
        ]
        # The others take leads meanwhile, each created at once at its own tenant.
        ann = Prospect(tg, chat_id=32002, first_name="Ann")
        summary = await to_summary(ann, "/start", "Ann", "Ash", "ann@example.com", club="Camden")
        await confirm(ann, summary)
        await ann.expect_eventually("Thank you, Ann", "will contact you soon")
        bob = Prospect(tg, chat_id=32003, first_name="Bob")
        summary = await to_summary(bob, "/start camden--autumn", "Bob", "Birch", "bob@example.com")
        await confirm(bob, summary)
        await bob.expect_eventually("Thank you, Bob", "will contact you soon")
        for chat_id in (32004, 32005):  # out of the choice for every prospect, told once
            assert await choice(tg, chat_id) == WITHOUT_MANCHESTER
        assert manchester.created == []
        assert staff(tg, "manual entry") == []
        await manchester.come_up()
        await sam.expect_eventually("Thank you, Sam", "will contact you soon")
        await until(lambda: back(caplog, "manchester"))
        assert await choice(tg, 32006) == ALL_THREE
    assert customers(manchester) == [("32001", "Sam", "Stone", "sam@example.com")]
    assert statuses(manchester, "create") == [200]  # created exactly once, at its own tenant
    assert customers(camden) == [
        ("32002", "Ann", "Ash", "ann@example.com"),
        ("32003", "Bob", "Birch", "bob@example.com"),
    ]
    assert statuses(camden, "create") == [200, 200]
    assert [lead.get("externalIdentifier") for lead in camden.created] == [None, "autumn"]
    assert chain.tenants["mitte"].created == []
    # One ERROR line and one staff message each way, not one per prospect or attempt.
    assert len(errors(caplog)) == 1
    [down] = staff(tg, "not taking new prospects")
    assert down == (
        "Studio Sol Manchester is not taking new prospects: PerfectGym does not answer for it. "
        "Leads it has already taken are held and sent once PerfectGym accepts them again; the "
        "other clubs carry on as usual."
    )
    assert staff(tg, "taking new prospects again") == [
        "Studio Sol Manchester is taking new prospects again."
    ]
    assert staff(tg, "manual entry") == []
    assert KEYS["manchester"] not in caplog.text


async def test_a_studios_429_delays_its_own_lead_alone(
    tg: FakeTelegram, chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    """PerfectGym's limit is per key and endpoint: Camden's 429 holds back Camden's lead for
    the rate-limit pause (an hour here, passed by moving the bot's clock), while Manchester's
    lead, confirmed at the same moment, is created at once."""
    caplog.set_level(logging.INFO)
    camden, manchester = chain.tenants["camden"], chain.tenants["manchester"]
    camden.fail_next("create", 429)
    clock = Clock()
    env = {**chain.env, **QUICK, "OUTBOX_RATE_LIMIT_SECONDS": "3600"}
    async with running_bot(env, clock=clock):
        await loaded(chain)
        pat = Prospect(tg, chat_id=33001, first_name="Pat")
        lee = Prospect(tg, chat_id=33002, first_name="Lee")
        pats = await to_summary(pat, "/start camden", "Pat", "Page", "pat@example.com")
        lees = await to_summary(lee, "/start manchester", "Lee", "Lund", "lee@example.com")
        await asyncio.gather(confirm(pat, pats), confirm(lee, lees))
        await lee.expect_eventually("Thank you, Lee", "will contact you soon")
        await pat.expect_eventually("We have received your details")
        await until(lambda: statuses(camden, "create") == [429])
        assert customers(manchester) == [("33002", "Lee", "Lund", "lee@example.com")]
        assert camden.created == []
        # A 429 is no outage: Camden stays in the choice, and its key's other calls go on.
        assert await choice(tg, 33003) == ALL_THREE
        clock.forward(3600)  # the rate-limit pause is over
        await pat.expect_eventually("Thank you, Pat", "will contact you soon")
    assert customers(camden) == [("33001", "Pat", "Page", "pat@example.com")]
    assert statuses(camden, "create") == [429, 200]
    assert statuses(manchester, "create") == [200]
    assert errors(caplog) == []
    assert staff(tg, "not taking new prospects") == []


async def test_a_key_without_lead_write_drops_the_studio_out_once_and_its_leads_wait(
    tg: FakeTelegram, chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    """The key reads the leads configuration (LEAD_READ) but may not create (no LEAD_WRITE):
    only the outbox can tell. The studio drops out once, however many of its leads and retries
    meet the 403; a readable config does not bring it back; once the key is fixed its waiting
    leads go, each once, and it is back."""
    caplog.set_level(logging.INFO)
    manchester = chain.tenants["manchester"]
    manchester.fail_next("create", 403, times=10_000)
    async with running_bot({**chain.env, **QUICK}):
        await loaded(chain)
        sam = Prospect(tg, chat_id=34001, first_name="Sam")
        kim = Prospect(tg, chat_id=34002, first_name="Kim")
        sams = await to_summary(sam, "/start manchester", "Sam", "Stone", "sam@example.com")
        kims = await to_summary(kim, "/start manchester--x", "Kim", "Kahn", "kim@example.com")
        await confirm(sam, sams)
        await sam.expect_eventually("We have received your details")
        await confirm(kim, kims)
        await kim.expect_eventually("We have received your details")
        await until(lambda: len(statuses(manchester, "create")) >= 6)  # retried, refused
        config_reads = manchester.calls["config"]
        await until(lambda: manchester.calls["config"] > config_reads + 2)  # health rounds
        assert await choice(tg, 34003) == WITHOUT_MANCHESTER  # its config alone is no proof
        assert manchester.created == []
        assert staff(tg, "manual entry") == []
        manchester.clear_failures("create")  # the studio gives the key LEAD_WRITE
        await sam.expect_eventually("Thank you, Sam", "will contact you soon")
        await kim.expect_eventually("Thank you, Kim", "will contact you soon")
        await until(lambda: back(caplog, "manchester"))
        assert await choice(tg, 34004) == ALL_THREE
    assert sorted(customers(manchester)) == [
        ("34001", "Sam", "Stone", "sam@example.com"),
        ("34002", "Kim", "Kahn", "kim@example.com"),
    ]
    assert statuses(manchester, "create").count(200) == 2
    assert set(statuses(manchester, "create")) == {403, 200}
    assert chain.tenants["camden"].created == []
    # One ERROR line for the refused key and one for the choice, not one per lead or attempt.
    refused, dropped = errors(caplog)
    assert "PerfectGym refused the API key" in refused
    assert "studio manchester's key and its LEAD_WRITE scope" in refused
    assert dropped.startswith("studio manchester is out of the choice: ")
    [down] = staff(tg, "not taking new prospects")
    assert "Studio Sol Manchester" in down
    assert "refuses its API key" in down
    assert staff(tg, "taking new prospects again") == [
        "Studio Sol Manchester is taking new prospects again."
    ]
    assert KEYS["manchester"] not in caplog.text


async def test_a_refused_key_is_one_error_line_however_many_health_rounds(
    tg: FakeTelegram, chain: Chain, caplog: pytest.LogCaptureFixture
) -> None:
    """401 on the leads configuration: the health check asks again every round (0.2 s here),
    and each refusal is logged, but as an ERROR only the first time."""
    caplog.set_level(logging.INFO)
    manchester = chain.tenants["manchester"]
    manchester.fail_next("config", 401, times=10_000)
    async with running_bot({**chain.env, **QUICK}):
        await until(lambda: manchester.calls["config"] >= 6)
        assert await choice(tg, 35001) == WITHOUT_MANCHESTER
        manchester.clear_failures("config")
        await until(lambda: back(caplog, "manchester"))
        assert await choice(tg, 35002) == ALL_THREE
    refused, dropped = errors(caplog)
    assert "studio manchester: PerfectGym refused the API key" in refused
    assert dropped.startswith("studio manchester is out of the choice: ")
    assert len(staff(tg, "not taking new prospects")) == 1
    assert len(staff(tg, "taking new prospects again")) == 1
