"""The trial reminders' and follow-ups' sentences name the studio (issue 27): its name where it
has one, else the catalog's word for a gym, written with a capital where it opens a sentence."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.followup import messages
from bot.studio.information import StudioProfile
from conversations.context import AskContext
from conversations.i18n import Translator
from conversations.studio import Studio

ZONE = ZoneInfo("Europe/Berlin")
STARTS_AT = datetime.datetime(2026, 12, 8, 18, 0, tzinfo=ZONE).timestamp()


def _ctx(locale: str, formatting: str, studio: Studio) -> AskContext:
    return AskContext(
        Translator(locale), formatting, "DE", datetime.date(2026, 12, 7), studio=studio
    )


@pytest.mark.parametrize(
    ("studio", "called"), [(Studio(name="FitBox Mitte"), "FitBox Mitte"), (Studio(), "the studio")]
)
def test_english_sentences_name_the_studio(studio: Studio, called: str) -> None:
    ctx = _ctx("en", "en_GB", studio)
    assert messages.cant_note(ctx) == (
        f"No problem: {called} has been asked to cancel that booking. Would you like another time?"
    )
    cancelled = messages.cancelled_note("Yoga", STARTS_AT, ctx, ZONE)
    assert cancelled.startswith(f"We're sorry: {called} had to cancel your trial session (Yoga on ")
    profile = StudioProfile(phone="+49 30 1234567", email="hi@example.org")
    (reply,) = messages.contact(profile, studio, ctx.tr).replies
    opening = called[0].upper() + called[1:]
    assert reply.text == f"{opening} can be reached here: +49 30 1234567, hi@example.org"


def test_a_word_that_opens_a_german_sentence_gets_its_capital() -> None:
    ctx = _ctx("de", "de", Studio())
    assert messages.cant_note(ctx).startswith("Kein Problem: Das Studio wurde gebeten")
    (reply,) = messages.contact(StudioProfile(phone="+49 30 1234567"), Studio(), ctx.tr).replies
    assert reply.text == "Das Studio ist hier erreichbar: +49 30 1234567"


def test_a_name_stands_as_it_is_written() -> None:
    studio = Studio(name="FitBox Mitte")
    ctx = _ctx("ru", "ru", studio)
    assert "FitBox Mitte не сможет провести" in messages.cancelled_note(
        "Йога", STARTS_AT, ctx, ZONE
    )
    (reply,) = messages.contact(StudioProfile(email="hi@example.org"), studio, ctx.tr).replies
    assert reply.text == "FitBox Mitte на связи: hi@example.org"
