"""Conversations stored by earlier releases load in today's format, one test per step of
``conversations/migrations.py``, each with the smallest state of the shape that step upgrades;
the optional keys, which the release before reads past; and the stored trial booking's version.

The stored shapes are written out literally, as those releases wrote them: a test must not
follow today's serialisation. ``tests/test_layers.py`` loads whole states of the 2026-12 release.
"""

from __future__ import annotations

import copy
import json
import logging
from datetime import date
from typing import Any

import pytest

from bot.chain.build import single_chain
from bot.intake.store import ConversationStore
from bot.perfectgym.adapter import lead_request
from bot.perfectgym.client import PerfectGymClient
from bot.storage.sqlite import SqliteStorage
from conversations import flow, migrations
from conversations.booking import BookingPhase, BookingState
from conversations.context import AskContext
from conversations.drafting import draft_of
from conversations.events import TextInput
from conversations.i18n import Translator
from conversations.migrations import NewerFormat
from conversations.state import SEEN_CLUB, ConversationState, Phase


def _question(key: str, slot: str, kind: str, *, required: bool = True) -> dict[str, Any]:
    return {
        "key": key,
        "slot": slot,
        "kind": kind,
        "required": required,
        "group": "address" if key.startswith("address.") else None,
        "label": None,
        "options": [],
        "field_id": None,
        "consent_index": None,
    }


NAME = [
    _question("firstname", "firstname", "name"),
    _question("lastname", "lastname", "name"),
]
EMAIL = [_question("email", "email", "email")]
# The address as the 2026-11 releases asked it: a question per part, the country last.
ADDRESS_IN_PARTS = [
    _question("address.street", "street", "short_text", required=False),
    _question("address.houseNumber", "houseNumber", "short_text", required=False),
    _question("address.zipCode", "zipCode", "short_text", required=False),
    _question("address.city", "city", "short_text", required=False),
    _question("address.countryCode", "countryCode", "country", required=False),
]


def _plan(questions: list[dict[str, Any]]) -> str:
    return json.dumps({"questions": questions, "consents": []}, separators=(",", ":"))


def _stored_2026_11_27(**changes: Any) -> dict[str, Any]:
    """A state as the first release stored it (with the plan as text): the oldest shape read."""
    data: dict[str, Any] = {
        "chat_id": 7,
        "locale": "en",
        "language": "en-GB",
        "campaign": "flyer",
        "plan": _plan(NAME + EMAIL),
        "answers": {"firstname": "Ann", "lastname": "Lee"},
        "queue": ["email"],
        "phase": "asking",
        "token": 4,
        "picks": [],
        "editing": False,
        "last_update_id": 11,
    }
    return {**data, **changes}


def _stored_2026_12(**changes: Any) -> dict[str, Any]:
    """As the 2026-12 release stored it: the share-contact keyboard's flag added."""
    return _stored_2026_11_27(contact_keyboard=False, **changes)


def _load(data: dict[str, Any]) -> ConversationState:
    return ConversationState.from_json(json.dumps(data, ensure_ascii=False))


def _context() -> AskContext:
    return AskContext(Translator("en"), "en_GB", "GB", date(2026, 12, 1))


def _lead(state: ConversationState) -> Any:
    body = lead_request(draft_of(state)).model_dump_json(by_alias=True, exclude_none=True)
    return json.loads(body)


# --- the version ---------------------------------------------------------------------------------


def test_a_state_is_stored_with_the_current_version_and_reads_back_the_same() -> None:
    state = _load(_stored_2026_12())
    stored = state.to_json()
    assert json.loads(stored)["version"] == migrations.VERSION
    assert ConversationState.from_json(stored) == state


def test_a_state_from_a_later_release_is_refused_not_misread() -> None:
    later = {**json.loads(_load(_stored_2026_12()).to_json()), "version": migrations.VERSION + 1}
    with pytest.raises(NewerFormat, match="later release") as refused:
        _load(later)
    assert refused.value.version == migrations.VERSION + 1
    assert isinstance(refused.value, ValueError)  # the store starts such a chat over, as before


