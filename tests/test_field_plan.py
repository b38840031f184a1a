"""The field plan: exactly what the studio's config asks for, in a stable order."""

from __future__ import annotations

from typing import Any

import pytest

from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from conversations.field_plan import ADDRESS, AnswerKind, FieldPlan, Slot
from tests.harness import load_config


def _plan(config: dict[str, Any]) -> FieldPlan:
    return plan_from_config(LeadConfig.model_validate(config))


def test_all_inactive_asks_only_name_and_email() -> None:
    plan = _plan(load_config("all-inactive"))
    assert plan.keys == ("firstname", "lastname", "email")
    assert all(q.required for q in plan.questions)
    assert plan.consents == ()


def test_everything_asks_every_active_field_in_order() -> None:
    plan = _plan(load_config("everything"))
    assert plan.keys == (
        "firstname",
        "lastname",
        "email",
        "telephone",
        "gender",
        "dateOfBirth",
        "address.countryCode",  # first: it decides how the two address lines are read
        "address.street",
        "address.zipCode",
        "extra.7001",
        "extra.7002",
        "extra.7003",
        "extra.7004",
        "extra.7005",
        "extra.7006",
        "consent.0",
    )
    assert "extra.7007" not in plan.keys  # INACTIVE is never asked
    required = {q.key for q in plan.questions if q.required}
    assert "gender" not in required
    assert {"telephone", "dateOfBirth", "address.street", "extra.7001", "extra.7006"} <= required
    assert plan.question("extra.7001").kind is AnswerKind.CHOICE
    assert plan.question("extra.7002").kind is AnswerKind.MULTI_CHOICE
    assert plan.question("extra.7002").options == ("Lose weight", "Build muscle", "Stay healthy")
    assert plan.question("extra.7003").kind is AnswerKind.DATE
    assert plan.question("extra.7004").kind is AnswerKind.NUMBER
    assert plan.question("extra.7005").kind is AnswerKind.TEXT
    assert plan.question("extra.7006").kind is AnswerKind.BOOLEAN
    assert plan.question("extra.7001").label == "How did you hear about us?"
    assert plan.group_keys(ADDRESS) == ("address.countryCode", "address.street", "address.zipCode")
    assert plan.question("address.street").kind is AnswerKind.STREET_LINE
    assert plan.question("address.zipCode").kind is AnswerKind.POSTCODE_LINE


def test_consents_ask_only_categories_with_a_channel_the_customer_may_change() -> None:
    plan = _plan(load_config("everything"))
    assert [c.category for c in plan.consents] == ["NEWSLETTER", "CONTRACT"]
    assert plan.consents[0].asked_channels == ("EMAIL", "TEXT_MESSAGE")
    assert plan.consents[1].asked_channels == ()
    consent_questions = [q for q in plan.questions if q.slot is Slot.CONSENT]
    assert [q.consent_index for q in consent_questions] == [0]


@pytest.mark.parametrize("mode", ["OPTIONAL", "MANDATORY", "SOMETHING_NEW"])
def test_modes_decide_asked_and_required(mode: str) -> None:
    config = {**load_config("all-inactive"), "telephoneMode": mode}
    phone = _plan(config).question("telephone")
    assert phone.required is (mode == "MANDATORY")


def test_unusable_additional_fields_are_left_out() -> None:
    config = load_config("all-inactive")
    config["additionalInformation"] = [
        {
            "additionalFieldId": 1,
            "name": "Colour",
            "type": "HOLOGRAM",
            "allowMultiSelection": False,
            "mode": "MANDATORY",
        },
        {
            "additionalFieldId": 2,
            "name": "Empty list",
            "type": "LIST",
            "allowMultiSelection": False,
            "selectionValues": [" ", ""],
            "mode": "MANDATORY",
        },
        {
            "additionalFieldId": 3,
            "name": "Dup",
            "type": "TEXT",
            "allowMultiSelection": False,
            "mode": "OPTIONAL",
        },
        {
            "additionalFieldId": 3,
            "name": "Dup again",
            "type": "TEXT",
            "allowMultiSelection": False,
            "mode": "OPTIONAL",
        },
        {
            "additionalFieldId": 4,
            "name": "Club",
            "type": "LIST",
            "allowMultiSelection": False,
            "selectionValues": ["A", "A", "B"],
            "mode": "OPTIONAL",
        },
    ]
    plan = _plan(config)
    assert plan.keys == ("firstname", "lastname", "email", "extra.3", "extra.4")
    assert plan.question("extra.3").label == "Dup"
    assert plan.question("extra.4").options == ("A", "B")


def test_a_plan_survives_its_json_round_trip() -> None:
    plan = _plan(load_config("everything"))
    assert FieldPlan.from_json(plan.to_json()) == plan
