"""The prospect's date of birth: in the past, within a lifetime, and old enough for the studio."""

from __future__ import annotations

from datetime import date

from conversations.context import AskContext
from conversations.dates import OLDEST_AGE, date_example, parse_birth_date, years_before
from conversations.field_plan import FieldPlan, Question
from conversations.kinds.base import Prompt, View
from conversations.kinds.date import DateKind, date_hint
from conversations.text import InvalidAnswer, Problem


class BirthDateKind(DateKind):
    """Someone younger than ``ctx.min_age`` is told so and their date is not stored."""

    def asks_forward(self, question: Question, ctx: AskContext) -> bool:
        return False  # a birth date keeps its own rules, whatever a label says

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(ctx.tr.gettext("What is your date of birth?"), date_hint(ctx))

    def read_date(self, text: str, ctx: AskContext) -> date:
        born = parse_birth_date(text, ctx.locale, today=ctx.today)
        if born > years_before(ctx.today, ctx.min_age):
            raise InvalidAnswer(Problem.TOO_YOUNG)
        return born

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        match error.problem:
            case Problem.DATE_TOO_LATE:
                return tr.gettext(
                    "That date is in the future. Please type your date of birth, for example "
                    "{example}."
                ).format(example=date_example(ctx.locale))
            case Problem.DATE_TOO_EARLY:
                return tr.ngettext(
                    "That would make you older than {years} year. Please check the year.",
                    "That would make you older than {years} years. Please check the year.",
                    OLDEST_AGE,
                ).format(years=OLDEST_AGE)
            case Problem.TOO_YOUNG:
                text = tr.ngettext(
                    "Sorry, {studio} can take details only from people aged {age} or older. "
                    "If the date was mistyped, please type it again.",
                    "Sorry, {studio} can take details only from people aged {age} or older. "
                    "If the date was mistyped, please type it again.",
                    ctx.min_age,
                )
                return ctx.studio.fill(text, tr, age=ctx.min_age)
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Date of birth")
