"""The trial-offer vendor layer: client, stand-in studio and fake over real loopback HTTP.

Covers each of the twelve client methods, paging, both date-time forms, the error mapping, the
studio's statuses (waiting list, full, confirmation, expiry, slot taken, refused, already
booked) and a contract test holding every body sent and every answer given to
``tests/data/trial-offers-schemas.json`` (transcribed from the vendor notes).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator

from bot.perfectgym import trial_models as trials
from bot.perfectgym.budget import RateBudget
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.errors import (
    PerfectGymAuthError,
    PerfectGymError,
    PerfectGymProtocolError,
    PerfectGymRejected,
    PerfectGymUnavailable,
)
from bot.perfectgym.models import LeadCreationRequest, LeadCustomer
from bot.perfectgym.trial_models import (
    ApiDateTimeError,
    AppointmentBookingRequest,
    AppointmentBookingStatus,
    AppointmentBookingValidationStatus,
    ClassBookingStatus,
    ClassBookingValidationStatus,
    ClassSlot,
    ClassSlotBookingRequest,
    ConfirmationStatus,
    Term,
    TrialLeadData,
    TrialLeadRequest,
    TrialLeadValidationStatus,
    parse_api_datetime,
)
from bot.perfectgym.wire import LeadLanguage
from bot.standin.trials import CLASS_PLANS, TRIAL_ROUTES, ClassPlan, TrialStudio
from tests.fake_perfectgym import FakePerfectGym
from tests.fuzzing import examples

API_KEY = "pgk-7Qm2x9LrT4vW8cZ1"
ALL_INACTIVE = {
    "addressMode": "INACTIVE",
    "dateOfBirthMode": "INACTIVE",
    "genderMode": "INACTIVE",
    "telephoneMode": "INACTIVE",
}
BERLIN = ZoneInfo("Europe/Berlin")
YOGA, HIIT, COACH = 1101, 1102, 3001
SCHEMAS = Path(__file__).parent / "data" / "trial-offers-schemas.json"


@pytest.fixture
async def fake() -> AsyncIterator[FakePerfectGym]:
    """The fake, and afterwards every trial request and every unscripted answer of the test
    held to the transcribed schemas."""
    async with FakePerfectGym(ALL_INACTIVE, API_KEY) as server:
        yield server
    assert_contract(server)


@pytest.fixture
async def client(fake: FakePerfectGym) -> AsyncIterator[PerfectGymClient]:
    # No pause after a 429 without Retry-After: the error-mapping test calls again right after
    # one. That pause is tested in test_rate_budget.py.
    budget = RateBudget(pause_without_retry_after=0.0)
    async with PerfectGymClient(fake.url, API_KEY, timeout=5.0, budget=budget) as pg:
        yield pg


async def new_customer(client: PerfectGymClient, email: str = "max@example.com") -> int:
    """A prospect made the way the bot makes them: /v1/leads/create, then its customerId."""
    created = await client.create(
        LeadCreationRequest(
            lead_customer=LeadCustomer(firstname="Max", lastname="Muster", email=email)
        )
    )
    assert created.customer_id is not None
    return created.customer_id


def soon() -> datetime.datetime:
    """Later than any slot still bookable now (bookings close an hour before the start)."""
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)


async def yoga_slots(client: PerfectGymClient) -> list[ClassSlot]:
    page = await client.class_slots(YOGA, slice_size=100)
    assert not page.has_next
    return [slot for slot in page.result if slot.start_date_time and slot.start_date_time > soon()]


def open_slot(slots: list[ClassSlot]) -> ClassSlot:
    return next(slot for slot in slots if slot.free_places)


async def tomorrows_appointments(client: PerfectGymClient) -> list[trials.BookableAppointmentSlot]:
    """Appointment slots a day or more ahead (Sunday is closed, so look two days)."""
    start = datetime.datetime.now(BERLIN).date() + datetime.timedelta(days=1)
    slots = await client.appointment_slots(COACH, start, days_ahead=2)
    assert slots
    return slots


# --- date-times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "utc"),
    [
        ("2026-12-02T18:30:00+01:00[Europe/Berlin]", "Europe/Berlin", "2026-12-02T17:30:00"),
        ("2026-12-02T18:30:00.000+01:00[Europe/Berlin]", "Europe/Berlin", "2026-12-02T17:30:00"),
        ("2026-06-22T08:00:00.000+02:00[Europe/Berlin]", "Europe/Berlin", "2026-06-22T06:00:00"),
        ("2026-12-02T18:30+01:00[Europe/Berlin]", "Europe/Berlin", "2026-12-02T17:30:00"),
        ("2026-12-02T18:30:00+01:00", None, "2026-12-02T17:30:00"),
        ("2026-12-02T18:30:00.250+01:00", None, "2026-12-02T17:30:00.250000"),
        ("2026-12-02T17:30:00Z", None, "2026-12-02T17:30:00"),
        ("2026-12-02T17:30:00.123456789Z", None, "2026-12-02T17:30:00.123456"),
        ("2026-12-02T12:30:00-05:00[America/New_York]", "America/New_York", "2026-12-02T17:30:00"),
    ],
)
def test_both_date_time_forms_are_read(text: str, zone: str | None, utc: str) -> None:
    moment = parse_api_datetime(text)
    assert moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat() == utc
    if zone is None:
        assert not isinstance(moment.tzinfo, ZoneInfo)
    else:
        assert moment.tzinfo == ZoneInfo(zone)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02T18:30:00+02:00[Europe/Berlin]",  # Berlin is +01:00 in December
        "2026-12-02T18:30:00+01:00[Mars/Olympus_Mons]",
        "2026-12-02T18:30:00+01:00[../../etc/passwd]",
    ],
)
def test_a_wrong_or_unknown_zone_falls_back_to_the_offset(text: str) -> None:
    moment = parse_api_datetime(text)
    offset = datetime.timedelta(hours=int(text[20:22]))
    assert moment.tzinfo == datetime.timezone(offset)
    assert moment.replace(tzinfo=None) == datetime.datetime(2026, 12, 2, 18, 30)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02T18:30:00",
        "2026-12-02T18:30:00[Europe/Berlin]",
        "2026-12-02",
        "18:30",
        "",
        "2026-02-30T18:30:00+01:00",
        "2026-12-02T18:30:00+25:00",
        "2026-12-02 18:30:00+01:00",
    ],
)
def test_no_offset_is_an_error_never_a_guess(text: str) -> None:
    with pytest.raises(ApiDateTimeError):
        parse_api_datetime(text)


ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
]


@settings(max_examples=examples(200), deadline=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(1990, 1, 1),
        max_value=datetime.datetime(2090, 12, 31),
        timezones=st.sampled_from([ZoneInfo(zone) for zone in ZONES]),
    ),
    st.sampled_from(["milliseconds", "seconds", "microseconds"]),
)
def test_any_moment_written_either_way_reads_back(moment: datetime.datetime, timespec: str) -> None:
    """DST gaps and folds included: the offset decides the instant, the zone only the display."""
    zone = moment.tzinfo
    assert isinstance(zone, ZoneInfo)
    moment = moment.astimezone(datetime.UTC).astimezone(zone)  # a real wall time
    kept = {"seconds": 1_000_000, "milliseconds": 1000, "microseconds": 1}[timespec]
    moment = moment.replace(microsecond=moment.microsecond // kept * kept)
    text = moment.isoformat(timespec=timespec)
    zoned = parse_api_datetime(f"{text}[{zone.key}]")
    plain = parse_api_datetime(text)
    for read in (zoned, plain):
        assert read.astimezone(datetime.UTC) == moment.astimezone(datetime.UTC)
        assert read.utcoffset() == moment.utcoffset()
    assert zoned.tzinfo == zone
    assert (zoned.hour, zoned.minute) == (moment.hour, moment.minute)


def test_terms_add_elapsed_time_or_calendar_steps() -> None:
    spring = datetime.datetime(2026, 3, 29, 1, 45, tzinfo=BERLIN)  # 02:00 becomes 03:00
    assert Term(value=30, unit="MINUTES").after(spring) == datetime.datetime(
        2026, 3, 29, 3, 15, tzinfo=BERLIN
    )
    assert Term(value=1, unit="DAY").after(spring) == datetime.datetime(
        2026, 3, 30, 1, 45, tzinfo=BERLIN
    )
    month_end = datetime.datetime(2026, 1, 31, 12, tzinfo=BERLIN)
    assert Term(value=1, unit="MONTH").after(month_end) == datetime.datetime(
        2026, 2, 28, 12, tzinfo=BERLIN
    )
    assert Term(value=1, unit="FORTNIGHT").after(month_end) is None


# --- offers and configs --------------------------------------------------------------------------


async def test_offers_list_two_classes_and_one_appointment_with_their_configs(
    client: PerfectGymClient,
) -> None:
    classes = [offer async for offer in client.all_class_offers()]
    appointments = [offer async for offer in client.all_appointment_offers()]
    assert [o.trial_offer_class.title for o in classes] == ["Yoga Flow", "HIIT Express"]
    assert [o.trial_offer_bookable_appointment.id for o in appointments] == [COACH]
    config_ids = [o.trial_offer_config_id for o in classes] + [
        o.trial_offer_config_id for o in appointments
    ]
    configs = {config_id: await client.trial_config(config_id) for config_id in config_ids}
    listed = {config_id for config_id, config in configs.items() if config.allow_booking_for_leads}
    assert listed == {1, 2}  # HIIT's config 3 is not for leads
    assert configs[2].confirmation_of_booking_term == Term(value=30, unit="MINUTES")
    assert configs[1].confirmation_of_booking_term is None
    assert configs[1].lead_data_config.telephone_mode == "OPTIONAL"
    with pytest.raises(PerfectGymRejected) as unknown:
        await client.trial_config(999)
    assert unknown.value.status == 404


def _many_classes(count: int) -> tuple[ClassPlan, ...]:
    yoga = CLASS_PLANS[0]
    return CLASS_PLANS + tuple(
        ClassPlan(
            offer_id=9100 + n,
            config_id=1,
            klass={**yoga.klass, "id": 1200 + n, "title": f"Kurs {n}"},
            times=((n % 7, 12, 0),),
            location_id=201,
            instructor_id=103,
            max_participants=10,
            max_waiting_list=0,
        )
        for n in range(count)
    )


async def test_offers_page_by_last_id_until_has_next_is_false() -> None:
    studio = TrialStudio(class_plans=_many_classes(23))
    async with (
        FakePerfectGym(ALL_INACTIVE, API_KEY, trials=studio) as fake,
        PerfectGymClient(fake.url, API_KEY) as client,
    ):
        first = await client.class_offers(slice_size=10)
        assert len(first.result) == 10
        assert first.has_next
        assert first.offset == str(first.result[-1].id)
        second = await client.class_offers(first.offset, slice_size=10)
        assert second.result[0].id is not None
        assert first.result[-1].id is not None
        assert second.result[0].id > first.result[-1].id
        everything = [offer async for offer in client.all_class_offers(slice_size=10)]
        assert len(everything) == 25
        assert len({offer.trial_offer_class.id for offer in everything}) == 25
        assert fake.calls["class_offers"] == 2 + 3
        assert_contract(fake)
        sent = [query for endpoint, query in fake.queries if endpoint == "class_offers"]
        assert sent[-3:] == [
            {"offset": "0", "sliceSize": "10"},
            {"offset": first.offset, "sliceSize": "10"},
            {"offset": second.offset, "sliceSize": "10"},
        ]


async def test_a_slice_that_does_not_move_on_is_a_protocol_error(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    stuck = json.dumps({"result": [], "hasNext": True, "offset": "0"})
    fake.fail_next("appointment_offers", 200, stuck)
    with pytest.raises(PerfectGymProtocolError):
        _ = [offer async for offer in client.all_appointment_offers()]


async def test_sizes_outside_the_api_bounds_are_refused_before_any_call(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    for call in (
        client.class_offers(slice_size=9),
        client.appointment_offers(slice_size=101),
        client.class_slots(YOGA, slice_size=5),
        client.appointment_slots(COACH, datetime.date.today(), days_ahead=0),
        client.appointment_slots(COACH, datetime.date.today(), days_ahead=7),
    ):
        with pytest.raises(ValueError, match=r"must be (10\.\.100|1\.\.6)"):
            await call
    assert not fake.calls


@pytest.mark.parametrize(
    ("path", "reference"),
    [
        ("/v1/trial-offers/bookable-trial-offers/classes?sliceSize=9", "sliceSize"),
        ("/v1/trial-offers/bookable-trial-offers/classes?sliceSize=101", "sliceSize"),
        ("/v1/trial-offers/bookable-trial-offers/appointments/bookable?offset=x", "offset"),
        (f"/v1/trial-offers/bookable-trial-offers/classes/{YOGA}/slots?sliceSize=0", "sliceSize"),
        (
            f"/v1/trial-offers/bookable-trial-offers/appointments/bookable/{COACH}/slots?daysAhead=7",
            "daysAhead",
        ),
        (
            f"/v1/trial-offers/bookable-trial-offers/appointments/bookable/{COACH}/slots"
            "?slotWindowStartDate=tomorrow",
            "slotWindowStartDate",
        ),
        ("/v1/trial-offers/config/abc", "configId"),
    ],
)
async def test_the_stand_in_refuses_parameters_out_of_the_spec(
    fake: FakePerfectGym, path: str, reference: str
) -> None:
    async with httpx.AsyncClient(base_url=fake.url, headers={"X-API-KEY": API_KEY}) as raw:
        response = await raw.get(path)
    assert response.status_code == 400
    assert response.json()["reference"] == reference


# --- slots ---------------------------------------------------------------------------------------


async def test_class_slots_come_in_the_studio_zone_with_their_counters(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    page = await client.class_slots(YOGA)
    assert page.result
    assert not page.has_next
    now = datetime.datetime.now(datetime.UTC)
    for slot in page.result:
        assert slot.start_date_time is not None
        assert slot.end_date_time is not None
        assert slot.start_date_time.tzinfo == BERLIN
        assert slot.start_date_time.strftime("%H:%M") in {"18:30", "10:00"}
        assert slot.end_date_time - slot.start_date_time == datetime.timedelta(minutes=60)
        assert now - datetime.timedelta(days=1) <= slot.start_date_time
        assert slot.start_date_time <= now + datetime.timedelta(days=14)
        assert slot.location is not None
        assert slot.location.name == "Kursraum 1"
        assert [i.last_name for i in slot.instructors] == ["Schulz"]
        assert slot.latest_booking_date_time is not None
    [answer] = [body for endpoint, _, body in fake.responses if endpoint == "class_slots"]
    raw = json.loads(answer)["result"][0]["startDateTime"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000\+0[12]:00\[Europe/Berlin\]", raw)
    full = [s for s in page.result if s.free_places == 0]
    assert [s.waiting_list_participants for s in full] == [1, 3]  # room left, none left


async def test_class_slots_page_too() -> None:
    busy = _many_classes(0)[0]
    daily = ClassPlan(
        offer_id=9200,
        config_id=1,
        klass={**busy.klass, "id": 1300, "title": "Spinning"},
        times=tuple((day, hour, 0) for day in range(7) for hour in (7, 12, 18)),
        location_id=202,
        instructor_id=102,
        max_participants=20,
        max_waiting_list=5,
    )
    async with (
        FakePerfectGym(ALL_INACTIVE, API_KEY, trials=TrialStudio(class_plans=(daily,))) as fake,
        PerfectGymClient(fake.url, API_KEY) as client,
    ):
        seen: list[int] = []
        offset = "0"
        while True:
            page = await client.class_slots(1300, offset, slice_size=10)
            seen += [slot.id for slot in page.result]
            if not page.has_next:
                break
            offset = page.offset
        assert len(seen) == len(set(seen)) >= 40
        assert seen == sorted(seen)
        assert fake.calls["class_slots"] == -(-len(seen) // 10)
        assert_contract(fake)


async def test_appointment_slots_come_in_windows_of_up_to_six_days_with_plain_offsets(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    customer = await new_customer(client)
    start = datetime.datetime.now(BERLIN).date() + datetime.timedelta(days=1)
    first = await client.appointment_slots(COACH, start, days_ahead=6, customer_id=customer)
    second = await client.appointment_slots(COACH, start + datetime.timedelta(days=6), days_ahead=6)
    one_day = await client.appointment_slots(COACH, start, days_ahead=1)
    for slots, days in ((first, range(6)), (second, range(6, 12))):
        window = [start + datetime.timedelta(days=d) for d in days]
        dates = {slot.start_date_time.at.date() for slot in slots if slot.start_date_time}
        assert dates == {date for date in window if date.weekday() != 6}  # closed on Sundays
    assert one_day == [
        s for s in first if s.start_date_time and s.start_date_time.at.date() == start
    ]
    slot = first[0]
    assert slot.start_date_time is not None
    assert slot.end_date_time is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00\+0[12]:00", slot.start_date_time.text)
    assert not isinstance(slot.start_date_time.at.tzinfo, ZoneInfo)
    assert slot.start_date_time.at.astimezone(BERLIN).hour in range(9, 20)
    assert slot.instructors
    assert slot.instructors[0].public_name
    queries = [query for endpoint, query in fake.queries if endpoint == "appointment_slots"]
    assert queries[0] == {
        "slotWindowStartDate": start.isoformat(),
        "daysAhead": "6",
        "customerId": str(customer),
    }
    with pytest.raises(PerfectGymRejected) as unknown:
        await client.appointment_slots(COACH, start, customer_id=424242)
    assert unknown.value.status == 404


# --- booking classes -----------------------------------------------------------------------------


async def test_a_class_books_once_and_then_is_already_booked(client: PerfectGymClient) -> None:
    customer = await new_customer(client)
    slot = open_slot(await yoga_slots(client))
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    assert await client.validate_class_booking(request) is ClassBookingValidationStatus.AVAILABLE
    booked = await client.book_class(request)
    assert booked.booking_status is ClassBookingStatus.BOOKED
    assert (booked.class_slot_id, booked.class_id, booked.customer_id) == (slot.id, YOGA, customer)
    assert booked.participant_status == "PARTICIPATING"
    again = await client.validate_class_booking(request)
    assert again is ClassBookingValidationStatus.CUSTOMER_ALREADY_BOOKED
    with pytest.raises(PerfectGymRejected) as twice:
        await client.book_class(request)
    assert twice.value.error is not None
    assert twice.value.error.error_code == "CUSTOMER_ALREADY_BOOKED"
    after = next(s for s in (await client.class_slots(YOGA)).result if s.id == slot.id)
    assert after.booked_participants == (slot.booked_participants or 0) + 1


async def test_a_full_class_with_room_on_the_waiting_list_books_as_waiting_list(
    client: PerfectGymClient,
) -> None:
    customer = await new_customer(client)
    slot = next(s for s in await yoga_slots(client) if s.free_places == 0)
    assert (slot.waiting_list_participants or 0) < (slot.max_waiting_list_participants or 0)
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    assert await client.validate_class_booking(request) is ClassBookingValidationStatus.AVAILABLE
    booked = await client.book_class(request)
    assert booked.booking_status is ClassBookingStatus.WAITING_LIST
    after = next(s for s in (await client.class_slots(YOGA)).result if s.id == slot.id)
    assert after.waiting_list_participants == (slot.waiting_list_participants or 0) + 1


async def test_a_class_full_with_its_waiting_list_is_refused(client: PerfectGymClient) -> None:
    customer = await new_customer(client)
    slot = next(
        s
        for s in await yoga_slots(client)
        if s.free_places == 0 and s.waiting_list_participants == s.max_waiting_list_participants
    )
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    status = await client.validate_class_booking(request)
    assert status is ClassBookingValidationStatus.BOOKING_LIMIT_REACHED
    with pytest.raises(PerfectGymRejected) as refused:  # booked without validating first
        await client.book_class(request)
    assert refused.value.status == 400
    assert refused.value.error is not None
    assert refused.value.error.error_code == "BOOKING_LIMIT_REACHED"


async def test_a_class_whose_config_is_not_for_leads_is_not_available(
    client: PerfectGymClient,
) -> None:
    customer = await new_customer(client)
    page = await client.class_slots(HIIT)
    slot = next(s for s in page.result if s.start_date_time and s.start_date_time > soon())
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    assert (
        await client.validate_class_booking(request) is ClassBookingValidationStatus.NOT_AVAILABLE
    )


@pytest.mark.parametrize("step", ["validate", "book"])
async def test_a_class_slot_taken_between_listing_and_booking(
    fake: FakePerfectGym, client: PerfectGymClient, step: str
) -> None:
    customer = await new_customer(client)
    slot = open_slot(await yoga_slots(client))
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    fake.take_slot_before(step)
    if step == "validate":
        status = await client.validate_class_booking(request)
        assert status is ClassBookingValidationStatus.BOOKING_LIMIT_REACHED
    else:
        assert (
            await client.validate_class_booking(request) is ClassBookingValidationStatus.AVAILABLE
        )
        with pytest.raises(PerfectGymRejected) as taken:
            await client.book_class(request)
        assert taken.value.error is not None
        assert taken.value.error.error_code == "BOOKING_LIMIT_REACHED"
    after = next(s for s in (await client.class_slots(YOGA)).result if s.id == slot.id)
    assert after.free_places == 0


async def test_a_lost_booking_answer_is_told_by_validating_again(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    customer = await new_customer(client)
    slot = open_slot(await yoga_slots(client))
    request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    fake.book_then_fail(hang_up=True)
    with pytest.raises(PerfectGymUnavailable) as lost:
        await client.book_class(request)
    assert lost.value.maybe_processed
    status = await client.validate_class_booking(request)
    assert status is ClassBookingValidationStatus.CUSTOMER_ALREADY_BOOKED


async def test_customer_ids_must_be_ones_the_studio_made(client: PerfectGymClient) -> None:
    slot = open_slot(await yoga_slots(client))
    with pytest.raises(PerfectGymRejected) as unknown:
        await client.validate_class_booking(
            ClassSlotBookingRequest(customer_id=5999, class_slot_id=slot.id)
        )
    assert unknown.value.status == 404
    customer = await new_customer(client)
    with pytest.raises(PerfectGymRejected) as no_slot:
        await client.book_class(ClassSlotBookingRequest(customer_id=customer, class_slot_id=1))
    assert no_slot.value.status == 404


# --- booking appointments ------------------------------------------------------------------------


async def test_an_appointment_needs_confirming_and_is_confirmed(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    customer = await new_customer(client)
    slot = (await tomorrows_appointments(client))[0]
    request = AppointmentBookingRequest.for_slot(customer, COACH, slot)
    status = await client.validate_appointment_booking(request)
    assert status is AppointmentBookingValidationStatus.AVAILABLE
    booked = await client.book_appointment(request)
    assert booked.booking_status is AppointmentBookingStatus.BOOKED_WITH_CONFIRMATION_REQUIRED
    assert slot.start_date_time is not None
    assert booked.start_date_time == slot.start_date_time.at
    assert [i.id for i in booked.instructors] == [i.id for i in slot.instructors]
    assert await client.confirm_booking(booked.booking_id) is ConfirmationStatus.CONFIRMED
    assert await client.confirm_booking(booked.booking_id) is ConfirmationStatus.CONFIRMED
    [listed] = [body for endpoint, _, body in fake.responses if endpoint == "appointment_slots"]
    given = json.loads(listed)[0]
    sent = [body for endpoint, body in fake.requests if endpoint.startswith("appointment_")]
    assert all(body["startDateTime"] == given["startDateTime"] for body in sent[1:])
    assert all(body["endDateTime"] == given["endDateTime"] for body in sent[1:])
    assert [body["instructorIds"] for body in sent[1:]] == [[slot.instructors[0].id]] * 2
    confirm = next(i for i, (endpoint, _) in enumerate(fake.requests) if endpoint == "confirm")
    assert fake.requests[confirm][1] == {}  # no body
    still = await tomorrows_appointments(client)
    assert slot.start_date_time not in {s.start_date_time for s in still}
    with pytest.raises(PerfectGymRejected) as unknown:
        await client.confirm_booking(123)
    assert unknown.value.status == 404


async def test_an_unconfirmed_appointment_expires_after_its_term(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    customer = await new_customer(client)
    slot = (await tomorrows_appointments(client))[0]
    booked = await client.book_appointment(
        AppointmentBookingRequest.for_slot(customer, COACH, slot)
    )
    fake.advance_clock(datetime.timedelta(minutes=31))
    assert await client.confirm_booking(booked.booking_id) is ConfirmationStatus.EXPIRED
    again = await tomorrows_appointments(client)
    assert slot.start_date_time in {s.start_date_time for s in again}  # free once more


async def test_a_class_config_with_a_confirmation_term_books_with_confirmation_required(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    fake.trials.configs[1]["confirmationOfBookingTerm"] = {"value": 2, "unit": "HOURS"}
    customer = await new_customer(client)
    slot = open_slot(await yoga_slots(client))
    booked = await client.book_class(
        ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    )
    assert booked.booking_status is ClassBookingStatus.BOOKED_WITH_CONFIRMATION_REQUIRED
    assert await client.confirm_booking(booked.booking_id) is ConfirmationStatus.CONFIRMED


async def test_a_booking_that_needs_no_confirmation_cannot_be_confirmed(
    client: PerfectGymClient,
) -> None:
    customer = await new_customer(client)
    slot = open_slot(await yoga_slots(client))
    booked = await client.book_class(
        ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
    )
    with pytest.raises(PerfectGymRejected) as refused:
        await client.confirm_booking(booked.booking_id)
    assert refused.value.status == 400


@pytest.mark.parametrize("step", ["validate", "book"])
async def test_an_appointment_taken_between_listing_and_booking(
    fake: FakePerfectGym, client: PerfectGymClient, step: str
) -> None:
    customer = await new_customer(client)
    slot = (await tomorrows_appointments(client))[0]
    request = AppointmentBookingRequest.for_slot(customer, COACH, slot)
    fake.take_slot_before(step)
    taken = AppointmentBookingValidationStatus.RESOURCE_NOT_AVAILABLE
    if step == "validate":
        assert await client.validate_appointment_booking(request) is taken
    else:
        status = await client.validate_appointment_booking(request)
        assert status is AppointmentBookingValidationStatus.AVAILABLE
        with pytest.raises(PerfectGymRejected) as refused:
            await client.book_appointment(request)
        assert refused.value.error is not None
        assert refused.value.error.error_code == taken.value
    assert slot.start_date_time not in {
        s.start_date_time for s in await tomorrows_appointments(client)
    }


async def test_the_contingent_allows_one_coached_trial(client: PerfectGymClient) -> None:
    customer = await new_customer(client)
    first, *others = await tomorrows_appointments(client)
    booked = await client.book_appointment(
        AppointmentBookingRequest.for_slot(customer, COACH, first)
    )
    assert await client.confirm_booking(booked.booking_id) is ConfirmationStatus.CONFIRMED
    same = AppointmentBookingRequest.for_slot(customer, COACH, first)
    assert (
        await client.validate_appointment_booking(same)
        is AppointmentBookingValidationStatus.CUSTOMER_IN_OTHER_BOOKING
    )
    other = AppointmentBookingRequest.for_slot(customer, COACH, others[-1])
    assert (
        await client.validate_appointment_booking(other)
        is AppointmentBookingValidationStatus.NO_CONTINGENT
    )


async def test_a_period_that_is_no_slot_does_not_match(client: PerfectGymClient) -> None:
    customer = await new_customer(client)
    slot = (await tomorrows_appointments(client))[0]
    assert slot.start_date_time is not None
    assert slot.end_date_time is not None
    start = slot.start_date_time.at
    half = (start + datetime.timedelta(minutes=30)).isoformat()
    for end, status in (
        (half, AppointmentBookingValidationStatus.PERIOD_DOES_NOT_MATCH),
        (
            start.isoformat(),
            AppointmentBookingValidationStatus.END_DATE_TIME_NOT_AFTER_START_DATE_TIME,
        ),
    ):
        request = AppointmentBookingRequest(
            customer_id=customer,
            bookable_appointment_id=COACH,
            start_date_time=slot.start_date_time.text,
            end_date_time=end,
        )
        assert await client.validate_appointment_booking(request) is status
    past = datetime.datetime.now(BERLIN) - datetime.timedelta(days=1)
    yesterday = AppointmentBookingRequest(
        customer_id=customer,
        bookable_appointment_id=COACH,
        start_date_time=past.isoformat(timespec="seconds"),
        end_date_time=(past + datetime.timedelta(hours=1)).isoformat(timespec="seconds"),
    )
    assert (
        await client.validate_appointment_booking(yesterday)
        is AppointmentBookingValidationStatus.PAST_START_DATE_TIME
    )


async def test_a_refused_customer_has_no_contingent(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    refused = await new_customer(client, "refused@example.com")
    welcome = await new_customer(client, "welcome@example.com")
    fake.refuse_customers(refused)
    slot = open_slot(await yoga_slots(client))
    appointment = (await tomorrows_appointments(client))[0]
    for customer, class_status, appointment_status in (
        (refused, "NO_CONTINGENT", "NO_CONTINGENT"),
        (welcome, "AVAILABLE", "AVAILABLE"),
    ):
        request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
        assert await client.validate_class_booking(request) == class_status
        by_coach = AppointmentBookingRequest.for_slot(customer, COACH, appointment)
        assert await client.validate_appointment_booking(by_coach) == appointment_status
    fake.refuse_customers()
    request = ClassSlotBookingRequest(customer_id=welcome, class_slot_id=slot.id)
    assert (
        await client.validate_class_booking(request) is ClassBookingValidationStatus.NO_CONTINGENT
    )


# --- trial-offer leads ---------------------------------------------------------------------------


async def test_a_trial_lead_is_validated_created_and_bookable(client: PerfectGymClient) -> None:
    lead = TrialLeadRequest(
        lead_customer_data=TrialLeadData(
            firstname="Erika",
            lastname="Musterfrau",
            email="erika@example.com",
            telephone="+4930123",
        ),
        trial_offer_config_id=1,
    )
    assert await client.validate_trial_lead(lead) is TrialLeadValidationStatus.POSSIBLE
    created = await client.create_trial_lead(lead)
    assert created.lead_customer_id is not None
    assert await client.validate_trial_lead(lead) is TrialLeadValidationStatus.DUPLICATE_CUSTOMER
    born = lead.model_copy(
        update={
            "lead_customer_data": lead.lead_customer_data.model_copy(
                update={"email": "other@example.com", "date_of_birth": datetime.date(1990, 1, 1)}
            )
        }
    )
    invalid = await client.validate_trial_lead(born)
    assert invalid is TrialLeadValidationStatus.INVALID_LEAD_CUSTOMER_DATA
    with pytest.raises(PerfectGymRejected):
        await client.create_trial_lead(born)
    slot = open_slot(await yoga_slots(client))
    request = ClassSlotBookingRequest(customer_id=created.lead_customer_id, class_slot_id=slot.id)
    assert (await client.book_class(request)).booking_status is ClassBookingStatus.BOOKED


# --- errors --------------------------------------------------------------------------------------


def _calls(client: PerfectGymClient) -> dict[str, Callable[[], Awaitable[object]]]:
    """One call per trial-offer endpoint, keyed by the fake's endpoint name."""
    class_request = ClassSlotBookingRequest(customer_id=5001, class_slot_id=20001)
    appointment = AppointmentBookingRequest(
        customer_id=5001,
        bookable_appointment_id=COACH,
        start_date_time="2030-01-07T10:00:00+01:00",
        end_date_time="2030-01-07T11:00:00+01:00",
    )
    lead = TrialLeadRequest(
        lead_customer_data=TrialLeadData(firstname="A", lastname="B", email="a@example.com"),
        trial_offer_config_id=1,
    )
    return {
        "class_offers": lambda: client.class_offers(),
        "appointment_offers": lambda: client.appointment_offers(),
        "trial_config": lambda: client.trial_config(1),
        "trial_lead_validate": lambda: client.validate_trial_lead(lead),
        "trial_lead_create": lambda: client.create_trial_lead(lead),
        "class_slots": lambda: client.class_slots(YOGA),
        "appointment_slots": lambda: client.appointment_slots(COACH, datetime.date.today()),
        "class_validate": lambda: client.validate_class_booking(class_request),
        "appointment_validate": lambda: client.validate_appointment_booking(appointment),
        "class_book": lambda: client.book_class(class_request),
        "appointment_book": lambda: client.book_appointment(appointment),
        "confirm": lambda: client.confirm_booking(70001),
    }


