"""``python -m bench --studios N``: one bot for a chain of N studios, against one studio and the floor.

One loopback server answers for all N studios (``tests.fake_chain.FakeChain``), each with its own
key, so the bot holds one PerfectGym client per studio, as in production. STUDIOS_FILE names the
studios s000, s001, ... spread over a few cities, with coordinates. Three runs:

1. the real bot with N studios: start-up (spawn to the first ``getUpdates``, and to the moment
   the last studio's information and configuration were answered), the peak of PerfectGym
   requests in flight meanwhile, one prospect's ``/start`` sent the moment the bot polls (the
   club question, while the studios load), then a crowd: prospect ``i`` joins studio ``i mod N``,
   every fourth by a deep link naming it, the others by the club question (a city, then the club);
2. the same bot and crowd with one studio (no club question): the peak RSS to compare with;
3. the floor with the same updates as run 1, club question included.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.conversation import Kind, Step, lead_conversation
from bench.processes import BotUnderTest, Memory, module_command
from bench.prospects import CrowdResult, converse, crowd
from bench.stats import HEADER, Latencies, by_kind, comparable
from tests.fake_chain import CITIES, FakeChain, chain_studios, studios_toml
from tests.fake_telegram import FakeTelegram
from tests.harness import TOKEN, load_config

CONFIG = "everything"
LOADING_CHAT = 2  # the prospect who writes /start while the studios load
WARM_UP_CHAT = 1
CROWD_CHATS = 100_000
DEEP_LINK_EVERY = 4
LOAD_TIMEOUT = 300.0
MIN_THROUGHPUT = 15.0  # bot messages per second assumed when bounding a run


@dataclass(frozen=True)
class ChainRun:
    studios: int
    startup: float  # spawn to the first getUpdates
    loaded: float  # spawn to the last studio's configuration answered
    question: float  # the club question's latency for a /start sent at the first getUpdates
    loaded_at_question: int  # studios loaded when that question arrived
    peak_in_flight: int  # PerfectGym requests in flight at once, spawn to loaded
    start_calls: dict[str, int]  # PerfectGym calls, spawn to loaded
    crowd: CrowdResult
    leads: dict[str, int]  # created per studio over the crowd
    memory: Memory
    bot_cpu: float


def club_conversation(chat: int, studios: int, today: datetime.date) -> tuple[Step, ...]:
    """The crowd's prospect ``p`` (chat ``CROWD_CHATS + p``) joins studio ``p mod studios``: by
    a deep link, or by the club question (its city, then the club); then the whole lead
    conversation, with an e-mail unique to the chat."""
    prospect = chat - CROWD_CHATS
    index = prospect % studios
    studio = f"s{index:03d}"
    whole = lead_conversation(chat, today, iso_dates=True)
    rest = whole[1:]
    if studios == 1:
        return whole
    if prospect % DEEP_LINK_EVERY == DEEP_LINK_EVERY - 1:
        return (Step(Kind.START, f"/start {studio}", 1, "1/15"), *rest)
    city = CITIES[index % len(CITIES)][0]
    if studios > 8:
        choose: tuple[Step, ...] = (
            Step(Kind.START, "/start", 2, "Which club"),
            Step(Kind.CLUB, city, 1, f"Our clubs in {city}"),
            Step(Kind.CLUB, f"Sol {studio}", 2, "1/15"),
        )
    else:
        choose = (
            Step(Kind.START, "/start", 2, "Which club"),
            Step(Kind.CLUB, f"Sol {studio}", 2, "1/15"),
        )
    return (*choose, *rest)


def _time_limit(prospects: int, steps: Sequence[Step], think: float) -> float:
    messages = prospects * sum(step.replies for step in steps)
    return 60.0 + messages / MIN_THROUGHPUT + 1.5 * len(steps) * think


async def _crowd(
    tg: FakeTelegram,
    chats: Sequence[int],
    script: Callable[[int], Sequence[Step]],
    think: float,
) -> CrowdResult:
    return await crowd(tg, chats, script, _time_limit(len(chats), script(chats[0]), think), think)


async def chain_run(
    studios: int,
    prospects: int,
    think: float,
    latency: float,
    workdir: Path,
    today: datetime.date,
) -> ChainRun:
    """The real bot serving ``studios`` studios (see the module's docstring)."""

    def script(chat: int) -> Sequence[Step]:
        return club_conversation(chat, studios, today)

    fakes = chain_studios(studios)
    async with contextlib.AsyncExitStack() as stack:
        tg = await stack.enter_async_context(FakeTelegram(TOKEN))
        pg = await stack.enter_async_context(FakeChain(fakes, load_config(CONFIG), latency=latency))
        studios_file = workdir / f"studios-{studios}.toml"
        studios_file.write_text(studios_toml(fakes, pg.url))
        env = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.base_url,
            "DATABASE_URL": f"sqlite:///{workdir / f'chain-{studios}.sqlite3'}",
            "LOG_LEVEL": "WARNING",
            "STUDIOS_FILE": str(studios_file),
            **{studio.key_variable: studio.key for studio in fakes},
        }
        bot = BotUnderTest(module_command("bot"), env, tg, workdir / f"chain-{studios}.log")
        spawned = time.perf_counter()
        await bot.start()
        try:
            loop = asyncio.get_running_loop()
            first = Step(Kind.START, "/start", 2 if studios > 1 else 1, "")
            early = await converse(tg, LOADING_CHAT, (first,), loop.time() + 60.0)
            if early.failure is not None:
                raise RuntimeError(f"the /start while loading failed: {early.failure}")
            loaded_at_question = pg.loaded()
            await pg.all_loaded(LOAD_TIMEOUT)
            assert pg.loaded_at is not None
            loaded = pg.loaded_at - spawned
            peak, start_calls = pg.peak_in_flight, dict(pg.calls)
            warm = lead_conversation(WARM_UP_CHAT, today, iso_dates=True)
            warm_up = await converse(
                tg, WARM_UP_CHAT, (Step(Kind.START, "/start s000", 1, "1/15"), *warm[1:]), 1e9
            )
            if warm_up.failure is not None:
                raise RuntimeError(f"the warm-up failed: {warm_up.failure}\n{bot.log_tail()}")
            before = pg.created_per_studio()
            cpu = bot.cpu_seconds()
            chats = range(CROWD_CHATS, CROWD_CHATS + prospects)
            result = await _crowd(tg, chats, script, think)
            bot_cpu = bot.cpu_seconds() - cpu
            after = pg.created_per_studio()
            memory = bot.memory()
        finally:
            await bot.stop()
    return ChainRun(
        studios=studios,
        startup=bot.startup_seconds,
        loaded=loaded,
        question=early.samples[0].seconds,
        loaded_at_question=loaded_at_question,
        peak_in_flight=peak,
        start_calls=start_calls,
        crowd=result,
        leads={studio: after[studio] - before[studio] for studio in after},
        memory=memory,
        bot_cpu=bot_cpu,
    )


