"""Webhook mode over loopback: Telegram's pushes need the secret token; health for the platform."""

from __future__ import annotations

import json
import logging

import aiohttp
import httpx
import pytest

from bot.telegram.webhook import DRAIN_LIMIT_BYTES
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import (
    Clock,
    Prospect,
    bot_environment,
    free_port,
    load_config,
    running_bot,
)

SECRET = "webhook-secret-0123456789"


def _update(update_id: int, chat_id: int, text: str) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": text,
                "chat": {"id": chat_id, "type": "private", "first_name": "Mallory"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "Mallory"},
            },
        }
    ).encode()


async def test_webhook_requires_the_secret_and_serves_health(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    env = bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=hook,
        PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )
    async with running_bot(env), httpx.AsyncClient() as http:
        assert tg.webhook_url == hook
        assert tg.webhook_secret == SECRET

        wrong = await http.post(
            hook,
            content=_update(900, 7007, "/start"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        )
        missing = await http.post(hook, content=_update(901, 7007, "/start"))
        assert (wrong.status_code, missing.status_code) == (403, 403)
        too_big = await http.post(
            hook, content=b"x" * (1024 * 1024), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert too_big.status_code == 413
        health = await http.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}

        ada = Prospect(tg, chat_id=7008)
        await ada.introduce("Ada")
    assert tg.messages_to(7007) == []
    assert tg.method_calls("setWebhook") == 1


async def test_rejected_requests_leave_the_keep_alive_connection_usable(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    """A client that reuses one connection and never retries (aiohttp, limit=1) sees every
    rejection answered and the next request on the same connection served: a rejection either
    keeps the connection (the body was read) or says ``Connection: close`` before closing it."""
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    env = bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=hook,
        PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )
    opened: list[object] = []

    async def on_create(*_: object) -> None:
        opened.append(object())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Connection": "keep-alive"}
    async with (
        running_bot(env),
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1, force_close=False),
            trace_configs=[trace],
        ) as http,
    ):

        async def post(
            body: bytes, headers: dict[str, str], *, expect100: bool = False
        ) -> tuple[int, str]:
            async with http.post(hook, data=body, headers=headers, expect100=expect100) as reply:
                await reply.read()
                return reply.status, reply.headers.get("Connection", "").lower()

        wrong_secret = {**good, "X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert await post(_update(900, 7007, "/start"), wrong_secret) == (403, "")
        assert await post(b"{not json", good) == (400, "")
        assert await post(b"x" * (1024 * 1024), good) == (413, "")
        assert await post(b"x" * (1024 * 1024), wrong_secret) == (403, "")
        assert await post(_update(901, 7008, "/start"), good) == (200, "")
        assert len(opened) == 1, "a refused body is read, and the connection kept"

        # Too large even to read and drop: refused before the body, and the connection closed
        # with the answer saying so (a client that waits for 100 Continue sends no body).
        huge = b"x" * (DRAIN_LIMIT_BYTES + 1)
        assert await post(huge, good, expect100=True) == (413, "close")
        assert await post(huge, wrong_secret, expect100=True) == (403, "close")
        assert await post(_update(902, 7009, "/start"), good) == (200, "")
        assert len(opened) == 3, "each closed connection was announced as closed"
    assert tg.messages_to(7007) == []
    assert tg.messages_to(7008), "the good update was processed"
    assert tg.messages_to(7009)


async def test_polling_with_a_port_serves_health_for_the_platform(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    """``web: python -m bot`` without WEBHOOK_URL: the bot polls, and binds $PORT for /health so
    the platform does not stop the web process."""
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(tg, pg, database_url, PORT=str(port), WEBHOOK_LISTEN_HOST="127.0.0.1")
    async with running_bot(env), httpx.AsyncClient() as http:
        health = await http.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        hook = await http.post(f"http://127.0.0.1:{port}/telegram/hook", content=b"{}")
        assert hook.status_code == 404, "no webhook while polling"
        assert tg.webhook_url is None
        assert tg.method_calls("getUpdates") >= 1
        await Prospect(tg, chat_id=7010).introduce("Ada")
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/health")


def _webhook_environment(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, port: int
) -> dict[str, str]:
    return bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        PORT=str(port),
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )


async def test_a_body_that_is_not_an_update_gets_400_on_a_connection_that_stays_usable(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    """Valid JSON in the wrong shape, with the right secret: python-telegram-bot fails on it
    with AttributeError or TypeError, which must not become a 500."""
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    opened: list[object] = []

    async def on_create(*_: object) -> None:
        opened.append(object())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_create)
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Connection": "keep-alive"}
    bodies = [
        b"[]",
        b"null",
        b'"x"',
        b"5",
        b"{}",
        b'{"message": {}}',
        b'{"update_id": "5"}',
        b'{"update_id": true}',
        b'{"update_id": 5, "message": "x"}',
        b'{"update_id": 5, "message": []}',
        b'{"update_id": 5, "message": {"text": "hi"}}',
        b'{"update_id": 5, "callback_query": 7}',
    ]
    async with (
        running_bot(_webhook_environment(tg, pg, database_url, port)),
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=1, force_close=False), trace_configs=[trace]
        ) as http,
    ):
        for number, body in enumerate(bodies):
            async with http.post(hook, data=body, headers=good) as refused:
                await refused.read()
                assert (body, refused.status) == (body, 400)
            chat_id = 7100 + number
            async with http.post(
                hook, data=_update(910 + number, chat_id, "/start"), headers=good
            ) as served:
                await served.read()
                assert served.status == 200
            assert tg.messages_to(chat_id), "the update after the refused body was processed"
        assert len(opened) == 1, "every refusal kept the connection"


async def test_refused_requests_are_logged_once_a_minute_with_their_count(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def refusals() -> list[str]:
        """What the webhook's side logged at WARNING and above."""
        return [
            f"{r.levelname} {r.getMessage()}"
            for r in caplog.records
            if r.name.startswith("bot.telegram") and r.levelno >= logging.WARNING
        ]

    async with (
        running_bot(_webhook_environment(tg, pg, database_url, port), clock=clock),
        httpx.AsyncClient() as http,
    ):
        statuses = [
            (await http.post(hook, content=_update(1, 7200, "/start"), headers=wrong)).status_code
            for _ in range(700)
        ]
        statuses += [
            (await http.post(hook, content=b"x" * (1024 * 1024), headers=good)).status_code
            for _ in range(3)
        ]
        statuses += [
            (await http.post(hook, content=b"[]", headers=good)).status_code for _ in range(3)
        ]
        assert statuses == [403] * 700 + [413] * 3 + [400] * 3
        assert refusals() == [], "nothing is logged within the minute"

        clock.forward(61)
        last = await http.post(hook, content=b"", headers=wrong)
        assert last.status_code == 403
        assert refusals() == [
            "WARNING 707 webhook requests refused in the last minute "
            "(wrong secret: 701, too large: 3, not an update: 3)"
        ]
        await http.post(hook, content=b"null", headers=good)
    assert refusals()[1:] == [
        "WARNING 1 webhook request refused in the last minute (not an update: 1)"
    ], "what is left is logged when the bot stops"
    assert tg.messages_to(7200) == []
