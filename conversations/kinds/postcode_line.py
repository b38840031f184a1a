"""Postcode and city in one answer ("10115 Berlin", "London NW1 6XE", "00-001 Warszawa"),
read by the address's country. Stored as ``[postcode, city]``; a missing part is asked alone.
"""

from __future__ import annotations

from conversations.addresses import (
    postcode_before_city,
    postcode_example,
    read_city,
    read_postcode,
    read_postcode_line,
)
from conversations.context import AskContext
from conversations.draft import LeadDraft
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.kinds.base import Incomplete, Kind, Prompt, View, two_parts
from conversations.text import InvalidAnswer, Problem


class PostcodeLineKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        match view.partial:
            case [str(code), ""]:
                return Prompt(tr.gettext("And the city for {postcode}?").format(postcode=code))
            case ["", str(city)]:
                return Prompt(tr.gettext("And the postcode in {city}?").format(city=city))
        example = postcode_example(view.country)
        hint = ""
        if example:
            capital = _CAPITALS.get(view.country or "")
            if capital is not None:
                before = postcode_before_city(view.country)
                example = f"{example} {capital}" if before else f"{capital} {example}"
            hint = tr.gettext("For example {example}.").format(example=example)
        return Prompt(tr.gettext("What are your postcode and city?"), hint)

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        match view.partial:
            case [str(code), ""] if code:
                return [code, read_city(text)]
            case ["", str(city)] if city:
                return [read_postcode(text, view.country), city]
        try:
            line = read_postcode_line(text, view.country)
        except InvalidAnswer as error:
            if error.problem is Problem.NO_CITY:
                raise Incomplete(error.problem, [read_postcode(text, view.country), ""]) from None
            if error.problem is Problem.NO_POSTCODE:
                raise Incomplete(error.problem, ["", read_city(text)]) from None
            raise
        return [line.zip_code, line.city]

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        example = postcode_example(view.country)
        match error.problem:
            case Problem.NO_CITY:
                return tr.gettext("I couldn't find the city there.")
            case Problem.NO_POSTCODE:
                return tr.gettext("I couldn't find the postcode there.")
            case Problem.BAD_POSTCODE if example:
                return tr.gettext(
                    "That postcode doesn't look right. It should look like {example}."
                ).format(example=example)
            case Problem.BAD_POSTCODE:
                return tr.gettext("That postcode doesn't look right. Please check it.")
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Postcode and city")

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        code, city = two_parts(value)
        if postcode_before_city(view.country):
            return f"{code} {city}".strip()
        return f"{city} {code}".strip()

    def write(self, question: Question, value: Answer, draft: LeadDraft) -> None:
        draft.zip_code, draft.city = two_parts(value)


# A city to show in the hint beside the country's example postcode, written as locals write it.
_CAPITALS = {
    "AT": "Wien",
    "BE": "Bruxelles",
    "CH": "Bern",
    "CZ": "Praha",
    "DE": "Berlin",
    "DK": "København",
    "ES": "Madrid",
    "FR": "Paris",
    "GB": "London",
    "IE": "Dublin",
    "IT": "Roma",
    "NL": "Amsterdam",
    "PL": "Warszawa",
    "PT": "Lisboa",
    "TR": "Ankara",
    "UA": "Київ",
    "US": "New York, NY",
}
