"""A chain's staff: /report and the staff buttons in the chain's staff chat and each club's,
nowhere else; a club's chat sees its club, the chain's a line per studio. Metrics tell the
studios apart by their ids (``main`` for the single studio)."""

from __future__ import annotations

import asyncio
import contextlib
import html
from pathlib import Path

import httpx
from pydantic import SecretStr
from telegram import Update

from bot.chain.build import build_chain, observing
from bot.chain.roster import Roster, StudioSpec, roster_from_settings
from bot.funnel.counts import Stage
from bot.marketing.staff_report import Scope, staff_scopes
from bot.metrics import Metrics
from bot.settings import load_settings
from bot.storage import open_storage
from bot.telegram.application import StaffButtonHandler
from tests.chain_fixtures import ChainOfFakes, fake_chain
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Prospect, bot_environment, free_port, load_config, running_bot
from tests.test_funnel_report import campaign_rows
from tests.test_funnel_studios import summary_rows

CHAIN_CHAT = -1001000000101
CAMDEN_CHAT = -1001000000102
NORTH_CHAT = -1001000000103  # Manchester's and Mitte's, shared
OTHER_GROUP = -1001000000104  # a group the bot is in that is no staff chat


def _chain(
    tg: FakeTelegram,
    database_url: str,
    tmp_path: Path,
    staff_chats: dict[str, int],
    **env: str,
) -> contextlib.AbstractAsyncContextManager[ChainOfFakes]:
    """Camden, Manchester (both asking name and e-mail) and Mitte (asking everything), the
    chain's chat and each club's in ``staff_chats`` groups the bot is in."""
    return fake_chain(
        tg,
        database_url,
        tmp_path,
        configs={"mitte": "everything"},
        staff_chats=staff_chats,
        chain_chat=CHAIN_CHAT,
        env=env,
    )


def _inner(message: SentMessage) -> str:
    assert message.parse_mode == "HTML"
    text = message.text or ""
    assert text.startswith("<pre>")
    assert text.endswith("</pre>")
    return html.unescape(text.removeprefix("<pre>").removesuffix("</pre>"))


async def _lead_at(tg: FakeTelegram, chat_id: int, start: str, first: str, studio: str) -> None:
    pat = Prospect(tg, chat_id=chat_id, first_name=first)
    await pat.send(start)
    await pat.expect(f"This is {studio}", "first name")
    await pat.answer(first, "last name")
    await pat.answer("Jones", "e-mail")
    summary = await pat.answer(f"{first.lower()}@example.com", "Please check your details")
    await pat.press(summary, "Yes, send it")
    await pat.expect_eventually(f"Thank you, {first}")


async def _prospects(tg: FakeTelegram) -> None:
    """Camden: one lead from "spring"; Manchester: one who stops at the last name ("flyer")."""
    await _lead_at(tg, 41001, "/start camden--spring", "Pat", "Studio Sol Camden")
    lee = Prospect(tg, chat_id=41002)
    await lee.send("/start manchester--flyer")
    await lee.expect("This is Studio Sol Manchester", "first name")
    await lee.answer("Lee", "last name")
    for chat in (CHAIN_CHAT, CAMDEN_CHAT, NORTH_CHAT):
        tg.drain(chat)  # the new lead's notices


async def _report(tg: FakeTelegram, chat: int, command: str = "/report 7") -> SentMessage:
    await tg.send_text(chat, command)
    return await tg.next_message(chat)


