"""The country of the prospect's address, as ISO 3166-1 alpha-2."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from babel.core import get_global

from conversations import callbacks
from conversations.callbacks import Action
from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.i18n import FALLBACK_LOCALE, babel_locale
from conversations.kinds.base import Accept, Kind, Pressed, Prompt, Rows, View
from conversations.replies import Button
from conversations.text import MAX_STRUCTURED_LENGTH, InvalidAnswer, Problem, clean_structured, fold

# Reserved or grouping codes that the lead API's ISO 3166-1 field would not know.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
# Everyday English names that CLDR spells differently.
_ENGLISH_COUNTRY_ALIASES = {
    "america": "US",
    "czech republic": "CZ",
    "england": "GB",
    "great britain": "GB",
    "holland": "NL",
    "scotland": "GB",
    "turkey": "TR",
    "united states of america": "US",
    "wales": "GB",
}


def _country_key(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _territories(loc: Locale) -> dict[str, str]:
    try:
        return {str(code): str(name) for code, name in loc.territories.items()}
    except Exception:
        return {}


@lru_cache(maxsize=128)
def _country_table(identifier: str) -> dict[str, str]:
    """Folded key -> code. Later entries win: codes beat the prospect's names beat English."""
    english = babel_locale(FALLBACK_LOCALE)
    codes = {
        code
        for code in _territories(english)
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in _NOT_COUNTRIES
    }
    table: dict[str, str] = dict(_ENGLISH_COUNTRY_ALIASES)
    try:
        aliases = dict(get_global("territory_aliases"))
    except Exception:
        aliases = {}
    for alias, targets in aliases.items():  # "DEU" -> DE, "UK" -> GB
        if str(alias).isalpha() and len(targets) == 1 and targets[0] in codes:
            table[_country_key(str(alias))] = targets[0]
    for loc in (english, babel_locale(identifier)):
        for code, name in _territories(loc).items():
            if code in codes and (key := _country_key(name)):
                table[key] = code
    table.update((code.casefold(), code) for code in codes)
    return table


def parse_country(text: str, locale: str) -> str:
    """ISO 3166-1 alpha-2 from a code ("at") or a name in the prospect's language or English."""
    cleaned = clean_structured(text, Problem.BAD_COUNTRY, MAX_STRUCTURED_LENGTH)
    key = _country_key(cleaned)
    code = _country_table(locale).get(key)
    if code is None:
        raise InvalidAnswer(Problem.BAD_COUNTRY)
    return code


def country_name(code: str, locale: str) -> str:
    name = babel_locale(locale).territories.get(code.upper())
    return str(name) if name else code


class CountryKind(Kind):
    """Typed as a name or code; the prospect's own region comes as a one-tap button."""

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        return Prompt(
            tr.gettext("Which country do you live in?"),
            tr.gettext("Tap the button or type the country's name."),
        )

    def buttons(self, question: Question, ctx: AskContext, token: int, view: View) -> Rows:
        if not ctx.region:
            return ()
        name = country_name(ctx.region, ctx.tr.locale)
        return ((Button(name, callbacks.encode(token, callbacks.COUNTRY, ctx.region)),),)

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        try:
            return parse_country(text, ctx.locale)
        except InvalidAnswer:
            return parse_country(text, ctx.tr.locale)

    def read_button(
        self, question: Question, action: Action, ctx: AskContext, view: View
    ) -> Pressed | None:
        if action.name == callbacks.COUNTRY and len(action.arg) == 2:
            return Accept(action.arg.upper())
        return None

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        if error.problem is Problem.BAD_COUNTRY:
            return ctx.tr.gettext(
                "I don't know that country. Please check the spelling or type its full name."
            )
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Country")

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return country_name(str(value), ctx.tr.locale)
