"""What every typed answer goes through first, and how a refused answer says why.

Every reader of typed text either returns a value or raises :class:`InvalidAnswer`; the answer's
kind turns the :class:`Problem` into a localised re-ask. Nothing else may escape for any ``str``
input, so every third-party call is wrapped. No I/O, logging or gettext here.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from enum import StrEnum


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_NAME = "bad_name"
    BAD_EMAIL = "bad_email"
    EMAIL_TYPO = "email_typo"
    BAD_PHONE = "bad_phone"
    BAD_PHONE_FOR_COUNTRY = "bad_phone_for_country"
    BAD_DATE = "bad_date"
    NO_SUCH_DATE = "no_such_date"
    TOO_YOUNG = "too_young"
    DATE_TOO_EARLY = "date_too_early"
    DATE_TOO_LATE = "date_too_late"
    BAD_NUMBER = "bad_number"
    NOT_WHOLE_NUMBER = "not_whole_number"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    BAD_COUNTRY = "bad_country"
    NOT_AN_OPTION = "not_an_option"
    NO_HOUSE_NUMBER = "no_house_number"
    NO_STREET = "no_street"
    NO_POSTCODE = "no_postcode"
    NO_CITY = "no_city"
    BAD_POSTCODE = "bad_postcode"
    NOT_TEXT = "not_text"
    REQUIRED = "required"


class InvalidAnswer(ValueError):
    """The answer cannot be used; ``problem`` says why so the caller can re-ask, and ``detail``
    names what the explanation needs (the country a phone number belongs to)."""

    problem: Problem

    def __init__(self, problem: Problem, detail: str | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.detail = detail


MAX_TEXT_LENGTH = 500

# Structured answers (dates, phones, ...) longer than this are junk, not "too long" prose.
MAX_STRUCTURED_LENGTH = 100
NO_LIMIT = sys.maxsize
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_WHITESPACE_RUN = re.compile(r" {2,}")


def clean_text(text: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Normalise what a chat client sent: invisible and bidi control characters can smuggle
    look-alike text into the studio's CRM, and line breaks have no place in a single field."""
    normalised = unicodedata.normalize("NFC", text)
    kept: list[str] = []
    for char in normalised:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    # Dropping a format character can bring a base letter and a combining mark together.
    cleaned = unicodedata.normalize("NFC", _WHITESPACE_RUN.sub(" ", "".join(kept))).strip()
    if not cleaned:
        raise InvalidAnswer(Problem.EMPTY)
    if len(cleaned) > max_length:
        raise InvalidAnswer(Problem.TOO_LONG)
    return cleaned


def clean_structured(text: str, problem: Problem, max_length: int) -> str:
    """Clean an answer with a fixed shape, where overly long input is simply malformed."""
    cleaned = clean_text(text, max_length=NO_LIMIT)
    if len(cleaned) > max_length:
        raise InvalidAnswer(problem)
    return cleaned


def fold(text: str) -> str:
    """Case- and accent-insensitive key, so "Österreich" matches "osterreich"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
