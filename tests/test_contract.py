"""The bot and its PerfectGym stand-ins against the vendor's OpenAPI document.

Every request body the bot sends (validate, create) is checked against ``LeadCreationRequest``
and every answer of the stand-in and the test fake against the schema given for that path and
status, ``$ref``s resolved in the document: the leads paths in the vendor's own extract, the
studio information, membership offers and PerfectGym's webhook body in a transcription of the
team's notes, the trial offers in theirs (``tests/test_perfectgym_trials.py``). An endpoint
without a schema fails the test rather than passing unchecked.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, OAS31Validator

from bot.events.delivery import MalformedDelivery, parse_delivery
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import PerfectGymUnavailable
from bot.perfectgym.models import StudioInformation
from bot.perfectgym.offers import MembershipOffers
from bot.standin.leads import ROUTES, StandInReply
from bot.standin.sample_studio import sample_information, sample_offers
from conversations.i18n import Translator
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot
from tests.test_perfectgym_trials import ENDPOINTS as TRIAL_ENDPOINTS
from tests.test_perfectgym_trials import _check_response as _trial_problems

TESTS = Path(__file__).resolve().parent
SPEC_PATH = TESTS / "data" / "openapi-leads.json"
"""The vendor's document, committed verbatim as the vendor handed it over (shared/api/)."""
SAMPLE_CONFIG = TESTS.parent / "bot" / "standin" / "sample_config.json"
MORE_PATH = TESTS / "data" / "perfectgym-studio-offers-webhooks-schemas.json"
"""Transcribed by hand from shared/api/ (its ``$comment`` says from where): not the vendor's."""
LEADS_ENDPOINTS = frozenset({"config", "validate", "create"})
MORE_ENDPOINTS = {
    "studio": "/v1/studios/information",
    "membership_offers": "/v1/memberships/membership-offers",
}


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


@cache
def _more() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(MORE_PATH.read_text())
    return document


def _local_format_checker(base: Any) -> Any:
    """The notes' formats as the vendor writes them: ``time`` a local ISO-8601 time
    ("06:00:00"), ``date-time`` without an offset allowed (its closures' own examples have
    none), ``ISO 4217`` three capitals."""
    checker = _format_checker(base)
    checker.checks("time")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?", v))
    )

    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            datetime.datetime.fromisoformat(re.sub(r"\[[^\]]+\]$", "", value))
        except ValueError:
            return False
        return True

    checker.checks("date-time")(date_time)
    checker.checks("ISO 4217")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[A-Z]{3}", v))
    )
    return checker


def _problems(
    schema: dict[str, Any], instance: object, spec: dict[str, Any] | None = None
) -> list[str]:
    """What ``instance`` breaks of ``schema``, the document's components in reach of its
    ``$ref``s (the leads document's unless ``spec`` is given)."""
    spec = spec or _spec()
    validator_class = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    root = {**schema, "components": spec["components"]}
    checker = (
        _format_checker(validator_class.FORMAT_CHECKER)
        if spec is _spec()
        else _local_format_checker(validator_class.FORMAT_CHECKER)
    )
    validator = validator_class(root, format_checker=checker)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in errors]


def _validate(schema: dict[str, Any], instance: object, spec: dict[str, Any] | None = None) -> None:
    errors = _problems(schema, instance, spec)
    assert not errors, "\n".join(errors)


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


def _more_response_schema(endpoint: str, status: int) -> dict[str, Any]:
    responses = _more()["paths"][MORE_ENDPOINTS[endpoint]]["get"]["responses"]
    documented = responses.get(str(status))
    if documented is None:
        assert status >= 400, f"{endpoint}: {status} is not documented"
        return {"$ref": "#/components/schemas/ErrorResponse"}
    schema: dict[str, Any] = documented["content"]["application/json"]["schema"]
    return schema


def _check_response(endpoint: str, status: int, body: bytes) -> None:
    """``body`` against the schema of ``endpoint`` and ``status``; an endpoint no document
    describes fails (it would otherwise pass unchecked)."""
    if endpoint in LEADS_ENDPOINTS:
        _validate(_response_schema(endpoint, status), json.loads(body))
    elif endpoint in MORE_ENDPOINTS:
        _validate(_more_response_schema(endpoint, status), json.loads(body), _more())
    elif endpoint in TRIAL_ENDPOINTS:
        problems = _trial_problems(endpoint, status, body)
        assert not problems, "\n".join(problems)
    else:
        pytest.fail(f"{endpoint}: no schema under tests/data/ describes it")


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


# --- the studio's information, its membership offers and PerfectGym's webhook body -------------


