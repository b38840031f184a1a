"""How the PerfectGym wire models read the vendor's JSON, shared by the leads and trial-offer families.

One place for the conventions (camelCase aliases, unknown keys ignored, enum values added by the
vendor later read as UNKNOWN, explicit nulls read as absent) and for the few schemas both families
reference (``Language``, the field modes), so the two cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


_E = TypeVar("_E", bound=StrEnum)


def or_unknown(enum: type[_E]) -> BeforeValidator:
    """Map a value the vendor added after this code was written to UNKNOWN instead of failing."""
    known = {member.value for member in enum}

    def parse(value: object) -> object:
        if isinstance(value, str) and value not in known:
            return enum("UNKNOWN")
        return value

    return BeforeValidator(parse)


def null_as(default: bool | str) -> BeforeValidator:
    """The schema marks these optional; treat an explicit JSON null like an absent key."""
    return BeforeValidator(lambda value: default if value is None else value)


NullAsEmpty = BeforeValidator(lambda value: [] if value is None else value)


class FieldMode(StrEnum):
    INACTIVE = "INACTIVE"
    OPTIONAL = "OPTIONAL"
    MANDATORY = "MANDATORY"
    UNKNOWN = "UNKNOWN"


class LeadLanguage(Wire):
    """The vendor's ``Language``: the same schema in ``LeadCustomerData`` and ``LeadData``."""

    language_code: str
    country_code: str | None = None
