"""An in-memory studio answering PerfectGym's twelve trial-offer operations, for the stand-in.

Like the leads stand-in it reads raw JSON and answers raw JSON, independently of
``bot.perfectgym.trial_models``, so a wrong alias or a reformatted date-time sent by the client shows
up here. The studio (in ``zone``, Europe/Berlin by default; slots made relative to ``clock()`` at
construction, ids stable after that):

- Class offers: "Yoga Flow" (config 1: bookable for leads, contingent 2) and "HIIT Express"
  (config 3: ``allowBookingForLeads`` false, which the bot must not list). Their slots run from
  one day back to fourteen days ahead, as the API's window does, at fixed weekly times; the
  second Yoga slot still open for booking (booking closes an hour before the start) is full
  with room on the waiting list, the third is full with a full waiting list. Class slot times use the bracketed-zone form
  (``2026-12-02T18:30:00.000+01:00[Europe/Berlin]``).
- One appointment offer, "Probetraining mit Coach" (config 2: confirmation required within 30
  minutes, contingent 1): hourly slots Monday to Saturday, one coach each, computed per window
  (``slotWindowStartDate``, ``daysAhead`` 1..6), in the plain offset form
  (``2026-12-02T18:30:00+01:00``); a booked hour is no longer listed.

Rules (where the spec is silent, the choice is marked inferred):

- ``customerId`` must be one the stand-in created (``/v1/leads/create``'s ``customerId`` or
  ``/v1/trial-offers/lead/create``'s ``leadCustomerId``); any unknown id answers 404.
- Validate answers 200 with a status, checked in this order. Classes: NOT_AVAILABLE (config not
  for leads), CUSTOMER_ALREADY_BOOKED (so a lost booking answer is recognised), the earliest and
  latest booking times, NO_CONTINGENT (contingent used up within ``preventMultipleBookingsTerm``,
  or the customer is in ``refused``), CUSTOMER_IN_OTHER_BOOKING (an overlapping booking),
  BOOKING_LIMIT_REACHED (places and waiting list full), else AVAILABLE. Appointments:
  END_DATE_TIME_NOT_AFTER_START_DATE_TIME, PAST_START_DATE_TIME, PERIOD_DOES_NOT_MATCH (no such
  slot, compared as instants), NOT_AVAILABLE, CUSTOMER_IN_OTHER_BOOKING (also what a lost
  answer of one's own booking shows), NO_CONTINGENT, RESOURCE_NOT_AVAILABLE (the coach is
  booked; inferred), else AVAILABLE.
- Book validates first and answers 400 with that status as ``errorCode`` when it is not
  AVAILABLE (inferred). A class whose places are full but whose waiting list is not books as
  WAITING_LIST; a config with ``confirmationOfBookingTerm`` books as
  BOOKED_WITH_CONFIRMATION_REQUIRED; otherwise BOOKED.
- Confirm answers CONFIRMED within the term (again CONFIRMED if asked twice), EXPIRED after it
  (the place is then freed), 400 for a booking that needs no confirmation, 404 for an unknown id.
- Paging: ``offset`` is the last id of the previous slice, ``sliceSize`` 10..100 (default 50);
  out of range or not a number answers 400 with the parameter as ``reference``.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

TRIAL_ROUTES: dict[str, tuple[str, str]] = {
    "/v1/trial-offers/bookable-trial-offers/classes": ("GET", "class_offers"),
    "/v1/trial-offers/bookable-trial-offers/appointments/bookable": ("GET", "appointment_offers"),
    "/v1/trial-offers/config/{configId}": ("GET", "trial_config"),
    "/v1/trial-offers/lead/validate": ("POST", "trial_lead_validate"),
    "/v1/trial-offers/lead/create": ("POST", "trial_lead_create"),
    "/v1/trial-offers/bookable-trial-offers/classes/{classId}/slots": ("GET", "class_slots"),
    "/v1/trial-offers/bookable-trial-offers/appointments/bookable/{bookableAppointmentId}/slots": (
        "GET",
        "appointment_slots",
    ),
    "/v1/trial-offers/classes/booking/validate": ("POST", "class_validate"),
    "/v1/trial-offers/appointments/booking/validate": ("POST", "appointment_validate"),
    "/v1/trial-offers/classes/booking/book": ("POST", "class_book"),
    "/v1/trial-offers/appointments/booking/book": ("POST", "appointment_book"),
    "/v1/trial-offers/bookings/{bookingId}/confirm": ("POST", "confirm"),
}
TRIAL_ENDPOINTS = frozenset(endpoint for _, endpoint in TRIAL_ROUTES.values())
_PATTERNS = [
    (re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"), path)
    for path in TRIAL_ROUTES
]


def match_trial_route(path: str) -> tuple[str, dict[str, str]] | None:
    """The route template a concrete path belongs to, and its path parameters."""
    for pattern, template in _PATTERNS:
        found = pattern.match(path)
        if found:
            return template, found.groupdict()
    return None


Reply = tuple[int, object]
_LEAD_DATA = {
    "trialOfferLeadDataConfigId": 11,
    "genderMode": "OPTIONAL",
    "dateOfBirthMode": "INACTIVE",
    "telephoneMode": "OPTIONAL",
    "addressMode": "INACTIVE",
}


def _configs() -> dict[int, dict[str, Any]]:
    return {
        1: {
            "id": 1,
            "name": "Probetraining Kurs",
            "preventMultipleBookingsTerm": {"value": 6, "unit": "MONTH"},
            "contingent": 2,
            "allowBookingForLeads": True,
            "leadDataConfig": dict(_LEAD_DATA),
        },
        2: {
            "id": 2,
            "name": "Probetraining mit Coach",
            "preventMultipleBookingsTerm": {"value": 6, "unit": "MONTH"},
            "contingent": 1,
            "confirmationOfBookingTerm": {"value": 30, "unit": "MINUTES"},
            "allowBookingForLeads": True,
            "leadDataConfig": dict(_LEAD_DATA, trialOfferLeadDataConfigId=12),
        },
        3: {
            "id": 3,
            "name": "Mitglieder-Special",
            "preventMultipleBookingsTerm": {"value": 1, "unit": "YEAR"},
            "contingent": 1,
            "allowBookingForLeads": False,
            "leadDataConfig": dict(_LEAD_DATA, trialOfferLeadDataConfigId=13),
        },
    }


INSTRUCTORS = {
    101: {"id": 101, "firstName": "Lena", "lastName": "Hoffmann", "publicName": "Coach Lena"},
    102: {"id": 102, "firstName": "Jonas", "lastName": "Weber", "publicName": "Coach Jonas"},
    103: {"id": 103, "firstName": "Mara", "lastName": "Schulz"},
}
LOCATIONS = {
    201: {"id": 201, "name": "Kursraum 1", "description": "Erster Stock, links"},
    202: {"id": 202, "name": "Kursraum 2"},
}


@dataclass(frozen=True)
class ClassPlan:
    """A class, its offer and its weekly times: (weekday, hour, minute)."""

    offer_id: int
    config_id: int
    klass: dict[str, Any]
    times: tuple[tuple[int, int, int], ...]
    location_id: int
    instructor_id: int
    max_participants: int
    max_waiting_list: int


CLASS_PLANS = (
    ClassPlan(
        offer_id=9001,
        config_id=1,
        klass={
            "id": 1101,
            "title": "Yoga Flow",
            "type": "STUDIO",
            "duration": 60,
            "category": "Yoga",
            "description": "Ruhiger Vinyasa-Flow für alle Level",
            "bookable": True,
            "cancelCondition": {
                "cancelationAfterLatestPossible": False,
                "latestCancelTerm": {"value": 2, "unit": "HOURS"},
            },
        },
        times=((0, 18, 30), (2, 18, 30), (5, 10, 0)),
        location_id=201,
        instructor_id=103,
        max_participants=12,
        max_waiting_list=3,
    ),
    ClassPlan(
        offer_id=9002,
        config_id=3,
        klass={
            "id": 1102,
            "title": "HIIT Express",
            "type": "STUDIO",
            "duration": 45,
            "category": "Fitness",
            "bookable": True,
        },
        times=((1, 7, 0), (3, 7, 0), (1, 19, 0), (3, 19, 0)),
        location_id=202,
        instructor_id=102,
        max_participants=15,
        max_waiting_list=0,
    ),
)
APPOINTMENT_OFFER: dict[str, Any] = {
    "id": 9101,
    "trialOfferConfigId": 2,
    "trialOfferBookableAppointment": {
        "id": 3001,
        "title": "Probetraining mit Coach",
        "duration": 60,
        "category": "Personal Training",
        "description": "Eine Stunde an den Geräten mit einem Coach",
    },
}
_APPOINTMENT_HOURS = {  # weekday -> start hours; Sunday closed
    **{day: (9, 10, 11, 14, 15, 16, 17, 18, 19) for day in range(5)},
    5: (10, 11, 12),
}
_APPOINTMENT_MINUTES = 60


@dataclass
class ClassSlotState:
    id: int
    class_id: int
    config_id: int
    start: datetime.datetime
    end: datetime.datetime
    location_id: int
    instructor_id: int
    max_participants: int
    max_waiting_list: int
    booked: int
    additional: int = 0
    waiting: int = 0

    @property
    def full(self) -> bool:
        return self.booked + self.additional >= self.max_participants

    @property
    def waiting_list_full(self) -> bool:
        return self.waiting >= self.max_waiting_list


@dataclass
class Booking:
    id: int
    customer_id: int
    config_id: int
    start: datetime.datetime
    end: datetime.datetime
    status: str
    created: datetime.datetime
    class_slot_id: int | None = None
    bookable_appointment_id: int | None = None
    confirmed: bool = False

    @property
    def active(self) -> bool:
        return self.status != "CANCELED"


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str, reference: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reference = reference

    def reply(self) -> Reply:
        body: dict[str, str] = {"errorMessage": self.message, "errorCode": self.code}
        if self.reference is not None:
            body["reference"] = self.reference
        return self.status, body


def _bad(reference: str | None, message: str, code: str = "INVALID_REQUEST") -> _Error:
    return _Error(400, code, message, reference)


def _not_found(reference: str) -> _Error:
    return _Error(404, "ENTITY_NOT_FOUND", "Entity does not exists.", reference)


@dataclass
class TrialStudio:
    """The studio's trial offers, slots and bookings. Tests may change any of it directly."""

    clock: Callable[[], datetime.datetime] = field(
        default=lambda: datetime.datetime.now(datetime.UTC)
    )
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))
    configs: dict[int, dict[str, Any]] = field(default_factory=_configs)
    class_plans: tuple[ClassPlan, ...] = CLASS_PLANS
    customers: set[int] = field(default_factory=set)
    refused: set[int] = field(default_factory=set)
    refuse_everyone: bool = False
    bookings: dict[int, Booking] = field(default_factory=dict)
    class_slots: dict[int, ClassSlotState] = field(default_factory=dict)
    trial_leads: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._booking_ids = itertools.count(70001)
        self._lead_ids = itertools.count(8001)
        if not self.class_slots:
            self._plan_class_slots()

    # --- the studio ---------------------------------------------------------------------------

    def now(self) -> datetime.datetime:
        return self.clock().astimezone(self.zone)

    def _plan_class_slots(self) -> None:
        today = self.now().date()
        ids = itertools.count(20001)
        for plan in self.class_plans:
            upcoming = 0
            for day in range(-1, 15):
                date = today + datetime.timedelta(days=day)
                for weekday, hour, minute in sorted(plan.times, key=lambda t: (t[1], t[2])):
                    if date.weekday() != weekday:
                        continue
                    start = datetime.datetime.combine(
                        date, datetime.time(hour, minute), tzinfo=self.zone
                    )
                    slot = ClassSlotState(
                        id=next(ids),
                        class_id=plan.klass["id"],
                        config_id=plan.config_id,
                        start=start,
                        end=start + datetime.timedelta(minutes=plan.klass["duration"]),
                        location_id=plan.location_id,
                        instructor_id=plan.instructor_id,
                        max_participants=plan.max_participants,
                        max_waiting_list=plan.max_waiting_list,
                        booked=4 + (start.day % 5),
                        additional=1 if start.weekday() == 5 else 0,
                    )
                    if self._latest_booking(slot) > self.now():  # still open for booking
                        upcoming += 1
                        if upcoming in (2, 3):  # full; the third's waiting list too
                            slot.booked = slot.max_participants - slot.additional
                            slot.waiting = 1 if upcoming == 2 else slot.max_waiting_list
                    self.class_slots[slot.id] = slot

    def class_offers(self) -> list[dict[str, Any]]:
        return [
            {
                "id": plan.offer_id,
                "trialOfferConfigId": plan.config_id,
                "trialOfferClass": plan.klass,
            }
            for plan in self.class_plans
        ]

    def appointment_offers(self) -> list[dict[str, Any]]:
        return [APPOINTMENT_OFFER]

    def appointment_slots_on(self, date: datetime.date) -> list[tuple[datetime.datetime, int]]:
        """The day's free appointment starts after now, each with its coach's id."""
        free = []
        for hour in _APPOINTMENT_HOURS.get(date.weekday(), ()):
            start = datetime.datetime.combine(date, datetime.time(hour), tzinfo=self.zone)
            if start <= self.now() or self._appointment_taken(start):
                continue
            free.append((start, 101 if hour % 2 else 102))
        return free

    def _appointment_taken(self, start: datetime.datetime) -> bool:
        return any(
            b.active and b.bookable_appointment_id is not None and b.start == start
            for b in self.bookings.values()
        )

    def take_class_slot(self, slot_id: int) -> None:
        """Someone else fills the slot, waiting list included."""
        slot = self.class_slots[slot_id]
        slot.booked = slot.max_participants - slot.additional
        slot.waiting = slot.max_waiting_list

    def take_appointment(self, start: datetime.datetime) -> None:
        """Someone else (a member, outside the trial offers) books the coach at ``start``."""
        booking = Booking(
            id=next(self._booking_ids),
            customer_id=-1,
            config_id=0,
            start=start,
            end=start + datetime.timedelta(minutes=_APPOINTMENT_MINUTES),
            status="BOOKED",
            created=self.now(),
            bookable_appointment_id=APPOINTMENT_OFFER["trialOfferBookableAppointment"]["id"],
        )
        self.bookings[booking.id] = booking

    def bookings_of(self, customer_id: int) -> list[Booking]:
        return [b for b in self.bookings.values() if b.customer_id == customer_id]

    # --- the API ------------------------------------------------------------------------------

    def respond(
        self, endpoint: str, params: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> Reply:
        """Answer one trial-offer request: (HTTP status, JSON payload)."""
        try:
            return self._dispatch(endpoint, params, query, body)
        except _Error as error:
            return error.reply()

    def _dispatch(
        self, endpoint: str, params: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> Reply:
        if endpoint == "class_offers":
            return 200, _slice(self.class_offers(), query)
        if endpoint == "appointment_offers":
            return 200, _slice(self.appointment_offers(), query)
        if endpoint == "trial_config":
            config_id = _path_id(params, "configId")
            if config_id not in self.configs:
                raise _not_found("configId")
            return 200, self.configs[config_id]
        if endpoint == "class_slots":
            return 200, self._class_slots(_path_id(params, "classId"), query)
        if endpoint == "appointment_slots":
            return 200, self._appointment_slots(_path_id(params, "bookableAppointmentId"), query)
        if endpoint == "confirm":
            return 200, self._confirm(_path_id(params, "bookingId"))
        request = _json_object(body)
        if endpoint == "class_validate":
            slot, customer = self._class_request(request)
            return 200, {"validationStatus": self._class_status(slot, customer)}
        if endpoint == "class_book":
            slot, customer = self._class_request(request)
            return 200, self._book_class(slot, customer)
        if endpoint == "appointment_validate":
            status, _ = self._appointment_check(request)
            return 200, {"validationStatus": status}
        if endpoint == "appointment_book":
            return 200, self._book_appointment(request)
        if endpoint in ("trial_lead_validate", "trial_lead_create"):
            return 200, self._trial_lead(request, create=endpoint == "trial_lead_create")
        raise _not_found("path")

    def _class_slots(self, class_id: int, query: Mapping[str, str]) -> dict[str, Any]:
        if not any(plan.klass["id"] == class_id for plan in self.class_plans):
            raise _not_found("classId")
        now = self.now()
        window = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=14))
        slots = [
            self._class_slot_json(slot)
            for slot in sorted(self.class_slots.values(), key=lambda s: s.id)
            if slot.class_id == class_id and window[0] <= slot.start <= window[1]
        ]
        return _slice(slots, query)

    def _class_slot_json(self, slot: ClassSlotState) -> dict[str, Any]:
        plan = next(plan for plan in self.class_plans if plan.klass["id"] == slot.class_id)
        earliest = datetime.datetime.combine(
            (slot.start - datetime.timedelta(days=14)).date(), datetime.time(), tzinfo=self.zone
        )
        return {
            "id": slot.id,
            "startDateTime": self._zoned(slot.start),
            "endDateTime": self._zoned(slot.end),
            "classInformation": {"id": slot.class_id, "title": plan.klass["title"]},
            "instructors": [INSTRUCTORS[slot.instructor_id]],
            "location": LOCATIONS[slot.location_id],
            "earliestBookingDateTime": self._zoned(earliest),
            "latestBookingDateTime": self._zoned(self._latest_booking(slot)),
            "maxParticipants": slot.max_participants,
            "maxWaitingListParticipants": slot.max_waiting_list,
            "bookedParticipants": slot.booked,
            "additionalParticipants": slot.additional,
            "waitingListParticipants": slot.waiting,
        }

    def _zoned(self, moment: datetime.datetime) -> str:
        """Java's ZonedDateTime form, as in the spec's examples."""
        local = moment.astimezone(self.zone)
        return f"{local.isoformat(timespec='milliseconds')}[{self.zone.key}]"

    @staticmethod
    def _latest_booking(slot: ClassSlotState) -> datetime.datetime:
        return slot.start - datetime.timedelta(hours=1)

    def _appointment_slots(self, appointment_id: int, query: Mapping[str, str]) -> list[Any]:
        if appointment_id != APPOINTMENT_OFFER["trialOfferBookableAppointment"]["id"]:
            raise _not_found("bookableAppointmentId")
        days = _int_param(query, "daysAhead", 1, 1, 6)
        start_text = query.get("slotWindowStartDate")
        if start_text is None:
            first = self.now().date()
        else:
            try:
                first = datetime.date.fromisoformat(start_text)
            except ValueError:
                raise _bad("slotWindowStartDate", "Must be an ISO-8601 date.") from None
        if "customerId" in query:
            self._customer(_int_param(query, "customerId", 0, 1, 2**63 - 1), "customerId")
        return [
            {
                "startDateTime": start.isoformat(timespec="seconds"),
                "endDateTime": (start + datetime.timedelta(minutes=_APPOINTMENT_MINUTES)).isoformat(
                    timespec="seconds"
                ),
                "instructors": [INSTRUCTORS[coach]],
            }
            for day in range(days)
            for start, coach in self.appointment_slots_on(first + datetime.timedelta(days=day))
        ]

    def _customer(self, value: object, reference: str) -> int:
        if type(value) is not int:
            raise _bad(reference, "Must be an integer.")
        if value not in self.customers:
            raise _not_found(reference)
        return value

    def _class_request(self, request: dict[str, Any]) -> tuple[ClassSlotState, int]:
        slot_id = request.get("classSlotId")
        if type(slot_id) is not int:
            raise _bad("classSlotId", "Must be an integer.")
        customer = request.get("customerId")
        if type(customer) is not int:
            raise _bad("customerId", "Must be an integer.")
        if slot_id not in self.class_slots:
            raise _not_found("classSlotId")
        return self.class_slots[slot_id], self._customer(customer, "customerId")

    def _class_status(self, slot: ClassSlotState, customer: int) -> str:
        config = self.configs[slot.config_id]
        now = self.now()
        mine = [b for b in self.bookings_of(customer) if b.active]
        if not config["allowBookingForLeads"]:
            return "NOT_AVAILABLE"
        if any(b.class_slot_id == slot.id for b in mine):
            return "CUSTOMER_ALREADY_BOOKED"
        earliest = datetime.datetime.combine(
            (slot.start - datetime.timedelta(days=14)).date(), datetime.time(), tzinfo=self.zone
        )
        if now < earliest:
            return "DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME"
        if now > self._latest_booking(slot):
            return "DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME"
        if self._no_contingent(customer, config, mine):
            return "NO_CONTINGENT"
        if any(b.start < slot.end and slot.start < b.end for b in mine):
            return "CUSTOMER_IN_OTHER_BOOKING"
        if slot.full and slot.waiting_list_full:
            return "BOOKING_LIMIT_REACHED"
        return "AVAILABLE"

    def _no_contingent(self, customer: int, config: dict[str, Any], mine: list[Booking]) -> bool:
        if self.refuse_everyone or customer in self.refused:
            return True
        since = _minus_term(self.now(), config["preventMultipleBookingsTerm"])
        used = [b for b in mine if b.config_id == config["id"] and b.created >= since]
        return len(used) >= int(config["contingent"])

    def _book_class(self, slot: ClassSlotState, customer: int) -> dict[str, Any]:
        status = self._class_status(slot, customer)
        if status != "AVAILABLE":
            raise _bad(None, "The class slot cannot be booked.", status)
        config = self.configs[slot.config_id]
        if slot.full:
            booking_status = "WAITING_LIST"
            slot.waiting += 1
        else:
            slot.booked += 1
            booking_status = (
                "BOOKED_WITH_CONFIRMATION_REQUIRED"
                if config.get("confirmationOfBookingTerm")
                else "BOOKED"
            )
        booking = self._new_booking(customer, config, slot.start, slot.end, booking_status)
        booking.class_slot_id = slot.id
        return {
            "bookingId": booking.id,
            "bookingStatus": booking_status,
            "classSlotId": slot.id,
            "classId": slot.class_id,
            "customerId": customer,
            "classSlotStatus": "PLANNED",
            "participantStatus": "PARTICIPATING" if booking_status == "BOOKED" else "UNSET",
        }

    def _new_booking(
        self,
        customer: int,
        config: dict[str, Any],
        start: datetime.datetime,
        end: datetime.datetime,
        status: str,
    ) -> Booking:
        booking = Booking(
            id=next(self._booking_ids),
            customer_id=customer,
            config_id=config["id"],
            start=start,
            end=end,
            status=status,
            created=self.now(),
        )
        self.bookings[booking.id] = booking
        return booking

    def _appointment_check(
        self, request: dict[str, Any]
    ) -> tuple[str, tuple[int, datetime.datetime, datetime.datetime, int | None]]:
        appointment_id = request.get("bookableAppointmentId")
        if type(appointment_id) is not int:
            raise _bad("bookableAppointmentId", "Must be an integer.")
        start, end = (_instant(request, key) for key in ("startDateTime", "endDateTime"))
        instructors = request.get("instructorIds")
        if instructors is not None and (
            not isinstance(instructors, list) or any(type(i) is not int for i in instructors)
        ):
            raise _bad("instructorIds", "Must be a list of integers.")
        customer = request.get("customerId")
        if type(customer) is not int:
            raise _bad("customerId", "Must be an integer.")
        if appointment_id != APPOINTMENT_OFFER["trialOfferBookableAppointment"]["id"]:
            raise _not_found("bookableAppointmentId")
        customer = self._customer(customer, "customerId")
        config = self.configs[APPOINTMENT_OFFER["trialOfferConfigId"]]
        mine = [b for b in self.bookings_of(customer) if b.active]
        coach = None
        status = "AVAILABLE"
        slot = self._appointment_slot(start)
        if end <= start:
            status = "END_DATE_TIME_NOT_AFTER_START_DATE_TIME"
        elif start <= self.now():
            status = "PAST_START_DATE_TIME"
        elif slot is None or end - start != datetime.timedelta(minutes=_APPOINTMENT_MINUTES):
            status = "PERIOD_DOES_NOT_MATCH"
        elif not config["allowBookingForLeads"]:
            status = "NOT_AVAILABLE"
        elif any(b.start < end and start < b.end for b in mine):
            status = "CUSTOMER_IN_OTHER_BOOKING"
        elif self._no_contingent(customer, config, mine):
            status = "NO_CONTINGENT"
        elif self._appointment_taken(start):
            status = "RESOURCE_NOT_AVAILABLE"
        else:
            coach = slot[1]
        return status, (customer, start.astimezone(self.zone), end.astimezone(self.zone), coach)

    def _appointment_slot(self, start: datetime.datetime) -> tuple[datetime.datetime, int] | None:
        """The planned slot starting at ``start`` (free or not), with its coach."""
        local = start.astimezone(self.zone)
        if local.minute or local.second or local.microsecond:
            return None
        if local.hour not in _APPOINTMENT_HOURS.get(local.weekday(), ()):
            return None
        return local, 101 if local.hour % 2 else 102

    def _book_appointment(self, request: dict[str, Any]) -> dict[str, Any]:
        status, (customer, start, end, coach) = self._appointment_check(request)
        if status != "AVAILABLE" or coach is None:
            raise _bad(None, "The appointment cannot be booked.", status)
        config = self.configs[APPOINTMENT_OFFER["trialOfferConfigId"]]
        booking_status = (
            "BOOKED_WITH_CONFIRMATION_REQUIRED"
            if config.get("confirmationOfBookingTerm")
            else "BOOKED"
        )
        booking = self._new_booking(customer, config, start, end, booking_status)
        appointment = APPOINTMENT_OFFER["trialOfferBookableAppointment"]
        booking.bookable_appointment_id = appointment["id"]
        return {
            "bookingId": booking.id,
            "bookingStatus": booking_status,
            "startDateTime": request["startDateTime"],
            "endDateTime": request["endDateTime"],
            "title": appointment["title"],
            "duration": appointment["duration"],
            "category": appointment["category"],
            "description": appointment["description"],
            "instructors": [INSTRUCTORS[coach]],
            "appointmentStatus": "PLANNED",
            "participantStatus": "PARTICIPATING" if booking_status == "BOOKED" else "UNSET",
        }

    def _confirm(self, booking_id: int) -> dict[str, str]:
        booking = self.bookings.get(booking_id)
        if booking is None or booking.customer_id < 0:
            raise _not_found("bookingId")
        if booking.confirmed:
            return {"status": "CONFIRMED"}
        if booking.status == "CANCELED":
            return {"status": "EXPIRED"}
        term = self.configs[booking.config_id].get("confirmationOfBookingTerm")
        if booking.status != "BOOKED_WITH_CONFIRMATION_REQUIRED" or not term:
            raise _bad(
                "bookingId", "The booking needs no confirmation.", "NO_CONFIRMATION_REQUIRED"
            )
        if self.now() > _plus_term(booking.created, term):
            booking.status = "CANCELED"
            if booking.class_slot_id is not None:
                self.class_slots[booking.class_slot_id].booked -= 1
            return {"status": "EXPIRED"}
        booking.confirmed = True
        booking.status = "BOOKED"
        return {"status": "CONFIRMED"}

    def _trial_lead(self, request: dict[str, Any], *, create: bool) -> dict[str, Any]:
        config_id = request.get("trialOfferConfigId")
        if type(config_id) is not int:
            raise _bad("trialOfferConfigId", "Must be an integer.")
        data = request.get("leadCustomerData")
        if not isinstance(data, dict):
            raise _bad("leadCustomerData", "Must be an object.")
        for key in ("firstname", "lastname", "email"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise _bad(f"leadCustomerData.{key}", "Must not be blank.")
        if config_id not in self.configs:
            raise _not_found("trialOfferConfigId")
        status = self._trial_lead_status(data, self.configs[config_id]["leadDataConfig"])
        if not create:
            return {"validationStatus": status}
        if status != "POSSIBLE":
            raise _bad("leadCustomerData", "The lead customer cannot be created.", status)
        customer = next(self._lead_ids)
        self.trial_leads.append(request)
        self.customers.add(customer)
        return {"leadCustomerId": customer}

    def _trial_lead_status(self, data: dict[str, Any], modes: dict[str, Any]) -> str:
        email = data["email"].casefold()
        if any(lead["leadCustomerData"]["email"].casefold() == email for lead in self.trial_leads):
            return "DUPLICATE_CUSTOMER"
        for mode_key, key in (
            ("genderMode", "gender"),
            ("dateOfBirthMode", "dateOfBirth"),
            ("telephoneMode", "telephone"),
            ("addressMode", "address"),
        ):
            present = data.get(key) not in (None, "")
            mode = modes.get(mode_key)
            if (mode == "MANDATORY" and not present) or (mode == "INACTIVE" and present):
                return "INVALID_LEAD_CUSTOMER_DATA"
        return "POSSIBLE"


def _slice(items: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
    """One slice after the last id ``offset``; ``offset`` in the answer is this slice's last id."""
    size = _int_param(query, "sliceSize", 50, 10, 100)
    offset = _int_param(query, "offset", 0, 0, 2**63 - 1)
    after = sorted((item for item in items if item["id"] > offset), key=lambda item: item["id"])
    page = after[:size]
    return {
        "result": page,
        "hasNext": len(after) > size,
        "offset": str(page[-1]["id"] if page else offset),
    }


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,19}", text) or not low <= int(text) <= high:
        raise _bad(name, f"Must be an integer from {low} to {high}.")
    return int(text)


def _path_id(params: Mapping[str, str], name: str) -> int:
    text = params.get(name, "")
    if not re.fullmatch(r"\d{1,19}", text):
        raise _bad(name, "Must be an integer.")
    return int(text)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        raise _bad(None, "Request body is not valid JSON.") from None
    if not isinstance(parsed, dict):
        raise _bad(None, "Must be an object.")
    return cast(dict[str, Any], parsed)


_ZONED = re.compile(r"(?P<instant>[^\[\]]+)(?:\[[^\[\]]+\])?")


def _instant(request: dict[str, Any], key: str) -> datetime.datetime:
    """A date-time in either of the API's forms, read as the instant it names."""
    text = request.get(key)
    match = _ZONED.fullmatch(text) if isinstance(text, str) and "T" in text else None
    moment = None
    if match is not None:
        try:
            moment = datetime.datetime.fromisoformat(match["instant"])
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise _bad(key, "Must be a date-time with an offset.")
    return moment


def _plus_term(moment: datetime.datetime, term: dict[str, Any]) -> datetime.datetime:
    return moment + _term_length(term)


def _minus_term(moment: datetime.datetime, term: dict[str, Any]) -> datetime.datetime:
    return moment - _term_length(term)


def _term_length(term: dict[str, Any]) -> datetime.timedelta:
    """Approximate (a month is 30 days): the stand-in's own bookkeeping needs no more."""
    days = {"DAY": 1, "WEEK": 7, "MONTH": 30, "YEAR": 365}
    value = int(term["value"])
    if term["unit"] == "MINUTES":
        return datetime.timedelta(minutes=value)
    if term["unit"] == "HOURS":
        return datetime.timedelta(hours=value)
    return datetime.timedelta(days=value * days[term["unit"]])