async def test_a_clubs_chat_sees_its_club_and_the_chains_chat_every_club(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    tg.add_group(OTHER_GROUP, "Yoga fans")
    async with (
        _chain(
            tg,
            database_url,
            tmp_path,
            {"camden": CAMDEN_CHAT, "manchester": NORTH_CHAT, "mitte": NORTH_CHAT},
        ) as chain,
        running_bot(chain.env),
    ):
        await _prospects(tg)

        camden = _inner(await _report(tg, CAMDEN_CHAT))
        camden_chart = await tg.next_message(CAMDEN_CHAT)
        everyone = _inner(await _report(tg, CHAIN_CHAT))
        chain_chart = await tg.next_message(CHAIN_CHAT)
        north = _inner(await _report(tg, NORTH_CHAT))

        prospect = Prospect(tg, chat_id=41003)
        await prospect.answer("/report", "I don't know that command")
        await tg.send_text(OTHER_GROUP, "/report")
        await tg.wait_idle(OTHER_GROUP)

    # Camden's chat: Camden's report alone, named for the club, as one studio's would be.
    title = camden.splitlines()[0]
    assert title.startswith("Funnel ")
    assert title.endswith(", Studio Sol Camden")
    rows = campaign_rows(camden)
    assert set(rows) == {"spring"}
    assert rows["spring"][Stage.STARTED] == 1
    assert rows["spring"][Stage.CREATED] == 1
    assert camden_chart.method == "sendPhoto"

    # The chain's chat: every club a line, in the file's order, then the campaigns.
    assert everyone.startswith("Studios ")
    assert summary_rows(everyone) == {
        "Studio Sol Camd…": ["1", "1", "100%"],
        "Studio Sol Manc…": ["1", "0", "0%"],
        "Studio Sol Mitte": ["0", "0", "\u2013"],
        "total": ["2", "1", "50%"],
    }
    campaigns = campaign_rows(everyone[everyone.index("Funnel ") :])
    assert set(campaigns) == {"spring", "flyer", "total"}
    assert campaigns["flyer"][Stage.STARTED] == 1
    assert chain_chart.method == "sendPhoto"

    # The chat Manchester and Mitte share: their lines only.
    assert summary_rows(north) == {
        "Studio Sol Manc…": ["1", "0", "0%"],
        "Studio Sol Mitte": ["0", "0", "\u2013"],
        "total": ["1", "0", "0%"],
    }

    assert [photo.chat_id for photo in tg.photos] == [CAMDEN_CHAT, CHAIN_CHAT, NORTH_CHAT]
    assert tg.messages_to(OTHER_GROUP) == []
    assert tg.errors == []


async def test_the_reports_in_german(tg: FakeTelegram, database_url: str, tmp_path: Path) -> None:
    async with (
        _chain(tg, database_url, tmp_path, {"camden": CAMDEN_CHAT}, DEFAULT_LOCALE="de") as chain,
        running_bot(chain.env),
    ):
        await _prospects(tg)
        camden = _inner(await _report(tg, CAMDEN_CHAT))
        await tg.next_message(CAMDEN_CHAT)  # the chart
        everyone = _inner(await _report(tg, CHAIN_CHAT))
        await tg.next_message(CHAIN_CHAT)
        usage = await _report(tg, CAMDEN_CHAT, "/report viele")
    assert camden.splitlines()[0].endswith(", Studio Sol Camden")
    assert "Kampagne" in camden
    assert everyone.startswith("Studios ")
    header = everyone.splitlines()[2].split()
    assert header == ["Studio", "Start", "Lead", "Anteil"]
    assert summary_rows(everyone) == {
        "Studio Sol Camd…": ["1", "1", "100\u00a0%"],
        "Studio Sol Manc…": ["1", "0", "0\u00a0%"],
        "Studio Sol Mitte": ["0", "0", "\u2013"],
        "Gesamt": ["2", "1", "50\u00a0%"],
    }
    assert (usage.text or "").startswith("Sende /report für die letzten 30 Tage")


async def test_staff_confirm_an_erasure_in_the_chains_chat_named_in_the_file_only(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """No STAFF_CHAT_ID: the chain's chat comes from STUDIOS_FILE, and the erasure request
    goes there; its button does nothing pressed in the prospect's chat."""
    async with (
        _chain(tg, database_url, tmp_path, {"camden": CAMDEN_CHAT}) as chain,
        running_bot(chain.env),
    ):
        await _lead_at(tg, 41101, "/start camden", "Eva", "Studio Sol Camden")
        await tg.next_message(CHAIN_CHAT)  # the new lead's notice, sent after the thank-you
        tg.drain(CHAIN_CHAT)
        eva = Prospect(tg, chat_id=41101)
        await eva.answer("/forget", "has been deleted")
        notice = await tg.next_message(CHAIN_CHAT)
        [(label, data)] = notice.buttons()
        assert label == "✅ Erased in PerfectGym"
        last = tg.messages_to(41101)[-1].message_id
        await tg.press(41101, data, message_id=last, check=False)
        await tg.wait_idle(CHAIN_CHAT)
        assert notice.message_id in tg.with_buttons(CHAIN_CHAT)
        await tg.press(CHAIN_CHAT, data, message_id=notice.message_id)
        confirmed = await tg.next_message(CHAIN_CHAT)
    assert (confirmed.method, confirmed.message_id) == ("editMessageText", notice.message_id)
    assert confirmed.text == "✅ Erasure confirmed."


# --- metrics ------------------------------------------------------------------------------------


def _samples(text: str, name: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{")
    }


async def _metrics(port: int) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    return answer.text


async def _down(port: int) -> list[str]:
    """The studios out of the choice, as /metrics shows them."""
    samples = _samples(await _metrics(port), "leadsbot_studio_down")
    return [key for key, value in samples.items() if value]


async def test_metrics_tell_the_studios_apart(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    async with _chain(
        tg, database_url, tmp_path, {}, METRICS_PORT=str(port), OUTBOX_RETRY_BASE_SECONDS="0.2"
    ) as chain:
        chain.tenants["manchester"].fail_next("config", 401, times=100)
        async with running_bot(chain.env):
            async with asyncio.timeout(10):
                while not await _down(port):  # noqa: ASYNC110 (the clubs load in the background)
                    await asyncio.sleep(0.05)
            await _lead_at(tg, 41201, "/start camden", "Pat", "Studio Sol Camden")
            text = await _metrics(port)
    assert _samples(text, "leadsbot_leads_total") == {
        'leadsbot_leads_total{result="created",studio="camden"}': 1.0
    }
    calls = _samples(text, "leadsbot_perfectgym_requests_total")
    create = 'endpoint="POST /v1/leads/create",status="200"'
    assert calls[f'leadsbot_perfectgym_requests_total{{{create},studio="camden"}}'] == 1.0
    assert not any("create" in key and "camden" not in key for key in calls)
    assert (
        calls[
            'leadsbot_perfectgym_requests_total{endpoint="GET /v1/leads/config",status="401",'
            'studio="manchester"}'
        ]
        >= 1.0
    )
    assert _samples(text, "leadsbot_studio_down") == {
        'leadsbot_studio_down{studio="camden"}': 0.0,
        'leadsbot_studio_down{studio="manchester"}': 1.0,
        'leadsbot_studio_down{studio="mitte"}': 0.0,
    }
    for secret in ("key-camden-1", "key-manchester-2", "pat@example.com", "41201"):
        assert secret not in text


async def test_the_single_studio_is_main_in_the_metrics(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(tg, pg, database_url, METRICS_PORT=str(port))
    async with running_bot(env):
        zoe = Prospect(tg, chat_id=41301, first_name="Zoe")
        await zoe.confirm_lead("Zoe", "Quinn", "zoe@example.com")
        await zoe.expect("Thank you, Zoe")
        text = await _metrics(port)
    calls = _samples(text, "leadsbot_perfectgym_requests_total")
    create = 'endpoint="POST /v1/leads/create",status="200"'
    assert calls[f'leadsbot_perfectgym_requests_total{{{create},studio="main"}}'] == 1.0
    assert {key.rsplit(",", 1)[1] for key in calls} == {'studio="main"}'}
    assert _samples(text, "leadsbot_studio_down") == {'leadsbot_studio_down{studio="main"}': 0.0}


# --- which chats are staff's (no bot running) ---------------------------------------------------


def _spec(studio: str, chat: int | None = None) -> StudioSpec:
    return StudioSpec(studio, "http://127.0.0.1:9", SecretStr(f"key-{studio}"), staff_chat_id=chat)


async def test_staff_scopes_per_chat(tmp_path: Path) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        roster = Roster(
            "Studio Sol",
            CHAIN_CHAT,
            (
                _spec("camden", CAMDEN_CHAT),
                _spec("manchester", NORTH_CHAT),
                _spec("mitte", NORTH_CHAT),
                _spec("leeds"),
            ),
            from_file=True,
        )
        chain = build_chain(roster, storage)
        assert staff_scopes(chain) == {
            CAMDEN_CHAT: Scope(("camden",), lines=False),
            NORTH_CHAT: Scope(("manchester", "mitte"), lines=True),
            CHAIN_CHAT: Scope(("camden", "manchester", "mitte", "leeds"), lines=True),
        }
        # A club whose chat is the chain's: the chain's chat still sees every club.
        shared = Roster(None, CHAIN_CHAT, (_spec("a", CHAIN_CHAT), _spec("b")), from_file=True)
        assert staff_scopes(build_chain(shared, storage)) == {
            CHAIN_CHAT: Scope(("a", "b"), lines=True)
        }
        # No staff chat anywhere: /report goes nowhere.
        silent = Roster(None, None, (_spec("a"), _spec("b")), from_file=True)
        assert staff_scopes(build_chain(silent, storage)) == {}
        # The single studio of the environment: STAFF_CHAT_ID sees its report as always.
        settings = load_settings(
            {
                "TELEGRAM_BOT_TOKEN": "1:x",
                "PERFECTGYM_API_URL": "http://127.0.0.1:9",
                "PERFECTGYM_API_KEY": "key-main",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "STAFF_CHAT_ID": str(CHAIN_CHAT),
            }
        )
        single = build_chain(roster_from_settings(settings, {}), storage)
        assert staff_scopes(single) == {CHAIN_CHAT: Scope((None,), lines=False)}
        # A file of one studio: its chat and the chain's both see that studio's report.
        one = Roster(None, CHAIN_CHAT, (_spec("solo", CAMDEN_CHAT),), from_file=True)
        assert staff_scopes(build_chain(one, storage)) == {
            CAMDEN_CHAT: Scope(("solo",), lines=False),
            CHAIN_CHAT: Scope(("solo",), lines=False),
        }
    finally:
        await storage.close()


def _press_in(chat: int, chat_type: str = "supergroup") -> Update:
    return Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "7",
                "chat_instance": "9",
                "data": "erased:abc",
                "from": {"id": 5, "is_bot": False, "first_name": "Sam"},
                "message": {
                    "message_id": 3,
                    "date": 0,
                    "chat": {"id": chat, "type": chat_type},
                    "text": "Erasure requested",
                },
            },
        },
        None,
    )


def test_the_staff_button_is_taken_in_staff_chats_alone() -> None:
    async def confirm(update: object, context: object) -> None:
        raise AssertionError("not called here")

    handler = StaffButtonHandler([CHAIN_CHAT, CAMDEN_CHAT], confirm, pattern="^erased:")
    assert handler.check_update(_press_in(CHAIN_CHAT))
    assert handler.check_update(_press_in(CAMDEN_CHAT))
    assert not handler.check_update(_press_in(NORTH_CHAT))
    assert not handler.check_update(_press_in(41001, "private"))
    one = StaffButtonHandler(CHAIN_CHAT, confirm, pattern="^erased:")  # as with one studio
    assert one.check_update(_press_in(CHAIN_CHAT))
    assert not one.check_update(_press_in(CAMDEN_CHAT))


def test_perfectgym_calls_are_counted_for_the_clients_studio() -> None:
    metrics = Metrics()
    camden, single = (
        observing(metrics.observe_perfectgym, "camden"),
        observing(metrics.observe_perfectgym, None),
    )
    assert camden is not None
    assert single is not None
    camden("GET /v1/leads/config", "200", 0.1)
    single("GET /v1/leads/config", "401", 0.1)
    assert observing(None, "camden") is None
    text = metrics.exposition().decode()
    assert _samples(text, "leadsbot_perfectgym_requests_total") == {
        'leadsbot_perfectgym_requests_total{endpoint="GET /v1/leads/config",status="200",'
        'studio="camden"}': 1.0,
        'leadsbot_perfectgym_requests_total{endpoint="GET /v1/leads/config",status="401",'
        'studio="main"}': 1.0,
    }
    # The latency histogram keeps its labels: the same series as before chains.
    assert (
        'leadsbot_perfectgym_request_seconds_count{endpoint="GET /v1/leads/config",status="200"} '
        "1.0" in text
    )


def test_the_studio_down_gauge_reads_the_chain_when_scraped() -> None:
    metrics = Metrics()
    standings = {"camden": False, None: True}
    metrics.watch_studios(lambda: list(standings.items()))
    first = _samples(metrics.exposition().decode(), "leadsbot_studio_down")
    standings["camden"] = True
    second = _samples(metrics.exposition().decode(), "leadsbot_studio_down")
    assert first == {
        'leadsbot_studio_down{studio="camden"}': 0.0,
        'leadsbot_studio_down{studio="main"}': 1.0,
    }
    assert second['leadsbot_studio_down{studio="camden"}'] == 1.0
