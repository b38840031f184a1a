"""Dates typed the prospect's way: in the locale's own day/month/year order, ISO, or with a
month name, read and shown with Babel's locale data.

Babel's own parse_date is not used: it maps "85" to 2085, swaps day and month when one exceeds 12
and raises assorted exceptions on junk. Only :class:`~conversations.text.InvalidAnswer` escapes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import babel.dates
from babel import Locale

from conversations.i18n import FALLBACK_LOCALE, babel_locale
from conversations.text import (
    MAX_STRUCTURED_LENGTH,
    InvalidAnswer,
    Problem,
    clean_structured,
    fold,
)

OLDEST_AGE = 120


def _pattern_parts(pattern: str) -> list[tuple[bool, str]]:
    """Split an LDML date pattern into (is_field, text) chunks, adjacent literals merged."""
    parts: list[tuple[bool, str]] = []
    for is_field, chunk in _raw_pattern_parts(pattern):
        if not is_field and parts and not parts[-1][0]:
            parts[-1] = (False, parts[-1][1] + chunk)
        else:
            parts.append((is_field, chunk))
    return parts


def _raw_pattern_parts(pattern: str) -> Iterator[tuple[bool, str]]:
    """Honours quoted literals, including '' for a literal apostrophe."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = i + 1
            literal: list[str] = []
            while end < len(pattern):
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            yield False, "".join(literal) if end > i + 1 else "'"
            i = end + 1
        elif char.isascii() and char.isalpha():
            end = i
            while end < len(pattern) and pattern[end] == char:
                end += 1
            yield True, pattern[i:end]
            i = end
        else:
            yield False, char
            i += 1


@dataclass(frozen=True)
class _DateConventions:
    order: str  # "dmy", "mdy", "ymd", ... from the locale's short pattern
    example_pattern: str  # the short pattern with a four-digit year
    months: dict[str, int]  # folded month names and abbreviations -> month number
    wide_months: tuple[tuple[str, int], ...]  # folded wide names, for prefix matches
    filler: frozenset[str]  # folded literal words of the locale's patterns (pt "de", zh "年")
    separators: frozenset[str]  # punctuation allowed between the parts


_BASE_DATE_SEPARATORS = " ./-,"


def _date_tokens(folded: str) -> list[tuple[str, str]]:
    """Runs of ("number" | "word" | "separator", text). Marks belong to words, so Indic vowel
    signs do not split a month name."""
    tokens: list[tuple[str, str]] = []
    for char in folded:
        category = unicodedata.category(char)
        kind = "number" if category == "Nd" else "word" if category[0] in "LM" else "separator"
        if tokens and tokens[-1][0] == kind:
            tokens[-1] = (kind, tokens[-1][1] + char)
        else:
            tokens.append((kind, char))
    return tokens


def _short_pattern(loc: Locale) -> str:
    try:
        return str(babel.dates.get_date_format("short", loc).pattern)
    except Exception:
        return "dd/MM/y"


def _month_names(loc: Locale) -> Iterator[tuple[int, str, str]]:
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            try:
                names = dict(loc.months[context][width])
            except Exception:
                continue
            for month, name in names.items():
                if isinstance(month, int):
                    yield month, width, str(name)


def _literal_texts(loc: Locale) -> Iterator[str]:
    for width in ("short", "medium", "long", "full"):
        try:
            pattern = str(babel.dates.get_date_format(width, loc).pattern)
        except Exception:
            continue
        yield from (chunk for is_field, chunk in _pattern_parts(pattern) if not is_field)


def _example_and_order(loc: Locale) -> tuple[str, str]:
    order = ""
    example: list[str] = []
    for is_field, chunk in _pattern_parts(_short_pattern(loc)):
        letter = chunk[0] if is_field else ""
        if letter in ("d", "M", "y") and letter.lower() not in order:
            order += letter.lower()
        if letter == "y":
            example.append("yyyy")
        elif is_field:
            example.append(chunk)
        else:
            example.append("'" + chunk.replace("'", "''") + "'")
    if sorted(order) != ["d", "m", "y"]:
        return "dd/MM/yyyy", "dmy"
    return "".join(example), order


@lru_cache(maxsize=128)
def _date_conventions(identifier: str) -> _DateConventions:
    loc = babel_locale(identifier)
    english = babel_locale(FALLBACK_LOCALE)
    example_pattern, order = _example_and_order(loc)
    months: dict[str, int] = {}
    wide: list[tuple[str, int]] = []
    filler: set[str] = {"st", "nd", "rd", "th"}  # "31st December 1990"
    separators: set[str] = set(_BASE_DATE_SEPARATORS)
    for source in (english, loc):  # the prospect's own locale wins on clashes
        for month, width, name in _month_names(source):
            tokens = _date_tokens(fold(name))
            words = [text for kind, text in tokens if kind == "word"]
            separators.update("".join(t for k, t in tokens if k == "separator"))  # he geresh
            if any(kind == "number" for kind, _ in tokens):
                # Numeric month names (zh "12月", vi "thg 12") add only words around a number.
                filler.update(words)
                continue
            if not words:
                continue
            months[words[-1]] = month
            filler.update(words[:-1])  # Catalan "de gener"
            if width == "wide":
                wide.append((words[-1], month))
        for literal in _literal_texts(source):
            for kind, text in _date_tokens(fold(literal)):
                if kind == "word":
                    filler.add(text)
                elif kind == "separator":
                    separators.update(text)
    return _DateConventions(
        order=order,
        example_pattern=example_pattern,
        months=months,
        wide_months=tuple(wide),
        filler=frozenset(filler - months.keys()),
        separators=frozenset(separators),
    )


