"""Webhook mode over loopback: Telegram's pushes need the secret token; health for the platform."""

from __future__ import annotations

import json
import socket

import httpx

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

SECRET = "webhook-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
    port = _free_port()
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
