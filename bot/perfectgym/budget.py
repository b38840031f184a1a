"""How fast one PerfectGym key may be used, and how many background calls run at once.

PerfectGym counts requests per key and endpoint: 1,000 a minute, then 429 "for the rest of the
minute" (perfectgym-chains-offers-webhooks.md §1). Every studio of a chain has its own key, so
each ``PerfectGymClient`` holds its own ``RateBudget``: one studio running out slows only that
studio, and within it only that endpoint.

``RateBudget`` keeps, per endpoint, the times of the calls of the last ``window`` seconds (a
sliding window, so whatever minute the vendor counts in, no minute of it sees more than the
budget) and spends ``per_minute - margin`` of them: the margin covers calls the vendor counts in
another minute than we did. A call that does not fit waits its turn (others queue behind it in
order); a 429 ``pause``s the endpoint so the calls after it wait instead of being refused again.

``BackgroundGate`` is process-wide: start-up and refreshes of 200 studios go through it, so at
most ``limit`` of their requests are in flight at once instead of a burst of hundreds.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

log = logging.getLogger(__name__)

VENDOR_PER_MINUTE = 1000
"""The vendor's limit per key and endpoint and minute."""
DEFAULT_MARGIN = 50
"""Left unspent of each minute's budget: 950 of 1,000 calls."""
DEFAULT_BACKGROUND_CALLS = 8


class OverBudget(Exception):
    """The call would have to wait longer than the caller allows; nothing was spent."""

    def __init__(self, endpoint: str, wait: float) -> None:
        super().__init__(f"{endpoint}: over budget for {wait:.1f} s")
        self.endpoint = endpoint
        self.wait = wait


class RateBudget:
    """Per endpoint, at most ``per_minute - margin`` calls in any ``window`` seconds.

    ``clock`` and ``sleep`` go together (tests pass a fake pair and move time themselves);
    ``wall`` is the time of day, which tells where the vendor's minute ends after a 429 without
    ``Retry-After``; ``pause_without_retry_after`` caps that pause (the operator's
    ``OUTBOX_RATE_LIMIT_SECONDS``, which the outbox waits after such a 429). One budget per key: never share one between two keys, nor one key between
    two budgets (two processes with the same key should each get a share of ``per_minute``).
    """

    def __init__(
        self,
        per_minute: int = VENDOR_PER_MINUTE,
        *,
        margin: int = DEFAULT_MARGIN,
        window: float = 60.0,
        pause_without_retry_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute - margin < 1 or margin < 0:
            raise ValueError("the budget must leave at least one call per window")
        if window <= 0:
            raise ValueError("window must be positive")
        self.limit = per_minute - margin
        self.window = window
        self.pause_without_retry_after = pause_without_retry_after
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        # Sorted send times per endpoint, the reservations of waiting calls (future times)
        # included, so that a newcomer queues behind them.
        self._sent: dict[str, list[float]] = collections.defaultdict(list)
        self._paused_until: dict[str, float] = {}
        self._waiting: collections.Counter[str] = collections.Counter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(limit={self.limit}, window={self.window:g})"

    def waiting(self, endpoint: str) -> int:
        """How many calls to ``endpoint`` are waiting for their turn now."""
        return self._waiting[endpoint]

    def paused_for(self, endpoint: str) -> float:
        """Seconds left of the pause a 429 put on ``endpoint`` (0 when none)."""
        return max(0.0, self._paused_until.get(endpoint, 0.0) - self._clock())

    def pause(self, endpoint: str, seconds: float | None = None) -> float:
        """After a 429: no call to ``endpoint`` before ``seconds`` from now (``Retry-After``),
        or, when the vendor did not say, before the current minute ends (at most
        ``pause_without_retry_after``). Returns the pause."""
        if seconds is None:
            seconds = min(60.0 - self._wall() % 60.0, self.pause_without_retry_after)
        seconds = max(0.0, seconds)
        until = self._clock() + seconds
        self._paused_until[endpoint] = max(until, self._paused_until.get(endpoint, until))
        log.info("PerfectGym %s rate-limited: paused for %.1f s", endpoint, seconds)
        return seconds

    async def take(self, endpoint: str, *, max_wait: float | None = None) -> float:
        """Spend one call of ``endpoint``, waiting until it fits; returns the seconds waited.

        Raises ``OverBudget`` at once, spending nothing, when the call would have to wait more
        than ``max_wait`` seconds in all (a caller with a deadline fails instead of hanging).
        Waiting for one endpoint holds up nothing else.
        """
        started = self._clock()
        while True:
            now = self._clock()
            sent = self._sent[endpoint]
            del sent[: bisect.bisect_right(sent, now - self.window)]
            ready = max(now, self._paused_until.get(endpoint, now))
            if len(sent) >= self.limit:
                ready = max(ready, sent[-self.limit] + self.window)
            if max_wait is not None and ready - started > max_wait:
                raise OverBudget(endpoint, ready - now)
            if ready <= now:
                bisect.insort(sent, now)
                return now - started
            # Hold the place (later calls queue behind it) and sleep. The place is the call's
            # unless a 429 paused the endpoint meanwhile: then it queues again.
            bisect.insort(sent, ready)
            self._waiting[endpoint] += 1
            kept = False
            try:
                await self._sleep(ready - now)
                kept = self._paused_until.get(endpoint, 0.0) <= self._clock()
            finally:
                self._waiting[endpoint] -= 1
                if not kept:
                    with contextlib.suppress(ValueError):  # pruned if woken very late
                        sent.remove(ready)
            if kept:
                return self._clock() - started

    @contextlib.asynccontextmanager
    async def spend(self, endpoint: str, *, max_wait: float | None = None) -> AsyncIterator[None]:
        """``async with budget.spend(endpoint):`` make the call inside, once it fits."""
        await self.take(endpoint, max_wait=max_wait)
        yield


_BACKGROUND: contextvars.ContextVar[BackgroundGate | None] = contextvars.ContextVar(
    "perfectgym_background", default=None
)


class BackgroundGate:
    """At most ``limit`` background requests in flight, across all studios of the process.

    Either hold a slot around any work (``async with gate.slot():``), or mark a stretch of code
    as background (``with gate.background():``): every PerfectGym request made in it, and in
    tasks started from it, then takes a slot for the time of that one request. Prospect-facing
    calls stay outside it and never queue behind a start-up.
    """

    def __init__(self, limit: int = DEFAULT_BACKGROUND_CALLS) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)
        self.active = 0
        self.peak = 0
        self.waiting = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(limit={self.limit}, active={self.active})"

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the ``limit`` slots, waited for in turn."""
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            yield
        finally:
            self.active -= 1
            self._semaphore.release()

    @contextlib.contextmanager
    def background(self) -> Iterator[None]:
        """The PerfectGym requests made within go through this gate, one slot each."""
        token = _BACKGROUND.set(self)
        try:
            yield
        finally:
            _BACKGROUND.reset(token)


def background_gate() -> BackgroundGate | None:
    """The gate of the ``background()`` stretch the caller is in, if any."""
    return _BACKGROUND.get()
