"""How a typed answer becomes a stored value, and how a stored value is shown back.

Stored values are JSON primitives so a conversation survives a restart unchanged: dates are ISO
strings, numbers ints, choices the option text, consents and yes/no booleans, skipped ``None``.
"""

from __future__ import annotations

from datetime import date, timedelta

import phonenumbers

from conversations import parsers
from conversations.asking import AskContext, gender_label, no_label, phone_example, yes_label
from conversations.field_plan import AnswerKind, Question
from conversations.i18n import Translator
from conversations.parsers import InvalidAnswer, Problem

Answer = str | int | bool | list[str] | None

FUTURE_DATE_YEARS = 10
PAST_DATE_YEARS = 120


class NeedsButton(ValueError):
    """Typed text that matches none of a question's buttons."""


def problem_text(problem: Problem, ctx: AskContext) -> str:
    """What was wrong with an answer, in the prospect's words."""
    tr = ctx.tr
    texts = {
        Problem.EMPTY: tr.gettext("I didn't catch an answer there."),
        Problem.TOO_LONG: tr.gettext("That is too long for this question; please keep it short."),
        Problem.BAD_NAME: tr.gettext("That doesn't look like a name."),
        Problem.BAD_EMAIL: tr.gettext(
            "That doesn't look like a valid e-mail address (like name@example.com)."
        ),
        Problem.BAD_PHONE: tr.gettext(
            "That doesn't look like a valid phone number. "
            "Please include the country code, for example {example}."
        ).format(example=phone_example(ctx.region)),
        Problem.BAD_DATE: tr.gettext("I couldn't read that as a date."),
        Problem.DATE_TOO_EARLY: tr.gettext("That date is too far in the past."),
        Problem.DATE_TOO_LATE: tr.gettext("That date is too far in the future."),
        Problem.BAD_NUMBER: tr.gettext("That isn't a number."),
        Problem.NOT_WHOLE_NUMBER: tr.gettext("Please enter a whole number, without decimals."),
        Problem.NUMBER_OUT_OF_RANGE: tr.gettext("That number is too large."),
        Problem.BAD_COUNTRY: tr.gettext(
            "I don't know that country. Please check the spelling or type its full name."
        ),
    }
    return texts[problem]


def _match_label(text: str, labels: list[str]) -> int | None:
    """Index of the button whose label (or 1-based number) was typed."""
    wanted = text.strip().casefold()
    for index, label in enumerate(labels):
        if wanted == label.casefold() or wanted == str(index + 1):
            return index
    return None


def _yes_no(text: str, tr: Translator) -> bool:
    index = _match_label(text, [yes_label(tr), no_label(tr)])
    if index is None:
        index = _match_label(text, ["yes", "no"])
    if index is None:
        raise NeedsButton
    return index == 0


def parse_typed(question: Question, text: str, ctx: AskContext) -> Answer:
    """Parse typed text for ``question``; raises InvalidAnswer or NeedsButton."""
    locale = ctx.locale
    match question.kind:
        case AnswerKind.NAME:
            return parsers.parse_name(text)
        case AnswerKind.EMAIL:
            return parsers.parse_email(text)
        case AnswerKind.PHONE:
            return parsers.parse_phone(text, ctx.region)
        case AnswerKind.BIRTH_DATE:
            return parsers.parse_birth_date(text, locale, today=ctx.today).isoformat()
        case AnswerKind.DATE:
            return parsers.parse_date(
                text,
                locale,
                earliest=ctx.today - timedelta(days=365 * PAST_DATE_YEARS),
                latest=ctx.today + timedelta(days=365 * FUTURE_DATE_YEARS),
            ).isoformat()
        case AnswerKind.NUMBER:
            return parsers.parse_integer(text, locale)
        case AnswerKind.SHORT_TEXT:
            return parsers.parse_short_text(text)
        case AnswerKind.TEXT:
            return parsers.clean_text(text)
        case AnswerKind.COUNTRY:
            try:
                return parsers.parse_country(text, locale)
            except InvalidAnswer:
                return parsers.parse_country(text, ctx.tr.locale)
        case AnswerKind.BOOLEAN | AnswerKind.CONSENT:
            return _yes_no(text, ctx.tr)
        case AnswerKind.GENDER:
            index = _match_label(text, [gender_label(g, ctx.tr) for g in question.options])
            if index is None:
                raise NeedsButton
            return question.options[index]
        case AnswerKind.CHOICE:
            index = _match_label(text, list(question.options))
            if index is None:
                raise NeedsButton
            return question.options[index]
        case AnswerKind.MULTI_CHOICE:
            picked = [_match_label(part, list(question.options)) for part in text.split(",")]
            if not picked or None in picked:
                raise NeedsButton
            return [question.options[i] for i in sorted({i for i in picked if i is not None})]
    raise InvalidAnswer(Problem.EMPTY)


def _international(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def display(question: Question, value: Answer, tr: Translator, locale: str) -> str:
    """A stored answer as the prospect should read it back in the summary."""
    if value is None:
        return "—"
    match question.kind:
        case AnswerKind.BOOLEAN | AnswerKind.CONSENT:
            return yes_label(tr) if value else no_label(tr)
        case AnswerKind.GENDER:
            return gender_label(str(value), tr)
        case AnswerKind.BIRTH_DATE | AnswerKind.DATE:
            return parsers.format_date(date.fromisoformat(str(value)), locale)
        case AnswerKind.NUMBER if isinstance(value, int):
            return parsers.format_integer(value, locale)
        case AnswerKind.COUNTRY:
            return parsers.country_name(str(value), tr.locale)
        case AnswerKind.PHONE:
            return _international(str(value))
        case AnswerKind.MULTI_CHOICE if isinstance(value, list):
            return ", ".join(value) if value else "—"
    return str(value)
