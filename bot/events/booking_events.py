"""What the trial reminders and follow-ups hear of PerfectGym's events (``bot/followup``
implements it; the two packages meet only in the composition root).

Each call may come more than once for one event (a crash between acting and recording it, a
check-in on every visit): implementations act once per booking or customer.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class BookingEvents(Protocol):
    async def cancelled(self, studio: str | None, booking_id: int) -> None:
        """The studio cancelled a trial booking the bot made (the booking or its class)."""
        ...

    async def moved(self, studio: str | None, booking_id: int) -> None:
        """A trial booking the bot made changed (its time may have): read it again before
        the next reminder."""
        ...

    async def attended(self, studio: str | None, customer_id: int) -> None:
        """A customer the bot created checked in at the studio."""
        ...

    async def silenced(self, studio: str | None, customer_id: int) -> None:
        """A customer the bot created was deleted, or their access disabled: nothing more is
        to be sent to them."""
        ...


class NoBookingEvents:
    """Until something listens: the events are still stored, counted and marked."""

    async def cancelled(self, studio: str | None, booking_id: int) -> None:
        log.debug("trial booking cancelled; nobody listens")

    async def moved(self, studio: str | None, booking_id: int) -> None:
        log.debug("trial booking changed; nobody listens")

    async def attended(self, studio: str | None, customer_id: int) -> None:
        log.debug("check-in; nobody listens")

    async def silenced(self, studio: str | None, customer_id: int) -> None:
        log.debug("customer silenced; nobody listens")
