"""PerfectGym's trial offers in the dialogue's terms, cached and shared between prospects.

The only place the trial-offer models meet ``conversations.booking``: offers become ``Offer``,
slots ``TrialSlot`` (with the vendor's own booking data in ``ref``), and every answer of a
validate, book or confirm call becomes a ``Result``. Offers and each window of slots are asked
for once per ``ttl`` however many prospects look at them (one call in flight per key). A chain
has one catalog per club (``TrialCatalogs``): each club's offers come from its own tenant.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.chain.club import Club
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymAuthError, PerfectGymError, PerfectGymRejected
from bot.perfectgym.trial_models import (
    AppointmentBookingRequest,
    AppointmentBookingStatus,
    AppointmentBookingValidationStatus,
    BookableAppointmentSlot,
    ClassBookingStatus,
    ClassBookingValidationStatus,
    ClassSlot,
    ClassSlotBookingRequest,
    ConfirmationStatus,
    Instructor,
    TrialOfferConfig,
)
from conversations.booking import Attempt, Offer, Result, TrialSlot

log = logging.getLogger(__name__)

T = TypeVar("T")

DAYS_PER_WINDOW = 6  # the appointment slots' most days per call
CLASS_SLICE = 100  # class slots per call (the API's most); its window is one day back to 14 ahead
MAX_SLICES = 5  # a booked class slot is sought in this many slices at most

# Validation answers that mean "this time is gone", the rest of the refusals mean "not for
# this prospect online".
_TAKEN = {
    ClassBookingValidationStatus.BOOKING_LIMIT_REACHED,
    ClassBookingValidationStatus.DISPLAY_ONLY,
    ClassBookingValidationStatus.DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME,
    ClassBookingValidationStatus.DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME,
    ClassBookingValidationStatus.STUDIO_CLOSED,
    ClassBookingValidationStatus.NOT_AVAILABLE,
    AppointmentBookingValidationStatus.PAST_START_DATE_TIME,
    AppointmentBookingValidationStatus.PERIOD_DOES_NOT_MATCH,
    AppointmentBookingValidationStatus.BOOKING_LIMIT_REACHED,
    AppointmentBookingValidationStatus.DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME,
    AppointmentBookingValidationStatus.DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME,
    AppointmentBookingValidationStatus.STUDIO_CLOSED,
    AppointmentBookingValidationStatus.RESOURCE_NOT_AVAILABLE,
    AppointmentBookingValidationStatus.NOT_AVAILABLE,
}


@dataclass(frozen=True)
class SlotWindow:
    slots: list[TrialSlot]
    more: bool  # a later window exists


class TrialCatalog:
    def __init__(
        self,
        client: PerfectGymClient,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, object]] = {}
        self._flights: dict[str, asyncio.Future[object]] = {}
        # Where each class's slice of slots starts: the API pages by the last id of the one
        # before, so the offset of slice n is known once slice n - 1 was read.
        self._class_offsets: dict[str, list[str]] = {}

    async def available(self) -> bool:
        """Whether the key may read trial offers (False: it lacks TRIAL_OFFER_READ)."""
        try:
            await self._client.class_offers(slice_size=10)
        except PerfectGymAuthError:
            return False
        return True

    # --- listing -------------------------------------------------------------------------------

    async def offers(self) -> list[Offer]:
        """Classes and appointments whose config allows booking for leads, in the API's order."""
        return await self._cached("offers", self._fetch_offers)

    async def window(self, offer: Offer, index: int, today: datetime.date) -> SlotWindow:
        """The offer's free times in its ``index``-th window (one API call for each window)."""
        return await self._cached(
            _window_key(offer, index, today), lambda: self._fetch_window(offer, index, today)
        )

    async def fresh_window(self, offer: Offer, index: int, today: datetime.date) -> SlotWindow:
        """As ``window``, asked again (a time turned out taken)."""
        self._cache.pop(_window_key(offer, index, today), None)
        return await self.window(offer, index, today)

    async def current_slot(self, offer: Offer, slot: TrialSlot) -> TrialSlot | None:
        """A booked class slot as PerfectGym lists it now, full or not (its time may have been
        moved); None for an appointment (the API cannot read one back) or a slot no longer
        listed. Asked afresh, past the cache."""
        kind, _config_id, item_id = _parse_key(offer.key)
        wanted = json.loads(slot.ref).get("class_slot")
        if kind != "c" or wanted is None:
            return None
        offset = "0"
        for _ in range(MAX_SLICES):
            page = await self._client.class_slots(item_id, offset, CLASS_SLICE)
            for found in page.result:
                if found.id == wanted and found.start_date_time is not None:
                    return _class_slot(found)
            if not page.has_next:
                break
            offset = page.offset
        return None

    async def _fetch_offers(self) -> list[Offer]:
        offers: list[Offer] = []
        async for item in self._client.all_class_offers():
            lesson = item.trial_offer_class
            if lesson.bookable and await self._for_leads(item.trial_offer_config_id):
                offers.append(
                    Offer(
                        f"c{item.trial_offer_config_id}:{lesson.id}",
                        lesson.title or "",
                        lesson.duration,
                    )
                )
        async for entry in self._client.all_appointment_offers():
            appointment = entry.trial_offer_bookable_appointment
            if await self._for_leads(entry.trial_offer_config_id):
                offers.append(
                    Offer(
                        f"a{entry.trial_offer_config_id}:{appointment.id}",
                        appointment.title or "",
                        appointment.duration,
                    )
                )
        return offers

    async def _for_leads(self, config_id: int) -> bool:
        return (await self.config(config_id)).allow_booking_for_leads

    async def config(self, config_id: int) -> TrialOfferConfig:
        """Cached like the offers: a studio that stops allowing leads is heard within ``ttl``."""
        return await self._cached(
            f"config {config_id}", lambda: self._client.trial_config(config_id)
        )

    async def _fetch_window(self, offer: Offer, index: int, today: datetime.date) -> SlotWindow:
        kind, _config_id, item_id = _parse_key(offer.key)
        if kind == "c":
            offsets = self._class_offsets.setdefault(offer.key, ["0"])
            offset = offsets[min(index, len(offsets) - 1)]
            page = await self._client.class_slots(item_id, offset, CLASS_SLICE)
            if page.has_next and len(offsets) == index + 1:
                offsets.append(page.offset)
            now = datetime.datetime.fromtimestamp(self._clock(), datetime.UTC)
            bookable = [_class_slot(s) for s in page.result if _bookable(s, now)]
            return SlotWindow(bookable, page.has_next)
        start = today + datetime.timedelta(days=DAYS_PER_WINDOW * index)
        slots = await self._client.appointment_slots(item_id, start, DAYS_PER_WINDOW)
        # Appointments can be booked about a year ahead: always one window more, up to 8 weeks.
        return SlotWindow(
            [_appointment_slot(item_id, s) for s in slots if s.start_date_time and s.end_date_time],
            more=index < 8,
        )

    async def _cached(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        hit = self._cache.get(key)
        if hit is not None and self._clock() < hit[0]:
            return hit[1]  # type: ignore[return-value]
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.get_running_loop().create_future()
            self._flights[key] = flight
            try:
                value = await fetch()
            except BaseException as exc:
                flight.set_exception(exc)
                flight.exception()  # retrieved: the waiters, if any, see it too
                raise
            finally:
                self._flights.pop(key, None)
            self._cache[key] = (self._clock() + self._ttl, value)
            flight.set_result(value)
            return value
        return await flight  # type: ignore[return-value]

    # --- booking -------------------------------------------------------------------------------

    async def validate(
        self, slot: TrialSlot, customer_id: int, *, after_sent: bool = False
    ) -> Result | None:
        """None: bookable now; ``Result.BOOKED``: this customer already holds it (a lost answer
        did book: for an appointment PerfectGym then says the customer has another booking at
        that time); else why not."""
        request = _request(slot, customer_id)
        if isinstance(request, ClassSlotBookingRequest):
            status: object = await self._client.validate_class_booking(request)
        else:
            status = await self._client.validate_appointment_booking(request)
        if status in (
            ClassBookingValidationStatus.AVAILABLE,
            AppointmentBookingValidationStatus.AVAILABLE,
        ):
            return None
        if status is ClassBookingValidationStatus.CUSTOMER_ALREADY_BOOKED:
            return Result.BOOKED
        if after_sent and status is AppointmentBookingValidationStatus.CUSTOMER_IN_OTHER_BOOKING:
            return Result.BOOKED
        return Result.TAKEN if status in _TAKEN else Result.REFUSED

    async def book(self, slot: TrialSlot, customer_id: int, offer: Offer) -> Attempt:
        request = _request(slot, customer_id)
        try:
            if isinstance(request, ClassSlotBookingRequest):
                result = await self._client.book_class(request)
                status: object = result.booking_status
                booking_id = result.booking_id
            else:
                booked = await self._client.book_appointment(request)
                status, booking_id = booked.booking_status, booked.booking_id
        except PerfectGymRejected as exc:
            # Booked without a fresh validate, or taken in between: the API answers 400.
            log.info("trial booking refused by PerfectGym (%s)", exc)
            return Attempt(Result.TAKEN)
        if status in (ClassBookingStatus.BOOKED, AppointmentBookingStatus.BOOKED):
            return Attempt(Result.BOOKED, booking_id)
        if status in (
            ClassBookingStatus.BOOKED_WITH_CONFIRMATION_REQUIRED,
            AppointmentBookingStatus.BOOKED_WITH_CONFIRMATION_REQUIRED,
        ):
            return Attempt(Result.CONFIRM, booking_id, confirm_by=await self._confirm_by(offer))
        if status is ClassBookingStatus.WAITING_LIST:
            return Attempt(Result.WAITING, booking_id)
        return Attempt(Result.REFUSED, booking_id, reason=f"booking status {status}")

    async def confirm(self, booking_id: int) -> Result:
        status = await self._client.confirm_booking(booking_id)
        return Result.CONFIRMED if status is ConfirmationStatus.CONFIRMED else Result.EXPIRED

    async def _confirm_by(self, offer: Offer) -> float | None:
        """When the reservation lapses; None if unknown (the booking is made: never fail it)."""
        try:
            term = (await self.config(_parse_key(offer.key)[1])).confirmation_of_booking_term
        except PerfectGymError:
            return None
        if term is None:
            return None
        now = datetime.datetime.fromtimestamp(self._clock(), datetime.UTC)
        ends = term.after(now)
        return None if ends is None else ends.timestamp()


class TrialCatalogs:
    """One ``TrialCatalog`` per club, built when the club's first prospect needs it and kept:
    its cache is the club's, as its offers and times are."""

    def __init__(self, *, ttl: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl
        self._clock = clock
        self._catalogs: dict[str, TrialCatalog] = {}

    def of(self, club: Club) -> TrialCatalog:
        catalog = self._catalogs.get(club.id)
        if catalog is None:
            catalog = TrialCatalog(club.client, ttl=self._ttl, clock=self._clock)
            self._catalogs[club.id] = catalog
        return catalog


def _window_key(offer: Offer, index: int, today: datetime.date) -> str:
    return f"{offer.key}@{index}@{today}"


def _parse_key(key: str) -> tuple[str, int, int]:
    kind, rest = key[0], key[1:]
    config, _, item = rest.partition(":")
    return kind, int(config), int(item)


def _bookable(slot: ClassSlot, now: datetime.datetime) -> bool:
    """Still open for booking (the studio closes a class some time before it starts), with
    free places (or no maximum stated), or full with room on its waiting list."""
    if slot.start_date_time is None:
        return False
    latest = slot.latest_booking_date_time
    if latest is not None and latest <= now:
        return False
    if slot.free_places != 0:
        return True
    room = (slot.max_waiting_list_participants or 0) - (slot.waiting_list_participants or 0)
    return room > 0


def _instructor(instructors: list[Instructor]) -> str | None:
    names = [i.public_name or f"{i.first_name} {i.last_name}" for i in instructors]
    return ", ".join(names) or None


def _class_slot(slot: ClassSlot) -> TrialSlot:
    assert slot.start_date_time is not None
    return TrialSlot(
        ref=json.dumps({"class_slot": slot.id}),
        start=slot.start_date_time.isoformat(),
        end=slot.end_date_time.isoformat() if slot.end_date_time else None,
        instructor=_instructor(slot.instructors),
        place=slot.location.name if slot.location else None,
    )


def _appointment_slot(appointment_id: int, slot: BookableAppointmentSlot) -> TrialSlot:
    assert slot.start_date_time is not None
    assert slot.end_date_time is not None
    request = AppointmentBookingRequest.for_slot(0, appointment_id, slot)
    return TrialSlot(
        ref=request.model_dump_json(exclude={"customer_id"}),
        start=slot.start_date_time.at.isoformat(),
        end=slot.end_date_time.at.isoformat(),
        instructor=_instructor(slot.instructors),
    )


def class_slot_of(slot: TrialSlot) -> int | None:
    """The PerfectGym class slot a class's time is (PerfectGym's slot events name it); None
    for an appointment's."""
    data = json.loads(slot.ref)
    return int(data["class_slot"]) if "class_slot" in data else None


def _request(
    slot: TrialSlot, customer_id: int
) -> ClassSlotBookingRequest | AppointmentBookingRequest:
    data = json.loads(slot.ref)
    if "class_slot" in data:
        return ClassSlotBookingRequest(
            customer_id=customer_id, class_slot_id=int(data["class_slot"])
        )
    return AppointmentBookingRequest.model_validate({**data, "customer_id": customer_id})
