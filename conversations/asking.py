"""How each question is put to the prospect: its label, its wording and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers
from babel.lists import format_list

from conversations import callbacks
from conversations.field_plan import AnswerKind, ConsentCategory, FieldPlan, Question, Slot
from conversations.i18n import Translator
from conversations.parsers import country_name, date_example
from conversations.replies import Button, Reply


@dataclass(frozen=True)
class AskContext:
    """What wording depends on besides the question.

    ``tr`` speaks the closest shipped catalog; ``locale`` is the prospect's own Babel locale for
    reading and showing dates, numbers and countries (a ``de-AT`` prospect types ``31.12.1990``
    even when no Austrian catalog exists); ``region`` guides phone numbers.
    """

    tr: Translator
    locale: str
    region: str | None
    today: date


def field_label(question: Question, tr: Translator) -> str:
    """The short name of a field, used in the summary and on correction buttons."""
    if question.label:
        return question.label
    labels = {
        Slot.FIRSTNAME: tr.gettext("First name"),
        Slot.LASTNAME: tr.gettext("Last name"),
        Slot.EMAIL: tr.gettext("E-mail"),
        Slot.TELEPHONE: tr.gettext("Phone"),
        Slot.GENDER: tr.gettext("Gender"),
        Slot.DATE_OF_BIRTH: tr.gettext("Date of birth"),
        Slot.STREET: tr.gettext("Street"),
        Slot.HOUSE_NUMBER: tr.gettext("House number"),
        Slot.ZIP_CODE: tr.gettext("Postcode"),
        Slot.CITY: tr.gettext("City"),
        Slot.COUNTRY: tr.gettext("Country"),
        Slot.CONSENT: tr.gettext("Contact permission"),
    }
    return labels.get(question.slot, question.key)


def gender_label(value: str, tr: Translator) -> str:
    labels = {
        "FEMALE": tr.gettext("Female"),
        "MALE": tr.gettext("Male"),
        "UNISEX": tr.gettext("Other"),
    }
    return labels.get(value, value)


def yes_label(tr: Translator) -> str:
    return tr.gettext("Yes")


def no_label(tr: Translator) -> str:
    return tr.gettext("No")


def skip_label(tr: Translator) -> str:
    return tr.gettext("Skip")


def _channel_name(channel: str, tr: Translator) -> str:
    names = {
        "EMAIL": tr.gettext("e-mail"),
        "TEXT_MESSAGE": tr.gettext("text message"),
        "PHONE": tr.gettext("phone"),
        "LETTER": tr.gettext("letter"),
        "FAX": tr.gettext("fax"),
        "CHAT": tr.gettext("chat"),
        "CONVERSATION": tr.gettext("personal conversation"),
        "OTHER": tr.gettext("other channels"),
    }
    return names.get(channel, channel.replace("_", " ").lower())


def _category_topic(category: str | None, tr: Translator) -> str:
    topics = {
        "NEWSLETTER": tr.gettext("news and offers"),
        "GENERAL": tr.gettext("general information"),
        "APPOINTMENT": tr.gettext("your appointments"),
        "CONTRACT": tr.gettext("your contract"),
        "LOYALTY_PROGRAM": tr.gettext("the studio's loyalty programme"),
    }
    if category is None:
        return tr.gettext("general information")
    return topics.get(category, category.replace("_", " ").lower())


def consent_prompt(consent: ConsentCategory, tr: Translator) -> str:
    channels = [_channel_name(c, tr) for c in consent.asked_channels]
    return tr.gettext("May the studio contact you about {topic} by {channels}?").format(
        topic=_category_topic(consent.category, tr),
        channels=format_list(channels, locale=tr.locale),
    )


def consent_summary(consent: ConsentCategory, tr: Translator) -> str:
    return tr.gettext("Contact about {topic}").format(topic=_category_topic(consent.category, tr))


def _question_text(question: Question, plan: FieldPlan, ctx: AskContext) -> tuple[str, str]:
    """The question itself, and a hint on how to answer it (possibly empty)."""
    tr = ctx.tr
    label = question.label or question.key
    match question.kind:
        case AnswerKind.NAME if question.slot is Slot.FIRSTNAME:
            return tr.gettext("What is your first name?"), ""
        case AnswerKind.NAME:
            return tr.gettext("And your last name?"), ""
        case AnswerKind.EMAIL:
            return tr.gettext("What is your e-mail address?"), ""
        case AnswerKind.PHONE:
            return tr.gettext("What is your phone number?"), tr.gettext(
                "Tap the button below to share it, or type it, for example {example}."
            ).format(example=phone_example(ctx.region))
        case AnswerKind.GENDER:
            return tr.gettext("What is your gender?"), ""
        case AnswerKind.BIRTH_DATE:
            return tr.gettext("What is your date of birth?"), _date_hint(ctx)
        case AnswerKind.SHORT_TEXT:
            return {
                Slot.STREET: tr.gettext("Your address: which street do you live on?"),
                Slot.HOUSE_NUMBER: tr.gettext("Your house number?"),
                Slot.ZIP_CODE: tr.gettext("Your postcode?"),
                Slot.CITY: tr.gettext("Your city?"),
            }.get(question.slot, question.key), ""
        case AnswerKind.COUNTRY:
            return tr.gettext("Which country do you live in?"), tr.gettext(
                "Tap the button or type the country's name."
            )
        case AnswerKind.DATE:
            return label, _date_hint(ctx)
        case AnswerKind.NUMBER:
            return label, tr.gettext("Please answer with a whole number.")
        case AnswerKind.MULTI_CHOICE:
            return label, tr.gettext("Choose all that apply, then tap Done.")
        case AnswerKind.CONSENT:
            assert question.consent_index is not None
            return consent_prompt(plan.consents[question.consent_index], tr), ""
    return label, ""


def _date_hint(ctx: AskContext) -> str:
    return ctx.tr.gettext("For example {example}.").format(example=date_example(ctx.locale))


def phone_example(region: str | None) -> str:
    example = phonenumbers.example_number_for_type(region or "DE", 1)  # 1 = MOBILE
    if example is None:
        return "+49 151 23456789"
    return str(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def ask(
    question: Question,
    plan: FieldPlan,
    ctx: AskContext,
    token: int,
    *,
    picks: tuple[int, ...] = (),
    position: tuple[int, int] | None = None,
    replace: bool = False,
) -> Reply:
    """The message that asks ``question``; buttons carry ``token`` (see callbacks)."""
    tr = ctx.tr
    title, hint = _question_text(question, plan, ctx)
    if not question.required:
        title = tr.gettext("{question} (optional)").format(question=title)
    if position is not None:
        title = f"{position[0]}/{position[1]} · {title}"
    text = f"{title}\n{hint}" if hint else title
    rows: list[tuple[Button, ...]] = []
    match question.kind:
        case AnswerKind.GENDER:
            rows.append(
                tuple(
                    Button(gender_label(g, tr), callbacks.encode(token, callbacks.OPTION, i))
                    for i, g in enumerate(question.options)
                )
            )
        case AnswerKind.BOOLEAN | AnswerKind.CONSENT:
            rows.append(
                (
                    Button(yes_label(tr), callbacks.encode(token, callbacks.YES)),
                    Button(no_label(tr), callbacks.encode(token, callbacks.NO)),
                )
            )
        case AnswerKind.CHOICE:
            rows.extend(
                (Button(option, callbacks.encode(token, callbacks.OPTION, i)),)
                for i, option in enumerate(question.options)
            )
        case AnswerKind.MULTI_CHOICE:
            rows.extend(
                (
                    Button(
                        ("✅ " if i in picks else "▫️ ") + option,
                        callbacks.encode(token, callbacks.OPTION, i),
                    ),
                )
                for i, option in enumerate(question.options)
            )
            rows.append((Button(tr.gettext("Done"), callbacks.encode(token, callbacks.DONE)),))
        case AnswerKind.COUNTRY if ctx.region:
            rows.append(
                (
                    Button(
                        country_name(ctx.region, tr.locale),
                        callbacks.encode(token, callbacks.COUNTRY, ctx.region),
                    ),
                )
            )
        case _:
            pass
    if question.kind is AnswerKind.PHONE:
        return Reply(
            text,
            contact_button=tr.gettext("📱 Share my number"),
            keyboard_texts=() if question.required else (skip_label(tr),),
        )
    if not question.required:
        rows.append((Button(skip_label(tr), callbacks.encode(token, callbacks.SKIP)),))
    return Reply(text, buttons=tuple(rows), replace=replace)
