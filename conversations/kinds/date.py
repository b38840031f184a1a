"""A date (an additional DATE field, such as a preferred trial date).

A field that asks for a day to come (see :mod:`conversations.relative_dates`) shows the next days
as buttons, reads "tomorrow" or "Friday", and refuses a day that has passed; any other date field
takes any date within a lifetime either way.
"""

from __future__ import annotations

from datetime import date, timedelta

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.dates import date_example, format_date, parse_date
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.kinds.base import Accept, Kind, Notice, Pressed, Prompt, Rows, View
from conversations.relative_dates import (
    FORWARD,
    check_forward,
    day_label,
    decode_day,
    encode_day,
    forward_example,
    next_days,
    parse_forward_date,
)
from conversations.replies import Button
from conversations.text import InvalidAnswer, Problem

FUTURE_DATE_YEARS = 10
PAST_DATE_YEARS = 120
DAYS_PER_ROW = 3


def date_hint(ctx: AskContext) -> str:
    return ctx.tr.gettext("For example {example}.").format(example=date_example(ctx.locale))


def forward_hint(ctx: AskContext) -> str:
    return ctx.tr.gettext(
        "Tap a day, or type a date such as {example} or a word such as “tomorrow”."
    ).format(example=forward_example(ctx.locale, ctx.today))


class DateKind(Kind):
    """Any date within a lifetime either way, or a day to come; stored as an ISO string."""

    def asks_forward(self, question: Question, ctx: AskContext) -> bool:
        return ctx.wording.asks_forward(question)

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        hint = forward_hint(ctx) if self.asks_forward(question, ctx) else date_hint(ctx)
        return Prompt(ctx.wording.label(question), hint)

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        rows = super().buttons(question, ctx, token, view)
        if not self.asks_forward(question, ctx):
            return rows
        days = [
            Button(
                day_label(day, ctx.locale), callbacks.encode(token, callbacks.DAY, encode_day(day))
            )
            for day in next_days(ctx.today)
        ]
        return (
            tuple(tuple(days[i : i + DAYS_PER_ROW]) for i in range(0, len(days), DAYS_PER_ROW))
            + rows
        )

    def read_date(self, text: str, ctx: AskContext) -> date:
        return parse_date(
            text,
            ctx.locale,
            earliest=ctx.today - timedelta(days=365 * PAST_DATE_YEARS),
            latest=ctx.today + timedelta(days=365 * FUTURE_DATE_YEARS),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        if self.asks_forward(question, ctx):
            return parse_forward_date(text, ctx.locale, today=ctx.today).isoformat()
        return self.read_date(text, ctx).isoformat()

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        if action.name != callbacks.DAY or not self.asks_forward(question, ctx):
            return super().read_button(question, action, ctx, view)
        day = decode_day(action.arg)
        if day is None:
            return None
        try:
            check_forward(day, ctx.today)  # a button pressed days after it was shown
        except InvalidAnswer as error:
            return Notice(self.explain(error, ctx, view))
        return Accept(day.isoformat())

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        forward = error.detail == FORWARD
        match error.problem:
            case Problem.BAD_DATE:
                example = (
                    forward_example(ctx.locale, ctx.today) if forward else date_example(ctx.locale)
                )
                return tr.gettext(
                    "I couldn't read that as a date. Please type it like {example}."
                ).format(example=example)
            case Problem.NO_SUCH_DATE:
                return tr.gettext(
                    "That day doesn't exist in that month. Please check the day and the month."
                )
            case Problem.DATE_TOO_EARLY if forward:
                return tr.gettext("That date has passed — please choose today or a later day.")
            case Problem.DATE_TOO_LATE if forward:
                return tr.gettext(
                    "That date is more than a year ahead — please choose an earlier day."
                )
            case Problem.DATE_TOO_EARLY:
                return tr.gettext("That date is too far in the past.")
            case Problem.DATE_TOO_LATE:
                return tr.gettext("That date is too far in the future.")
        return super().explain(error, ctx, view)

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return format_date(date.fromisoformat(str(value)), ctx.locale)
