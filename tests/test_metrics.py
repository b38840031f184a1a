"""``GET /metrics``: what an operator watches, with nothing in it about any prospect."""

from __future__ import annotations

import asyncio

import httpx

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, free_port, load_config, running_bot


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics:\n{text}")


async def _metrics(port: int) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_metrics_on_the_webhook_port_count_updates_leads_and_perfectgym_calls(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    port = free_port()
    env = bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        PORT=str(port),
        WEBHOOK_SECRET="metrics-secret-0123456789",
        WEBHOOK_LISTEN_HOST="127.0.0.1",
        OUTBOX_RETRY_BASE_SECONDS="0.2",
    )
    async with running_bot(env):
        zoe = Prospect(tg, chat_id=18001, first_name="Zoe")
        await zoe.confirm_lead("Zoe", "Quinn", "zoe.quinn@example.com")
        await zoe.expect("Thank you, Zoe")
        await asyncio.sleep(0.5)  # an outbox pass measures the queue
        text = await _metrics(port)
    assert _value(text, "leadsbot_updates_total") >= 5
    assert _value(text, 'leadsbot_leads_total{result="created"}') == 1
    assert _value(text, "leadsbot_outbox_pending") == 0
    assert _value(text, "leadsbot_outbox_oldest_due_age_seconds") == 0
    assert _value(text, "leadsbot_is_poller") == 0  # webhook mode: nobody polls
    created = (
        'leadsbot_perfectgym_request_seconds_count{endpoint="POST /v1/leads/create",status="200"}'
    )
    assert _value(text, created) == 1
    for personal in ("18001", "Zoe", "Quinn", "zoe.quinn", "example.com"):
        assert personal not in text


async def test_metrics_port_when_polling_shows_the_poller(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    port = free_port()
    async with running_bot(bot_environment(tg, pg, database_url, METRICS_PORT=str(port))):
        text = await _metrics(port)
    assert _value(text, "leadsbot_is_poller") == 1
