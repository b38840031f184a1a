"""Language negotiation and what the lead's ``language`` carries."""

from __future__ import annotations

import pytest

from conversations.i18n import LanguageTag, Translator, available_locales, negotiate


def test_every_promised_language_has_a_catalog() -> None:
    assert set(available_locales()) == {
        "en",
        "de",
        "pl",
        "es",
        "it",
        "fr",
        "nl",
        "pt",
        "uk",
        "tr",
        "ru",
    }


@pytest.mark.parametrize(
    ("code", "default", "locale"),
    [
        ("de", "en", "de"),
        ("de-AT", "en", "de"),
        ("de-CH", "en", "de"),
        ("pt-br", "en", "pt"),
        ("en-GB", "de", "en"),
        ("uk", "en", "uk"),
        ("ru-RU", "en", "ru"),
        ("tr", "en", "tr"),
        ("zh-hans", "en", "en"),
        ("zh-hans", "de", "de"),
        ("ja", "fr", "fr"),
        (None, "pl", "pl"),
        ("", "en", "en"),
        ("not a tag", "en", "en"),
        ("xx", "nl", "nl"),
        ("es", "zz", "es"),
        ("ko", "zz", "en"),
    ],
)
def test_negotiation_picks_the_closest_catalog(code: str | None, default: str, locale: str) -> None:
    assert negotiate(code, default) == locale


@pytest.mark.parametrize(
    ("code", "language", "country", "formatting", "region"),
    [
        ("de-AT", "de", "AT", "de_AT", "AT"),
        ("pt-br", "pt", "BR", "pt_BR", "BR"),
        ("en-GB", "en", "GB", "en_GB", "GB"),
        ("de", "de", None, "de", "DE"),
        ("uk", "uk", None, "uk", "UA"),
        ("zh-hans", "zh", None, "zh", "CN"),
    ],
)
def test_language_tags_give_the_leads_language_and_the_formatting_locale(
    code: str, language: str, country: str | None, formatting: str, region: str
) -> None:
    tag = LanguageTag.parse(code)
    assert tag is not None
    assert (tag.language, tag.country) == (language, country)
    assert tag.formatting_locale == formatting
    assert tag.region == region


@pytest.mark.parametrize("code", [None, "", "x", "123", "\x00", "de-XX-YY-ZZ-1234567"])
def test_junk_language_codes_are_no_language(code: str | None) -> None:
    assert LanguageTag.parse(code) is None


def test_plural_forms_follow_each_language() -> None:
    one, many = "{count} question is needed.", "{count} questions are needed."
    polish = Translator("pl")
    forms = {polish.ngettext(one, many, n) for n in (1, 2, 5)}
    assert len(forms) == 3  # Polish: pytanie / pytania / pytań
    assert Translator("en").ngettext(one, many, 1) == one
