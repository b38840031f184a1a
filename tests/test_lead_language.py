"""The lead's ``language``: ISO 639-1 language and ISO 3166-1 alpha-2 country, whatever Telegram
sends as ``language_code``."""

from __future__ import annotations

import pytest

from bot.perfectgym.adapter import lead_language
from conversations.i18n import LanguageTag


@pytest.mark.parametrize(
    ("telegram", "expected"),
    [
        ("de", {"languageCode": "de"}),
        ("de-AT", {"languageCode": "de", "countryCode": "AT"}),
        ("de_at", {"languageCode": "de", "countryCode": "AT"}),
        ("pt-br", {"languageCode": "pt", "countryCode": "BR"}),
        ("en-GB", {"languageCode": "en", "countryCode": "GB"}),
        ("es-419", {"languageCode": "es"}),
        ("en-001", {"languageCode": "en"}),
        ("en-150", {"languageCode": "en"}),
        ("zh-hans", {"languageCode": "zh"}),
        ("zh-hant-tw", {"languageCode": "zh", "countryCode": "TW"}),
        ("sr-latn-rs", {"languageCode": "sr", "countryCode": "RS"}),
        ("iw", {"languageCode": "he", "countryCode": "IL"}),
        ("in", {"languageCode": "id", "countryCode": "ID"}),
        ("fil", None),
        ("fil-PH", None),
        ("yue", None),
    ],
)
def test_lead_language(telegram: str, expected: dict[str, str] | None) -> None:
    tag = LanguageTag.parse(telegram)
    assert tag is not None
    language = lead_language(tag)
    if expected is None:
        assert language is None
    else:
        assert language is not None
        assert language.model_dump(by_alias=True, exclude_none=True) == expected


@pytest.mark.parametrize("telegram", ["und", "und-US", "mul", "zxx", "", None, "xx", "419"])
def test_no_language_named(telegram: str | None) -> None:
    assert LanguageTag.parse(telegram) is None


@pytest.mark.parametrize(
    "tag",
    [
        LanguageTag("es", "419"),
        LanguageTag("en", "001"),
        LanguageTag("de", "at"),
        LanguageTag("fil"),
        LanguageTag("DE", "D"),
    ],
)
def test_never_an_invalid_code(tag: LanguageTag) -> None:
    language = lead_language(tag)
    if language is not None:
        assert len(language.language_code) == 2
        assert language.language_code.islower()
        country = language.country_code
        assert country is None or (len(country) == 2 and country.isalpha() and country.isupper())