async def test_the_store_starts_a_chat_stored_by_a_later_release_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    later = {**json.loads(_load(_stored_2026_12()).to_json()), "version": migrations.VERSION + 1}
    storage = SqliteStorage.open("sqlite://:memory:")
    client = PerfectGymClient("http://127.0.0.1:9", "unused-key")
    store = ConversationStore(storage, single_chain(client, storage))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.intake.store"):
            assert store.adopt(7, json.dumps(later)) is None
        assert "could not be read back; starting over" in caplog.text
    finally:
        await storage.close()


@pytest.mark.parametrize("version", ["3", -1, 1.5, None])
def test_a_state_with_a_version_that_is_no_version_is_refused(version: object) -> None:
    with pytest.raises(ValueError, match="format version"):
        _load({**_stored_2026_12(), "version": version})


def test_upgrading_leaves_what_it_was_given_alone() -> None:
    data = _stored_2026_11_27(plan=_plan(NAME + ADDRESS_IN_PARTS), queue=["address.houseNumber"])
    data["answers"]["address.street"] = "High Street"
    before = copy.deepcopy(data)
    migrations.upgrade(data)
    assert data == before


# --- one test per step ---------------------------------------------------------------------------


def test_2026_11_27_a_state_without_the_share_contact_keyboard_flag() -> None:
    state = _load(_stored_2026_11_27())
    assert state.contact_keyboard is False
    assert state.answers == {"firstname": "Ann", "lastname": "Lee"}
    assert state.current == "email"
    assert _load(_stored_2026_11_27(contact_keyboard=True)).contact_keyboard is True


def test_2026_12_01_a_state_without_profile_suggestions_or_partial_answer() -> None:
    state = _load(_stored_2026_12())
    assert state.profile == (None, None)
    assert state.joint_name is False
    assert state.suggestions == []
    assert state.partial is None
    later = _load(
        _stored_2026_12(
            profile=["Ann", None], joint_name=True, suggestions=["ann@example.com"], partial=None
        )
    )
    assert later.profile == ("Ann", None)
    assert later.joint_name is True
    assert later.suggestions == ["ann@example.com"]


def test_2026_12_01_an_answered_address_in_parts_gives_the_same_lead() -> None:
    answers = {
        "firstname": "Ann",
        "lastname": "Lee",
        "email": "ann@example.com",
        "address.street": "Baker Street",
        "address.houseNumber": "221b",
        "address.zipCode": "NW1 6XE",
        "address.city": "London",
        "address.countryCode": "GB",
    }
    data = _stored_2026_12(
        plan=_plan(NAME + EMAIL + ADDRESS_IN_PARTS), answers=answers, queue=[], phase="review"
    )
    state = _load(data)
    assert [(q.key, q.kind.value) for q in state.plan.questions[3:]] == [
        ("address.countryCode", "country"),
        ("address.street", "street_line"),
        ("address.zipCode", "postcode_line"),
    ]
    assert state.answers == {
        "firstname": "Ann",
        "lastname": "Lee",
        "email": "ann@example.com",
        "address.street": ["Baker Street", "221b"],
        "address.zipCode": ["NW1 6XE", "London"],
        "address.countryCode": "GB",
    }
    assert _lead(state)["address"] == {
        "street": "Baker Street",
        "houseNumber": "221b",
        "zipCode": "NW1 6XE",
        "city": "London",
        "countryCode": "GB",
    }
    summary = flow.render(state, _context()).text
    assert "221b Baker Street, London NW1 6XE, United Kingdom" in summary


