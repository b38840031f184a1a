"""A bot under test as its own OS process: started against the fakes, measured from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_FOREIGN = ("TELEGRAM_", "PERFECTGYM_", "WEBHOOK_", "DATABASE_", "STAFF_", "STUDIO_")
BENCH_CPU, BOT_CPU = 0, 1


def pin_to_cpu(pid: int, cpu: int) -> None:
    """One core each for the benchmark and the bot, so neither is scheduled onto the other's."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, {cpu})


@dataclass(frozen=True)
class Memory:
    """From /proc/<pid>/status: VmHWM is the peak resident set size, VmRSS the current one."""

    peak_kb: int
    current_kb: int

    @property
    def peak_mb(self) -> float:
        return self.peak_kb * 1024 / 1e6

    @property
    def current_mb(self) -> float:
        return self.current_kb * 1024 / 1e6


def module_command(module: str, *, profile: Path | None = None) -> list[str]:
    """``python -m <module>``, under cProfile (which writes ``profile`` at exit) if asked."""
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    return [*prefix, "-m", module]


class BotUnderTest:
    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        tg: FakeTelegram,
        log_path: Path,
        *,
        ready: str = "getUpdates",
    ) -> None:
        """``ready``: the Bot API method whose first call means it is up (polling by default,
        ``setWebhook`` for a webhook instance)."""
        self._ready = ready
        self._command = list(command)
        self._env = dict(env)
        self._tg = tg
        self._log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self.startup_seconds = 0.0

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("not running")
        return self._process.pid

    async def start(self) -> None:
        """Spawn it and wait until it long-polls the fake for updates (or sets its webhook)."""
        polls_before = self._tg.method_calls(self._ready)
        clean = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
        started = time.perf_counter()
        with self._log_path.open("ab") as log_file:
            self._process = await asyncio.create_subprocess_exec(
                *self._command,
                env={**clean, **self._env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd=ROOT,
            )
        pin_to_cpu(self._process.pid, BOT_CPU)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline:
            if self._tg.method_calls(self._ready) > polls_before:
                self.startup_seconds = time.perf_counter() - started
                return
            if self._process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        await self.stop()
        raise RuntimeError(f"{' '.join(self._command)} did not start polling\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        """The end of the process's output (WARNING and above), for a failure message."""
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def memory(self) -> Memory:
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                fields[name] = int(value.split()[0])
        if len(fields) < 2:
            raise RuntimeError(f"process {self.pid} has exited\n{self.log_tail()}")
        return Memory(peak_kb=fields["VmHWM"], current_kb=fields["VmRSS"])

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        after_name = stat[stat.rindex(")") + 2 :].split()
        ticks = int(after_name[11]) + int(after_name[12])  # utime and stime, fields 14 and 15
        return ticks / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> int | None:
        """SIGTERM, as a platform stops a dyno; SIGKILL if it does not exit in time."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
        return await process.wait()
