"""One webhook request's body as PerfectGym sends it, and what each event type is about.

``{"entityId": 7893459, "uuid": "…", "payload": [{"timestamp": 1642779144176,
"type": "CUSTOMER_CHECKIN", "content": {}}]}``: ``entityId`` (integer), ``uuid`` (string) and
``payload`` (an array of objects with an integer ``timestamp`` in milliseconds and a string
``type``; ``content`` an object) are required; anything else is ignored, as the vendor asks
(more properties may be added). Of ``content`` only the ids the bot may read are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, TypeGuard


class MalformedDelivery(ValueError):
    """Not the body PerfectGym sends: answered 400."""


class EventType(StrEnum):
    """The event types the bot acts on; PerfectGym has about 45, the rest are ignored."""

    CUSTOMER_CHECKIN = "CUSTOMER_CHECKIN"
    CONTRACT_CREATED = "CONTRACT_CREATED"
    CUSTOMER_DELETED = "CUSTOMER_DELETED"
    CUSTOMER_ACCESS_DISABLED = "CUSTOMER_ACCESS_DISABLED"
    CLASS_BOOKING_CANCELLED = "CLASS_BOOKING_CANCELLED"
    CLASS_BOOKING_UPDATED = "CLASS_BOOKING_UPDATED"
    APPOINTMENT_BOOKING_CANCELLED = "APPOINTMENT_BOOKING_CANCELLED"
    APPOINTMENT_BOOKING_UPDATED = "APPOINTMENT_BOOKING_UPDATED"
    CLASS_SLOT_CANCELLED = "CLASS_SLOT_CANCELLED"
    CLASS_SLOT_UPDATED = "CLASS_SLOT_UPDATED"
    STUDIO_OPENING_HOURS_UPDATED = "STUDIO_OPENING_HOURS_UPDATED"
    ADDITIONAL_INFORMATION_FIELDS_UPDATED = "ADDITIONAL_INFORMATION_FIELDS_UPDATED"


class Subject(Enum):
    """What an event's ``entityId`` names."""

    CUSTOMER = "customer"
    BOOKING = "booking"
    CLASS_SLOT = "class slot"
    STUDIO = "studio"


SUBJECTS = {
    EventType.CUSTOMER_CHECKIN: Subject.CUSTOMER,
    EventType.CONTRACT_CREATED: Subject.CUSTOMER,
    EventType.CUSTOMER_DELETED: Subject.CUSTOMER,
    EventType.CUSTOMER_ACCESS_DISABLED: Subject.CUSTOMER,
    EventType.CLASS_BOOKING_CANCELLED: Subject.BOOKING,
    EventType.CLASS_BOOKING_UPDATED: Subject.BOOKING,
    EventType.APPOINTMENT_BOOKING_CANCELLED: Subject.BOOKING,
    EventType.APPOINTMENT_BOOKING_UPDATED: Subject.BOOKING,
    EventType.CLASS_SLOT_CANCELLED: Subject.CLASS_SLOT,
    EventType.CLASS_SLOT_UPDATED: Subject.CLASS_SLOT,
    EventType.STUDIO_OPENING_HOURS_UPDATED: Subject.STUDIO,
    EventType.ADDITIONAL_INFORMATION_FIELDS_UPDATED: Subject.STUDIO,
}
CANCELLING = frozenset(
    {
        EventType.CLASS_BOOKING_CANCELLED,
        EventType.APPOINTMENT_BOOKING_CANCELLED,
        EventType.CLASS_SLOT_CANCELLED,
    }
)

# The properties of ``content`` that are kept: ids, never a person's data.
KEPT_CONTENT = ("contractId", "classId")
# A uuid is 36 characters; room for another spelling, none for a payload in disguise.
MAX_UUID = 100
# Milliseconds since the epoch up to the year 9999.
MAX_TIMESTAMP = 253_402_300_799_999


@dataclass(frozen=True)
class Element:
    """One element of ``payload``: ``type`` as sent (perhaps one the bot does not know),
    ``timestamp`` in seconds, ``content`` the kept properties."""

    type: str
    timestamp: float
    content: dict[str, int | str]

    @property
    def known(self) -> EventType | None:
        try:
            return EventType(self.type)
        except ValueError:
            return None

    def content_json(self) -> str:
        return json.dumps(self.content, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Delivery:
    entity_id: int
    uuid: str
    elements: tuple[Element, ...]


def _integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _storable(text: str) -> bool:
    """Whether ``text`` can be stored as it is: UTF-8 (no lone surrogate, which JSON's
    ``\\ud800`` spells) and no control character (PostgreSQL refuses NUL). A body the database
    would refuse is PerfectGym's mistake (400), not the database's (503, sent again forever)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return text.isprintable()


def parse_delivery(body: bytes) -> Delivery:
    """The delivery ``body`` carries; ``MalformedDelivery`` for anything else."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedDelivery("not JSON") from None
    if not isinstance(data, dict):
        raise MalformedDelivery("not an object")
    entity_id, uuid, payload = data.get("entityId"), data.get("uuid"), data.get("payload")
    if not _integer(entity_id) or not -(2**63) <= entity_id < 2**63:
        raise MalformedDelivery("entityId is not a 64-bit integer")
    if not isinstance(uuid, str) or not uuid.strip() or len(uuid) > MAX_UUID:
        raise MalformedDelivery("uuid is not a string of 1 to 100 characters")
    if not _storable(uuid.strip()):
        raise MalformedDelivery("uuid holds a control character or is not UTF-8")
    if not isinstance(payload, list):
        raise MalformedDelivery("payload is not an array")
    return Delivery(entity_id, uuid.strip(), tuple(_element(item) for item in payload))


def _element(item: object) -> Element:
    if not isinstance(item, dict):
        raise MalformedDelivery("a payload element is not an object")
    kind, timestamp, content = item.get("type"), item.get("timestamp"), item.get("content")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_UUID:
        raise MalformedDelivery("a payload element's type is not a string")
    if not _storable(kind):
        raise MalformedDelivery("a payload element's type holds a control character")
    if not _integer(timestamp) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedDelivery("a payload element's timestamp is not milliseconds")
    if content is not None and not isinstance(content, dict):
        raise MalformedDelivery("a payload element's content is not an object")
    kept = {
        key: value
        for key, value in (content or {}).items()
        if key in KEPT_CONTENT
        and (_integer(value) or isinstance(value, str))
        and len(str(value)) <= MAX_UUID
    }
    if any(isinstance(value, str) and not _storable(value) for value in kept.values()):
        raise MalformedDelivery("a payload element's content holds a control character")
    return Element(kind, timestamp / 1000, kept)
