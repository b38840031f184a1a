"""A phone number: typed, or shared with Telegram's contact button."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from conversations.context import AskContext
from conversations.field_plan import Answer, FieldPlan, Question
from conversations.kinds.base import Kind, Prompt, Rows, View
from conversations.kinds.country import country_name
from conversations.replies import Reply
from conversations.text import MAX_STRUCTURED_LENGTH, InvalidAnswer, Problem, clean_structured


def _phone_candidates(text: str, region: str | None) -> Iterator[tuple[str, str | None]]:
    """Readings of the input, most likely first.

    Telegram's contact share sends the international number without "+" ("4915112345678").
    Where the national trunk prefix is "0", people always type it domestically, so a bare
    digit string without it is international; a region parse would wrongly accept it as a
    (valid!) long German number.
    """
    if text.startswith("+"):
        yield text, region
        return
    digits = "".join(c for c in text if c.isdigit())
    bare = re.fullmatch(r"[\d\s().\-/]+", text) is not None
    trunk_prefix: str | None = None
    if region is not None:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk_prefix = metadata.national_prefix if metadata is not None else None
    prefer_international = (
        bare and digits[:1] not in ("", "0") and (region is None or trunk_prefix == "0")
    )
    if prefer_international:
        yield "+" + text, None
    yield text, region
    if digits.startswith("00"):
        yield "+" + digits[2:], None
    elif not prefer_international:
        yield "+" + text, None


def parse_phone(text: str, region: str | None) -> str:
    """Return the number in E.164, which the lead API stores verbatim.

    A number typed with its country code that is not valid there is refused as
    ``BAD_PHONE_FOR_COUNTRY`` (with the country as detail), so the re-ask need not tell the
    prospect to add a code they already gave.
    """
    candidate = clean_structured(text, Problem.BAD_PHONE, MAX_STRUCTURED_LENGTH)
    region_code = region.upper() if region else None
    try:
        for number_text, number_region in _phone_candidates(candidate, region_code):
            try:
                number = phonenumbers.parse(number_text, number_region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        dialled = _dialled_country(candidate)
    except Exception as exc:  # the fuzz contract: only InvalidAnswer may escape
        raise InvalidAnswer(Problem.BAD_PHONE) from exc
    if dialled is not None:
        raise InvalidAnswer(Problem.BAD_PHONE_FOR_COUNTRY, detail=dialled)
    raise InvalidAnswer(Problem.BAD_PHONE)


def _dialled_country(text: str) -> str | None:
    """The country whose code the prospect typed (``+44 …``, ``0049 …``), if any."""
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("+"):
        international = "+" + digits
    elif digits.startswith("00"):
        international = "+" + digits[2:]
    else:
        return None
    try:
        number = phonenumbers.parse(international, None)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code is None:
        return None
    country = phonenumbers.region_code_for_country_code(number.country_code)
    return None if country in ("ZZ", "001") else str(country)


def phone_example(region: str | None) -> str:
    example = phonenumbers.example_number_for_type(region or "DE", 1)  # 1 = MOBILE
    if example is None:
        return "+49 151 23456789"
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def international(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


class PhoneKind(Kind):
    reply_keyboard = True

    def prompt(self, question: Question, plan: FieldPlan, ctx: AskContext, view: View) -> Prompt:
        tr = ctx.tr
        return Prompt(
            tr.gettext("What is your phone number?"),
            tr.gettext(
                "Tap the button below to share it, or type it, for example {example}."
            ).format(example=phone_example(ctx.region)),
        )

    def reply(
        self,
        question: Question,
        text: str,
        ctx: AskContext,
        token: int,
        view: View,
        *,
        extra: Rows,
        replace: bool,
    ) -> Reply:
        """Telegram's share-contact button only exists on a reply keyboard, so Keep, Skip and
        Back are typed keyboard texts there, not inline buttons."""
        return Reply(
            text,
            contact_button=ctx.tr.gettext("📱 Share my number"),
            keyboard_texts=tuple(button.text for row in extra for button in row),
        )

    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return parse_phone(text, ctx.region)

    def read_contact(
        self, question: Question, phone_number: str, ctx: AskContext, view: View
    ) -> Answer:
        return parse_phone(phone_number, ctx.region)

    def explain(self, error: InvalidAnswer, ctx: AskContext, view: View) -> str:
        tr = ctx.tr
        if error.problem is Problem.BAD_PHONE_FOR_COUNTRY and error.detail:
            return tr.gettext(
                "That isn't a valid phone number in {country}. Please check the digits."
            ).format(country=country_name(error.detail, tr.locale))
        if error.problem is Problem.BAD_PHONE:
            return tr.gettext(
                "That doesn't look like a valid phone number. Please check the digits, or type "
                "it with the country code, for example {example}."
            ).format(example=phone_example(ctx.region))
        return super().explain(error, ctx, view)

    def label(self, question: Question, plan: FieldPlan, ctx: AskContext) -> str:
        return ctx.tr.gettext("Phone")

    def show(self, question: Question, value: Answer, ctx: AskContext, view: View) -> str:
        return international(str(value))
