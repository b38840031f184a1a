"""Turn a prospect's typed chat answer into a clean, typed value.

Every parser either returns a value or raises :class:`InvalidAnswer`; the dialogue layer turns the
:class:`Problem` into a localised re-ask. Nothing else may escape for any ``str`` input, so every
third-party call is wrapped. No I/O, logging or gettext here.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

import babel.dates
import babel.numbers
import phonenumbers
from babel import Locale
from babel.core import get_global
from email_validator import validate_email


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_NAME = "bad_name"
    BAD_EMAIL = "bad_email"
    BAD_PHONE = "bad_phone"
    BAD_DATE = "bad_date"
    DATE_TOO_EARLY = "date_too_early"
    DATE_TOO_LATE = "date_too_late"
    BAD_NUMBER = "bad_number"
    NOT_WHOLE_NUMBER = "not_whole_number"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    BAD_COUNTRY = "bad_country"


class InvalidAnswer(ValueError):
    """The answer cannot be used; ``problem`` says why so the caller can re-ask."""

    problem: Problem

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


MAX_TEXT_LENGTH = 500
MAX_NAME_LENGTH = 100
MAX_SHORT_LENGTH = 100
MAX_NUMBER = 10**9

# Structured answers (dates, phones, ...) longer than this are junk, not "too long" prose.
_MAX_STRUCTURED_LENGTH = 100
_MAX_EMAIL_LENGTH = 320
_NO_LIMIT = sys.maxsize
_FALLBACK_LOCALE = "en"
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_WHITESPACE_RUN = re.compile(r" {2,}")


# --- text ------------------------------------------------------------------------------------


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


def _clean_structured(text: str, problem: Problem, max_length: int) -> str:
    """Clean an answer with a fixed shape, where overly long input is simply malformed."""
    cleaned = clean_text(text, max_length=_NO_LIMIT)
    if len(cleaned) > max_length:
        raise InvalidAnswer(problem)
    return cleaned


def _fold(text: str) -> str:
    """Case- and accent-insensitive key, so "Österreich" matches "osterreich"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_name(text: str) -> str:
    """A name must look like a name, not like contact details pasted into the wrong step."""
    name = clean_text(text, max_length=MAX_NAME_LENGTH)
    lowered = name.casefold()
    if (
        not any(c.isalpha() for c in name)
        or "@" in name
        or "://" in name
        or lowered.startswith("www.")
    ):
        raise InvalidAnswer(Problem.BAD_NAME)
    return name


def parse_short_text(text: str) -> str:
    """Street, house number, zip code or city: must contain at least a letter or digit."""
    value = clean_text(text, max_length=MAX_SHORT_LENGTH)
    if not any(c.isalnum() for c in value):
        raise InvalidAnswer(Problem.EMPTY)
    return value


# --- e-mail and phone ------------------------------------------------------------------------


def parse_email(text: str) -> str:
    """Syntax check only: a DNS lookup per chat message would be slow and flaky."""
    candidate = _clean_structured(text, Problem.BAD_EMAIL, _MAX_EMAIL_LENGTH)
    try:
        return str(validate_email(candidate, check_deliverability=False).normalized)
    except Exception as exc:  # the fuzz contract: only InvalidAnswer may escape
        raise InvalidAnswer(Problem.BAD_EMAIL) from exc


def _phone_candidates(text: str, region: str | None) -> Iterator[tuple[str, str | None]]:
    """Readings of the input, most likely first.

    Telegram's contact share sends the international number without "+" ("4915112345678").
    Where the national trunk prefix is "0", people always type it domestically, so a bare
    digit string without it is international; a region parse would wrongly accept it as a
    (valid!) long German number.
    """
    if text.startswith("+"):
        yield text, region
        return
    digits = "".join(c for c in text if c.isdigit())
    bare = re.fullmatch(r"[\d\s().\-/]+", text) is not None
    trunk_prefix: str | None = None
    if region is not None:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk_prefix = metadata.national_prefix if metadata is not None else None
    prefer_international = (
        bare and digits[:1] not in ("", "0") and (region is None or trunk_prefix == "0")
    )
    if prefer_international:
        yield "+" + text, None
    yield text, region
    if digits.startswith("00"):
        yield "+" + digits[2:], None
    elif not prefer_international:
        yield "+" + text, None


