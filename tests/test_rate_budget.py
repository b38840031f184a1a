"""Each studio's key has its own rate budget, a 429 pauses only that key's endpoint, and
background calls of all studios together stay within the gate's bound.

Time is a fake clock the tests move (``FakeClock``): a call that waits for its budget sleeps on
it, so "waits" and "does not wait" are states to observe, never durations. The client runs
against loopback fakes over real HTTP, one per tenant, each with its own key and port.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import pytest

from bot.perfectgym.budget import BackgroundGate, OverBudget, RateBudget, background_gate
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymThrottled,
    PerfectGymUnavailable,
)
from bot.standin.leads import sample_config
from tests.fake_perfectgym import FakePerfectGym, InFlight
from tests.test_perfectgym_trials import assert_contract

KEY_A = "pgk-tenantA-7Qm2x9LrT4"
KEY_B = "pgk-tenantB-3e5f7a9b1d"
CONFIG = "GET /v1/leads/config"
OFFERS = "GET /v1/trial-offers/bookable-trial-offers/classes"


class FakeClock:
    """Time that moves only when a test calls ``advance``; ``sleep`` ends once it has."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), wake))
        await wake

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while self._sleepers and self._sleepers[0][0] <= self.now:
            _, _, wake = heapq.heappop(self._sleepers)
            if not wake.done():
                wake.set_result(None)


def budget(clock: FakeClock, per_minute: int = 1000, margin: int = 50) -> RateBudget:
    return RateBudget(per_minute, margin=margin, clock=clock, wall=clock, sleep=clock.sleep)


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a state; the timeout only guards against a hung test."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the state lives in another object, no event
            await asyncio.sleep(0.005)


