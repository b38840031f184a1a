"""Every consent question reads as one sentence for any mix of channels, in every language.

PerfectGym may ask for any subset of its eight channels per category; each channel is an
adverbial phrase that carries its own preposition, so no combination can produce "per
persönliches Gespräch" or a noun in the wrong case.
"""

from __future__ import annotations

import itertools
import re

import pytest
from babel.lists import format_list

from conversations.field_plan import ConsentCategory, ConsentChannel
from conversations.i18n import Translator, available_locales
from conversations.kinds.consent import CATEGORIES, CHANNELS, channel_phrase, consent_prompt
from conversations.studio import Studio

LOCALES = [*available_locales(), "de@formal"]
COMBINATIONS = [
    combination
    for size in range(1, len(CHANNELS) + 1)
    for combination in itertools.combinations(CHANNELS, size)
]

# Known wrong turns a translation can take, and their like.
FORBIDDEN = {
    "de": ("per persönlich", "per andere", "zu dem ", "per telefonisch", "per im "),
    "es": ("conversación personal", "por en persona"),
    "it": ("colloquio personale", "via di persona"),
    "fr": ("entretien personnel", "par en personne"),
    "pt": ("conversa presencial", "por pessoalmente"),
    "pl": ("przez osobiście",),
    "nl": ("per persoonlijk",),
}


def _categories() -> list[str | None]:
    return [*CATEGORIES, None, "SPACE_MAIL"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_channel_combination_reads_as_one_question(locale: str) -> None:
    tr = Translator(locale)
    withdrawal = Studio(email="hello@studio.example").withdrawal(tr)
    phrases = {channel: consent_prompt(_only(channel), tr, "").strip() for channel in CHANNELS}
    forbidden = FORBIDDEN.get(locale.split("@")[0], ())
    for category in _categories():
        for channels in COMBINATIONS:
            text = consent_prompt(_category(category, channels), tr, withdrawal)
            question, note = text.split("\n")
            assert note == withdrawal
            assert "{" not in question, question
            assert "}" not in question, question
            assert question.rstrip().endswith("?"), question
            assert not re.search(r"\b(\w+) \1\b", question), question  # "per per", "и и"
            for wrong in forbidden:
                assert wrong not in question.lower(), question
            if locale != "en":
                assert "May the studio" not in question, f"untranslated: {question}"
    assert len(set(phrases.values())) == len(CHANNELS)  # eight different questions


@pytest.mark.parametrize("locale", LOCALES)
def test_the_channels_stand_in_the_question_as_the_language_lists_them(locale: str) -> None:
    tr = Translator(locale)
    for category in _categories():
        for channel in CHANNELS:
            assert channel_phrase(channel, tr) in consent_prompt(_only(channel, category), tr, "")
        every = consent_prompt(_category(category, CHANNELS), tr, "")
        listed = format_list([channel_phrase(c, tr) for c in CHANNELS], locale=tr.written_in)
        assert listed in every


def test_english_lists_are_british_like_the_rest_of_the_source() -> None:
    question = consent_prompt(
        _category("CONTRACT", ("EMAIL", "PHONE", "LETTER")), Translator("en"), ""
    )
    assert "by e-mail, by phone and by post?" in question  # no serial comma


@pytest.mark.parametrize("locale", LOCALES)
def test_withdrawal_says_how_in_every_language(locale: str) -> None:
    tr = Translator(locale)
    assert "hello@studio.example" in Studio(email="hello@studio.example").withdrawal(tr)
    assert "+43 1 234" in Studio(phone="+43 1 234").withdrawal(tr)
    bare = Studio().withdrawal(tr)
    assert bare
    assert "{" not in bare


def _only(channel: str, category: str | None = "NEWSLETTER") -> ConsentCategory:
    return _category(category, (channel,))


def _category(category: str | None, channels: tuple[str, ...]) -> ConsentCategory:
    return ConsentCategory(category, tuple(ConsentChannel(c, True, False) for c in channels))
