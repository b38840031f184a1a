"""PerfectGym client against the fake over real loopback HTTP, and the stand-in's lead rules."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymError,
    PerfectGymProtocolError,
    PerfectGymRejected,
    PerfectGymUnavailable,
)
from bot.perfectgym.models import (
    AdditionalFieldType,
    ErrorBody,
    LeadAdditionalInformation,
    LeadAddress,
    LeadChannelChoice,
    LeadCommunicationPreference,
    LeadCreationRequest,
    LeadCustomer,
    StudioInformation,
    ValidationStatus,
)
from bot.perfectgym.wire import FieldMode, LeadLanguage
from bot.standin.leads import sample_config
from tests.fake_perfectgym import FakePerfectGym

API_KEY = "pgk-7Qm2x9LrT4vW8cZ1"
WRONG_KEY = "pgk-WRONG-3e5f7a9b1d"
ALL_INACTIVE = {
    "addressMode": "INACTIVE",
    "dateOfBirthMode": "INACTIVE",
    "genderMode": "INACTIVE",
    "telephoneMode": "INACTIVE",
}
EMAIL = "max.mustermann@example.com"


@pytest.fixture
async def fake() -> AsyncIterator[FakePerfectGym]:
    async with FakePerfectGym(sample_config(), API_KEY) as server:
        yield server


@pytest.fixture
async def client(fake: FakePerfectGym) -> AsyncIterator[PerfectGymClient]:
    async with PerfectGymClient(fake.url, API_KEY, timeout=5.0) as pg:
        yield pg


def full_lead(email: str = EMAIL) -> LeadCreationRequest:
    """A lead that satisfies every rule of the bundled everything-active config."""
    return LeadCreationRequest(
        lead_customer=LeadCustomer(
            firstname="Max",
            lastname="Mustermann",
            email=email,
            gender="MALE",
            date_of_birth=datetime.date(1990, 5, 7),
            telephone="+4915112345678",
            language=LeadLanguage(language_code="de", country_code="DE"),
        ),
        address=LeadAddress(
            street="Am Bahnhof",
            house_number="90",
            zip_code="12133",
            city="Munich",
            country_code="DE",
        ),
        additional_information=[
            LeadAdditionalInformation(additional_field_id=7001, value="Friends"),
            LeadAdditionalInformation(
                additional_field_id=7002, values=["Lose weight", "Stay healthy"]
            ),
            LeadAdditionalInformation(additional_field_id=7003, value="2026-02-01"),
            LeadAdditionalInformation(additional_field_id=7004, value="3"),
            LeadAdditionalInformation(additional_field_id=7005, value="Left knee"),
            LeadAdditionalInformation(additional_field_id=7006, value="false"),
        ],
        communication_preferences=[
            LeadCommunicationPreference(
                message_category="NEWSLETTER",
                channels=[
                    LeadChannelChoice(
                        communication_channel="EMAIL", active=True, customer_overridable=True
                    ),
                    LeadChannelChoice(communication_channel="TEXT_MESSAGE", active=False),
                ],
            ),
            LeadCommunicationPreference(
                message_category="CONTRACT",
                channels=[
                    LeadChannelChoice(
                        communication_channel="EMAIL", active=True, customer_overridable=False
                    )
                ],
            ),
        ],
    )


FULL_LEAD_JSON: dict[str, Any] = {
    "leadCustomer": {
        "firstname": "Max",
        "lastname": "Mustermann",
        "email": EMAIL,
        "gender": "MALE",
        "dateOfBirth": "1990-05-07",
        "telephone": "+4915112345678",
        "language": {"languageCode": "de", "countryCode": "DE"},
    },
    "address": {
        "street": "Am Bahnhof",
        "houseNumber": "90",
        "zipCode": "12133",
        "city": "Munich",
        "countryCode": "DE",
    },
    "communicationPreferences": [
        {
            "messageCategory": "NEWSLETTER",
            "channels": [
                {"communicationChannel": "EMAIL", "active": True, "customerOverridable": True},
                {"communicationChannel": "TEXT_MESSAGE", "active": False},
            ],
        },
        {
            "messageCategory": "CONTRACT",
            "channels": [
                {"communicationChannel": "EMAIL", "active": True, "customerOverridable": False}
            ],
        },
    ],
    "additionalInformation": [
        {"additionalFieldId": 7001, "value": "Friends"},
        {"additionalFieldId": 7002, "values": ["Lose weight", "Stay healthy"]},
        {"additionalFieldId": 7003, "value": "2026-02-01"},
        {"additionalFieldId": 7004, "value": "3"},
        {"additionalFieldId": 7005, "value": "Left knee"},
        {"additionalFieldId": 7006, "value": "false"},
    ],
}


def minimal_lead(email: str = EMAIL) -> LeadCreationRequest:
    return LeadCreationRequest(
        lead_customer=LeadCustomer(firstname="Max", lastname="Mustermann", email=email)
    )


def with_customer(lead: LeadCreationRequest, **changes: Any) -> LeadCreationRequest:
    return lead.model_copy(update={"lead_customer": lead.lead_customer.model_copy(update=changes)})


def with_extra(lead: LeadCreationRequest, field_id: int, **answer: Any) -> LeadCreationRequest:
    """Replace (or add) the answer for one additional field; no answer given drops it."""
    kept = [a for a in lead.additional_information if a.additional_field_id != field_id]
    if answer:
        kept.append(LeadAdditionalInformation(additional_field_id=field_id, **answer))
    return lead.model_copy(update={"additional_information": kept})


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the server side to reach a state; the timeout only guards against a hung test."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the state lives in another object, no event
            await asyncio.sleep(0.01)


# --- config --------------------------------------------------------------------------------


async def test_config_everything_active(client: PerfectGymClient) -> None:
    config = await client.get_config()
    assert config.address_mode is FieldMode.MANDATORY
    assert config.gender_mode is FieldMode.OPTIONAL
    fields = {f.additional_field_id: f for f in config.additional_information}
    assert [f.type for f in config.additional_information] == [
        AdditionalFieldType.LIST,
        AdditionalFieldType.LIST,
        AdditionalFieldType.DATE,
        AdditionalFieldType.NUMERIC,
        AdditionalFieldType.TEXT,
        AdditionalFieldType.BOOLEAN,
        AdditionalFieldType.NUMERIC,
    ]
    assert fields[7001].selection_values == ["Instagram", "Friends", "Flyer", "Google"]
    assert fields[7002].allow_multi_selection is True
    assert fields[7003].selection_values == []
    assert fields[7007].mode is FieldMode.INACTIVE
    contract = config.communication_preferences[1]
    assert contract.message_category == "CONTRACT"
    assert contract.channels[0].communication_channel == "EMAIL"
    assert (contract.channels[0].customer_overridable, contract.channels[0].active) == (False, True)


async def test_config_all_inactive_has_empty_lists(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.set_config(ALL_INACTIVE)
    config = await client.get_config()
    assert {config.address_mode, config.telephone_mode} == {FieldMode.INACTIVE}
    assert config.additional_information == []
    assert config.communication_preferences == []


async def test_config_tolerates_new_enum_values_nulls_and_extra_keys(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.set_config(
        {
            **ALL_INACTIVE,
            "addressMode": "HIDDEN",
            "emailMode": "MANDATORY",
            "additionalInformation": [
                {
                    "additionalFieldId": 1,
                    "name": "Signature",
                    "type": "SIGNATURE",
                    "allowMultiSelection": None,
                    "selectionValues": None,
                    "mode": "READ_ONLY",
                    "placeholder": "sign here",
                }
            ],
            "communicationPreferences": [
                {"messageCategory": "MYSPORTS_PUSH", "channels": None, "id": 3},
                {"channels": [{"communicationChannel": "CARRIER_PIGEON"}]},
            ],
        }
    )
    config = await client.get_config()
    assert config.address_mode is FieldMode.UNKNOWN
    field = config.additional_information[0]
    assert (field.type, field.mode) == (AdditionalFieldType.UNKNOWN, FieldMode.UNKNOWN)
    assert (field.allow_multi_selection, field.selection_values) == (False, [])
    first, second = config.communication_preferences
    assert (first.message_category, first.channels) == ("MYSPORTS_PUSH", [])
    assert second.message_category is None
    channel = second.channels[0]
    assert (channel.communication_channel, channel.customer_overridable, channel.active) == (
        "CARRIER_PIGEON",
        None,
        False,
    )


async def test_config_null_lists_become_empty(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.set_config(
        {**ALL_INACTIVE, "additionalInformation": None, "communicationPreferences": None}
    )
    config = await client.get_config()
    assert (config.additional_information, config.communication_preferences) == ([], [])


@pytest.mark.parametrize("suffix", ["/", "/v1", "/v1/", "  "])
async def test_base_url_variants(fake: FakePerfectGym, suffix: str) -> None:
    async with PerfectGymClient(fake.url + suffix, API_KEY) as pg:
        await pg.get_config()
    assert fake.calls["config"] == 1


@pytest.mark.parametrize(
    "base_url", ["", "ftp://tenant.example", "tenant.open-api.perfectgym.com", "https://[::1"]
)
def test_bad_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        PerfectGymClient(base_url, API_KEY)


@pytest.mark.parametrize("api_key", ["", "pgk two words", "pgk-schlüssel", "pgk-newline\n"])
def test_bad_api_key_is_refused_without_echoing_it(api_key: str) -> None:
    with pytest.raises(ValueError, match="api_key") as caught:
        PerfectGymClient("https://tenant.open-api.perfectgym.com", api_key)
    assert not api_key or api_key.strip() not in str(caught.value)


# --- request shape, validate, create ------------------------------------------------------


async def test_request_body_is_exactly_the_vendor_shape(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    await client.validate(full_lead())
    await client.create(full_lead())
    assert fake.requests == [("validate", FULL_LEAD_JSON), ("create", FULL_LEAD_JSON)]
    assert fake.created == [FULL_LEAD_JSON]


def test_minimal_lead_json_has_no_nulls_and_no_empty_lists() -> None:
    body = json.loads(minimal_lead().to_json_bytes())
    assert body == {"leadCustomer": {"firstname": "Max", "lastname": "Mustermann", "email": EMAIL}}


def test_request_models_accept_camel_case_too() -> None:
    lead = LeadCreationRequest.model_validate(FULL_LEAD_JSON)
    assert lead.lead_customer.date_of_birth == datetime.date(1990, 5, 7)
    assert json.loads(lead.to_json_bytes()) == FULL_LEAD_JSON


async def test_validate_possible(fake: FakePerfectGym, client: PerfectGymClient) -> None:
    assert await client.validate(full_lead()) is ValidationStatus.POSSIBLE
    assert fake.calls == {"validate": 1}
    assert fake.created == []


async def test_validate_unknown_status_maps_to_unknown(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.fail_next("validate", 200, '{"status": "NEEDS_REVIEW", "codes": ["X"]}')
    assert await client.validate(full_lead()) is ValidationStatus.UNKNOWN


async def test_create_returns_increasing_ids(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    first = await client.create(full_lead("a@example.com"))
    second = await client.create(full_lead("b@example.com"))
    assert first.id < second.id
    assert first.customer_id is not None
    assert (first.customer_number, second.customer_number) == ("1-1", "1-2")
    assert uuid.UUID(first.uuid) != uuid.UUID(second.uuid)
    assert [c["leadCustomer"]["email"] for c in fake.created] == ["a@example.com", "b@example.com"]


async def test_create_tolerates_missing_optional_response_fields(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.fail_next("create", 200, '{"id": 7, "uuid": "2340b1cc-3fe7-4f81-8eca-f92181dd2bb4"}')
    created = await client.create(full_lead())
    assert (created.id, created.customer_id, created.customer_number) == (7, None, None)


async def test_concurrent_calls_share_one_client(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    results = await asyncio.gather(
        *(client.create(full_lead(f"p{i}@example.com")) for i in range(20))
    )
    assert len({r.id for r in results}) == 20
    assert len(fake.created) == 20


# --- failure classification ---------------------------------------------------------------

EXPECTED_CLASS: list[tuple[int, type[PerfectGymError]]] = [
    (400, PerfectGymRejected),
    (401, PerfectGymAuthError),
    (403, PerfectGymAuthError),
    (404, PerfectGymRejected),
    (409, PerfectGymUnavailable),  # the vendor's concurrent modification: try again
    (422, PerfectGymRejected),
    (408, PerfectGymUnavailable),
    (429, PerfectGymUnavailable),
    (500, PerfectGymUnavailable),
    (502, PerfectGymUnavailable),
    (503, PerfectGymUnavailable),
]


async def call(client: PerfectGymClient, endpoint: str) -> object:
    if endpoint == "config":
        return await client.get_config()
    if endpoint == "validate":
        return await client.validate(full_lead())
    return await client.create(full_lead())


@pytest.mark.parametrize("endpoint", ["config", "validate", "create"])
@pytest.mark.parametrize(("status", "expected"), EXPECTED_CLASS)
async def test_status_maps_to_exception_class(
    fake: FakePerfectGym,
    client: PerfectGymClient,
    endpoint: str,
    status: int,
    expected: type[PerfectGymError],
) -> None:
    fake.fail_next(endpoint, status)
    with pytest.raises(expected) as caught:
        await call(client, endpoint)
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.error == ErrorBody(
        error_message="Injected failure", error_code=f"FAKE_{status}"
    )
    if isinstance(caught.value, PerfectGymUnavailable):
        assert caught.value.maybe_processed is (status >= 500 or status == 409)
        assert caught.value.retry_after is None
    assert fake.created == []


async def test_400_vendor_error_body_is_parsed_and_message_kept_out_of_str(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    body = {
        "errorMessage": f"Customer {EMAIL} is invalid",
        "errorCode": "lead.email.invalid",
        "reference": "leadCustomer.email",
        "traceId": "6f1c2e",
        "args": [{"x": 1}],
        "typedArgs": [{"value": "y", "type": "STRING"}],
    }
    fake.fail_next("create", 400, json.dumps(body))
    with pytest.raises(PerfectGymRejected) as caught:
        await client.create(full_lead())
    error = caught.value.error
    assert error is not None
    assert (error.error_message, error.error_code, error.reference, error.trace_id) == (
        f"Customer {EMAIL} is invalid",
        "lead.email.invalid",
        "leadCustomer.email",
        "6f1c2e",
    )
    text = str(caught.value)
    for part in ("POST /v1/leads/create", "HTTP 400", "lead.email.invalid", "leadCustomer.email"):
        assert part in text
    assert EMAIL not in text
    assert EMAIL not in repr(caught.value)


async def test_error_body_that_is_not_json_leaves_error_none(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.fail_next("config", 503, "<html>Service Unavailable</html>")
    with pytest.raises(PerfectGymUnavailable) as caught:
        await client.get_config()
    assert (caught.value.status, caught.value.error) == (503, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        ("-3", None),
    ],
)
async def test_retry_after_header(
    fake: FakePerfectGym, client: PerfectGymClient, header: str, expected: float | None
) -> None:
    fake.fail_next("create", 429, headers={"Retry-After": header})
    with pytest.raises(PerfectGymUnavailable) as caught:
        await client.create(full_lead())
    assert caught.value.retry_after == expected
    assert caught.value.maybe_processed is False


async def test_redirect_is_not_followed(fake: FakePerfectGym, client: PerfectGymClient) -> None:
    fake.fail_next("config", 302, b"", headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(PerfectGymError) as caught:
        await client.get_config()
    assert type(caught.value) is PerfectGymError
    assert caught.value.status == 302


async def test_real_401_from_wrong_key(fake: FakePerfectGym) -> None:
    async with PerfectGymClient(fake.url, WRONG_KEY) as pg:
        with pytest.raises(PerfectGymAuthError) as caught:
            await pg.validate(full_lead())
    assert caught.value.status == 401
    assert caught.value.error is not None
    assert caught.value.error.error_code == "UNAUTHORIZED"


async def test_timeout_is_unavailable_and_maybe_processed(fake: FakePerfectGym) -> None:
    fake.hang_next("create", 60)
    async with PerfectGymClient(fake.url, API_KEY, timeout=0.2) as pg:
        with pytest.raises(PerfectGymUnavailable) as caught:
            await pg.create(full_lead())
    assert caught.value.status is None
    assert "ReadTimeout" in str(caught.value)
    assert caught.value.maybe_processed is True


async def test_connection_refused_then_recovery_on_same_port(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    await client.get_config()
    url = fake.url
    await fake.go_down()
    with pytest.raises(PerfectGymUnavailable) as caught:
        await client.get_config()
    assert caught.value.status is None
    assert caught.value.maybe_processed is False
    assert "ConnectError" in str(caught.value)
    await fake.come_up()
    assert fake.url == url
    await client.get_config()
    assert fake.calls["config"] == 2


async def test_server_going_down_mid_request(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.hang_next("create", 60)
    pending = asyncio.create_task(client.create(full_lead()))
    await until(lambda: fake.calls["create"] == 1)
    await fake.go_down()
    with pytest.raises(PerfectGymUnavailable) as caught:
        await pending
    assert caught.value.maybe_processed is True


@pytest.mark.parametrize("hang_up", [False, True])
async def test_create_succeeded_but_answer_lost(
    fake: FakePerfectGym, client: PerfectGymClient, hang_up: bool
) -> None:
    fake.create_then_fail(hang_up=hang_up)
    with pytest.raises(PerfectGymUnavailable) as caught:
        await client.create(full_lead())
    assert caught.value.maybe_processed is True
    assert caught.value.status == (None if hang_up else 500)
    assert len(fake.created) == 1
    assert await client.validate(full_lead()) is ValidationStatus.DUPLICATE_CUSTOMER


@pytest.mark.parametrize(
    ("endpoint", "body", "message"),
    [
        ("config", b'{"addressMode": "INACTIVE",', "not valid JSON"),
        ("config", b"", "not valid JSON"),
        ("validate", b"<html>OK</html>", "not valid JSON"),
        ("create", b'{"id": 1, "uuid": "x"', "not valid JSON"),
        ("config", b'{"addressMode": "OPTIONAL"}', "does not match the schema"),
        ("config", b"[]", "does not match the schema"),
        ("validate", b"{}", "does not match the schema"),
        ("create", b'{"id": "1-4139-VALUE", "uuid": "u"}', "does not match the schema"),
    ],
)
async def test_bad_2xx_body_is_protocol_error(
    fake: FakePerfectGym, client: PerfectGymClient, endpoint: str, body: bytes, message: str
) -> None:
    fake.fail_next(endpoint, 200, body)
    with pytest.raises(PerfectGymProtocolError) as caught:
        await call(client, endpoint)
    assert message in str(caught.value)
    assert "1-4139-VALUE" not in str(caught.value)
    assert caught.value.status == 200


async def test_secrets_and_personal_data_stay_out_of_logs_and_errors(
    fake: FakePerfectGym, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[PerfectGymError] = []
    async with PerfectGymClient(fake.url, API_KEY, timeout=0.3) as pg:
        assert API_KEY not in repr(pg)
        await pg.get_config()
        await pg.validate(full_lead())
        await pg.create(full_lead())
        fake.fail_next("create", 400, json.dumps({"errorMessage": f"{EMAIL} / {API_KEY}"}))
        fake.hang_next("validate", 60)
        fake.fail_next("config", 500)
        for attempt in (pg.create(full_lead()), pg.validate(full_lead()), pg.get_config()):
            with pytest.raises(PerfectGymError) as caught:
                await attempt
            errors.append(caught.value)
    async with PerfectGymClient(fake.url, WRONG_KEY) as wrong:
        with pytest.raises(PerfectGymAuthError) as denied:
            await wrong.get_config()
        errors.append(denied.value)
    await fake.go_down()
    async with PerfectGymClient(fake.url, API_KEY) as pg:
        with pytest.raises(PerfectGymUnavailable) as refused:
            await pg.get_config()
        errors.append(refused.value)

    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert any(r.name == "httpx" for r in caplog.records)
    ours = [r.getMessage() for r in caplog.records if r.name == "bot.perfectgym.client"]
    assert [re.sub(r" in \d+ ms$", "", line) for line in ours] == [
        "GET /v1/leads/config -> 200",
        "POST /v1/leads/validate -> 200",
        "POST /v1/leads/create -> 200",
        "POST /v1/leads/create -> 400",
        "POST /v1/leads/validate -> ReadTimeout",
        "GET /v1/leads/config -> 500",
        "GET /v1/leads/config -> 401",
        "GET /v1/leads/config -> ConnectError",
    ]
    personal = ("Max", "Mustermann", EMAIL, "+4915112345678", "1990-05-07", "Am Bahnhof")
    for secret in (API_KEY, WRONG_KEY, *personal):
        assert secret not in caplog.text
        for error in errors:
            assert secret not in str(error)
            assert secret not in repr(error)


# --- the stand-in's rules -----------------------------------------------------------------


async def test_duplicate_email_is_case_insensitive(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    await client.create(full_lead("Max@Example.com"))
    assert (
        await client.validate(full_lead("mAX@example.COM")) is ValidationStatus.DUPLICATE_CUSTOMER
    )
    with pytest.raises(PerfectGymRejected) as caught:
        await client.create(full_lead("max@example.com"))
    assert caught.value.status == 400
    assert caught.value.error is not None
    assert (caught.value.error.error_code, caught.value.error.reference) == (
        "DUPLICATE_CUSTOMER",
        "leadCustomer.email",
    )
    assert len(fake.created) == 1


LEAD = full_lead()
INVALID_LEADS = {
    "telephone missing": with_customer(LEAD, telephone=None),
    "telephone blank": with_customer(LEAD, telephone="  "),
    "birth date missing": with_customer(LEAD, date_of_birth=None),
    "address missing": LEAD.model_copy(update={"address": None}),
    "mandatory list missing": with_extra(LEAD, 7001),
    "mandatory boolean missing": with_extra(LEAD, 7006),
    "inactive field sent": with_extra(LEAD, 7007, value="5"),
    "unknown field": with_extra(LEAD, 9999, value="x"),
    "list value not offered": with_extra(LEAD, 7001, value="Radio"),
    "multi value on single list": with_extra(LEAD, 7001, values=["Friends", "Flyer"]),
    "multi value not offered": with_extra(LEAD, 7002, values=["Lose weight", "Yoga"]),
    "numeric not integer": with_extra(LEAD, 7004, value="3.5"),
    "boolean not true/false": with_extra(LEAD, 7006, value="yes"),
    "date not ISO": with_extra(LEAD, 7003, value="01.02.2026"),
    "locked channel overridden": LEAD.model_copy(
        update={
            "communication_preferences": [
                LeadCommunicationPreference(
                    message_category="CONTRACT",
                    channels=[LeadChannelChoice(communication_channel="EMAIL", active=False)],
                )
            ]
        }
    ),
    "unknown category": LEAD.model_copy(
        update={
            "communication_preferences": [LeadCommunicationPreference(message_category="GENERAL")]
        }
    ),
    "unknown channel": LEAD.model_copy(
        update={
            "communication_preferences": [
                LeadCommunicationPreference(
                    message_category="NEWSLETTER",
                    channels=[LeadChannelChoice(communication_channel="FAX", active=True)],
                )
            ]
        }
    ),
}


@pytest.mark.parametrize("lead", list(INVALID_LEADS.values()), ids=list(INVALID_LEADS))
async def test_invalid_lead_data(
    fake: FakePerfectGym, client: PerfectGymClient, lead: LeadCreationRequest
) -> None:
    assert await client.validate(lead) is ValidationStatus.INVALID_LEAD_DATA
    with pytest.raises(PerfectGymRejected) as caught:
        await client.create(lead)
    assert caught.value.status == 400
    assert caught.value.error is not None
    assert caught.value.error.error_code == "INVALID_LEAD_DATA"
    assert caught.value.error.reference
    assert fake.created == []


VALID_VARIANTS = {
    "optional gender left out": with_customer(LEAD, gender=None),
    "optional extras left out": LEAD.model_copy(
        update={
            "additional_information": LEAD.additional_information[:1]
            + LEAD.additional_information[5:]
        }
    ),
    "categories not all sent back": LEAD.model_copy(
        update={"communication_preferences": LEAD.communication_preferences[:1]}
    ),
    "negative number": with_extra(LEAD, 7004, value="-2"),
}


@pytest.mark.parametrize("lead", list(VALID_VARIANTS.values()), ids=list(VALID_VARIANTS))
async def test_valid_variants(client: PerfectGymClient, lead: LeadCreationRequest) -> None:
    assert await client.validate(lead) is ValidationStatus.POSSIBLE


async def test_all_inactive_config_refuses_inactive_fields(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.set_config(ALL_INACTIVE)
    assert await client.validate(minimal_lead()) is ValidationStatus.POSSIBLE
    for lead in (
        with_customer(minimal_lead(), telephone="+4915112345678"),
        with_customer(minimal_lead(), gender="FEMALE"),
        full_lead(),
    ):
        assert await client.validate(lead) is ValidationStatus.INVALID_LEAD_DATA


async def test_request_schema_violation_is_400_on_both_endpoints(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    lead = with_customer(full_lead(), gender="OTHER")
    for attempt in (client.validate(lead), client.create(lead)):
        with pytest.raises(PerfectGymRejected) as caught:
            await attempt
        assert caught.value.error is not None
        assert (caught.value.error.error_code, caught.value.error.reference) == (
            "INVALID_REQUEST",
            "leadCustomer.gender",
        )


@pytest.fixture
async def raw(fake: FakePerfectGym) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url, headers={"X-API-KEY": API_KEY}) as http:
        yield http


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b"{}", "leadCustomer"),
        (b'{"leadCustomer": {"firstname": "A", "lastname": "B"}}', "leadCustomer.email"),
        (
            b'{"leadCustomer": {"firstname": "A", "lastname": "B", "email": "e@x.io",'
            b' "dateOfBirth": "1990-13-01"}}',
            "leadCustomer.dateOfBirth",
        ),
        (
            b'{"leadCustomer": {"firstname": "A", "lastname": "B", "email": "e@x.io"},'
            b' "address": {"street": "S", "houseNumber": "1", "zipCode": "1", "city": "C"}}',
            "address.countryCode",
        ),
        (
            b'{"leadCustomer": {"firstname": "A", "lastname": "B", "email": "e@x.io"},'
            b' "additionalInformation": [{"additionalFieldId": "7001"}]}',
            "additionalInformation[0].additionalFieldId",
        ),
    ],
)
async def test_stand_in_malformed_body(
    fake: FakePerfectGym, raw: httpx.AsyncClient, body: bytes, reference: str | None
) -> None:
    fake.set_config(ALL_INACTIVE)
    response = await raw.post(
        "/v1/leads/validate", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()
    assert error["errorCode"] == "INVALID_REQUEST"
    assert error["errorMessage"]
    assert error.get("reference") == reference


async def test_stand_in_treats_json_nulls_as_absent(
    fake: FakePerfectGym, raw: httpx.AsyncClient
) -> None:
    fake.set_config(ALL_INACTIVE)
    body = {
        "leadCustomer": {"firstname": "A", "lastname": "B", "email": "e@x.io", "telephone": None},
        "address": None,
        "additionalInformation": None,
    }
    response = await raw.post("/v1/leads/validate", json=body)
    assert response.json() == {"status": "POSSIBLE"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/v1/leads/config", {"X-API-KEY": ""}, 401),
        ("GET", "/v1/leads/config", {"X-API-KEY": WRONG_KEY}, 401),
        ("GET", "/v1/leads/unknown", {}, 404),
        ("GET", "/v1/leads/create", {}, 405),
        ("POST", "/v1/leads/create", {"Content-Type": "text/plain"}, 415),
    ],
)
async def test_stand_in_refusals(
    fake: FakePerfectGym,
    raw: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await raw.request(method, path, headers=headers, content=json.dumps(FULL_LEAD_JSON))
    assert response.status_code == status
    assert set(response.json()) == {"errorMessage", "errorCode"}
    assert API_KEY not in response.text
    assert fake.created == []


async def test_stand_in_counts_calls_per_endpoint(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    await client.get_config()
    await client.validate(full_lead())
    await client.validate(full_lead())
    await client.create(full_lead())
    assert fake.calls == {"config": 1, "validate": 2, "create": 1}


def test_sample_config_is_the_everything_config() -> None:
    config = sample_config()
    modes = [config[k] for k in ("addressMode", "dateOfBirthMode", "genderMode", "telephoneMode")]
    assert "INACTIVE" not in modes
    types = {f["type"] for f in config["additionalInformation"]}
    assert types == {"LIST", "DATE", "NUMERIC", "TEXT", "BOOLEAN"}


def test_studio_information_reads_the_vendors_documented_example() -> None:
    """``StudioInformation`` as the vendor documents it (every property but two optional)."""
    example = {
        "name": "Example studio",
        "description": "Example studio description",
        "country": "Germany",
        "countryCode": "DE",
        "studioId": 123,
        "openingDate": "2025-06-11",
        "email": "operator@example.com",
        "logoUrl": "https://example.com",
        "telephone": "0831/6901234-10",
        "website": "https://example.com",
        "zip": "84439",
        "city": "Berlin",
        "accessCodeConfiguration": {"enabled": True},
        "location": {"longitude": 9.993682, "latitude": 53.551086},
        "studioTags": [{"name": "tag123"}],
    }
    info = StudioInformation.model_validate(example)
    assert (info.name, info.country_code, info.email) == (
        "Example studio",
        "DE",
        "operator@example.com",
    )
    assert info.telephone == "0831/6901234-10"
    bare = StudioInformation.model_validate(
        {"studioId": 1, "name": "  ", "accessCodeConfiguration": {}}
    )
    assert bare.name is None  # a blank name is no name
    assert bare.country_code is None