ENDPOINTS = sorted(endpoint for _, endpoint in TRIAL_ROUTES.values())
MAPPING: list[tuple[int, type[PerfectGymError], bool]] = [
    (429, PerfectGymUnavailable, False),
    (500, PerfectGymUnavailable, True),
    (503, PerfectGymUnavailable, True),
    (409, PerfectGymUnavailable, True),
    (401, PerfectGymAuthError, False),
    (403, PerfectGymAuthError, False),
    (400, PerfectGymRejected, False),
    (404, PerfectGymRejected, False),
]


def test_every_endpoint_has_a_call() -> None:
    assert sorted(_calls(PerfectGymClient("http://127.0.0.1:9", API_KEY))) == ENDPOINTS
    assert len(ENDPOINTS) == 12


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_errors_map_as_for_leads(
    fake: FakePerfectGym, client: PerfectGymClient, endpoint: str
) -> None:
    call = _calls(client)[endpoint]
    for status, error, maybe_processed in MAPPING:
        fake.fail_next(endpoint, status)
        with pytest.raises(error) as raised:
            await call()
        assert raised.value.status == status
        assert raised.value.error is not None
        assert raised.value.error.error_code == f"FAKE_{status}"
        if isinstance(raised.value, PerfectGymUnavailable):
            assert raised.value.maybe_processed is maybe_processed
    assert fake.calls[endpoint] == len(MAPPING)


