"""The bot and its PerfectGym stand-ins against the vendor's OpenAPI document.

Every request body the bot sends (validate, create) is checked against ``LeadCreationRequest``
and every answer of the stand-in and the test fake (config, validate, create, errors) against
the schema the document gives for that path and status, ``$ref``s resolved in the document.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, OAS31Validator

from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymUnavailable
from bot.standin.leads import ROUTES, StandInReply
from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

TESTS = Path(__file__).resolve().parent
SPEC_PATH = TESTS / "data" / "openapi-leads.json"
"""The vendor's document, committed verbatim as the vendor handed it over (shared/api/)."""
SAMPLE_CONFIG = TESTS.parent / "bot" / "standin" / "sample_config.json"


@cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec


def _format_checker(base: Any) -> Any:
    """The validator's own formats, plus the vendor's ISO code "formats", held to their
    two-letter shape (the bot must never send ``419`` as a country)."""
    checker = type(base)()  # a jsonschema FormatChecker
    checker.checkers = dict(base.checkers)
    checker.checks("ISO 639-1")(
        lambda value: not isinstance(value, str) or bool(re.fullmatch(r"[a-z]{2}", value))
    )
    checker.checks("ISO 3166-1")(
        lambda value: not isinstance(value, str) or bool(re.fullmatch(r"[A-Z]{2}", value))
    )
    return checker


def _validate(schema: dict[str, Any], instance: object) -> None:
    """Validate against ``schema`` with the document's components in reach of its ``$ref``s."""
    spec = _spec()
    validator_class = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    root = {**schema, "components": spec["components"]}
    validator = validator_class(
        root, format_checker=_format_checker(validator_class.FORMAT_CHECKER)
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in errors
    )


def _component(name: str, instance: object) -> None:
    assert name in _spec()["components"]["schemas"]
    _validate({"$ref": f"#/components/schemas/{name}"}, instance)


def _response_schema(endpoint: str, status: int) -> dict[str, Any]:
    path = next(path for path, (_, name) in ROUTES.items() if name == endpoint)
    method = ROUTES[path][0].lower()
    responses = _spec()["paths"][path][method]["responses"]
    documented = responses.get(str(status))
    if documented is None:  # a status the document does not list still carries an ErrorResponse
        assert status >= 400, f"{endpoint}: {status} is not documented"
        return {"$ref": "#/components/schemas/ErrorResponse"}
    schema: dict[str, Any] = documented["content"]["application/json"]["schema"]
    return schema


def _check_response(endpoint: str, status: int, body: bytes) -> None:
    if endpoint not in {"config", "validate", "create"}:
        return  # the studio's information is not part of the leads document
    _validate(_response_schema(endpoint, status), json.loads(body))


# --- the stand-in's answers, on their own ------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [load_config("everything"), load_config("all-inactive"), json.loads(SAMPLE_CONFIG.read_text())],
    ids=["everything", "all-inactive", "sample"],
)
def test_configs_the_fakes_serve_are_lead_configs(config: dict[str, Any]) -> None:
    _component("LeadConfig", config)
    _check_response("config", 200, json.dumps(config).encode())


@pytest.mark.parametrize(
    "reply",
    [
        StandInReply.error(401, "Authentication failed.", "UNAUTHORIZED"),
        StandInReply.error(400, "Must be a string.", "INVALID_REQUEST", "leadCustomer.email"),
        StandInReply.error(500, "Unexpected system error.", "INTERNAL_ERROR"),
    ],
)
def test_error_bodies_are_error_responses(reply: StandInReply) -> None:
    _component("ErrorResponse", json.loads(reply.body))


@pytest.mark.parametrize("status", ["POSSIBLE", "INVALID_LEAD_DATA", "DUPLICATE_CUSTOMER"])
def test_validation_results(status: str) -> None:
    _component("LeadCreationValidationResult", {"status": status})


