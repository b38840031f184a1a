"""The trial-offer family of the PerfectGym Next API: wire models and its date-time format.

Models follow ``perfectgym-studio-and-trials.md`` §2 (and ``tests/data/trial-offers-schemas.json``,
its transcription): required there is required here, optional is ``None`` or an empty list, and
enum values the vendor adds later read as UNKNOWN, as for the leads models. The client methods
that send and receive them are on ``bot.perfectgym.client.PerfectGymClient``.

Date-times come in two forms in the vendor's answers: with an offset and a bracketed IANA zone
(``2026-12-02T18:30:00.000+01:00[Europe/Berlin]``, Java's ``ZonedDateTime``, the spec's own
examples) and plain RFC 3339 (``2026-12-02T18:30:00+01:00``, ``...Z``). ``parse_api_datetime``
reads both. An appointment slot has no id: the API knows it only by its start and end, so those
keep the text the API gave and a booking request sends that text back byte for byte.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PlainSerializer, PlainValidator, RootModel

from bot.perfectgym.wire import FieldMode, LeadLanguage, NullAsEmpty, Wire, or_unknown

log = logging.getLogger(__name__)

# --- date-times ----------------------------------------------------------------------------------


class ApiDateTimeError(ValueError):
    """Not a date-time with an offset; inside a model it becomes PerfectGymProtocolError."""


_API_DATETIME = re.compile(
    r"(?P<local>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>Z|(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})(?::(?P<seconds>\d{2}))?)"
    r"(?:\[(?P<zone>[^\[\]]{1,64})\])?"
)


def parse_api_datetime(text: str) -> datetime.datetime:
    """An aware datetime from either form the API writes.

    With a bracketed zone the result is in that zone, provided the zone gives the same offset
    at that moment; a wrong or unknown zone is ignored and the offset (which the format puts
    first and which fixes the instant) is kept. Without any offset the moment is unknowable:
    ApiDateTimeError, never a guess in some local zone.
    """
    match = _API_DATETIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ApiDateTimeError("not an ISO-8601 date-time with an offset")
    try:
        local = datetime.datetime.fromisoformat(match["local"])
        fraction = match["fraction"]
        if fraction:
            local = local.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        offset = _offset(match)
        aware = local.replace(tzinfo=datetime.UTC if offset is None else datetime.timezone(offset))
    except ValueError:
        raise ApiDateTimeError("date-time out of range") from None
    zone_name = match["zone"]
    if zone_name is None:
        return aware
    zone = _zone(zone_name)
    if zone is None:
        log.debug("unknown time zone in an API date-time; keeping its offset")
        return aware
    in_zone = aware.astimezone(zone)
    if in_zone.utcoffset() != aware.utcoffset():
        log.debug("API date-time offset disagrees with its zone; keeping the offset")
        return aware
    return in_zone


def _offset(match: re.Match[str]) -> datetime.timedelta | None:
    if match["offset"] == "Z":
        return None
    hours, minutes, seconds = int(match["hours"]), int(match["minutes"]), int(match["seconds"] or 0)
    if hours > 18 or minutes > 59 or seconds > 59:
        raise ValueError("offset out of range")
    offset = datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return -offset if match["sign"] == "-" else offset


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


@dataclass(frozen=True)
class ApiDateTime:
    """A moment as the API wrote it: ``at`` to compute and show, ``text`` to send back."""

    text: str
    at: datetime.datetime

    @classmethod
    def parse(cls, text: str) -> Self:
        return cls(text, parse_api_datetime(text))


def _api_datetime(value: object) -> ApiDateTime:
    if isinstance(value, ApiDateTime):
        return value
    if not isinstance(value, str):
        raise ApiDateTimeError("a date-time must be a string")
    return ApiDateTime.parse(value)


def _datetime(value: object) -> datetime.datetime:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str):
        raise ApiDateTimeError("a date-time must be a string")
    return parse_api_datetime(value)


ApiTime = Annotated[
    datetime.datetime,
    PlainValidator(_datetime),
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
]
ApiTimeText = Annotated[
    ApiDateTime,
    PlainValidator(_api_datetime),
    PlainSerializer(lambda value: value.text, return_type=str),
]


# --- terms ---------------------------------------------------------------------------------------


class TermUnit(StrEnum):
    """``Term`` has DAY..YEAR; ``TermWithMinutes`` adds MINUTES and HOURS."""

    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"
    UNKNOWN = "UNKNOWN"


class Term(Wire):
    """``Term`` and ``TermWithMinutes`` (the schemas differ only in the units they allow)."""

    value: int
    unit: Annotated[TermUnit, or_unknown(TermUnit)]

    def after(self, moment: datetime.datetime) -> datetime.datetime | None:
        """When the term that starts at ``moment`` ends; None for a unit this code does not know.

        Minutes and hours are elapsed time; days and longer are calendar steps in ``moment``'s
        zone (a day across a DST change is 23 or 25 hours), months clamp to the month's end.
        """
        if self.unit in (TermUnit.MINUTES, TermUnit.HOURS):
            step = datetime.timedelta(
                minutes=self.value if self.unit is TermUnit.MINUTES else 60 * self.value
            )
            return (moment.astimezone(datetime.UTC) + step).astimezone(moment.tzinfo)
        if self.unit in (TermUnit.DAY, TermUnit.WEEK):
            days = self.value * (7 if self.unit is TermUnit.WEEK else 1)
            return _wall(moment, moment.replace(tzinfo=None) + datetime.timedelta(days=days))
        if self.unit in (TermUnit.MONTH, TermUnit.YEAR):
            months = self.value * (12 if self.unit is TermUnit.YEAR else 1)
            index = moment.year * 12 + moment.month - 1 + months
            year, month = divmod(index, 12)
            day = min(moment.day, calendar.monthrange(year, month + 1)[1])
            return _wall(moment, moment.replace(tzinfo=None, year=year, month=month + 1, day=day))
        return None


def _wall(moment: datetime.datetime, naive: datetime.datetime) -> datetime.datetime:
    """``naive`` read as a wall-clock time in ``moment``'s zone (normalised through UTC)."""
    return naive.replace(tzinfo=moment.tzinfo).astimezone(datetime.UTC).astimezone(moment.tzinfo)