def parse_phone(text: str, region: str | None) -> str:
    """Return the number in E.164, which the lead API stores verbatim."""
    candidate = _clean_structured(text, Problem.BAD_PHONE, _MAX_STRUCTURED_LENGTH)
    region_code = region.upper() if region else None
    try:
        for number_text, number_region in _phone_candidates(candidate, region_code):
            try:
                number = phonenumbers.parse(number_text, number_region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    except Exception as exc:  # the fuzz contract: only InvalidAnswer may escape
        raise InvalidAnswer(Problem.BAD_PHONE) from exc
    raise InvalidAnswer(Problem.BAD_PHONE)


# --- locale data -----------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _locale(identifier: str) -> Locale:
    """Babel locale; an unknown identifier (e.g. a stray Telegram language code such as
    "pt-br" or "xx") falls back step by step to English rather than breaking the dialogue."""
    normalised = identifier.strip().replace("-", "_")
    for attempt in (normalised, normalised.split("_")[0], _FALLBACK_LOCALE):
        try:
            return Locale.parse(attempt)
        except Exception:  # babel raises ValueError, UnknownLocaleError, TypeError, ...
            continue
    return Locale(_FALLBACK_LOCALE)


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
    loc = _locale(identifier)
    english = _locale(_FALLBACK_LOCALE)
    example_pattern, order = _example_and_order(loc)
    months: dict[str, int] = {}
    wide: list[tuple[str, int]] = []
    filler: set[str] = {"st", "nd", "rd", "th"}  # "31st December 1990"
    separators: set[str] = set(_BASE_DATE_SEPARATORS)
    for source in (english, loc):  # the prospect's own locale wins on clashes
        for month, width, name in _month_names(source):
            tokens = _date_tokens(_fold(name))
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
            for kind, text in _date_tokens(_fold(literal)):
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


# --- dates -----------------------------------------------------------------------------------


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
        return _make_date(int(year_text), month, day)
    if len(year_text) != 2:
        return None
    short_year = int(year_text)
    fits = [
        candidate
        for century in range(earliest.year // 100, latest.year // 100 + 1)
        if (candidate := _make_date(century * 100 + short_year, month, day)) is not None
        and earliest <= candidate <= latest
    ]
    return fits[0] if len(fits) == 1 else None


def _read_date(cleaned: str, conventions: _DateConventions, earliest: date, latest: date) -> date:
    numbers: list[str] = []
    month_words: list[int] = []
    for kind, token in _date_tokens(_fold(cleaned)):
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
    """Read a date in the locale's own day/month/year order, ISO, or with a month name.

    Babel's own parse_date is not used: it maps "85" to 2085, swaps day and month when one
    exceeds 12 and raises assorted exceptions on junk.
    """
    cleaned = _clean_structured(text, Problem.BAD_DATE, _MAX_STRUCTURED_LENGTH)
    value = _read_date(cleaned, _date_conventions(locale), earliest, latest)
    if value < earliest:
        raise InvalidAnswer(Problem.DATE_TOO_EARLY)
    if value > latest:
        raise InvalidAnswer(Problem.DATE_TOO_LATE)
    return value


def _years_before(day: date, years: int) -> date:
    year = day.year - years
    if year < date.min.year:
        return date.min
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def parse_birth_date(text: str, locale: str, *, today: date) -> date:
    """A birth date lies in the past (today inclusive) and at most 120 years back."""
    return parse_date(text, locale, earliest=_years_before(today, 120), latest=today)


def format_date(value: date, locale: str) -> str:
    return str(babel.dates.format_date(value, "medium", locale=_locale(locale)))


def date_example(locale: str) -> str:
    """31 December 1990 in the shape parse_date expects; the year is spelled out in full so
    the prospect does not copy a two-digit year."""
    example = date(1990, 12, 31)
    try:
        return str(
            babel.dates.format_date(
                example, _date_conventions(locale).example_pattern, locale=_locale(locale)
            )
        )
    except Exception:
        return example.isoformat()


# --- numbers ---------------------------------------------------------------------------------

_SIGNS = {"+": 1, "-": -1, "\u2212": -1}


@dataclass(frozen=True)
class _NumberConventions:
    decimal: str
    group: str
    primary: int
    secondary: int


@lru_cache(maxsize=128)
def _number_conventions(identifier: str) -> _NumberConventions:
    loc = _locale(identifier)
    try:
        decimal = str(babel.numbers.get_decimal_symbol(loc))
        group = str(babel.numbers.get_group_symbol(loc))
        primary, secondary = loc.decimal_formats[None].grouping
    except Exception:
        decimal, group, primary, secondary = ".", ",", 3, 3
    if group.isspace():
        group = " "  # clean_text has already turned every kind of space into " "
    elif group == "\u2019":
        group = "'"  # de_CH; parse_integer folds the typographic apostrophe the same way
    if len(decimal) != 1 or len(group) != 1 or decimal == group or decimal.isspace():
        decimal, group = (".", ",") if decimal != "," else (",", ".")
    return _NumberConventions(decimal, group, int(primary), int(secondary))


def _split_number(body: str, decimal: str, group: str, nc: _NumberConventions) -> tuple[str, str]:
    """Split into (integer digits, fraction digits) under one separator convention."""
    whole, _, fraction = body.partition(decimal)
    if decimal in fraction or (decimal in body and not fraction.isdigit()):
        raise InvalidAnswer(Problem.BAD_NUMBER)
    if whole.isdigit():
        return whole, fraction
    for grouping_char in {group, " "}:
        separator = re.escape(grouping_char)
        pattern = (
            rf"\d{{1,{nc.secondary}}}(?:{separator}\d{{{nc.secondary}}})*"
            rf"{separator}\d{{{nc.primary}}}"
        )
        if re.fullmatch(pattern, whole) is not None:
            return whole.replace(grouping_char, ""), fraction
    raise InvalidAnswer(Problem.BAD_NUMBER)


def _read_unsigned(body: str, nc: _NumberConventions) -> tuple[str, str]:
    if body.isdigit():
        return body, ""
    if len(body) > _MAX_STRUCTURED_LENGTH:
        raise InvalidAnswer(Problem.BAD_NUMBER)
    try:
        whole, fraction = _split_number(body, nc.decimal, nc.group, nc)
    except InvalidAnswer:
        # "1.5" in German or "1.234,5" in English: the other convention at least tells the
        # prospect that decimals are not accepted.
        other_decimal, other_group = (".", ",") if nc.decimal != "." else (",", ".")
        whole, fraction = _split_number(body, other_decimal, other_group, nc)
    if len(fraction) == 3 and not fraction.strip("0") and len(whole) <= 3 and whole.strip("0"):
        # "1.000" is 1 by the locale's rules but most likely meant as 1000: do not guess.
        raise InvalidAnswer(Problem.BAD_NUMBER)
    return whole, fraction


def parse_integer(text: str, locale: str) -> int:
    """An integer as the lead API wants it, read with the locale's separators.

    Babel's parse_decimal is not used for reading: it accepts "1e5" and "NaN" and in strict
    mode rejects "1 234" typed with an ordinary space in fr/pl/uk. Its symbols are used instead.
    """
    cleaned = clean_text(text, max_length=_NO_LIMIT)
    body = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in cleaned)
    body = body.replace("\u2019", "'")
    sign = 1
    if body[0] in _SIGNS:
        sign = _SIGNS[body[0]]
        body = body[1:].lstrip()
    nc = _number_conventions(locale)
    allowed = set("0123456789 .,'") | {nc.decimal, nc.group}
    if not body or not set(body) <= allowed or not body[0].isdigit():
        raise InvalidAnswer(Problem.BAD_NUMBER)
    whole, fraction = _read_unsigned(body, nc)
    if fraction.strip("0"):
        raise InvalidAnswer(Problem.NOT_WHOLE_NUMBER)
    significant = whole.lstrip("0")
    if len(significant) > len(str(MAX_NUMBER)):  # also keeps int() clear of its digit limit
        raise InvalidAnswer(Problem.NUMBER_OUT_OF_RANGE)
    value = sign * int(significant or "0")
    if abs(value) > MAX_NUMBER:
        raise InvalidAnswer(Problem.NUMBER_OUT_OF_RANGE)
    return value


def format_integer(value: int, locale: str) -> str:
    loc = _locale(locale)
    group = _raw_group_symbol(loc)
    if "'" in group:
        # Babel strips "'" pairs from its output as pattern quotes: de_CH 10**9 -> "1000000'000".
        return f"{value:,}".replace(",", group)
    return str(babel.numbers.format_decimal(value, locale=loc))


def _raw_group_symbol(loc: Locale) -> str:
    try:
        return str(babel.numbers.get_group_symbol(loc))
    except Exception:
        return ","


# --- countries -------------------------------------------------------------------------------

# Reserved or grouping codes that the lead API's ISO 3166-1 field would not know.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
# Everyday English names that CLDR spells differently.
_ENGLISH_COUNTRY_ALIASES = {
    "america": "US",
    "czech republic": "CZ",
    "england": "GB",
    "great britain": "GB",
    "holland": "NL",
    "scotland": "GB",
    "turkey": "TR",
    "united states of america": "US",
    "wales": "GB",
}


def _country_key(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", _fold(text)))


def _territories(loc: Locale) -> dict[str, str]:
    try:
        return {str(code): str(name) for code, name in loc.territories.items()}
    except Exception:
        return {}


@lru_cache(maxsize=128)
def _country_table(identifier: str) -> dict[str, str]:
    """Folded key -> code. Later entries win: codes beat the prospect's names beat English."""
    english = _locale(_FALLBACK_LOCALE)
    codes = {
        code
        for code in _territories(english)
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in _NOT_COUNTRIES
    }
    table: dict[str, str] = dict(_ENGLISH_COUNTRY_ALIASES)
    try:
        aliases = dict(get_global("territory_aliases"))
    except Exception:
        aliases = {}
    for alias, targets in aliases.items():  # "DEU" -> DE, "UK" -> GB
        if str(alias).isalpha() and len(targets) == 1 and targets[0] in codes:
            table[_country_key(str(alias))] = targets[0]
    for loc in (english, _locale(identifier)):
        for code, name in _territories(loc).items():
            if code in codes and (key := _country_key(name)):
                table[key] = code
    table.update((code.casefold(), code) for code in codes)
    return table


def parse_country(text: str, locale: str) -> str:
    """ISO 3166-1 alpha-2 from a code ("at") or a name in the prospect's language or English."""
    cleaned = _clean_structured(text, Problem.BAD_COUNTRY, _MAX_STRUCTURED_LENGTH)
    key = _country_key(cleaned)
    code = _country_table(locale).get(key)
    if code is None:
        raise InvalidAnswer(Problem.BAD_COUNTRY)
    return code


def country_name(code: str, locale: str) -> str:
    name = _locale(locale).territories.get(code.upper())
    return str(name) if name else code
