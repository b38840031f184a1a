"""A campaign code: the ``start`` parameter of a deep link, ``https://t.me/<bot>?start=<code>``.

One rule for both ends: ``python -m bot link`` refuses to print a link Telegram would not pass
on, and the intake keeps only a payload that such a link could have carried (anything else was
typed by hand). The rule is Telegram's own for deep-link parameters.
"""

from __future__ import annotations

import re

MAX_CAMPAIGN_LENGTH = 64
ALLOWED = "A-Z a-z 0-9 _ -"
RULE = f"use only {ALLOWED} and at most {MAX_CAMPAIGN_LENGTH} characters"

_CAMPAIGN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CAMPAIGN_LENGTH}}}")


def is_campaign(text: str) -> bool:
    """Whether Telegram passes ``text`` on unchanged as a deep link's ``start`` parameter."""
    return _CAMPAIGN.fullmatch(text) is not None