# --- offers --------------------------------------------------------------------------------------


class ClassType(StrEnum):
    STUDIO = "STUDIO"
    STREAM = "STREAM"
    UNKNOWN = "UNKNOWN"


class ClassCancelationCondition(Wire):
    cancelation_after_latest_possible: bool | None = None
    latest_cancel_term: Term | None = None


class TrialClass(Wire):
    """The vendor's ``Class``."""

    id: int
    bookable: bool
    title: str | None = None
    type: Annotated[ClassType, or_unknown(ClassType)] | None = None
    duration: int | None = None
    category: str | None = None
    description: str | None = None
    img_url: str | None = None
    cancel_condition: ClassCancelationCondition | None = None


class TrialOfferClass(Wire):
    """A class offered as a trial; ``trial_offer_config_id`` is its config (the spec's
    description calls it the class's id, which it is not)."""

    trial_offer_config_id: int
    trial_offer_class: TrialClass
    id: int | None = None


class TrialOfferClassesSlice(Wire):
    """``TrialOfferClassesSlicedResult``: pass ``offset`` back for the next slice."""

    result: Annotated[list[TrialOfferClass], NullAsEmpty]
    has_next: bool
    offset: str


class BookableAppointment(Wire):
    id: int
    title: str | None = None
    duration: int | None = None
    category: str | None = None
    description: str | None = None
    img_url: str | None = None


class BookableTrialOfferAppointment(Wire):
    trial_offer_config_id: int
    trial_offer_bookable_appointment: BookableAppointment
    id: int | None = None


class BookableTrialOfferAppointmentsSlice(Wire):
    """``BookableTrialOfferAppointmentsSlicedResult``."""

    result: Annotated[list[BookableTrialOfferAppointment], NullAsEmpty]
    has_next: bool
    offset: str


_Mode = Annotated[FieldMode, or_unknown(FieldMode)]


class TrialOfferLeadDataConfig(Wire):
    trial_offer_lead_data_config_id: int
    gender_mode: _Mode
    date_of_birth_mode: _Mode
    telephone_mode: _Mode
    address_mode: _Mode


class TrialOfferConfig(Wire):
    """Only offers whose config has ``allow_booking_for_leads`` may be shown to a prospect."""

    id: int
    name: str
    prevent_multiple_bookings_term: Term
    contingent: int
    allow_booking_for_leads: bool
    lead_data_config: TrialOfferLeadDataConfig
    confirmation_of_booking_term: Term | None = None


# --- slots ---------------------------------------------------------------------------------------


class Instructor(Wire):
    id: int
    first_name: str
    last_name: str
    public_name: str | None = None


class Location(Wire):
    id: int
    name: str
    description: str | None = None


class BasicClass(Wire):
    id: int
    title: str | None = None