def test_2026_12_01_a_skipped_address_in_parts_stays_skipped() -> None:
    skipped = dict.fromkeys((q["key"] for q in ADDRESS_IN_PARTS), None)
    data = _stored_2026_12(
        plan=_plan(NAME + EMAIL + ADDRESS_IN_PARTS),
        answers={"firstname": "Ann", "lastname": "Lee", "email": "ann@example.com", **skipped},
        queue=[],
        phase="review",
    )
    state = _load(data)
    assert state.answers["address.street"] is None
    assert state.answers["address.zipCode"] is None
    assert "address.city" not in state.answers
    assert "address" not in _lead(state)


def test_2026_12_01_half_way_through_an_address_in_parts_only_the_missing_part_is_asked() -> None:
    data = _stored_2026_12(
        plan=_plan(NAME + ADDRESS_IN_PARTS + EMAIL),
        answers={"firstname": "Ann", "lastname": "Lee", "address.street": "Baker Street"},
        queue=[*(q["key"] for q in ADDRESS_IN_PARTS[1:]), "email"],
    )
    state = _load(data)
    ctx = _context()
    assert state.queue == ["address.street", "address.zipCode", "address.countryCode", "email"]
    assert state.partial == ["Baker Street", ""]
    assert "And the house number on Baker Street?" in flow.repeat(state, ctx).replies[0].text

    for text in ("221b", "London NW1 6XE", "United Kingdom", "ann@example.com"):
        flow.handle(state, TextInput(text), ctx)
    assert state.phase is Phase.REVIEW
    assert _lead(state)["address"] == {
        "street": "Baker Street",
        "houseNumber": "221b",
        "zipCode": "NW1 6XE",
        "city": "London",
        "countryCode": "GB",
    }


def test_2026_12_01_what_the_funnel_reached_of_an_address_in_parts_is_kept_by_line() -> None:
    reached = ["firstname", "lastname", "address.street", "address.houseNumber", "address.zipCode"]
    data = _stored_2026_12(
        plan=_plan(NAME + ADDRESS_IN_PARTS + EMAIL),
        answers={
            "firstname": "Ann",
            "lastname": "Lee",
            "address.street": "Baker Street",
            "address.houseNumber": "221b",
            "address.zipCode": "NW1 6XE",
        },
        queue=["address.city", "address.countryCode", "email"],
        reached=reached,
        reviewed=False,
    )
    state = _load(data)
    assert state.reached == ("firstname", "lastname", "address.street", "address.zipCode")
    assert state.current == "address.zipCode"
    assert state.partial == ["NW1 6XE", ""]
    assert state.answers["address.street"] == ["Baker Street", "221b"]
    assert "address.zipCode" not in state.answers


def test_2026_12_03_a_state_with_only_the_last_update_id() -> None:
    assert _load(_stored_2026_12()).recent_updates == (11,)
    assert _load(_stored_2026_12(last_update_id=None)).recent_updates == ()
    recent = {k: v for k, v in _stored_2026_12().items() if k != "last_update_id"}
    assert _load({**recent, "recent_updates": [9, 12]}).recent_updates == (9, 12)


def test_2026_12_03_a_state_from_before_the_funnel_counted() -> None:
    state = _load(_stored_2026_12())
    assert state.reached == ()
    assert state.reviewed is False
    counted = _load(_stored_2026_12(reached=["firstname"], reviewed=True))
    assert counted.reached == ("firstname",)
    assert counted.reviewed is True


# --- optional keys -------------------------------------------------------------------------------

# Every key of a state as the release before the optional keys stored it (version 5), literally:
# what the release before reads, and ignores any other.
KEYS_OF_VERSION_5 = {
    "version",
    "chat_id",
    "locale",
    "language",
    "campaign",
    "plan",
    "answers",
    "queue",
    "phase",
    "token",
    "picks",
    "editing",
    "contact_keyboard",
    "recent_updates",
    "profile",
    "joint_name",
    "suggestions",
    "partial",
    "reached",
    "reviewed",
}


