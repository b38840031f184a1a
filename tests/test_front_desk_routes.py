"""The front desk's routing as a table (issue 21): where a prospect's message goes, from their
thread, their form and whether they have a lead; pure, so every row is checked here."""

from __future__ import annotations

import itertools

import pytest

from conversations.front_desk import (
    ROUTES,
    FormIs,
    Route,
    ThreadIs,
    form_waits,
    route,
    route_without_lead,
)

EVERY_CASE = list(itertools.product(ThreadIs, FormIs, (False, True)))


def test_the_table_has_one_row_for_every_case() -> None:
    assert sorted(ROUTES) == sorted(EVERY_CASE)


@pytest.mark.parametrize(("form", "lead"), list(itertools.product(FormIs, (False, True))))
def test_an_open_thread_takes_every_message(form: FormIs, lead: bool) -> None:
    assert route(ThreadIs.OPEN, form, lead) is Route.THREAD


@pytest.mark.parametrize(
    ("thread", "lead"),
    [
        (ThreadIs.NONE, False),
        (ThreadIs.NONE, True),
        (ThreadIs.CLOSED, False),
        (ThreadIs.CLOSED, True),
    ],
)
def test_a_waiting_question_takes_the_message_unless_the_thread_is_open(
    thread: ThreadIs, lead: bool
) -> None:
    assert route(thread, FormIs.WAITING, lead) is Route.FORM


def test_only_a_newcomer_begins_the_form() -> None:
    begins = [case for case in EVERY_CASE if ROUTES[case] is Route.BEGIN]
    assert begins == [(ThreadIs.NONE, FormIs.NONE, False)]


@pytest.mark.parametrize(
    ("thread", "form", "lead"),
    [
        (ThreadIs.NONE, FormIs.NONE, True),  # a lead, its conversation gone
        (ThreadIs.NONE, FormIs.SENT, False),  # sent, the lead not stored (yet)
        (ThreadIs.NONE, FormIs.SENT, True),
        (ThreadIs.CLOSED, FormIs.NONE, False),  # staff closed it: the next message reopens it
        (ThreadIs.CLOSED, FormIs.SENT, True),
    ],
)
def test_with_no_question_waiting_the_thread_opens(
    thread: ThreadIs, form: FormIs, lead: bool
) -> None:
    assert route(thread, form, lead) is Route.OPEN


@pytest.mark.parametrize(("thread", "form", "lead"), EVERY_CASE)
def test_the_lead_is_read_only_where_it_decides(thread: ThreadIs, form: FormIs, lead: bool) -> None:
    known = route_without_lead(thread, form)
    deciding = route(thread, form, False) is not route(thread, form, True)
    assert (known is None) is deciding
    if known is not None:
        assert known is route(thread, form, lead)
    assert route_without_lead(ThreadIs.NONE, FormIs.NONE) is None  # the newcomer's case


def test_the_form_waits_only_while_a_question_is_open() -> None:
    assert [form for form in FormIs if form_waits(form)] == [FormIs.WAITING]
