"""A whole number (an additional NUMERIC field), read with the locale's separators."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import babel.numbers
from babel import Locale

from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.i18n import babel_locale
from conversations.kinds.base import Kind, Prompt, View
from conversations.text import MAX_STRUCTURED_LENGTH, NO_LIMIT, InvalidAnswer, Problem, clean_text

MAX_NUMBER = 10**9

_SIGNS = {"+": 1, "-": -1, "\u2212": -1}


@dataclass(frozen=True)
class _NumberConventions:
    decimal: str
    group: str
    primary: int
    secondary: int


@lru_cache(maxsize=128)
def _number_conventions(identifier: str) -> _NumberConventions:
    loc = babel_locale(identifier)
    try:
        decimal = str(babel.numbers.get_decimal_symbol(loc))
        group = str(babel.numbers.get_group_symbol(loc))
        primary, secondary = loc.decimal_formats[None].grouping
    except Exception:
        decimal, group, primary, secondary = ".", ",", 3, 3
    if group.isspace():
        group = " "  # clean_text has already turned every kind of space into " "
    elif group == "\u2019":
        group = "'"  # de_CH; parse_integer folds the typographic apostrophe the same way
    if len(decimal) != 1 or len(group) != 1 or decimal == group or decimal.isspace():
        decimal, group = (".", ",") if decimal != "," else (",", ".")
    return _NumberConventions(decimal, group, int(primary), int(secondary))


def _split_number(body: str, decimal: str, group: str, nc: _NumberConventions) -> tuple[str, str]:
    """Split into (integer digits, fraction digits) under one separator convention."""
    whole, _, fraction = body.partition(decimal)
    if decimal in fraction or (decimal in body and not fraction.isdigit()):
        raise InvalidAnswer(Problem.BAD_NUMBER)
    if whole.isdigit():
        return whole, fraction
    for grouping_char in {group, " "}:
        separator = re.escape(grouping_char)
        pattern = (
            rf"\d{{1,{nc.secondary}}}(?:{separator}\d{{{nc.secondary}}})*"
            rf"{separator}\d{{{nc.primary}}}"
        )
        if re.fullmatch(pattern, whole) is not None:
            return whole.replace(grouping_char, ""), fraction
    raise InvalidAnswer(Problem.BAD_NUMBER)


def _read_unsigned(body: str, nc: _NumberConventions) -> tuple[str, str]:
    if body.isdigit():
        return body, ""
    if len(body) > MAX_STRUCTURED_LENGTH:
        raise InvalidAnswer(Problem.BAD_NUMBER)
    try:
        whole, fraction = _split_number(body, nc.decimal, nc.group, nc)
    except InvalidAnswer:
        # "1.5" in German or "1.234,5" in English: the other convention at least tells the
        # prospect that decimals are not accepted.
        other_decimal, other_group = (".", ",") if nc.decimal != "." else (",", ".")
        whole, fraction = _split_number(body, other_decimal, other_group, nc)
    if len(fraction) == 3 and not fraction.strip("0") and len(whole) <= 3 and whole.strip("0"):
        # "1.000" is 1 by the locale's rules but most likely meant as 1000: do not guess.
        raise InvalidAnswer(Problem.BAD_NUMBER)
    return whole, fraction


def parse_integer(text: str, locale: str) -> int:
    """An integer as the lead API wants it, read with the locale's separators.

    Babel's parse_decimal is not used for reading: it accepts "1e5" and "NaN" and in strict
    mode rejects "1 234" typed with an ordinary space in fr/pl/uk. Its symbols are used instead.
    """
    cleaned = clean_text(text, max_length=NO_LIMIT)
    body = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in cleaned)
    body = body.replace("\u2019", "'")
    sign = 1
    if body[0] in _SIGNS:
        sign = _SIGNS[body[0]]
        body = body[1:].lstrip()
    nc = _number_conventions(locale)
    allowed = set("0123456789 .,'") | {nc.decimal, nc.group}
    if not body or not set(body) <= allowed or not body[0].isdigit():
        raise InvalidAnswer(Problem.BAD_NUMBER)
    whole, fraction = _read_unsigned(body, nc)
    if fraction.strip("0"):
        raise InvalidAnswer(Problem.NOT_WHOLE_NUMBER)
    significant = whole.lstrip("0")
    if len(significant) > len(str(MAX_NUMBER)):  # also keeps int() clear of its digit limit
        raise InvalidAnswer(Problem.NUMBER_OUT_OF_RANGE)
    value = sign * int(significant or "0")
    if abs(value) > MAX_NUMBER:
        raise InvalidAnswer(Problem.NUMBER_OUT_OF_RANGE)
    return value


def format_integer(value: int, locale: str) -> str:
    loc = babel_locale(locale)
    group = _raw_group_symbol(loc)
    if "'" in group:
        # Babel strips "'" pairs from its output as pattern quotes: de_CH 10**9 -> "1000000'000".
        return f"{value:,}".replace(",", group)
    return str(babel.numbers.format_decimal(value, locale=loc))


def _raw_group_symbol(loc: Locale) -> str:
    try:
        return str(babel.numbers.get_group_symbol(loc))
    except Exception:
        return ","


class NumberKind(Kind):
    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        return Prompt(
            ctx.wording.label(question), ctx.tr.gettext("Please answer with a whole number.")
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return parse_integer(text, ctx.locale)

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        match error.problem:
            case Problem.BAD_NUMBER:
                return tr.gettext("That isn't a number.")
            case Problem.NOT_WHOLE_NUMBER:
                return tr.gettext("Please enter a whole number, without decimals.")
            case Problem.NUMBER_OUT_OF_RANGE:
                return tr.gettext("That number is too large.")
        return super().explain(error, ctx, view)

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return format_integer(value, ctx.locale) if isinstance(value, int) else str(value)
