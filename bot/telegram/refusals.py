"""Refused webhook requests (Telegram's and PerfectGym's), counted and logged at most once a
minute.

Anyone who finds the webhook's address can send it requests; a line for each would let them
fill the log (and drown what an operator needs to see), while one summary a minute still shows
that it happens and why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from enum import StrEnum

log = logging.getLogger(__name__)

SUMMARY_INTERVAL = 60.0


class Refusal(StrEnum):
    """Why a webhook request was refused, as the summary names it."""

    WRONG_SECRET = "wrong secret"
    TOO_LARGE = "too large"
    NOT_AN_UPDATE = "not an update"
    PERFECTGYM_WRONG_KEY = "PerfectGym: wrong key"
    PERFECTGYM_TOO_LARGE = "PerfectGym: too large"
    PERFECTGYM_MALFORMED = "PerfectGym: malformed body"


# What PerfectGym's webhook route (bot/events/endpoint.py) refused, by the status answered.
PERFECTGYM_REFUSALS = {
    401: Refusal.PERFECTGYM_WRONG_KEY,
    413: Refusal.PERFECTGYM_TOO_LARGE,
    400: Refusal.PERFECTGYM_MALFORMED,
}


class RefusalLog:
    """Counts refusals; the first one opens a minute, and the counts are logged in one line
    when a refusal comes after the minute is over, when the minute's timer fires, or at
    :meth:`close`. ``clock`` decides whether a minute is over (tests move it); the timer only
    makes sure a minute's counts are not held back until the next refusal."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        interval: float = SUMMARY_INTERVAL,
        on_refused: Callable[[Refusal], None] = lambda why: None,
    ) -> None:
        """``on_refused``: told of each refusal as it happens (the metrics count it)."""
        self._clock = clock
        self._interval = interval
        self._on_refused = on_refused
        self._counts: Counter[Refusal] = Counter()
        self._since: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def refused(self, why: Refusal) -> None:
        self._counts[why] += 1
        self._on_refused(why)
        now = self._clock()
        if self._since is None:
            self._since = now
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)
        elif now - self._since >= self._interval:
            self.flush()

    def perfectgym(self, status: int) -> None:
        """PerfectGym's webhook route refused a request with ``status``."""
        self.refused(PERFECTGYM_REFUSALS[status])

    def flush(self) -> None:
        """Log the counts so far, if any, and start afresh."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._since = None
        if not self._counts:
            return
        total = sum(self._counts.values())
        reasons = ", ".join(f"{why}: {self._counts[why]}" for why in Refusal if self._counts[why])
        self._counts.clear()
        log.warning(
            "%d webhook %s refused in the last minute (%s)",
            total,
            "request" if total == 1 else "requests",
            reasons,
        )

    def close(self) -> None:
        self.flush()
