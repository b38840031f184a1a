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
