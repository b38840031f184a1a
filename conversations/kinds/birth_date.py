"""The prospect's date of birth: a date in the past, within a lifetime."""

from __future__ import annotations

from datetime import date

from conversations.context import AskContext
from conversations.dates import parse_birth_date
from conversations.field_plan import FieldPlan, Question
from conversations.i18n import Translator
from conversations.kinds.base import Prompt
from conversations.kinds.date import DateKind, date_hint


class BirthDateKind(DateKind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext) -> Prompt:
        return Prompt(ctx.tr.gettext("What is your date of birth?"), date_hint(ctx))

    def read_date(self, text: str, ctx: AskContext) -> date:
        return parse_birth_date(text, ctx.locale, today=ctx.today)

    def label(self, question: Question, plan: FieldPlan, tr: Translator) -> str:
        return tr.gettext("Date of birth")