async def test_the_fakes_rate_limit_answer_is_an_error_response() -> None:
    async with (
        FakePerfectGym(
            load_config("everything"),
            "pgk-contract-1",
            rate_limit_per_minute=1,
            rate_clock=lambda: 30.0,  # both calls in one minute of the fake
        ) as pg,
        PerfectGymClient(pg.url, "pgk-contract-1") as client,
    ):
        await client.get_config()
        with pytest.raises(PerfectGymUnavailable):
            await client.get_config()
    assert [status for _, status, _ in pg.responses] == [200, 429]
    assert not pg.injected
    for endpoint, status, answer in pg.responses:
        _check_response(endpoint, status, answer)


# --- a whole conversation ----------------------------------------------------------------------


def _es(message: str) -> str:
    return Translator("es").gettext(message)


def _check_exchange(pg: FakePerfectGym) -> None:
    bodies = [
        (endpoint, body) for endpoint, body in pg.requests if endpoint in {"validate", "create"}
    ]
    assert bodies, "the bot sent no lead"
    for _endpoint, sent in bodies:
        _component("LeadCreationRequest", sent)
    assert pg.responses
    for endpoint, status, answer in pg.responses:
        _check_response(endpoint, status, answer)


async def test_every_request_and_answer_of_a_full_conversation_keeps_the_contract(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    tg.set_last_name(8008, "Ruiz")
    async with running_bot(bot_environment(tg, pg, database_url)):
        ana = Prospect(tg, chat_id=8008, language_code="es-419", first_name="Ana")
        await ana.send("/start spring_2027-B")
        await ana.expect("1/15")
        await ana.answer("Ana Ruiz", "2/15")
        await ana.answer("ana.ruiz@example.com", "3/15")
        await ana.answer("+34 612 345 678", "¡Gracias!")  # the contact keyboard goes
        gender = await ana.expect("4/15")
        await ana.press(gender, gender.buttons()[0][0])
        await ana.expect("5/15")
        await ana.answer("31/12/1990", "6/15")
        await ana.answer("España", "7/15")
        await ana.answer("Calle Mayor 5", "8/15")
        heard = await ana.answer("28013 Madrid", "9/15")
        goals = await ana.choose(heard, "Friends", "10/15")
        await ana.press(goals, "Lose weight")
        goals = await ana.expect("10/15")
        assert goals.button_data("✅ Lose weight")
        await ana.choose(goals, _es("Done"), "11/15")
        await ana.answer("1/6/2027", "12/15")
        await ana.answer("3", "13/15")
        student = await ana.answer("-", "14/15")
        consent = await ana.choose(student, student.buttons()[0][0], "15/15")
        summary = await ana.choose(consent, consent.buttons()[0][0])
        await ana.choose(summary, _es("✅ Yes, send it"), "Ana")
    [lead] = pg.created
    assert lead["leadCustomer"]["language"] == {"languageCode": "es"}
    assert lead["externalIdentifier"] == "spring_2027-B"
    assert lead["address"]["countryCode"] == "ES"
    _check_exchange(pg)


async def test_refusals_and_failures_keep_the_contract(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.fail_next("validate", 503)  # the fake's own injected error body
    pg.fail_next("create", 429)
    env = bot_environment(
        tg, pg, database_url, OUTBOX_RETRY_BASE_SECONDS="0.1", OUTBOX_RATE_LIMIT_SECONDS="0.2"
    )
    async with running_bot(env):
        first = Prospect(tg, chat_id=8101)
        await first.confirm_lead("Kim", "Park", "kim@example.com")
        # The first thank-you says the details are being passed on (the first attempt failed);
        # the second prospect starts once the lead is created, so theirs is the duplicate.
        await first.expect("Thank you, Kim")
        await first.expect("The studio has your details")
        again = Prospect(tg, chat_id=8102)
        await again.confirm_lead("Kim", "Park", "kim@example.com")  # DUPLICATE_CUSTOMER
        await again.expect_eventually("already")
    _check_exchange(pg)
    assert {(endpoint, status) for endpoint, status, _ in pg.responses} >= {
        ("config", 200),
        ("validate", 200),
        ("create", 200),
        ("validate", 503),
        ("create", 429),
    }
    assert any(b'"DUPLICATE_CUSTOMER"' in body for _, _, body in pg.responses)