def _month_number(word: str, conventions: _DateConventions) -> int | None:
    if word in conventions.months:
        return conventions.months[word]
    if len(word) < 3:
        return None
    found = {month for name, month in conventions.wide_months if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _resolve(
    year_text: str, month: int, day_text: str, earliest: date, latest: date
) -> date | None:
    """Build the date; a two-digit year takes the one century that lands inside the bounds."""
    if len(day_text) > 2 or not 1 <= month <= 12:
        return None
    day = int(day_text)
    if len(year_text) == 4:
        return _existing(int(year_text), month, day)
    if len(year_text) != 2:
        return None
    short_year = int(year_text)
    centuries = range(earliest.year // 100, latest.year // 100 + 1)
    dates = [_make_date(century * 100 + short_year, month, day) for century in centuries]
    if day <= 31 and dates and all(d is None for d in dates):
        raise InvalidAnswer(Problem.NO_SUCH_DATE)
    fits = [d for d in dates if d is not None and earliest <= d <= latest]
    return fits[0] if len(fits) == 1 else None


def _existing(year: int, month: int, day: int) -> date | None:
    """30 February is readable but does not exist: say so rather than "couldn't read"."""
    value = _make_date(year, month, day)
    if value is None and 1 <= day <= 31 and date.min.year <= year <= date.max.year:
        raise InvalidAnswer(Problem.NO_SUCH_DATE)
    return value


def _read_date(cleaned: str, conventions: _DateConventions, earliest: date, latest: date) -> date:
    numbers: list[str] = []
    month_words: list[int] = []
    for kind, token in _date_tokens(fold(cleaned)):
        if kind == "number":
            numbers.append(str(int(token)).zfill(len(token)) if len(token) <= 4 else token)
        elif kind == "separator":
            if not set(token) <= conventions.separators:
                raise InvalidAnswer(Problem.BAD_DATE)
        elif (month := _month_number(token, conventions)) is not None:
            month_words.append(month)
        elif token not in conventions.filler:
            raise InvalidAnswer(Problem.BAD_DATE)
    if any(len(n) > 4 for n in numbers):
        raise InvalidAnswer(Problem.BAD_DATE)

    result: date | None = None
    if len(numbers) == 3 and not month_words:
        if len(numbers[0]) == 4:  # ISO order, whatever the locale
            year_text, month_text, day_text = numbers
        else:
            fields = dict(zip(conventions.order, numbers, strict=True))
            year_text, month_text, day_text = fields["y"], fields["m"], fields["d"]
        if len(month_text) <= 2:
            result = _resolve(year_text, int(month_text), day_text, earliest, latest)
    elif len(numbers) == 2 and len(month_words) == 1:
        first, second = numbers
        if len(first) != len(second) and 4 in (len(first), len(second)):
            year_first = len(first) == 4
        else:
            year_first = conventions.order.index("y") < conventions.order.index("d")
        year_text, day_text = (first, second) if year_first else (second, first)
        result = _resolve(year_text, month_words[0], day_text, earliest, latest)
    if result is None:
        raise InvalidAnswer(Problem.BAD_DATE)
    return result


def parse_date(text: str, locale: str, *, earliest: date, latest: date) -> date:
    """Read a date between ``earliest`` and ``latest`` (both inclusive)."""
    cleaned = clean_structured(text, Problem.BAD_DATE, MAX_STRUCTURED_LENGTH)
    value = _read_date(cleaned, _date_conventions(locale), earliest, latest)
    if value < earliest:
        raise InvalidAnswer(Problem.DATE_TOO_EARLY)
    if value > latest:
        raise InvalidAnswer(Problem.DATE_TOO_LATE)
    return value


def years_before(day: date, years: int) -> date:
    year = day.year - years
    if year < date.min.year:
        return date.min
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def parse_birth_date(text: str, locale: str, *, today: date) -> date:
    """A birth date lies in the past (today inclusive) and at most 120 years back."""
    return parse_date(text, locale, earliest=years_before(today, OLDEST_AGE), latest=today)


def format_date(value: date, locale: str) -> str:
    """Numeric where the locale writes dates in numbers (31.12.1990); else the month in full,
    since abbreviations lose the case a date needs ("17 maj" for Polish "17 maja")."""
    loc = babel_locale(locale)
    medium = loc.date_formats["medium"].pattern
    width = "long" if "MMM" in medium else "medium"
    return str(babel.dates.format_date(value, width, locale=loc))


EXAMPLE_DATE = date(1990, 12, 31)


def date_example(locale: str, example: date = EXAMPLE_DATE) -> str:
    """31 December 1990 (or ``example``) in the shape parse_date expects; the year is spelled
    out in full so the prospect does not copy a two-digit year."""
    try:
        return str(
            babel.dates.format_date(
                example, _date_conventions(locale).example_pattern, locale=babel_locale(locale)
            )
        )
    except Exception:
        return example.isoformat()