async def test_a_key_without_trial_scopes_gets_403_on_all_twelve(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    await new_customer(client)  # the leads scopes still work
    fake.lack_trial_scopes()
    for endpoint, call in _calls(client).items():
        with pytest.raises(PerfectGymAuthError) as forbidden:
            await call()
        assert forbidden.value.status == 403, endpoint
    assert sum(fake.calls[endpoint] for endpoint in ENDPOINTS) == 12
    fake.lack_trial_scopes(False)
    assert (await client.trial_config(1)).id == 1


async def test_unknown_statuses_are_tolerated_and_broken_bodies_are_protocol_errors(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    calls = _calls(client)
    fake.fail_next("class_validate", 200, '{"validationStatus": "NEW_REASON"}')
    assert await calls["class_validate"]() is ClassBookingValidationStatus.UNKNOWN
    fake.fail_next("confirm", 200, '{"status": "PENDING"}')
    assert await calls["confirm"]() is ConfirmationStatus.UNKNOWN
    naive = [{"startDateTime": "2030-01-07T10:00:00", "endDateTime": "2030-01-07T11:00:00"}]
    for endpoint, body in (
        ("appointment_slots", json.dumps(naive)),
        ("appointment_slots", '{"result": []}'),
        ("class_slots", '{"result": [{"id": 1}], "hasNext": false, "offset": "1"}'),
        ("class_book", '{"bookingId": 1}'),
        ("trial_config", "not json"),
    ):
        fake.fail_next(endpoint, 200, body)
        with pytest.raises(PerfectGymProtocolError):
            await calls[endpoint]()


async def test_both_date_time_forms_arrive_through_the_client(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    slots: list[dict[str, Any]] = [
        {
            "startDateTime": "2030-01-07T10:00:00.000+01:00[Europe/Berlin]",
            "endDateTime": "2030-01-07T11:00:00Z",
        },
        {"startDateTime": "2030-07-08T10:00:00+02:00", "instructors": None},
    ]
    fake.fail_next("appointment_slots", 200, json.dumps(slots))
    first, second = await client.appointment_slots(COACH, datetime.date(2030, 1, 7))
    assert first.start_date_time is not None
    assert first.end_date_time is not None
    assert first.start_date_time.at.tzinfo == BERLIN
    assert first.end_date_time.at.tzinfo == datetime.UTC
    assert first.start_date_time.text == slots[0]["startDateTime"]
    assert second.start_date_time is not None
    assert second.end_date_time is None
    assert second.start_date_time.at.utcoffset() == datetime.timedelta(hours=2)
    assert second.instructors == []
    with pytest.raises(ValueError, match="without start or end"):
        AppointmentBookingRequest.for_slot(5001, COACH, second)
    request = AppointmentBookingRequest.for_slot(5001, COACH, first)
    assert json.loads(request.to_json_bytes()) == {  # the API's own text, not a reformatting
        "customerId": 5001,
        "bookableAppointmentId": COACH,
        "startDateTime": "2030-01-07T10:00:00.000+01:00[Europe/Berlin]",
        "endDateTime": "2030-01-07T11:00:00Z",
    }


async def test_metrics_name_the_path_template_not_the_ids(fake: FakePerfectGym) -> None:
    seen: list[tuple[str, str]] = []
    async with PerfectGymClient(
        fake.url, API_KEY, observe=lambda endpoint, status, _: seen.append((endpoint, status))
    ) as client:
        await client.trial_config(2)
        await client.class_slots(YOGA)
        with pytest.raises(PerfectGymRejected):
            await client.confirm_booking(77)
    assert seen == [
        ("GET /v1/trial-offers/config/{configId}", "200"),
        ("GET /v1/trial-offers/bookable-trial-offers/classes/{classId}/slots", "200"),
        ("POST /v1/trial-offers/bookings/{bookingId}/confirm", "404"),
    ]


# --- the contract --------------------------------------------------------------------------------


@cache
def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMAS.read_text())
    return document


_ZONE_SUFFIX = re.compile(r"\[[A-Za-z0-9_+\-/]+\]$")


def _format_checker() -> Any:
    """The validator's formats, but ``date-time`` also allows the bracketed zone after an RFC
    3339 date-time: the vendor's own examples carry it, so its answers do too."""
    base = OAS31Validator.FORMAT_CHECKER
    checker = type(base)()
    checker.checkers = dict(base.checkers)
    plain = base.checkers["date-time"][0]

    def zoned(value: object) -> bool:
        return not isinstance(value, str) or bool(plain(_ZONE_SUFFIX.sub("", value)))

    checker.checks("date-time")(zoned)
    checker.checks("ISO 639-1")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[a-z]{2}", v))
    )
    checker.checks("ISO 3166-1")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[A-Z]{2}", v))
    )
    return checker


