"""Acting on stored PerfectGym events, after their request was answered.

Every instance runs a worker; each event is claimed by one (held until its lease runs out, as
outbox entries are), acted on, then marked done. A process killed after storing an event and
before it was done leaves it pending: the next start (SQLite) or another instance once the lease
ran out (PostgreSQL) processes it. What an event counts is marked on the customer in the same
transaction as the count, so processing an event again never counts twice.

- ``CUSTOMER_CHECKIN`` of the bot's customer: an attended visit for the lead's campaign and
  studio, once per lead; the trial reminders hear of it (``BookingEvents.attended``).
- ``CONTRACT_CREATED``: a member, once per lead.
- ``CUSTOMER_DELETED`` / ``CUSTOMER_ACCESS_DISABLED``: the customer is silenced.
- a trial booking the bot made cancelled or changed (the booking, or its class slot):
  ``BookingEvents.cancelled`` / ``moved``.
- ``STUDIO_OPENING_HOURS_UPDATED``: the studio's information is fetched again;
  ``ADDITIONAL_INFORMATION_FIELDS_UPDATED``: its leads configuration is (in this instance; other
  instances' copies run out at CONFIG_TTL_SECONDS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.chain.chain import Chain
from bot.events.booking_events import BookingEvents, NoBookingEvents
from bot.events.delivery import CANCELLING, SUBJECTS, EventType, Subject
from bot.funnel.counts import Funnel, Stage
from bot.logging_setup import chat_ref
from bot.storage.errors import failure_cause
from bot.storage.lead_customers import Counted, CustomerMark, LeadCustomerRecords
from bot.storage.perfectgym_events import EventStatus, PerfectGymEventRecords, StoredEvent

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 10
RETRY_BASE = 5.0
RETRY_MAX = 900.0

# What a customer event marks, and the funnel stage it counts as (None: counted nowhere).
MARKS: dict[EventType, tuple[CustomerMark, Stage | None]] = {
    EventType.CUSTOMER_CHECKIN: (CustomerMark.ATTENDED, Stage.ATTENDED),
    EventType.CONTRACT_CREATED: (CustomerMark.MEMBER, Stage.MEMBER),
    EventType.CUSTOMER_DELETED: (CustomerMark.SILENCED, None),
    EventType.CUSTOMER_ACCESS_DISABLED: (CustomerMark.SILENCED, None),
}


class ProcessorRecords(PerfectGymEventRecords, LeadCustomerRecords, Protocol):
    """What processing reads and writes."""


class EventProcessor:
    def __init__(
        self,
        storage: ProcessorRecords,
        chain: Chain,
        funnel: Funnel,
        *,
        booking_events: BookingEvents | None = None,
        lease: float = 60.0,
        interval: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``lease``: how long one instance holds an event (the longest processing is one
        PerfectGym call at its deadline); ``interval``: how often due events are sought
        besides when one is stored."""
        self._storage = storage
        self._chain = chain
        self._funnel = funnel
        self.booking_events: BookingEvents = booking_events or NoBookingEvents()
        self._lease = lease
        self._interval = interval
        self._clock = clock
        self._woken = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something was stored: process it now rather than at the next round."""
        self._woken.set()

    def start(self) -> None:
        if self._worker is None:
            self._woken.set()  # whatever a stopped process left pending
            self._worker = asyncio.create_task(self._run(), name="perfectgym events")

    async def stop(self) -> None:
        """An event cut short stays pending (held until its lease runs out)."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._interval)
            self._woken.clear()
            try:
                while await self.run_due() == BATCH:
                    pass
            except Exception as exc:
                log.warning("PerfectGym events not processed now (%s)", failure_cause(exc))

    async def run_due(self) -> int:
        """Process every due event no other instance holds; how many were claimed."""
        now = self._clock()
        events = await self._storage.claim_events(now, BATCH, now + self._lease)
        for event in events:
            await self._process_one(event)
        return len(events)

    async def _process_one(self, event: StoredEvent) -> None:
        try:
            await self.process(event)
        except Exception as exc:
            attempts = event.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                log.error(
                    "PerfectGym event %s of studio %s given up after %d attempts (%s)",
                    event.type,
                    event.studio or "main",
                    attempts,
                    failure_cause(exc),
                )
                await self._storage.finish_event(event, EventStatus.FAILED)
                return
            delay = min(RETRY_MAX, RETRY_BASE * 2 ** (attempts - 1))
            log.warning(
                "PerfectGym event %s failed (%s); again in %.0f s",
                event.type,
                failure_cause(exc),
                delay,
            )
            await self._storage.retry_event(event, attempts, self._clock() + delay)
            return
        await self._storage.finish_event(event, EventStatus.DONE)

    async def process(self, event: StoredEvent) -> None:
        """Act on one event (raises when it is to be tried again)."""
        kind = EventType(event.type)
        subject = SUBJECTS[kind]
        if subject is Subject.CUSTOMER:
            await self._customer(kind, event)
        elif subject is Subject.BOOKING:
            await self._booking(kind, event.studio, event.entity_id)
        elif subject is Subject.CLASS_SLOT:
            booked = await self._storage.booked_customers(
                event.studio, class_slot_id=event.entity_id
            )
            for customer in booked:
                if customer.booking_id is not None:
                    await self._booking(kind, event.studio, customer.booking_id)
        else:
            await self._studio(kind, event.studio)

    async def _customer(self, kind: EventType, event: StoredEvent) -> None:
        mark, stage = MARKS[kind]
        studio, customer_id = event.studio, event.entity_id
        counted = None if stage is None else Counted(stage, self._funnel.today(studio=studio))
        marked = await self._storage.mark_customer(
            studio, customer_id, mark, self._clock(), counted=counted
        )
        if marked is not None:
            log.info(
                "PerfectGym: chat %s's customer %s (studio %s)",
                chat_ref(marked.chat_id),
                mark.name.lower(),
                studio or "main",
            )
        elif await self._storage.lead_customer(studio, customer_id) is None:
            return  # forgotten meanwhile
        if mark is CustomerMark.ATTENDED:
            await self.booking_events.attended(studio, customer_id)
        elif mark is CustomerMark.SILENCED:
            await self.booking_events.silenced(studio, customer_id)

    async def _booking(self, kind: EventType, studio: str | None, booking_id: int) -> None:
        if not await self._storage.booked_customers(studio, booking_id=booking_id):
            return  # forgotten meanwhile
        if kind in CANCELLING:
            await self.booking_events.cancelled(studio, booking_id)
        else:
            await self.booking_events.moved(studio, booking_id)

    async def _studio(self, kind: EventType, studio: str | None) -> None:
        club = self._chain.club(None) if studio is None else self._chain.find(studio)
        if club is None:
            log.info("PerfectGym event for studio %s, no longer configured: ignored", studio)
            return
        if kind is EventType.STUDIO_OPENING_HOURS_UPDATED:
            await club.directory.refresh()
        else:
            club.config.expire()
            await club.config.get()
        log.info("PerfectGym: studio %s's %s refreshed", club.id, kind.value.lower())
