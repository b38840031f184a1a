"""Taking a webhook request: whose it is, whether it is well formed, and storing what concerns
the bot, all without calling PerfectGym (the vendor allows 5 seconds and no API call while
answering): the answer waits for one database write at most.

The ``x-api-key`` header is compared, in constant time, with each studio's webhook key; the key
that matches names the studio. An event is kept only when its subject is the bot's: a customer
the bot created, a trial booking it made (or the class slot of one), or the studio itself.
Anyone else's event is answered 200 and forgotten at once: nothing about a person the bot did
not bring is stored. Unknown event types are answered 200 and ignored likewise.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.events.delivery import (
    SUBJECTS,
    Element,
    MalformedDelivery,
    Subject,
    parse_delivery,
)
from bot.storage.errors import failure_cause
from bot.storage.lead_customers import LeadCustomerRecords
from bot.storage.perfectgym_events import NewEvent, PerfectGymEventRecords

log = logging.getLogger(__name__)

# PerfectGym's bodies are a few hundred bytes; a larger one is not theirs.
MAX_BODY_BYTES = 64 * 1024
# PerfectGym counts a delivery as failed after 5 s: the database gets 4 of them, so that a
# database that hangs is answered 503 (sent again later) rather than not at all.
STORE_DEADLINE = 4.0


class ReceiverRecords(PerfectGymEventRecords, LeadCustomerRecords, Protocol):
    """What answering a request reads and writes."""


@dataclass(frozen=True)
class Answer:
    status: int
    stored: int = 0  # new events stored


class EventReceiver:
    """``keys``: each studio's webhook key and the studio it names (None: the single studio).
    ``wake`` is called once something was stored, so it is processed without waiting."""

    def __init__(
        self,
        storage: ReceiverRecords,
        keys: Mapping[str, str | None],
        *,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        deadline: float = STORE_DEADLINE,
    ) -> None:
        """``deadline``: how long the database may take over one request's events."""
        if any(not key for key in keys):
            raise ValueError("a webhook key is never empty")
        self._storage = storage
        self._keys = [(key.encode(), studio) for key, studio in keys.items()]
        self._wake = wake
        self._clock = clock
        self._deadline = deadline

    def studio_of(self, api_key: str | None) -> tuple[bool, str | None]:
        """Whether ``api_key`` is one of the studios' webhook keys, and whose. Every key is
        compared, so the time taken says nothing about which one matched or how nearly."""
        given = (api_key or "").encode()
        found: tuple[bool, str | None] = (False, None)
        for key, studio in self._keys:
            if hmac.compare_digest(given, key) and api_key:
                found = (True, studio)
        return found

    async def receive(self, api_key: str | None, body: bytes) -> Answer:
        """401 for a missing or wrong key (nothing read), 413 for a body too large, 400 for a
        body that is not PerfectGym's, 503 when the database cannot take it within
        ``deadline`` (PerfectGym may send it again), else 200. Refusals are not logged here:
        the web server counts them (one line a minute), as anyone may send them."""
        known, studio = self.studio_of(api_key)
        if not known:
            return Answer(401)
        if len(body) > MAX_BODY_BYTES:
            return Answer(413)
        try:
            delivery = parse_delivery(body)
        except MalformedDelivery as exc:
            log.debug("PerfectGym webhook: malformed body refused (%s)", exc)
            return Answer(400)
        stored = 0
        try:
            async with asyncio.timeout(self._deadline):
                for part, element in enumerate(delivery.elements):
                    event = await self._ours(
                        studio, delivery.entity_id, delivery.uuid, part, element
                    )
                    if event is not None and await self._storage.store_event(event, self._clock()):
                        stored += 1
        except TimeoutError:
            log.warning(
                "PerfectGym webhook: event not stored (the database did not answer within "
                "%g s); answered 503",
                self._deadline,
            )
            return self._answer(503, stored)
        except Exception as exc:
            log.warning(
                "PerfectGym webhook: event not stored (%s); answered 503", failure_cause(exc)
            )
            return self._answer(503, stored)
        return self._answer(200, stored)

    def _answer(self, status: int, stored: int) -> Answer:
        """What was stored is processed now, even when a later part of the request failed."""
        if stored:
            self._wake()
        return Answer(status, stored)

    async def _ours(
        self, studio: str | None, entity_id: int, uuid: str, part: int, element: Element
    ) -> NewEvent | None:
        """The event as stored, when it concerns the bot; None for a type the bot does not act
        on, and for someone else's customer or booking."""
        kind = element.known
        if kind is None:
            return None
        subject = SUBJECTS[kind]
        chat_id: int | None = None
        if subject is Subject.CUSTOMER:
            customer = await self._storage.lead_customer(studio, entity_id)
            if customer is None:
                return None
            chat_id = customer.chat_id
        elif subject is Subject.BOOKING:
            booked = await self._storage.booked_customers(studio, booking_id=entity_id)
            if not booked:
                return None
            chat_id = booked[0].chat_id
        elif subject is Subject.CLASS_SLOT and not await self._storage.booked_customers(
            studio, class_slot_id=entity_id
        ):
            return None  # (a class slot of the bot's is the studio's, kept without a chat)
        return NewEvent(
            studio=studio,
            uuid=uuid,
            part=part,
            type=kind.value,
            entity_id=entity_id,
            content=element.content_json(),
            chat_id=chat_id,
            timestamp=element.timestamp,
        )
