"""The leads wire models: the leads config, the lead request and its answers, the studio's
information and the vendor's error body, as ``openapi-leads.json`` describes them (tolerant of
values the vendor adds later)."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from bot.perfectgym.wire import FieldMode as FieldMode
from bot.perfectgym.wire import LeadLanguage as LeadLanguage
from bot.perfectgym.wire import NullAsEmpty as _NullAsEmpty
from bot.perfectgym.wire import Wire as _Wire
from bot.perfectgym.wire import null_as as _null_as
from bot.perfectgym.wire import or_unknown as _or_unknown
from conversations.opening_hours import Closure, OpeningSpan


class AdditionalFieldType(StrEnum):
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    LIST = "LIST"
    NUMERIC = "NUMERIC"
    TEXT = "TEXT"
    UNKNOWN = "UNKNOWN"


class ValidationStatus(StrEnum):
    POSSIBLE = "POSSIBLE"
    INVALID_LEAD_DATA = "INVALID_LEAD_DATA"
    DUPLICATE_CUSTOMER = "DUPLICATE_CUSTOMER"
    UNKNOWN = "UNKNOWN"


_Mode = Annotated[FieldMode, _or_unknown(FieldMode)]
_FieldType = Annotated[AdditionalFieldType, _or_unknown(AdditionalFieldType)]
_Status = Annotated[ValidationStatus, _or_unknown(ValidationStatus)]


class AdditionalFieldConfig(_Wire):
    additional_field_id: int
    name: str
    type: _FieldType
    allow_multi_selection: Annotated[bool, _null_as(False)] = False
    selection_values: Annotated[list[str], _NullAsEmpty] = Field(default_factory=list)
    mode: _Mode


class ChannelConfig(_Wire):
    communication_channel: str
    # Only ``true`` is the customer's to change; absent or null is not (the studio's ``active``
    # goes back unasked) and, kept as returned, goes back absent.
    customer_overridable: bool | None = None
    active: Annotated[bool, _null_as(False)] = False


class CommunicationPreferenceConfig(_Wire):
    message_category: str | None = None
    channels: Annotated[list[ChannelConfig], _NullAsEmpty] = Field(default_factory=list)


class LeadConfig(_Wire):
    address_mode: _Mode
    date_of_birth_mode: _Mode
    gender_mode: _Mode
    telephone_mode: _Mode
    additional_information: Annotated[list[AdditionalFieldConfig], _NullAsEmpty] = Field(
        default_factory=list
    )
    communication_preferences: Annotated[list[CommunicationPreferenceConfig], _NullAsEmpty] = Field(
        default_factory=list
    )


class StudioLocation(_Wire):
    """Decimal degrees; the schema requires neither, and a club without both has no place."""

    latitude: float | None = None
    longitude: float | None = None

    def point(self) -> tuple[float, float] | None:
        """Both coordinates when they name a place on Earth (a blank or 0,0 names none)."""
        lat, lon = self.latitude, self.longitude
        if lat is None or lon is None or (lat == 0 and lon == 0):
            return None
        return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _clock_time(value: str | None) -> datetime.time | None:
    """An ISO time as the vendor writes it ("06:00:00"); "24:00" is the end of the day."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("24:00"):
        return datetime.time(0)
    try:
        return datetime.time.fromisoformat(text)
    except ValueError:
        return None


def _local(value: str | None) -> datetime.datetime | None:
    """A studio-local date-time; an offset, where the vendor adds one, is dropped (the
    example has none, and the studio's wall clock is what a prospect reads)."""
    if value is None:
        return None
    try:
        return datetime.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
    except ValueError:
        return None


