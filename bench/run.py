"""``python -m bench``: the real bot under many simultaneous prospects, against its floor.

Everything runs on 127.0.0.1. This process serves the fake Bot API and the fake PerfectGym (with
``--latency`` on each of its answers) and plays the prospects; the bots under test are separate
OS processes, so their peak RSS is their own (VmHWM in /proc/<pid>/status):

1. the real bot (``python -m bot``, SQLite in a temporary directory): one warm-up conversation,
   then ``--alone-runs`` single prospects one after another, then ``--prospects`` at once;
2. the floor (``python -m bench.echo_bot``): a warm-up, then the same crowd with the same updates
   (with ``--database postgres`` it stores each update in its own fresh database behind the same
   delay before replying, so both sides pay for keeping what the prospect said);
3. a fresh real bot with ``--parked`` prospects who start, answer three questions and stay.

It prints the figures and PASS/FAIL per target and exits 0 either way: it is a measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import io
import math
import os
import pstats
import resource
import sqlite3
import statistics
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.chain import chain_run, club_conversation, render_chain
from bench.conversation import (
    Step,
    echo_conversation,
    lead_conversation,
    parked_conversation,
)
from bench.database import proxied_database
from bench.processes import BENCH_CPU, ROOT, BotUnderTest, Memory, module_command, pin_to_cpu
from bench.prospects import CrowdResult, Sample, crowd
from bench.stats import HEADER, Latencies, by_kind, comparable, percentile
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, TOKEN, free_port, load_config
from tests.round_robin import RoundRobinProxy

CONFIG = "everything"
WARM_UP_CHAT = 1
ALONE_CHATS = 10
CROWD_CHATS = 100_000
MIN_THROUGHPUT = 15.0  # bot messages per second assumed when bounding a run; the limiter allows 30

DEFAULT_THINK = 10.0  # seconds per answer: people read the question and type
P50_TARGET = 1.5
P99_TARGET = 2.0
ALONE_TARGET = 3.0
RSS_TARGET_MB = 150.0
UPDATES_TARGET = 17
TELEGRAM_RATE = 30.0  # messages per second, AIORateLimiter's default overall limit


@dataclass(frozen=True)
class Options:
    prospects: int
    latency: float
    parked: int
    alone_runs: int
    think: float
    rate_limit: bool
    profile: Path | None
    database: str = "sqlite"
    instances: int = 1
    studios: int = 0  # 0: the single-studio benchmark; N: the chain benchmark (bench.chain)


@dataclass(frozen=True)
class Calls:
    config: int
    validate: int
    create: int


@dataclass(frozen=True)
class LeadRun:
    startup: float
    alone: list[float]
    alone_waits: list[list[float]]
    crowd: CrowdResult
    leads: int
    calls: Calls
    messages: int
    edits: int
    bot_cpu: float
    bench_cpu: float
    memory: Memory
    telegram_errors: list[str]
    database_trips: int | None = None  # PostgreSQL round trips over the crowd
    duplicates: int = 0  # leads created twice for one prospect
    served: list[int] = field(default_factory=list)  # webhook requests per instance


@dataclass(frozen=True)
class FloorRun:
    startup: float
    crowd: CrowdResult
    messages: int
    bot_cpu: float
    bench_cpu: float
    memory: Memory


@dataclass(frozen=True)
class ParkedRun:
    idle: Memory
    crowd: CrowdResult
    stored: int
    memory: Memory


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _time_limit(prospects: int, steps: Sequence[Step], think: float) -> float:
    messages = prospects * sum(step.replies for step in steps)
    return 60.0 + messages / MIN_THROUGHPUT + 1.5 * len(steps) * think


def _bot_env(tg: FakeTelegram, pg: FakePerfectGym, database: Path | str) -> dict[str, str]:
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "PERFECTGYM_API_URL": pg.url,
        "PERFECTGYM_API_KEY": API_KEY,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }


def _webhook_env(router_url: str, port: int) -> dict[str, str]:
    return {
        "WEBHOOK_URL": f"{router_url}/telegram/hook",
        "WEBHOOK_SECRET": "bench-webhook-secret-0123456789",
        "WEBHOOK_LISTEN_HOST": "127.0.0.1",
        "PORT": str(port),
    }


def _bot_module(options: Options) -> str:
    return "bot" if options.rate_limit else "bench.unthrottled_bot"


async def _one_by_one(
    tg: FakeTelegram,
    chats: Sequence[int],
    script: Callable[[int], Sequence[Step]],
    think: float = 0.0,
) -> list[CrowdResult]:
    results = []
    for chat in chats:
        limit = _time_limit(1, script(chat), think)
        results.append(await crowd(tg, [chat], script, limit, think))
    return results


@dataclass(frozen=True)
class MeasuredCrowd:
    crowd: CrowdResult
    bot_cpu: float
    bench_cpu: float
    memory: Memory


async def _measured_crowd(
    tg: FakeTelegram,
    bot: BotUnderTest,
    script: Callable[[int], Sequence[Step]],
    prospects: int,
    think: float,
) -> MeasuredCrowd:
    """``prospects`` at once; CPU time of the bot and of this process over the crowd alone."""
    cpu_before, bench_before = bot.cpu_seconds(), _own_cpu()
    chats = range(CROWD_CHATS, CROWD_CHATS + prospects)
    result = await crowd(tg, chats, script, _time_limit(len(chats), script(0), think), think)
    return MeasuredCrowd(
        crowd=result,
        bot_cpu=bot.cpu_seconds() - cpu_before,
        bench_cpu=_own_cpu() - bench_before,
        memory=bot.memory(),
    )


def _require(results: Sequence[CrowdResult], what: str, bot: BotUnderTest) -> None:
    failures = [failure for result in results for failure in result.failures]
    if failures:
        raise RuntimeError(f"{what} failed: {failures[0]}\n{bot.log_tail()}")


async def lead_run(options: Options, workdir: Path, today: datetime.date) -> LeadRun:
    def script(chat: int) -> Sequence[Step]:
        return lead_conversation(chat, today)

    config = load_config(CONFIG)
    async with contextlib.AsyncExitStack() as stack:
        tg = await stack.enter_async_context(FakeTelegram(TOKEN))
        pg = await stack.enter_async_context(
            FakePerfectGym(config, API_KEY, latency=options.latency)
        )
        database: Path | str = workdir / "bot.sqlite3"
        proxy = None
        if options.database == "postgres":
            database, proxy = await stack.enter_async_context(proxied_database())
        log = workdir / "bot.log"
        command = module_command(_bot_module(options), profile=options.profile)
        env = _bot_env(tg, pg, database)
        others: list[BotUnderTest] = []
        router = None
        if options.instances > 1:  # webhook instances behind a round-robin router
            ports = [free_port() for _ in range(options.instances)]
            router = await stack.enter_async_context(
                RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports])
            )
            envs = [{**env, **_webhook_env(router.url, port)} for port in ports]
            bot = BotUnderTest(command, envs[0], tg, log, ready="setWebhook")
            others = [
                BotUnderTest(
                    module_command("bot"), e, tg, workdir / f"bot{n}.log", ready="setWebhook"
                )
                for n, e in enumerate(envs[1:], start=2)
            ]
            for other in others:
                await other.start()
        else:
            bot = BotUnderTest(command, env, tg, log)
        await bot.start()
        try:
            _require(await _one_by_one(tg, [WARM_UP_CHAT], script), "the warm-up", bot)
            alone_chats = range(ALONE_CHATS, ALONE_CHATS + options.alone_runs)
            alone = await _one_by_one(tg, alone_chats, script, options.think)
            _require(alone, "a single prospect", bot)
            before = Calls(pg.calls["config"], pg.calls["validate"], pg.calls["create"])
            leads_before, sent_before = len(pg.created), len(tg.sent)
            trips_before = proxy.requests if proxy else 0
            measured = await _measured_crowd(tg, bot, script, options.prospects, options.think)
            trips = (proxy.requests - trips_before) if proxy else None
            calls = Calls(
                pg.calls["config"] - before.config,
                pg.calls["validate"] - before.validate,
                pg.calls["create"] - before.create,
            )
            leads, sent = len(pg.created) - leads_before, tg.sent[sent_before:]
            messages = sum(1 for m in sent if m.method == "sendMessage")
            await asyncio.sleep(1.0 if others else 0.0)  # a duplicate would land by now
            customers = [lead["leadCustomer"]["thirdPartyId"] for lead in pg.created]
            duplicates = len(customers) - len(set(customers))
        finally:
            await bot.stop()
            for other in others:
                await other.stop()
        return LeadRun(
            startup=bot.startup_seconds,
            alone=[r.wall for r in alone],
            alone_waits=[r.waits for r in alone],
            crowd=measured.crowd,
            leads=leads,
            calls=calls,
            messages=messages,
            edits=sum(1 for m in sent if m.method.startswith("edit")),
            bot_cpu=measured.bot_cpu,
            bench_cpu=measured.bench_cpu,
            memory=measured.memory,
            telegram_errors=list(tg.errors),
            database_trips=trips,
            duplicates=duplicates,
            served=sorted(router.served.values()) if router else [],
        )


async def floor_run(
    options: Options,
    workdir: Path,
    today: datetime.date,
    real: Callable[[int], Sequence[Step]] | None = None,
) -> FloorRun:
    """``real``: the real bot's script the floor mirrors (a single studio's by default)."""

    def script(chat: int) -> Sequence[Step]:
        if real is not None:
            return echo_conversation(tuple(real(chat)))
        return echo_conversation(lead_conversation(chat, today))

    async with contextlib.AsyncExitStack() as stack:
        tg = await stack.enter_async_context(FakeTelegram(TOKEN))
        log = workdir / "echo.log"
        command = module_command("bench.echo_bot")
        if not options.rate_limit:
            command.append("--no-rate-limit")
        if options.database == "postgres":
            url, _ = await stack.enter_async_context(proxied_database())
            command += ["--database-url", url]
        env = {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url}
        bot = BotUnderTest(command, env, tg, log)
        await bot.start()
        try:
            _require(await _one_by_one(tg, [WARM_UP_CHAT], script), "the floor's warm-up", bot)
            sent_before = len(tg.sent)
            measured = await _measured_crowd(tg, bot, script, options.prospects, options.think)
            messages = len(tg.sent) - sent_before
        finally:
            await bot.stop()
        return FloorRun(
            bot.startup_seconds,
            measured.crowd,
            messages,
            measured.bot_cpu,
            measured.bench_cpu,
            measured.memory,
        )


def _stored_conversations(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT count(*) FROM conversations").fetchone()
    return int(row[0])


async def parked_run(options: Options, workdir: Path, today: datetime.date) -> ParkedRun:
    def script(chat: int) -> Sequence[Step]:
        return parked_conversation(chat, today)

    async with (
        FakeTelegram(TOKEN) as tg,
        FakePerfectGym(load_config(CONFIG), API_KEY, latency=options.latency) as pg,
    ):
        log = workdir / "parked.log"
        database = workdir / "parked.sqlite3"
        command = module_command(_bot_module(options))
        bot = BotUnderTest(command, _bot_env(tg, pg, database), tg, log)
        await bot.start()
        try:
            idle = bot.memory()
            measured = await _measured_crowd(tg, bot, script, options.parked, options.think)
        finally:
            await bot.stop()
        # Read once the bot is gone: it holds its SQLite file exclusively while it runs.
        stored = _stored_conversations(database)
        return ParkedRun(idle, measured.crowd, stored, measured.memory)


# ------------------------------------------------------------------------------------- report


def _database_name(options: Options) -> str:
    if options.database == "postgres":
        return "PostgreSQL behind a proxy adding 1 ms each way"
    return "SQLite"


def _floor_storage(options: Options) -> str:
    if options.database == "postgres":
        return ", one PostgreSQL write per update before the reply, same 1 ms each way"
    return ", no storage"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ratio(ours: float, floor: float) -> float:
    return ours / floor if floor > 0 else math.inf


def _failures(result: CrowdResult, out: list[str]) -> None:
    if result.failures:
        out.append(
            f"  !! {len(result.failures)} prospects did not finish, e.g. {result.failures[0]}"
        )


def _messages_line(messages: int, wall: float, options: Options) -> str:
    rate = messages / wall if wall > 0 else math.nan
    limit = f" (limit {TELEGRAM_RATE:.0f})" if options.rate_limit else ""
    return f"  messages sent by the bot               {messages}, {rate:.1f} per second{limit}"


def _waiting_line(lead: LeadRun) -> str:
    """Time spent waiting for the bot, summed over a conversation: think time taken out."""
    alone = statistics.median(w for run in lead.alone_waits for w in run)
    crowd = sorted(lead.crowd.waits)
    if not crowd:
        return "  waiting for the bot per conversation   (no prospect finished)"
    mean, p99 = statistics.fmean(crowd), percentile(crowd, 99)
    return (
        f"  waiting for the bot per conversation   alone {alone:.2f} s; in the crowd mean "
        f"{mean:.2f} s ({_ratio(mean, alone):.1f}x), p99 {p99:.2f} s ({_ratio(p99, alone):.1f}x)"
    )


def _latency_table(samples: Sequence[Sample], out: list[str], *, kinds: bool) -> None:
    out.append(HEADER)
    out.append(Latencies.of(samples).row("all updates"))
    out.append(Latencies.of(comparable(samples)).row("all but the confirmation"))
    if kinds:
        for kind, latencies in by_kind(samples).items():
            out.append(latencies.row(f"  {kind}"))


def render(options: Options, lead: LeadRun, floor: FloorRun, parked: ParkedRun) -> str:
    n = options.prospects
    steps = lead_conversation(0, datetime.date.today())
    updates = len(steps)
    mode = "on, as in production" if options.rate_limit else "OFF (diagnostic --no-rate-limit)"
    out = [
        f"Load benchmark: {n} prospects at once, PerfectGym latency {options.latency * 1000:.0f} ms, "
        f"config tests/configs/{CONFIG}.json ({updates} updates per conversation)",
        f"AIORateLimiter (30 messages/s across all chats): {mode}",
        "Prospects answer "
        + (f"about {options.think:g} s after" if options.think else "as soon as")
        + " the bot's question arrives",
    ]
    if options.profile is not None:
        out.append(f"profiling the real bot into {options.profile}: its timings are inflated")
    alone = statistics.median(lead.alone)
    c = lead.crowd
    leads_per_s = lead.leads / c.wall if c.wall > 0 else math.nan
    total_updates = len(c.samples)
    out += [
        "",
        f"Real bot (python -m bot, {_database_name(options)}), {n} prospects at once",
        f"  start-up (spawn to first getUpdates)   {lead.startup:.2f} s",
        f"  leads created                          {lead.leads} / {n}",
        f"  wall time                              {c.wall:.2f} s",
        f"  conversations per second               {leads_per_s:.2f}",
        _messages_line(lead.messages, c.wall, options),
        f"  per conversation                       {updates} updates, "
        f"{lead.messages / n:.1f} messages, {lead.edits / n:.1f} edits",
    ]
    _latency_table(c.samples, out, kinds=True)
    per_update = lead.bot_cpu / total_updates * 1000 if total_updates else math.nan
    if options.instances > 1:
        out.append(
            f"  instances                              {options.instances} (webhook, round-robin: "
            f"{', '.join(str(n) for n in lead.served)} requests), duplicate leads {lead.duplicates}"
        )
    if lead.database_trips is not None and total_updates:
        out.append(
            f"  database round trips                   {lead.database_trips} "
            f"({lead.database_trips / total_updates:.1f} per update, incl. the outbox)"
        )
    out += [
        f"  bot CPU                                {lead.bot_cpu:.2f} s ({per_update:.2f} ms per update, "
        f"{lead.bot_cpu / c.wall * 100 if c.wall else math.nan:.0f}% of one core)",
        f"  benchmark process CPU (fakes, prospects) {lead.bench_cpu:.2f} s",
        f"  peak RSS (VmHWM)                       {lead.memory.peak_mb:.1f} MB",
        f"  PerfectGym calls                       config {lead.calls.config} "
        f"({lead.calls.config / n:.2f} per conversation), validate {lead.calls.validate}, "
        f"create {lead.calls.create} "
        f"({(lead.calls.validate + lead.calls.create) / max(lead.leads, 1):.2f} per lead)",
    ]
    if lead.telegram_errors:
        out.append(
            f"  !! fake Bot API recorded {len(lead.telegram_errors)} errors, e.g. {lead.telegram_errors[0]}"
        )
    _failures(c, out)
    out += [
        "",
        f"One prospect alone, {len(lead.alone)} runs one after another: median {alone:.2f} s "
        f"(min {min(lead.alone):.2f}, max {max(lead.alone):.2f})",
        f"  {n} prospects / one alone             {_ratio(c.wall, alone):.1f}x",
        _waiting_line(lead),
    ]
    if options.rate_limit and not options.think:
        bound = lead.messages / TELEGRAM_RATE
        out.append(
            f"  the rate limit alone needs >= {bound:.1f} s for {lead.messages} messages "
            f"= {_ratio(bound, alone):.1f}x one alone"
        )
    f = floor.crowd
    floor_updates = len(f.samples)
    out += [
        "",
        f"Floor (python -m bench.echo_bot{_floor_storage(options)}), {n} prospects at once, "
        f"{updates} updates each",
        f"  wall time                              {f.wall:.2f} s",
        _messages_line(floor.messages, f.wall, options),
    ]
    _latency_table(f.samples, out, kinds=False)
    out += [
        f"  bot CPU                                {floor.bot_cpu:.2f} s "
        f"({floor.bot_cpu / max(floor_updates, 1) * 1000:.2f} ms per update)",
        f"  benchmark process CPU (fakes, prospects) {floor.bench_cpu:.2f} s",
        f"  peak RSS (VmHWM)                       {floor.memory.peak_mb:.1f} MB",
    ]
    _failures(f, out)
    ours, base = Latencies.of(comparable(c.samples)), Latencies.of(comparable(f.samples))
    ours_all, base_all = Latencies.of(c.samples), Latencies.of(f.samples)
    p50, p99 = _ratio(ours.p50, base.p50), _ratio(ours.p99, base.p99)
    out += [
        f"  ours / floor, all but the confirmation  p50 {p50:.2f}x   p99 {p99:.2f}x",
        f"  ours / floor, all updates               p50 {_ratio(ours_all.p50, base_all.p50):.2f}x"
        f"   p99 {_ratio(ours_all.p99, base_all.p99):.2f}x",
    ]
    p = parked.crowd
    out += [
        "",
        f"Memory: {options.parked} prospects started, answered 3 questions and stay mid-conversation",
        f"  RSS after start-up                     {parked.idle.current_mb:.1f} MB",
        f"  conversations stored in progress       {parked.stored}",
        f"  time to park them all                  {p.wall:.2f} s",
        f"  RSS now / peak RSS (VmHWM)             {parked.memory.current_mb:.1f} MB / "
        f"{parked.memory.peak_mb:.1f} MB",
    ]
    _failures(p, out)
    per_lead_ok = lead.calls.validate == lead.leads and lead.calls.create == lead.leads
    complete = lead.leads == n and not c.failures and not f.failures and not p.failures
    out += [
        "",
        "Targets",
        f"  {_verdict(p50 <= P50_TARGET)}  per-update p50 within {P50_TARGET}x of the floor: {p50:.2f}x",
        f"  {_verdict(p99 <= P99_TARGET)}  per-update p99 within {P99_TARGET}x of the floor: {p99:.2f}x",
        f"  {_verdict(_ratio(c.wall, alone) < ALONE_TARGET)}  {n} prospects in < {ALONE_TARGET}x "
        f"one prospect alone: {_ratio(c.wall, alone):.1f}x",
        f"  {_verdict(parked.memory.peak_mb < RSS_TARGET_MB)}  peak RSS < {RSS_TARGET_MB:.0f} MB "
        f"with {options.parked} conversations in progress: {parked.memory.peak_mb:.1f} MB",
        f"  {_verdict(lead.calls.config == 0)}  0 config calls per conversation once cached: "
        f"{lead.calls.config / n:.2f}",
        f"  {_verdict(per_lead_ok)}  2 API calls per lead (validate + create): "
        f"{(lead.calls.validate + lead.calls.create) / max(lead.leads, 1):.2f}",
        f"  {_verdict(updates <= UPDATES_TARGET)}  at most {UPDATES_TARGET} updates per conversation: "
        f"{updates}",
        f"  {_verdict(lead.messages <= updates * n)}  no more bot messages than updates: "
        f"{lead.messages / n:.1f} per conversation",
        f"  {_verdict(complete)}  every prospect finished and every lead was created",
        "(p50/p99 ratios leave out the confirmation, where our bot waits for two PerfectGym calls",
        " by design and the floor makes none; MB = 10^6 bytes; percentiles are nearest-rank)",
    ]
    return "\n".join(out)


def render_profile(path: Path, limit: int = 25) -> str:
    out: list[str] = []
    for key in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(str(path), stream=buffer).sort_stats(key).print_stats(limit)
        text = buffer.getvalue()
        for prefix in (sysconfig.get_paths()["purelib"] + "/", str(ROOT) + "/"):
            text = text.replace(prefix, "")
        out.append(f"--- cProfile of the real bot, top {limit} by {key} ---")
        out.append(text[text.find("   ncalls") :].rstrip())
    return "\n".join(out)


async def chain_benchmark(options: Options) -> str:
    """``--studios N``: see :mod:`bench.chain`."""
    today = datetime.date.today()
    n, prospects = options.studios, max(options.prospects, options.studios)

    def real(chat: int) -> Sequence[Step]:
        return club_conversation(chat, n, today)

    with tempfile.TemporaryDirectory(prefix="leads-bench-") as tmp:
        workdir = Path(tmp)
        args = (prospects, options.think, options.latency, workdir, today)
        chain = await chain_run(n, *args)
        one = await chain_run(1, *args)
        floor = await floor_run(replace(options, prospects=prospects), workdir, today, real)
    return render_chain(chain, one, floor.crowd, options.think, options.latency)


async def benchmark(options: Options) -> str:
    if options.studios:
        return await chain_benchmark(options)
    today = datetime.date.today()
    with tempfile.TemporaryDirectory(prefix="leads-bench-") as tmp:
        workdir = Path(tmp)
        lead = await lead_run(options, workdir, today)
        floor = await floor_run(options, workdir, today)
        parked = await parked_run(options, workdir, today)
        report = render(options, lead, floor, parked)
    if options.profile is not None:
        report += "\n\n" + render_profile(options.profile)
    return report


def parse(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load benchmark of the lead-intake bot against loopback fakes.",
    )
    parser.add_argument("--prospects", type=int, default=200, help="simultaneous prospects (200)")
    parser.add_argument(
        "--latency", type=float, default=0.3, help="seconds PerfectGym takes per answer (0.3)"
    )
    parser.add_argument(
        "--parked", type=int, default=1000, help="prospects parked mid-conversation (1000)"
    )
    parser.add_argument(
        "--alone-runs",
        type=int,
        help="single-prospect runs, median taken (1 at a human pace, 3 with --think 0)",
    )
    parser.add_argument(
        "--think",
        type=float,
        help="seconds a prospect takes to answer, on average (10; 0: instantly)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 10 prospects answering instantly, 50 parked, 1 alone run",
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="diagnostic: both bots without the AIORateLimiter's 30 messages/s",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the real bot's database (postgres: BENCH_DATABASE_URL or TEST_DATABASE_URL, "
        "a fresh database, 1 ms added each way); the parked run stays on SQLite",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="real bots in webhook mode behind a round-robin router (needs --database postgres)",
    )
    parser.add_argument(
        "--studios",
        type=int,
        default=0,
        help="the chain benchmark: N studios in one bot against one studio and the floor "
        "(max(--prospects, N) prospects, each studio its share)",
    )
    parser.add_argument(
        "--profile", type=Path, help="run the real bot under cProfile, write stats to PATH"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.prospects, args.parked = 10, 50
        args.alone_runs = 1 if args.alone_runs is None else args.alone_runs
        args.think = 0.0 if args.think is None else args.think
    if args.think is None:
        args.think = DEFAULT_THINK
    if args.alone_runs is None:
        args.alone_runs = 1 if args.think else 3
    if min(args.prospects, args.parked, args.alone_runs) < 1 or min(args.latency, args.think) < 0:
        parser.error(
            "--prospects, --parked, --alone-runs must be positive; --latency, --think >= 0"
        )
    if args.studios < 0 or (args.studios and (args.database != "sqlite" or args.instances > 1)):
        parser.error("--studios must be positive, on SQLite with one instance")
    if args.instances < 1 or (args.instances > 1 and args.database != "postgres"):
        parser.error("--instances must be 1, or more with --database postgres")
    profile = args.profile.resolve() if args.profile is not None else None
    return Options(
        prospects=args.prospects,
        latency=args.latency,
        parked=args.parked,
        alone_runs=args.alone_runs,
        think=args.think,
        rate_limit=not args.no_rate_limit,
        profile=profile,
        database=args.database,
        instances=args.instances,
        studios=args.studios,
    )


def main(argv: Sequence[str]) -> int:
    options = parse(argv)
    pin_to_cpu(os.getpid(), BENCH_CPU)
    try:
        print(asyncio.run(benchmark(options)))
    except (RuntimeError, OSError) as error:
        print(f"benchmark aborted: {error}", file=sys.stderr)
        return 1
    return 0