def _ratio(ours: float, floor: float) -> float:
    return ours / floor if floor > 0 else math.inf


def render_chain(
    chain: ChainRun, one: ChainRun, floor: CrowdResult, think: float, latency: float
) -> str:
    n, c = chain.studios, chain.crowd
    got = collections.Counter(chain.leads.values())
    every = all(count > 0 for count in chain.leads.values())
    expected = {f"s{i:03d}": 0 for i in range(n)}
    for prospect in range(c.prospects):
        expected[f"s{prospect % n:03d}"] += 1
    right = chain.leads == expected
    pace = f"about {think:g} s after" if think else "as soon as"
    out = [
        f"Chain benchmark: {n} studios in one bot (STUDIOS_FILE, one PerfectGym client and key "
        f"each, {len(CITIES)} cities), PerfectGym latency {latency * 1000:.0f} ms",
        f"{c.prospects} prospects; prospect i joins studio i mod {n}, every {DEEP_LINK_EVERY}th by "
        f"a deep link, the others by the club question; they answer {pace} the question arrives",
        "",
        f"Start-up                                {n} studios      1 studio",
        f"  spawn to first getUpdates             {chain.startup:8.2f} s  {one.startup:8.2f} s",
        f"  spawn to every studio loaded          {chain.loaded:8.2f} s  {one.loaded:8.2f} s",
        f"  PerfectGym calls until then           {_calls(chain.start_calls)}",
        f"  PerfectGym requests in flight, peak   {chain.peak_in_flight}",
        f"  /start at the first getUpdates        club question in {chain.question * 1000:.1f} ms, "
        f"{chain.loaded_at_question} of {n} studios loaded by then",
        "",
        f"Memory and CPU over the crowd           {n} studios      1 studio",
        f"  peak RSS (VmHWM)                      {chain.memory.peak_mb:8.1f} MB {one.memory.peak_mb:8.1f} MB"
        f"  (+{chain.memory.peak_mb - one.memory.peak_mb:.1f} MB, "
        f"{(chain.memory.peak_mb - one.memory.peak_mb) * 1000 / max(n - 1, 1):.0f} kB per studio)",
        f"  bot CPU per update                    {_per_update(chain):8.2f} ms {_per_update(one):8.2f} ms",
        "",
        f"Leads ({n} studios)",
        f"  created                               {sum(chain.leads.values())} / {c.prospects}, "
        f"{sum(1 for v in chain.leads.values() if v)} of {n} studios got leads "
        f"({', '.join(f'{k} studios {v}' for k, v in sorted(got.items()))} each), "
        f"each studio its own: {'yes' if right else 'NO'}",
        "",
        f"Reply latency, {n} studios, club question included",
    ]
    out.append(HEADER)
    out.append(Latencies.of(c.samples).row("all updates"))
    out.append(Latencies.of(comparable(c.samples)).row("all but the confirmation"))
    for kind, latencies in by_kind(c.samples).items():
        out.append(latencies.row(f"  {kind}"))
    out.append(Latencies.of(comparable(one.crowd.samples)).row("1 studio, all but confirmation"))
    out.append(Latencies.of(comparable(floor.samples)).row("floor, all but the confirmation"))
    ours, base = Latencies.of(comparable(c.samples)), Latencies.of(comparable(floor.samples))
    p50, p99 = _ratio(ours.p50, base.p50), _ratio(ours.p99, base.p99)
    out.append(f"  ours / floor, all but the confirmation  p50 {p50:.2f}x   p99 {p99:.2f}x")
    failures = c.failures + one.crowd.failures + floor.failures
    if failures:
        out.append(f"  !! {len(failures)} prospects did not finish, e.g. {failures[0]}")
    out += [
        "",
        "Targets",
        f"  {_verdict(p50 <= 1.5)}  per-update p50 within 1.5x of the floor: {p50:.2f}x",
        f"  {_verdict(p99 <= 2.0)}  per-update p99 within 2.0x of the floor: {p99:.2f}x",
        f"  {_verdict(every and right and not failures)}  every studio got its own leads",
        f"  {_verdict(chain.loaded_at_question < n or n == 1)}  the club question came before "
        "the studios had loaded",
        "(p50/p99 ratios leave out the confirmation; MB = 10^6 bytes; percentiles nearest-rank)",
    ]
    return "\n".join(out)


def _calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))


def _per_update(run: ChainRun) -> float:
    updates = len(run.crowd.samples)
    return run.bot_cpu / updates * 1000 if updates else math.nan


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