async def settle() -> None:
    """Let every task that can run, run (a woken sleeper, a finished take)."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the budget on its own ---------------------------------------------------------------------


def test_the_default_budget_leaves_a_margin_under_the_vendors_limit() -> None:
    assert RateBudget().limit == 950
    with pytest.raises(ValueError, match="at least one call"):
        RateBudget(10, margin=10)


async def test_the_call_over_the_budget_waits_but_another_endpoints_does_not(
    clock: FakeClock,
) -> None:
    spent = budget(clock, per_minute=3, margin=0)
    for _ in range(3):
        assert await spent.take(CONFIG) == 0.0
    fourth = asyncio.create_task(spent.take(CONFIG))
    fifth = asyncio.create_task(spent.take(CONFIG))
    await settle()
    assert spent.waiting(CONFIG) == 2
    assert await spent.take(OFFERS) == 0.0  # another endpoint: its own budget
    clock.advance(59)
    await settle()
    assert not fourth.done()
    assert not fifth.done()
    clock.advance(1)
    assert await fourth == 60.0
    assert await fifth == 60.0
    # The window now holds the two calls made at 60: one more fits, the one after waits.
    assert await spent.take(CONFIG) == 0.0
    sixth = asyncio.create_task(spent.take(CONFIG))
    await settle()
    assert spent.waiting(CONFIG) == 1
    clock.advance(60)
    assert await sixth == 60.0


async def test_spend_is_take_around_the_call(clock: FakeClock) -> None:
    spent = budget(clock, per_minute=1, margin=0)
    async with spent.spend(CONFIG):
        pass
    with pytest.raises(OverBudget):
        async with spent.spend(CONFIG, max_wait=59):
            pytest.fail("over the budget, the call is not made")


async def test_waiters_go_in_the_order_they_came(clock: FakeClock) -> None:
    spent = budget(clock, per_minute=1, margin=0)
    await spent.take(CONFIG)
    done: list[int] = []

    async def call(number: int) -> None:
        await spent.take(CONFIG)
        done.append(number)

    waiters = [asyncio.create_task(call(number)) for number in range(3)]
    await settle()
    for expected in ([0], [0, 1], [0, 1, 2]):
        clock.advance(60)
        await settle()
        assert done == expected
    await asyncio.gather(*waiters)


async def test_a_call_that_would_wait_too_long_fails_at_once_and_spends_nothing(
    clock: FakeClock,
) -> None:
    spent = budget(clock, per_minute=2, margin=0)
    await spent.take(CONFIG)
    clock.advance(15)
    await spent.take(CONFIG)
    with pytest.raises(OverBudget) as refused:
        await spent.take(CONFIG, max_wait=10)
    assert refused.value.wait == 45.0
    assert spent.waiting(CONFIG) == 0
    clock.advance(45)  # the first call leaves the window; the refused one took no place
    assert await spent.take(CONFIG, max_wait=0) == 0.0


async def test_a_pause_holds_back_only_its_endpoint(clock: FakeClock) -> None:
    spent = budget(clock)
    assert spent.pause(CONFIG, 30) == 30
    assert spent.paused_for(CONFIG) == 30
    waiting = asyncio.create_task(spent.take(CONFIG))
    await settle()
    assert spent.waiting(CONFIG) == 1
    assert await spent.take(OFFERS) == 0.0
    clock.advance(29)
    await settle()
    assert not waiting.done()
    clock.advance(1)
    assert await waiting == 30.0


async def test_a_pause_without_retry_after_lasts_the_rest_of_the_minute() -> None:
    clock = FakeClock(now=60 * 1000 + 45)
    spent = budget(clock)
    assert spent.pause(CONFIG) == 15
    with pytest.raises(OverBudget):
        await spent.take(CONFIG, max_wait=14)
    clock.advance(15)
    assert await spent.take(CONFIG, max_wait=0) == 0.0


def test_the_rest_of_the_minute_is_capped_by_the_operators_pause() -> None:
    clock = FakeClock(now=60 * 1000 + 15)
    spent = RateBudget(pause_without_retry_after=5, clock=clock, wall=clock, sleep=clock.sleep)
    assert spent.pause(CONFIG) == 5
    assert spent.pause(OFFERS, 30) == 30  # the vendor's Retry-After is not capped


async def test_a_pause_during_the_wait_keeps_the_waiter_waiting(clock: FakeClock) -> None:
    spent = budget(clock, per_minute=1, margin=0)
    await spent.take(CONFIG)
    waiting = asyncio.create_task(spent.take(CONFIG))
    await settle()
    clock.advance(30)
    spent.pause(CONFIG, 60)  # a 429 meanwhile: until 90
    clock.advance(30)
    await settle()
    assert not waiting.done()
    assert spent.waiting(CONFIG) == 1
    clock.advance(30)
    assert await waiting == 90.0


# --- the client, against fake tenants over loopback HTTP ---------------------------------------


@pytest.fixture
async def tenant_a(clock: FakeClock) -> AsyncIterator[FakePerfectGym]:
    async with FakePerfectGym(
        sample_config(), KEY_A, rate_limit_per_minute=3, rate_clock=clock
    ) as fake:
        yield fake


@pytest.fixture
async def tenant_b(clock: FakeClock) -> AsyncIterator[FakePerfectGym]:
    async with FakePerfectGym(
        sample_config(), KEY_B, rate_limit_per_minute=3, rate_clock=clock
    ) as fake:
        yield fake


def client(
    fake: FakePerfectGym, key: str, spent: RateBudget, *, deadline: float | None = None
) -> PerfectGymClient:
    return PerfectGymClient(fake.url, key, timeout=5.0, deadline=deadline, budget=spent)


async def test_two_tenants_each_answer_only_their_own_key(
    tenant_a: FakePerfectGym, tenant_b: FakePerfectGym, clock: FakeClock
) -> None:
    assert tenant_a.url != tenant_b.url
    async with client(tenant_a, KEY_B, budget(clock)) as wrong:
        with pytest.raises(PerfectGymAuthError):
            await wrong.get_config()
    async with client(tenant_b, KEY_B, budget(clock)) as right:
        await right.get_config()
    assert tenant_a.calls["config"] == 1
    assert tenant_b.calls["config"] == 1


async def test_the_client_waits_for_its_budget_and_sends_nothing_meanwhile(
    clock: FakeClock,
) -> None:
    async with (
        FakePerfectGym(sample_config(), KEY_A) as fake,
        client(fake, KEY_A, budget(clock, per_minute=2, margin=0), deadline=120) as pg,
    ):
        await pg.get_config()
        await pg.get_config()
        third = asyncio.create_task(pg.get_config())
        await until(lambda: pg.budget.waiting(CONFIG) == 1)
        await pg.class_offers()  # another endpoint goes at once
        assert fake.calls["config"] == 2
        clock.advance(60)
        await third
        assert fake.calls["config"] == 3
        assert fake.calls["class_offers"] == 1


async def test_a_call_whose_wait_would_outlast_its_deadline_fails_unsent(
    clock: FakeClock,
) -> None:
    seen: list[tuple[str, str]] = []
    async with (
        FakePerfectGym(sample_config(), KEY_A) as fake,
        PerfectGymClient(
            fake.url,
            KEY_A,
            timeout=5.0,  # deadline 7.5 s: at most 2.5 s of it for the budget
            budget=budget(clock, per_minute=1, margin=0),
            observe=lambda endpoint, status, _: seen.append((endpoint, status)),
        ) as pg,
    ):
        await pg.get_config()
        with pytest.raises(PerfectGymThrottled) as throttled:
            await pg.get_config()
    assert isinstance(throttled.value, PerfectGymUnavailable)  # handled as today's failures
    assert throttled.value.retry_after == 60.0
    assert throttled.value.maybe_processed is False
    assert throttled.value.status is None
    assert fake.calls["config"] == 1
    assert seen == [(CONFIG, "200"), (CONFIG, "throttled")]


async def test_after_a_429_the_client_waits_its_retry_after_before_that_endpoint_again(
    tenant_a: FakePerfectGym, clock: FakeClock
) -> None:
    clock.advance(20)  # the fake's minute ends at 60: Retry-After 40
    async with client(tenant_a, KEY_A, budget(clock), deadline=120) as pg:
        for _ in range(3):
            await pg.get_config()
        with pytest.raises(PerfectGymUnavailable) as limited:
            await pg.get_config()
        assert limited.value.status == 429
        assert limited.value.retry_after == 40.0
        assert pg.budget.paused_for(CONFIG) == 40.0
        following = asyncio.create_task(pg.get_config())
        await until(lambda: pg.budget.waiting(CONFIG) == 1)
        await pg.class_offers()  # the pause is the endpoint's, not the key's
        clock.advance(39)
        await settle()
        assert pg.budget.waiting(CONFIG) == 1
        clock.advance(1)
        await following
    assert [at for endpoint, at in tenant_a.arrivals if endpoint == "config"] == [20.0] * 4 + [60.0]
    assert [status for endpoint, status, _ in tenant_a.responses if endpoint == "config"] == [
        200,
        200,
        200,
        429,
        200,
    ]


async def test_a_flooded_tenant_does_not_slow_another(
    tenant_a: FakePerfectGym, tenant_b: FakePerfectGym, clock: FakeClock
) -> None:
    async with (
        client(tenant_a, KEY_A, budget(clock)) as studio_a,
        client(tenant_b, KEY_B, budget(clock)) as studio_b,
    ):
        flood = await asyncio.gather(
            *(studio_a.get_config() for _ in range(6)), return_exceptions=True
        )
        assert sorted(type(result).__name__ for result in flood).count("PerfectGymUnavailable") == 3
        assert studio_a.budget.paused_for(CONFIG) == 60.0
        # Studio A's next config call fails unsent (its deadline is shorter than the pause)...
        with pytest.raises(PerfectGymThrottled):
            await studio_a.get_config()
        assert tenant_a.calls["config"] == 6
        # ...while studio B's calls go at once: the fake clock has not moved, so any wait for a
        # budget or a pause would never end.
        async with asyncio.timeout(10):
            for _ in range(3):
                await studio_b.get_config()
            await studio_b.class_offers()
        assert studio_b.budget.paused_for(CONFIG) == 0.0
        assert studio_b.budget.waiting(CONFIG) == 0
    assert [status for endpoint, status, _ in tenant_b.responses] == [200] * 4
    assert clock.now == 0.0


async def test_the_fakes_429_keeps_the_trial_offers_contract(
    tenant_a: FakePerfectGym, clock: FakeClock
) -> None:
    async with client(tenant_a, KEY_A, budget(clock)) as pg:
        for _ in range(3):
            await pg.class_offers()
        with pytest.raises(PerfectGymUnavailable):
            await pg.class_offers()
    assert [status for _, status, _ in tenant_a.responses] == [200, 200, 200, 429]
    assert not tenant_a.injected
    assert_contract(tenant_a)


# --- the background gate -----------------------------------------------------------------------


async def test_the_gate_bounds_the_background_calls_of_many_studios() -> None:
    """Twenty studios start at once (config and trial offers each) through a gate of three;
    meanwhile a prospect-facing call, outside the gate, goes straight through."""
    gate = BackgroundGate(3)
    shared = InFlight()
    async with AsyncExitStack() as stack:
        fakes = [
            await stack.enter_async_context(
                FakePerfectGym(sample_config(), f"pgk-studio-{n}", in_flight=shared)
            )
            for n in range(20)
        ]
        clients = [
            await stack.enter_async_context(PerfectGymClient(fake.url, f"pgk-studio-{n}"))
            for n, fake in enumerate(fakes)
        ]
        prospect_fake = await stack.enter_async_context(FakePerfectGym(sample_config(), KEY_B))
        prospect = await stack.enter_async_context(PerfectGymClient(prospect_fake.url, KEY_B))

        async def start_up(pg: PerfectGymClient) -> None:
            with gate.background():
                assert background_gate() is gate
                await pg.get_config()
                await pg.class_offers()

        for fake in fakes:
            fake.hold()
        started = [asyncio.create_task(start_up(pg)) for pg in clients]
        try:
            await until(lambda: shared.now == 3 and gate.waiting == 17)
            assert background_gate() is None
            await prospect.get_config()
            assert gate.waiting == 17
        finally:
            for fake in fakes:
                fake.release()
            await asyncio.gather(*started)
    assert shared.peak == 3
    assert gate.peak == 3
    assert sum(fake.calls["config"] + fake.calls["class_offers"] for fake in fakes) == 40


async def test_a_gate_slot_can_hold_any_work() -> None:
    gate = BackgroundGate(2)
    running = 0
    most = 0
    go = asyncio.Event()

    async def work() -> None:
        nonlocal running, most
        async with gate.slot():
            running += 1
            most = max(most, running)
            await go.wait()
            running -= 1

    tasks = [asyncio.create_task(work()) for _ in range(5)]
    await until(lambda: gate.waiting == 3)
    assert (gate.active, running) == (2, 2)
    go.set()
    await asyncio.gather(*tasks)
    assert most == 2
    with pytest.raises(ValueError, match="at least 1"):
        BackgroundGate(0)