def test_an_endpoint_without_a_schema_fails() -> None:
    with pytest.raises(pytest.fail.Exception, match="no schema"):
        _check_response("studio_utilization", 200, b"{}")


def test_every_endpoint_the_stand_in_serves_has_a_schema() -> None:
    served = {endpoint for _, endpoint in ROUTES.values()} | set(TRIAL_ENDPOINTS)
    assert served <= LEADS_ENDPOINTS | MORE_ENDPOINTS.keys() | set(TRIAL_ENDPOINTS)


def test_the_studio_information_and_offers_the_fakes_serve_keep_the_contract() -> None:
    today = datetime.date(2027, 3, 1)
    for information in (sample_information(today), sample_information(today, country=None)):
        _check_response("studio", 200, json.dumps(information).encode())
        StudioInformation.model_validate(information)  # and the bot reads it
    offers = sample_offers(today)
    _check_response("membership_offers", 200, json.dumps(offers).encode())
    assert len(MembershipOffers.model_validate(offers).root) == len(offers)
    forbidden = StandInReply.error(403, "Authorization failed.", "FORBIDDEN")
    _check_response("membership_offers", 403, forbidden.body)


def test_the_transcribed_schemas_can_fail() -> None:
    today = datetime.date(2027, 3, 1)
    information = sample_information(today)
    del information["accessCodeConfiguration"]
    assert _problems(_more_response_schema("studio", 200), information, _more())
    hours = {**sample_information(today), "publicOpeningHours": [{"dayOfWeekFrom": "MO"}]}
    assert _problems(_more_response_schema("studio", 200), hours, _more())
    [offer, *_] = sample_offers(today)
    del offer["terms"]
    assert _problems(_more_response_schema("membership_offers", 200), [offer], _more())
    [offer, *_] = sample_offers(today)
    offer["terms"][0]["contractVolumeInformation"]["totalContractVolume"]["currency"] = "euro"
    assert _problems(_more_response_schema("membership_offers", 200), [offer], _more())


def _webhook_problems(body: object) -> list[str]:
    schema = _more()["webhooks"]["perfectgymEvent"]["post"]["requestBody"]["content"]
    return _problems(schema["application/json"]["schema"], body, _more())


WEBHOOK_BODIES: list[dict[str, Any]] = [
    {
        "entityId": 7893459,
        "uuid": "095be615-a8ad-4c33-8e9c-c7612fbf6c9f",
        "payload": [{"timestamp": 1642779144176, "type": "CUSTOMER_CHECKIN", "content": {}}],
    },
    {
        "entityId": 5001,
        "uuid": "b1d4",
        "payload": [
            {"timestamp": 1, "type": "CONTRACT_CREATED", "content": {"contractId": 12}},
            {"timestamp": 2, "type": "EMPLOYEE_CREATED", "content": {"firstName": "Zoe"}},
        ],
        "addedLater": {"x": 1},
    },
    {"entityId": 77, "uuid": "c", "payload": [{"timestamp": 3, "type": "CLASS_SLOT_UPDATED"}]},
]


@pytest.mark.parametrize("body", WEBHOOK_BODIES)
def test_webhook_bodies_in_the_contract_are_parsed_as_sent(body: dict[str, Any]) -> None:
    assert _webhook_problems(body) == []
    delivery = parse_delivery(json.dumps(body).encode())
    assert (delivery.entity_id, delivery.uuid) == (body["entityId"], body["uuid"])
    assert [(e.type, e.timestamp * 1000) for e in delivery.elements] == [
        (e["type"], e["timestamp"]) for e in body["payload"]
    ]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"uuid": "a", "payload": []},
        {"entityId": "5001", "uuid": "a", "payload": []},
        {"entityId": 5001, "payload": []},
        {"entityId": 5001, "uuid": 7, "payload": []},
        {"entityId": 5001, "uuid": "a", "payload": {}},
        {"entityId": 5001, "uuid": "a", "payload": [{"timestamp": 1}]},
        {"entityId": 5001, "uuid": "a", "payload": [{"type": "CUSTOMER_CHECKIN"}]},
        {"entityId": 5001, "uuid": "a", "payload": [{"type": "X", "timestamp": "now"}]},
        {"entityId": 5001, "uuid": "a", "payload": [{"type": "X", "timestamp": 1, "content": []}]},
    ],
)
def test_webhook_bodies_outside_the_contract_are_refused(body: object) -> None:
    """The parser may be stricter than the contract (a lone surrogate in ``uuid``), never
    laxer."""
    assert _webhook_problems(body)
    with pytest.raises(MalformedDelivery):
        parse_delivery(json.dumps(body).encode())


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
