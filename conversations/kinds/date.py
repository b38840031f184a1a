"""A date (an additional DATE field, such as a preferred trial date)."""

from __future__ import annotations

from datetime import date, timedelta

from conversations.context import AskContext
from conversations.dates import date_example, format_date, parse_date
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.kinds.base import Kind, Prompt, View
from conversations.text import InvalidAnswer, Problem

FUTURE_DATE_YEARS = 10
PAST_DATE_YEARS = 120


def date_hint(ctx: AskContext) -> str:
    return ctx.tr.gettext("For example {example}.").format(example=date_example(ctx.locale))


class DateKind(Kind):
    """Any date within a lifetime either way; stored as an ISO string."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(ctx.wording.label(question), date_hint(ctx))

    def read_date(self, text: str, ctx: AskContext) -> date:
        return parse_date(
            text,
            ctx.locale,
            earliest=ctx.today - timedelta(days=365 * PAST_DATE_YEARS),
            latest=ctx.today + timedelta(days=365 * FUTURE_DATE_YEARS),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return self.read_date(text, ctx).isoformat()

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        match error.problem:
            case Problem.BAD_DATE:
                return tr.gettext(
                    "I couldn't read that as a date. Please type it like {example}."
                ).format(example=date_example(ctx.locale))
            case Problem.NO_SUCH_DATE:
                return tr.gettext(
                    "That day doesn't exist in that month. Please check the day and the month."
                )
            case Problem.DATE_TOO_EARLY:
                return tr.gettext("That date is too far in the past.")
            case Problem.DATE_TOO_LATE:
                return tr.gettext("That date is too far in the future.")
        return super().explain(error, ctx, view)

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return format_date(date.fromisoformat(str(value)), ctx.locale)