def test_the_usual_state_stores_the_keys_of_the_release_before_and_no_other() -> None:
    stored = json.loads(_load(_stored_2026_12()).to_json())
    assert set(stored) == KEYS_OF_VERSION_5
    assert stored["version"] == migrations.VERSION == 5  # no step: the release before reads it


def test_the_optional_keys_are_stored_only_when_set_and_read_back() -> None:
    state = _load(_stored_2026_12())
    state.studio, state.resume, state.seen = "mitte", Phase.REVIEW, SEEN_CLUB
    stored = json.loads(state.to_json())
    assert set(stored) - KEYS_OF_VERSION_5 == set(migrations.OPTIONAL)
    assert (stored["studio"], stored["resume"], stored["seen"]) == ("mitte", "review", "#club")
    assert ConversationState.from_json(state.to_json()) == state


def test_a_state_stored_without_the_optional_keys_reads_their_defaults() -> None:
    version_5 = {**_stored_2026_12(), "version": 5, "recent_updates": [11], "reached": []}
    version_5.update(profile=[None, None], joint_name=False, suggestions=[], partial=None)
    version_5.update(reviewed=False)
    del version_5["last_update_id"]
    assert set(version_5) == KEYS_OF_VERSION_5
    state = _load(version_5)
    assert (state.studio, state.resume, state.seen) == (None, None, None)
    assert state.current == "email"


# --- the trial booking ---------------------------------------------------------------------------


def _booking_until_2026_12_07(**changes: Any) -> dict[str, Any]:
    """A trial booking as the releases until 2026-12-07 stored it: no version, and no studio
    for the single studio."""
    data: dict[str, Any] = {
        "chat_id": 7,
        "locale": "en_GB",
        "language": "en",
        "campaign": "spring",
        "customer_id": 5001,
        "phase": "times",
        "token": 3,
        "offers": [{"key": "class:1", "title": "Yoga", "minutes": 60}],
        "offer": {"key": "class:1", "title": "Yoga", "minutes": 60},
        "window": 0,
        "days": ["2026-12-08"],
        "times": [{"ref": "s1", "start": "2026-12-08T18:00:00+01:00", "end": None}],
        "chosen": None,
        "booked": None,
        "booked_offer": None,
        "booking_id": None,
        "confirm_by": None,
        "sent": False,
        "changing": False,
        "attempts": 0,
        "first_attempt_at": None,
    }
    data["times"][0].update(instructor=None, place=None)
    return {**data, **changes}


def _booking(data: dict[str, Any]) -> BookingState:
    return BookingState.from_json(json.dumps(data, ensure_ascii=False))


def test_a_booking_stored_before_versions_reads_and_is_stored_as_it_was() -> None:
    data = _booking_until_2026_12_07()
    booking = _booking(data)
    assert (booking.phase, booking.studio, booking.times[0].ref) == (BookingPhase.TIMES, None, "s1")
    assert migrations.BOOKING_VERSION == 0
    assert json.loads(booking.to_json()) == data  # the release before reads it: no new key


def test_a_chains_booking_stores_its_studio_and_reads_it_back() -> None:
    booking = _booking(_booking_until_2026_12_07(studio="mitte"))
    assert booking.studio == "mitte"
    assert json.loads(booking.to_json())["studio"] == "mitte"
    assert BookingState.from_json(booking.to_json()) == booking


def test_a_booking_from_a_later_release_is_refused_and_its_new_keys_ignored() -> None:
    later = _booking_until_2026_12_07(version=migrations.BOOKING_VERSION + 1)
    with pytest.raises(NewerFormat, match="trial booking stored in format version 1"):
        _booking(later)
    # An optional key a later release added, at this release's version: ignored.
    assert _booking(_booking_until_2026_12_07(reminded=True)).token == 3
    with pytest.raises(ValueError, match="unreadable format version"):
        _booking(_booking_until_2026_12_07(version="1"))
