"""The one campaign rule that ``python -m bot link`` and the intake share (Telegram's own)."""

from __future__ import annotations

import pytest

from bot.campaign import MAX_CAMPAIGN_LENGTH, is_campaign


@pytest.mark.parametrize(
    "text",
    ["a", "spring-2026", "Spring_2026", "-", "_", "0", "a" * MAX_CAMPAIGN_LENGTH],
)
def test_allowed(text: str) -> None:
    assert is_campaign(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a" * (MAX_CAMPAIGN_LENGTH + 1),
        "a b",
        "grün",
        "ü",
        "spring\n",
        "spring.2026",
        "a+b",
        "a=b",
        "\uff11\uff12",  # full-width digits: \d would take them, Telegram does not
    ],
)
def test_refused(text: str) -> None:
    assert not is_campaign(text)


def test_the_length_is_telegrams() -> None:
    assert MAX_CAMPAIGN_LENGTH == 64