def _errors(schema: dict[str, Any], instance: object) -> list[str]:
    root = {**schema, "components": _document()["components"]}
    validator = OAS31Validator(root, format_checker=_format_checker())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def _operation(endpoint: str) -> dict[str, Any]:
    path, (method, _) = next(item for item in TRIAL_ROUTES.items() if item[1][1] == endpoint)
    operation: dict[str, Any] = _document()["paths"][path][method.lower()]
    return operation


def _check_request(endpoint: str, body: dict[str, Any]) -> list[str]:
    operation = _operation(endpoint)
    if "requestBody" not in operation:
        return [] if body == {} else [f"{endpoint}: sent a body where none is declared"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return _errors(schema, body)


def _check_response(endpoint: str, status: int, body: bytes) -> list[str]:
    documented = _operation(endpoint)["responses"].get(str(status))
    if documented is None:
        return [f"{endpoint}: status {status} is not documented"]
    return _errors(documented["content"]["application/json"]["schema"], json.loads(body))


def contract_problems(fake: FakePerfectGym) -> list[str]:
    problems: list[str] = []
    for endpoint, sent in fake.requests:
        if endpoint in ENDPOINTS:
            problems += [f"request {endpoint}: {p}" for p in _check_request(endpoint, sent)]
    for index, (endpoint, status, answer) in enumerate(fake.responses):
        if endpoint in ENDPOINTS and index not in fake.injected:
            problems += [
                f"answer {endpoint} {status}: {p}"
                for p in _check_response(endpoint, status, answer)
            ]
    return problems


def assert_contract(fake: FakePerfectGym) -> None:
    problems = contract_problems(fake)
    assert not problems, "\n".join(problems)


def test_the_contract_check_can_fail() -> None:
    assert _check_request("class_book", {"customerId": 1, "classSlotId": "2"})
    assert _check_request("class_validate", {"customerId": 1})
    assert _check_request(
        "appointment_book",
        {
            "customerId": 1,
            "bookableAppointmentId": 2,
            "startDateTime": "2030-01-07T10:00:00",
            "endDateTime": "2030-01-07T11:00:00+01:00",
        },
    )
    assert _check_request("confirm", {"x": 1})
    assert _check_response(
        "class_slots", 200, b'{"result": [{"id": 1}], "hasNext": false, "offset": "1"}'
    )
    assert _check_response("confirm", 200, b'{"status": "PENDING"}')
    assert _check_response("trial_config", 404, b'{"errorCode": "X"}')
    assert _check_response("trial_config", 201, b"{}")
    assert not _check_response(
        "appointment_slots",
        200,
        b'[{"startDateTime": "2030-01-07T10:00:00.000+01:00[Europe/Berlin]"}]',
    )


async def test_every_request_and_answer_keeps_the_transcribed_contract(
    fake: FakePerfectGym, client: PerfectGymClient
) -> None:
    customer = await new_customer(client)
    other = await new_customer(client, "other@example.com")
    _ = [offer async for offer in client.all_class_offers(slice_size=10)]
    _ = [offer async for offer in client.all_appointment_offers(slice_size=10)]
    for config_id in (1, 2, 3):
        await client.trial_config(config_id)
    slots = await yoga_slots(client)
    await client.class_slots(HIIT)
    appointments = await tomorrows_appointments(client)
    free = open_slot(slots)
    waiting = next(s for s in slots if s.free_places == 0 and s.waiting_list_participants == 1)
    full = next(s for s in slots if s.free_places == 0 and s.waiting_list_participants == 3)
    for slot in (full, free, waiting):  # the full one first: later the contingent is used up
        request = ClassSlotBookingRequest(customer_id=customer, class_slot_id=slot.id)
        await client.validate_class_booking(request)
        if slot is not full:
            await client.book_class(request)
    await client.validate_class_booking(
        ClassSlotBookingRequest(customer_id=customer, class_slot_id=free.id)
    )
    by_coach = AppointmentBookingRequest.for_slot(other, COACH, appointments[0])
    await client.validate_appointment_booking(by_coach)
    booked = await client.book_appointment(by_coach)
    await client.confirm_booking(booked.booking_id)
    fake.refuse_customers(customer)
    await client.validate_appointment_booking(
        AppointmentBookingRequest.for_slot(customer, COACH, appointments[1])
    )
    lead = TrialLeadRequest(
        lead_customer_data=TrialLeadData(
            firstname="Erika",
            lastname="Musterfrau",
            email="erika@example.com",
            language=LeadLanguage(language_code="de", country_code="DE"),
        ),
        trial_offer_config_id=1,
    )
    await client.validate_trial_lead(lead)
    await client.create_trial_lead(lead)
    for call in (
        client.book_class(ClassSlotBookingRequest(customer_id=customer, class_slot_id=full.id)),
        client.trial_config(404),
        client.confirm_booking(1),
        client.appointment_slots(COACH, datetime.date.today(), customer_id=1),
    ):
        with pytest.raises(PerfectGymRejected):
            await call
    fake.lack_trial_scopes()
    with pytest.raises(PerfectGymAuthError):
        await client.class_offers()

    assert not fake.injected
    assert_contract(fake)
    answered = [(e, s, b) for e, s, b in fake.responses if e in ENDPOINTS]
    assert {endpoint for endpoint, _, _ in answered} == set(ENDPOINTS)
    assert {status for _, status, _ in answered} >= {200, 400, 403, 404}
    bodies = b"".join(body for _, _, body in answered)
    for expected in (
        b'"WAITING_LIST"',
        b'"BOOKING_LIMIT_REACHED"',
        b'"BOOKED_WITH_CONFIRMATION_REQUIRED"',
        b'"CONFIRMED"',
        b'"CUSTOMER_ALREADY_BOOKED"',
        b'"NO_CONTINGENT"',
        b'"POSSIBLE"',
        b"[Europe/Berlin]",
    ):
        assert expected in bodies