class ClassSlot(Wire):
    id: int
    additional_participants: int
    start_date_time: ApiTime | None = None
    end_date_time: ApiTime | None = None
    class_information: BasicClass | None = None
    instructors: Annotated[list[Instructor], NullAsEmpty] = Field(default_factory=list)
    location: Location | None = None
    earliest_booking_date_time: ApiTime | None = None
    latest_booking_date_time: ApiTime | None = None
    max_participants: int | None = None
    max_waiting_list_participants: int | None = None
    booked_participants: int | None = None
    waiting_list_participants: int | None = None

    @property
    def free_places(self) -> int | None:
        """max - booked - additional (the spec has no such field; this reading is inferred);
        None when the slot states no maximum."""
        if self.max_participants is None:
            return None
        taken = (self.booked_participants or 0) + self.additional_participants
        return max(0, self.max_participants - taken)


class ClassSlotsSlice(Wire):
    """``ClassSlotSlicedResult``: the API's fixed window, one day back to fourteen ahead."""

    result: Annotated[list[ClassSlot], NullAsEmpty]
    has_next: bool
    offset: str


class BookableAppointmentSlot(Wire):
    """No id, no capacity: the slot is its appointment plus start and end (kept as sent)."""

    start_date_time: ApiTimeText | None = None
    end_date_time: ApiTimeText | None = None
    instructors: Annotated[list[Instructor], NullAsEmpty] = Field(default_factory=list)


class BookableAppointmentSlots(RootModel[list[BookableAppointmentSlot]]):
    """The slots answer is a bare JSON array."""


# --- booking -------------------------------------------------------------------------------------


