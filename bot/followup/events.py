"""What the trial reminders and follow-ups hear of PerfectGym's events: the protocol the
webhooks' processor (``bot/events``) calls and :class:`bot.followup.service.Followups`
implements. The two packages meet only in the composition root.

Each call may come more than once for one event (a redelivered event, a check-in on every
visit): the implementation acts once per booking or customer.
"""

from __future__ import annotations

from typing import Protocol


class BookingEvents(Protocol):
    async def cancelled(self, studio: str | None, booking_id: int) -> None:
        """The studio cancelled a trial booking the bot made (the booking or its class)."""
        ...

    async def moved(self, studio: str | None, booking_id: int) -> None:
        """A trial booking the bot made changed: its time is read again before the next
        reminder."""
        ...

    async def attended(self, studio: str | None, customer_id: int) -> None:
        """A customer the bot created checked in at the studio."""
        ...

    async def silenced(self, studio: str | None, customer_id: int) -> None:
        """A customer the bot created was deleted or their access disabled: nothing more is
        sent to them."""
        ...
