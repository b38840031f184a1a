"""Which studio a deep link chose: ``t.me/<bot>?start=<studio-id>--<campaign>`` or
``?start=<studio-id>``. Ids allow no ``-``, so the first ``--`` ends the id; a payload whose
head is no studio's id is a campaign as before, so every link printed so far keeps working."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from bot.funnel.campaign import MAX_CAMPAIGN_LENGTH, is_campaign

SEPARATOR: Final = "--"


class StartTooLong(ValueError):
    """The studio's id and the campaign together exceed Telegram's start parameter."""


def split_start(payload: str | None, ids: Collection[str]) -> tuple[str | None, str | None]:
    """(the chosen studio's id or None, the campaign or None). Only a payload a link could
    carry chooses a studio; ids are case-sensitive, as the links are written."""
    if not payload:
        return None, None
    if not is_campaign(payload):
        return None, payload  # typed by hand: the campaign rule drops it, as today
    head, _, campaign = payload.partition(SEPARATOR)
    if head in ids:
        return head, campaign or None
    return None, payload


def studio_start(studio_id: str, campaign: str | None) -> str:
    """The start parameter choosing ``studio_id`` (and carrying ``campaign``)."""
    payload = studio_id if not campaign else f"{studio_id}{SEPARATOR}{campaign}"
    if len(payload) > MAX_CAMPAIGN_LENGTH:
        raise StartTooLong(
            f"the start parameter {payload!r} has {len(payload)} characters, Telegram passes on "
            f"at most {MAX_CAMPAIGN_LENGTH}: shorten the campaign to at most "
            f"{MAX_CAMPAIGN_LENGTH - len(studio_id) - len(SEPARATOR)} characters"
        )
    return payload
