"""``GET /metrics``: what an operator watches, with nothing in it about any prospect."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, free_port, load_config, running_bot


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in /metrics:\n{text}")


TOKEN = "scrape-token-0123456789"


async def _metrics(port: int, token: str | None = None) -> str:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics", headers=headers)
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
        METRICS_TOKEN=TOKEN,  # the webhook port serves /metrics only with it (issue 23)
    )
    async with running_bot(env):
        zoe = Prospect(tg, chat_id=18001, first_name="Zoe")
        await zoe.confirm_lead("Zoe", "Quinn", "zoe.quinn@example.com")
        await zoe.expect("Thank you, Zoe")
        await asyncio.sleep(0.5)  # an outbox pass measures the queue
        text = await _metrics(port, TOKEN)
    assert _value(text, "leadsbot_updates_total") >= 5
    assert _value(text, 'leadsbot_leads_total{result="created",studio="main"}') == 1
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


def _webhook_environment(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, port: int, **extra: str
) -> dict[str, str]:
    return bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        PORT=str(port),
        WEBHOOK_SECRET="metrics-secret-0123456789",
        WEBHOOK_LISTEN_HOST="127.0.0.1",
        **extra,
    )


async def test_with_a_metrics_token_only_a_scraper_that_sends_it_sees_the_metrics(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    port = free_port()
    token = "scrape-token-0123456789"
    env = _webhook_environment(tg, pg, database_url, port, METRICS_TOKEN=token)
    async with running_bot(env), httpx.AsyncClient() as http:
        url = f"http://127.0.0.1:{port}/metrics"
        bare = await http.get(url)
        wrong = await http.get(url, headers={"Authorization": "Bearer scrape-token-012345678"})
        other_scheme = await http.get(url, headers={"Authorization": f"Basic {token}"})
        right = await http.get(url, headers={"Authorization": f"Bearer {token}"})
        health = await http.get(f"http://127.0.0.1:{port}/health")
    assert [bare.status_code, wrong.status_code, other_scheme.status_code] == [401, 401, 401]
    assert bare.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "leadsbot_" not in bare.text + wrong.text + other_scheme.text
    assert right.status_code == 200
    assert _value(right.text, "leadsbot_is_poller") == 0
    assert health.status_code == 200, "the platform's health check needs no token"
    assert "is public" not in caplog.text
    assert token not in caplog.text


async def test_without_a_token_the_webhook_port_serves_no_metrics_and_the_metrics_port_does(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 23: the webhook port is public by design (a proxy in front of it makes it so
    whatever it binds), so the studio's figures go there only with METRICS_TOKEN; without it
    they are on METRICS_PORT, on this machine alone, and the start says where."""
    caplog.set_level(logging.WARNING)
    port, metrics_port = free_port(), free_port()
    async with running_bot(_webhook_environment(tg, pg, database_url, port)):
        async with httpx.AsyncClient() as http:
            hidden = await http.get(f"http://127.0.0.1:{port}/metrics")
            health = await http.get(f"http://127.0.0.1:{port}/health")
        assert hidden.status_code == 404
        assert "leadsbot_" not in hidden.text
        assert health.status_code == 200
    [warning] = [r for r in caplog.records if "/metrics" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == (
        f"GET /metrics is not served on port {port} without METRICS_TOKEN (the studio's lead "
        "and funnel figures): set METRICS_TOKEN, or METRICS_PORT for a port of its own on this "
        "machine"
    )
    caplog.clear()

    env = _webhook_environment(tg, pg, database_url, port, METRICS_PORT=str(metrics_port))
    async with running_bot(env):
        async with httpx.AsyncClient() as http:
            hidden = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert hidden.status_code == 404
        assert _value(await _metrics(metrics_port), "leadsbot_is_poller") == 0
        assert await _reachable("127.0.0.1", metrics_port)
        assert not await _reachable("127.0.0.2", metrics_port)
    assert "/metrics" not in caplog.text, "nothing public, nothing missing"


async def test_the_perfectgym_webhook_on_the_metrics_port_does_not_make_the_metrics_public(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Polling without PORT: PerfectGym's webhook is served on METRICS_PORT, bound to every
    address for PerfectGym to reach it; the figures are then served only with the token."""
    caplog.set_level(logging.WARNING)
    port = free_port()
    env = bot_environment(
        tg,
        pg,
        database_url,
        METRICS_PORT=str(port),
        METRICS_LISTEN_HOST="0.0.0.0",
        PERFECTGYM_WEBHOOK_KEY="pg-hook-key-0123456789abcdef",
    )
    async with running_bot(env), httpx.AsyncClient() as http:
        hidden = await http.get(f"http://127.0.0.1:{port}/metrics")
        hook = await http.post(f"http://127.0.0.1:{port}/perfectgym/webhook", content=b"{}")
    assert hidden.status_code == 404
    assert hook.status_code == 401  # the route is there, and wants the studio's key
    assert (
        f"GET /metrics is not served on port {port}: it takes PerfectGym's events on 0.0.0.0"
        in caplog.text
    )
    assert "is public" not in caplog.text
    caplog.clear()

    async with running_bot({**env, "METRICS_TOKEN": TOKEN}), httpx.AsyncClient() as http:
        bare = await http.get(f"http://127.0.0.1:{port}/metrics")
        for _ in range(2):
            await http.post(f"http://127.0.0.1:{port}/perfectgym/webhook", content=b"{}")
        text = await _metrics(port, TOKEN)
    assert bare.status_code == 401
    assert _value(text, "leadsbot_is_poller") == 1
    assert _value(text, 'leadsbot_webhook_refusals_total{reason="perfectgym_wrong_key"}') == 2
    assert "/metrics" not in caplog.text


async def _reachable(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_the_metrics_port_listens_on_this_machine_alone_unless_told_otherwise(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """127.0.0.2 is this machine too, but not the address 127.0.0.1: a server bound to
    127.0.0.1 refuses it, one bound to every address (``0.0.0.0``) accepts it."""
    caplog.set_level(logging.WARNING)
    port = free_port()
    async with running_bot(bot_environment(tg, pg, database_url, METRICS_PORT=str(port))):
        assert await _reachable("127.0.0.1", port)
        assert not await _reachable("127.0.0.2", port)
        await _metrics(port)
    assert "is public" not in caplog.text, "only this machine reaches it"

    env = bot_environment(
        tg, pg, database_url, METRICS_PORT=str(port), METRICS_LISTEN_HOST="0.0.0.0"
    )
    async with running_bot(env):
        assert await _reachable("127.0.0.2", port)
    assert f"GET /metrics on port {port} is public" in caplog.text