class _Request(Wire):
    def to_json_bytes(self) -> bytes:
        """The vendor's shape: camelCase and no nulls."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class ClassSlotBookingRequest(_Request):
    customer_id: int
    class_slot_id: int


class AppointmentBookingRequest(_Request):
    """Start and end are strings so they go back exactly as the slots answer wrote them."""

    customer_id: int
    bookable_appointment_id: int
    start_date_time: str
    end_date_time: str
    instructor_ids: list[int] | None = None

    @classmethod
    def for_slot(
        cls, customer_id: int, bookable_appointment_id: int, slot: BookableAppointmentSlot
    ) -> Self:
        """The request for ``slot``, with its instructors if it names any."""
        if slot.start_date_time is None or slot.end_date_time is None:
            raise ValueError("an appointment slot without start or end cannot be booked")
        return cls(
            customer_id=customer_id,
            bookable_appointment_id=bookable_appointment_id,
            start_date_time=slot.start_date_time.text,
            end_date_time=slot.end_date_time.text,
            instructor_ids=[instructor.id for instructor in slot.instructors] or None,
        )


class ClassBookingValidationStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    NO_CONTINGENT = "NO_CONTINGENT"
    BOOKING_LIMIT_REACHED = "BOOKING_LIMIT_REACHED"
    CUSTOMER_ALREADY_BOOKED = "CUSTOMER_ALREADY_BOOKED"
    CUSTOMER_IDLE = "CUSTOMER_IDLE"
    CUSTOMER_IN_OTHER_BOOKING = "CUSTOMER_IN_OTHER_BOOKING"
    DISPLAY_ONLY = "DISPLAY_ONLY"
    DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME = "DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME"
    DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME = "DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME"
    STUDIO_CLOSED = "STUDIO_CLOSED"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    UNKNOWN = "UNKNOWN"


class AppointmentBookingValidationStatus(StrEnum):
    PAST_START_DATE_TIME = "PAST_START_DATE_TIME"
    END_DATE_TIME_NOT_AFTER_START_DATE_TIME = "END_DATE_TIME_NOT_AFTER_START_DATE_TIME"
    PERIOD_DOES_NOT_MATCH = "PERIOD_DOES_NOT_MATCH"
    CUSTOMER_IN_OTHER_BOOKING = "CUSTOMER_IN_OTHER_BOOKING"
    CUSTOMER_IDLE = "CUSTOMER_IDLE"
    NO_CONTINGENT = "NO_CONTINGENT"
    BOOKABLE_APPOINTMENT_RESTRICTIONS_NOT_FULFILLED = (
        "BOOKABLE_APPOINTMENT_RESTRICTIONS_NOT_FULFILLED"
    )
    BOOKING_LIMIT_REACHED = "BOOKING_LIMIT_REACHED"
    DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME = "DATE_TIME_BEFORE_EARLIEST_BOOKING_DATE_TIME"
    DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME = "DATE_TIME_AFTER_LATEST_BOOKING_DATE_TIME"
    STUDIO_CLOSED = "STUDIO_CLOSED"
    RESOURCE_NOT_AVAILABLE = "RESOURCE_NOT_AVAILABLE"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    AVAILABLE = "AVAILABLE"
    UNKNOWN = "UNKNOWN"


class ClassSlotBookingValidationResult(Wire):
    validation_status: Annotated[
        ClassBookingValidationStatus, or_unknown(ClassBookingValidationStatus)
    ]


class AppointmentBookingValidationResult(Wire):
    validation_status: Annotated[
        AppointmentBookingValidationStatus, or_unknown(AppointmentBookingValidationStatus)
    ]


class ClassBookingStatus(StrEnum):
    BOOKED = "BOOKED"
    BOOKED_WITH_CONFIRMATION_REQUIRED = "BOOKED_WITH_CONFIRMATION_REQUIRED"
    WAITING_LIST = "WAITING_LIST"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"


class AppointmentBookingStatus(StrEnum):
    """As for classes, but an appointment has no waiting list."""

    BOOKED = "BOOKED"
    BOOKED_WITH_CONFIRMATION_REQUIRED = "BOOKED_WITH_CONFIRMATION_REQUIRED"
    CANCELED = "CANCELED"
    UNKNOWN = "UNKNOWN"


class SessionStatus(StrEnum):
    """``classSlotStatus`` and ``appointmentStatus``."""

    PLANNED = "PLANNED"
    CANCELED = "CANCELED"
    COMPLETED = "COMPLETED"
    UNKNOWN = "UNKNOWN"


class ParticipantStatus(StrEnum):
    PARTICIPATING = "PARTICIPATING"
    NOT_PARTICIPATING = "NOT_PARTICIPATING"
    UNSET = "UNSET"
    UNKNOWN = "UNKNOWN"


_SessionStatus = Annotated[SessionStatus, or_unknown(SessionStatus)]
_ParticipantStatus = Annotated[ParticipantStatus, or_unknown(ParticipantStatus)]


class ClassSlotBookingResult(Wire):
    booking_id: int
    booking_status: Annotated[ClassBookingStatus, or_unknown(ClassBookingStatus)]
    class_slot_id: int
    class_id: int
    customer_id: int
    class_slot_status: _SessionStatus
    participant_status: _ParticipantStatus


class AppointmentBookingResult(Wire):
    booking_id: int
    booking_status: Annotated[AppointmentBookingStatus, or_unknown(AppointmentBookingStatus)]
    start_date_time: ApiTime
    end_date_time: ApiTime
    appointment_status: _SessionStatus
    participant_status: _ParticipantStatus
    title: str | None = None
    duration: int | None = None
    category: str | None = None
    description: str | None = None
    img_url: str | None = None
    instructors: Annotated[list[Instructor], NullAsEmpty] = Field(default_factory=list)


class ConfirmationStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"


class BookingConfirmationResult(Wire):
    status: Annotated[ConfirmationStatus, or_unknown(ConfirmationStatus)]


# --- trial-offer leads (the bot creates its lead through /v1/leads/create instead) --------------


class TrialLeadAddress(Wire):
    """``LeadCustomerAddressData``: no country, house number optional."""

    street: str
    zip_code: str
    city: str
    house_number: str | None = None


class TrialLeadData(Wire):
    """``LeadData``: the leads API's person fields plus a nested address."""

    firstname: str
    lastname: str
    email: str
    third_party_id: str | None = None
    second_firstname: str | None = None
    second_lastname: str | None = None
    gender: str | None = None
    date_of_birth: datetime.date | None = None
    telephone: str | None = None
    language: LeadLanguage | None = None
    address: TrialLeadAddress | None = None


class TrialLeadRequest(_Request):
    """``TrialOfferLeadCustomerCreationRequest``."""

    lead_customer_data: TrialLeadData
    trial_offer_config_id: int


class TrialLeadValidationStatus(StrEnum):
    """Not the leads API's ``ValidationStatus``: here it is INVALID_LEAD_CUSTOMER_DATA."""

    POSSIBLE = "POSSIBLE"
    INVALID_LEAD_CUSTOMER_DATA = "INVALID_LEAD_CUSTOMER_DATA"
    DUPLICATE_CUSTOMER = "DUPLICATE_CUSTOMER"
    UNKNOWN = "UNKNOWN"


class TrialLeadValidationResult(Wire):
    validation_status: Annotated[TrialLeadValidationStatus, or_unknown(TrialLeadValidationStatus)]


class TrialLeadCreated(Wire):
    """The schema requires nothing, so even the id may be missing."""

    lead_customer_id: int | None = None
