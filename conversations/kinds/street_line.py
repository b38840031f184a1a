"""Street and house number in one answer ("Hauptstraße 12", "12 Baker Street").

Stored as ``[street, house_number]``. When one part can't be found, the other is kept and only
the missing part is asked for.
"""

from __future__ import annotations

from conversations.addresses import (
    number_before_street,
    read_house_number,
    read_street,
    read_street_line,
)
from conversations.context import AskContext
from conversations.draft import LeadDraft
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds.base import Incomplete, Kind, Prompt, View, two_parts
from conversations.text import InvalidAnswer, Problem


class StreetLineKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        match view.partial:
            case [str(street), ""]:
                return Prompt(tr.gettext("And the house number on {street}?").format(street=street))
            case ["", str(number)]:
                return Prompt(
                    tr.gettext("Which street is number {number} on?").format(number=number)
                )
        return Prompt(
            tr.gettext("What is your street and house number?"),
            tr.gettext("For example {example}.").format(example=_example(view.country, tr)),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        match view.partial:
            case [str(street), ""] if street:
                return [street, read_house_number(text)]
            case ["", str(number)] if number:
                return [read_street(text), number]
        try:
            line = read_street_line(text, view.country)
        except InvalidAnswer as error:
            if error.problem is Problem.NO_HOUSE_NUMBER:
                raise Incomplete(error.problem, [read_street(text), ""]) from None
            if error.problem is Problem.NO_STREET:
                raise Incomplete(error.problem, ["", read_house_number(text)]) from None
            raise
        return [line.street, line.house_number]

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        match error.problem:
            case Problem.NO_HOUSE_NUMBER:
                return tr.gettext("I couldn't find the house number there.")
            case Problem.NO_STREET:
                return tr.gettext("I couldn't find the street there.")
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Street and number")

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        street, number = two_parts(value)
        if number_before_street(view.country):
            return f"{number} {street}".strip()
        return f"{street} {number}".strip()

    def write(self, question: Question, value: Answer, draft: LeadDraft) -> None:
        draft.street, draft.house_number = two_parts(value)


def _example(country: str | None, tr: Translator) -> str:
    if number_before_street(country):
        return "12 Baker Street"
    return tr.gettext("Main Street 12")
