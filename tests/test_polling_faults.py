"""The polling loop under faults that are not Telegram's: it says why, pauses and goes on, and
/health says when it is stuck (issue 22: no silence).

Telegram's own failures (5xx, 409, the network) were always retried; anything else (an answer
python-telegram-bot cannot read, a fault in the bot's loop) used to end polling without a line
while /health still answered 200.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import GARBLED, FakeTelegram, is_settle
from tests.harness import Prospect, bot_environment, free_port, load_config, running_bot


async def _until_health(http: httpx.AsyncClient, port: int, status: int) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while (answer := await http.get(f"http://127.0.0.1:{port}/health")).status_code != status:
        if loop.time() > deadline:
            raise AssertionError(f"/health never answered {status}")
        await asyncio.sleep(0.05)
    return answer


async def test_get_updates_answers_the_bot_cannot_read_are_logged_and_polling_goes_on(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(tg, pg, database_url, METRICS_PORT=str(port))
    async with running_bot(env), httpx.AsyncClient() as http:
        maxi = Prospect(tg, chat_id=23001, first_name="Maxi")
        await maxi.introduce()  # the welcome, asking for the first name
        tg.garble("getUpdates", times=3)
        await maxi.send("Maxi")
        stuck = await _until_health(http, port, 503)
        assert stuck.json()["status"] == "unavailable"
        assert stuck.json()["reason"].startswith(
            "polling failed 3 times in a row (AttributeError in "
        )
        # After its pauses the loop asks again and takes the answer sent meanwhile.
        while is_settle(message := await tg.next_message(maxi.chat_id, timeout=30)):
            pass
        assert "last name" in (message.text or "")
        assert (await _until_health(http, port, 200)).json() == {"status": "ok"}
    failed = [r for r in caplog.records if "polling for updates failed" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.ERROR] * 3
    assert failed[0].getMessage().startswith("polling for updates failed (AttributeError in ")
    assert failed[0].getMessage().endswith("); again in 1 s")
    assert GARBLED not in caplog.text
    assert not [r for r in caplog.records if "stopped" in r.getMessage()]
    seen = [m.text or "" for m in tg.messages_to(maxi.chat_id) if not is_settle(m)]
    assert sum("last name" in text for text in seen) == 1
    assert sum("first name" in text for text in seen) == 1
