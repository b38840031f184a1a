"""Conversations stored by earlier releases, brought to today's format before they are read.

A prospect may stop half way and come back days later, after a new release: a stored state
outlives the code that wrote it. Every state is stored with the format's :data:`VERSION`; one
stored with an older version is upgraded here, one step per change of the format, so that
``state.py``, ``field_plan.py`` and the kinds only know the current format. A state from a later
release than this one is refused (:class:`NewerFormat`) rather than misread.

Each step is pure (the stored JSON in, the next version's JSON out) and frozen in time: it names
the keys and values of its own release, never today's types, so that later changes to those
cannot change what an old step does. A new step: append it to :data:`STEPS` (``VERSION`` follows)
and add a test with a state of the shape it upgrades.

Two releases run side by side during a rolling deploy, so the release before must still read
what this one stores: a key added with a default that the usual state keeps is therefore no step
and no new version but an optional key, listed with its default in :data:`OPTIONAL` (the one
place that names them): written only when it differs from its default, read with it (``upgrade``
fills it in), and merely ignored by the release before. A state holding a value the release
before does not know (the phase ``"choosing"`` of a chain's club question, before chains) is
refused by it with a ``ValueError``, as :class:`NewerFormat` is, never misread; either way it
starts that chat over. A step and a new version are for what the release before would misread.

The stored trial booking (``conversations.booking.BookingState``) is versioned here the same way
(:data:`BOOKING_STEPS`, :data:`BOOKING_OPTIONAL`, :func:`upgrade_booking`). Its version 0, the
format of every booking stored so far, is written without a ``"version"`` key, which the
releases before this one would not read; from version 1 on the key is written.

States stored until 2026-12-07 carry no version and count as version 0. They come in the shapes
of several releases, so the steps up to version 5 look at what is there instead of assuming one
shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Stored = dict[str, Any]
"""A conversation as its JSON text parses: the only form a step sees."""

Step = Callable[[Stored], Stored]


class NewerFormat(ValueError):
    """A state stored by a later release than this one (a rollback, or two releases at once)."""

    def __init__(self, version: int, what: str = "conversation", known: int | None = None) -> None:
        super().__init__(
            f"{what} stored in format version {version} by a later release; "
            f"this release reads up to version {VERSION if known is None else known}"
        )
        self.version = version


def _share_contact_keyboard(data: Stored) -> Stored:
    """2026-11-27: ``contact_keyboard``, set while a hidden share-contact keyboard waits to be
    removed; no keyboard waited before."""
    return {"contact_keyboard": False, **data}


def _profile_and_partial_answers(data: Stored) -> Stored:
    """2026-12-01: the Telegram profile's name offered as one tap (``profile``, ``joint_name``),
    one-tap fixes (``suggestions``) and half of a two-part answer (``partial``)."""
    return {
        "profile": [None, None],
        "joint_name": False,
        "suggestions": [],
        "partial": None,
        **data,
    }


# The plan's address as the 2026-11 releases asked it: one question per part.
_PART = "short_text"
_STREET, _NUMBER, _POSTCODE, _CITY = "street", "houseNumber", "zipCode", "city"


def _address_in_two_lines(data: Stored) -> Stored:
    """2026-12-01: the address is asked as the country, then "street and number" and "postcode
    and city" (each answer a ``[first, second]`` pair), where it was one question per part
    with the country last.

    The plan is rewritten as today's adapter builds it and the answers are paired; a line with
    one part answered is asked again, and when the prospect is at its second part, the first is
    kept as the line's ``partial`` answer, so only the missing part is asked for. The lead is
    the same: street and number, postcode and city land where the parts did.
    """
    plan = json.loads(data["plan"])
    questions: list[dict[str, Any]] = plan["questions"]
    parts = {q["slot"]: q for q in questions if q["kind"] == _PART}
    if not parts:
        return data
    street, number, postcode, city = (parts[slot] for slot in (_STREET, _NUMBER, _POSTCODE, _CITY))
    group = street["group"]
    country = next(q for q in questions if q["group"] == group and q["kind"] != _PART)
    lines = {
        street["key"]: (street["key"], number["key"]),
        postcode["key"]: (postcode["key"], city["key"]),
    }
    line_of = {part: line for line, pair in lines.items() for part in pair}

    at = next(i for i, q in enumerate(questions) if q["group"] == group)
    address = [
        country,
        {**street, "kind": "street_line"},
        {**postcode, "kind": "postcode_line"},
    ]
    rest = [q for q in questions if q["group"] != group]
    plan["questions"] = rest[:at] + address + rest[at:]

    old: dict[str, Any] = data["answers"]
    answers: dict[str, Any] = {}
    for key, value in old.items():
        line = line_of.get(key)
        if line is None:
            answers[key] = value
        elif line not in answers and all(part in old for part in lines[line]):
            first, second = (old[part] for part in lines[line])
            both_skipped = first is None and second is None
            answers[line] = None if both_skipped else [first or "", second or ""]
    queue = _distinct(line_of.get(key, key) for key in data["queue"])

    partial = data.get("partial")
    head = data["queue"][0] if data["queue"] else None
    if data["phase"] == "asking" and head in line_of and lines[line_of[head]][1] == head:
        first = old.get(line_of[head])
        if isinstance(first, str):
            partial = [first, ""]

    upgraded = {
        **data,
        "plan": json.dumps(plan, ensure_ascii=False, separators=(",", ":")),
        "answers": answers,
        "queue": queue,
        "partial": partial,
    }
    if "reached" in data:
        upgraded["reached"] = _distinct(line_of.get(key, key) for key in data["reached"])
    return upgraded


def _recent_updates(data: Stored) -> Stored:
    """2026-12-03: the latest update ids (``recent_updates``), where only the last one was kept
    (``last_update_id``)."""
    upgraded = {key: value for key, value in data.items() if key != "last_update_id"}
    if "recent_updates" not in data:
        last = data.get("last_update_id")
        upgraded["recent_updates"] = [] if last is None else [last]
    return upgraded


def _funnel_marks(data: Stored) -> Stored:
    """2026-12-03: what the funnel has counted of this conversation (``reached``,
    ``reviewed``); nothing, for a conversation that began before it counted."""
    return {"reached": [], "reviewed": False, **data}


STEPS: tuple[Step, ...] = (
    _share_contact_keyboard,
    _profile_and_partial_answers,
    _address_in_two_lines,
    _recent_updates,
    _funnel_marks,
)
"""``STEPS[n]`` upgrades a state of version ``n`` to version ``n + 1``."""

VERSION = len(STEPS)
"""The format this release stores; written into every state as ``"version"``."""

OPTIONAL: Mapping[str, Any] = {
    # 2026-12-07: the chain's club the details go to (None: a single studio, or none chosen yet).
    "studio": None,
    # 2026-12-07: the phase to go back to when /club changes the club half way.
    "resume": None,
    # 2026-12-07: what the prospect still sees while a reply to them is kept to be sent again
    # (a question's key; "#club" and "#summary", which the release before ignores).
    "seen": None,
}
"""The conversation's optional keys and their defaults: see the module's docstring."""


def upgrade(data: Stored) -> Stored:
    """``data`` in the current format, whichever release stored it, optional keys filled in;
    raises :class:`NewerFormat` for a later release's state (and ``ValueError`` for a version
    that is no number)."""
    data = _upgraded(data, STEPS, "conversation")
    return {**OPTIONAL, **data}


def stored(data: Stored) -> Stored:
    """A conversation as this release stores it: versioned, optional keys at their defaults
    left out, so the release before reads it."""
    return {"version": VERSION, **_without_defaults(data, OPTIONAL)}


# --- the trial booking ---------------------------------------------------------------------------

BOOKING_STEPS: tuple[Step, ...] = ()
"""``BOOKING_STEPS[n]`` upgrades a stored booking of version ``n`` to version ``n + 1``."""

BOOKING_VERSION = len(BOOKING_STEPS)

BOOKING_OPTIONAL: Mapping[str, Any] = {
    # 2026-12-07: the chain's club whose PerfectGym books it (None: the single studio).
    "studio": None,
}


def upgrade_booking(data: Stored) -> Stored:
    """A stored booking in the current format, optional keys filled in, with no ``"version"``
    key (it is no field of the booking); :class:`NewerFormat` for a later release's."""
    data = _upgraded(data, BOOKING_STEPS, "trial booking")
    return {**BOOKING_OPTIONAL, **{k: v for k, v in data.items() if k != "version"}}


def stored_booking(data: Stored) -> Stored:
    """A booking as this release stores it: optional keys at their defaults left out; the
    version from version 1 on (the releases before version 1 know no such key)."""
    data = _without_defaults(data, BOOKING_OPTIONAL)
    return {"version": BOOKING_VERSION, **data} if BOOKING_VERSION else data


# --- the mechanics -------------------------------------------------------------------------------


def _upgraded(data: Stored, steps: tuple[Step, ...], what: str) -> Stored:
    version = data.get("version", 0)
    if type(version) is not int or version < 0:
        raise ValueError(f"{what} stored with an unreadable format version: {version!r}")
    if version > len(steps):
        raise NewerFormat(version, what, len(steps))
    for step in steps[version:]:
        data = step(data)
    return {**data, "version": len(steps)}


def _without_defaults(data: Stored, optional: Mapping[str, Any]) -> Stored:
    return {
        key: value for key, value in data.items() if key not in optional or value != optional[key]
    }


def _distinct(keys: Iterable[str]) -> list[str]:
    """``keys`` in their order, each once."""
    return list(dict.fromkeys(keys))