class StudioOpeningHours(_Wire):
    """One day range with one time range (MONDAY to FRIDAY, 06:00:00 to 23:00:00). The schema
    requires nothing, so every part is optional and an entry missing one is left out."""

    day_of_week_from: str | None = None
    day_of_week_to: str | None = None
    time_from: str | None = None
    time_to: str | None = None

    def span(self) -> OpeningSpan | None:
        first, last = self.day_of_week_from, self.day_of_week_to or self.day_of_week_from
        opens, closes = _clock_time(self.time_from), _clock_time(self.time_to)
        if first not in _WEEKDAYS or last not in _WEEKDAYS or opens is None or closes is None:
            return None
        if opens == closes and opens != datetime.time(0):
            return None  # open for no time at all
        return OpeningSpan(_WEEKDAYS.index(first), _WEEKDAYS.index(last), opens, closes)


class StudioClosingHours(_Wire):
    """ "Interval within the studio is closed", studio-local, with its reason."""

    reason: str | None = None
    date_time_from: str | None = None
    date_time_to: str | None = None

    def closure(self) -> Closure | None:
        start, end = _local(self.date_time_from), _local(self.date_time_to)
        if start is None or end is None or end <= start:
            return None
        return Closure(start, end, (self.reason or "").strip() or None)


class StudioInformation(_Wire):
    """``GET /v1/studios/information``: the parts of the studio the bot speaks of. The schema
    makes every one optional; a blank counts as absent."""

    studio_id: int
    name: str | None = None
    country_code: str | None = None
    email: str | None = None
    telephone: str | None = None
    website: str | None = None
    street: str | None = None
    house_number: str | None = None
    zip: str | None = None
    city: str | None = None
    location: StudioLocation | None = None
    public_opening_hours: Annotated[list[StudioOpeningHours], _NullAsEmpty] = Field(
        default_factory=list
    )
    closing_hours: Annotated[list[StudioClosingHours], _NullAsEmpty] = Field(default_factory=list)

    def opening_spans(self) -> tuple[OpeningSpan, ...]:
        """The public opening hours that can be read; the internal ones are not the public's."""
        return tuple(span for entry in self.public_opening_hours if (span := entry.span()))

    def closures(self) -> tuple[Closure, ...]:
        return tuple(closure for entry in self.closing_hours if (closure := entry.closure()))

    @field_validator(
        "name",
        "country_code",
        "email",
        "telephone",
        "website",
        "street",
        "house_number",
        "zip",
        "city",
    )
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class LeadCustomer(_Wire):
    third_party_id: str | None = None
    firstname: str
    lastname: str
    email: str
    gender: str | None = None
    date_of_birth: datetime.date | None = None
    telephone: str | None = None
    language: LeadLanguage | None = None


class LeadAddress(_Wire):
    street: str
    house_number: str
    zip_code: str
    city: str
    country_code: str


class LeadAdditionalInformation(_Wire):
    additional_field_id: int
    value: str | None = None
    values: list[str] | None = None


class LeadChannelChoice(_Wire):
    communication_channel: str
    active: bool
    customer_overridable: bool | None = None


class LeadCommunicationPreference(_Wire):
    message_category: str | None = None
    channels: list[LeadChannelChoice] = Field(default_factory=list)


class LeadCreationRequest(_Wire):
    lead_customer: LeadCustomer
    address: LeadAddress | None = None
    communication_preferences: list[LeadCommunicationPreference] = Field(default_factory=list)
    additional_information: list[LeadAdditionalInformation] = Field(default_factory=list)
    notes: str | None = None
    external_identifier: str | None = None

    def to_json_bytes(self) -> bytes:
        """The vendor's shape: camelCase, no nulls, ISO dates; empty top-level lists left out."""
        empty = {
            name
            for name in ("communication_preferences", "additional_information")
            if not getattr(self, name)
        }
        return self.model_dump_json(by_alias=True, exclude_none=True, exclude=empty).encode()


class LeadCreated(_Wire):
    id: int
    customer_id: int | None = None
    uuid: str
    customer_number: str | None = None


class ErrorBody(_Wire):
    error_message: Annotated[str, _null_as("")] = ""
    error_code: str | None = None
    reference: str | None = None
    trace_id: str | None = None


class ValidationResult(_Wire):
    status: _Status
