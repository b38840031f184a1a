# ruff: noqa: RUF001  (the word tables are Turkish, Ukrainian and Russian, not look-alikes)
"""Dates asked forward (a preferred or trial date): words such as "tomorrow" or "Friday" in the
prospect's language, the next days as buttons, and which additional fields are asked this way.

Weekday names come from Babel's locale data (wide and abbreviated, format and stand-alone);
"today", "tomorrow", "the day after tomorrow", the words for "next" and the little words around
them ("on", "am", "el", "в") are listed below per catalog language. English words are always
understood too, as with yes and no. Case, accents and apostrophes are ignored.

A weekday names the next such day counting today: plain "Monday" on a Monday is today, "next
Monday" (any language's "next": "nächsten Montag", "lundi prochain", "el lunes que viene") is
always in 1 to 7 days, so on a Monday it is a week ahead.

A date field is asked forward when the studio texts mark it ``future: true``, or, unmarked, when
its label reads like one (:func:`label_asks_forward`); ``future: false`` turns the guess off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import babel.dates

from conversations.dates import date_example, parse_date, years_before
from conversations.i18n import babel_locale
from conversations.text import MAX_STRUCTURED_LENGTH, InvalidAnswer, Problem, clean_structured

FORWARD_DAYS = 7
"""How many days (today first) are offered as buttons."""

LATEST_DAYS = 365
"""A forward date at most about a year ahead: later is a typo, not a trial date."""

EXAMPLE_DAYS = 7
"""The hint's example is a week ahead, so it is never in the past."""

PAST_YEARS_READ = 50
FUTURE_YEARS_READ = 10
"""How far either way a typed date is read before it is checked, so "1.1.26" is 2026 (and has
passed) rather than unreadable."""

FORWARD = "forward"
"""The ``detail`` of an InvalidAnswer raised for a forward date, so the kind explains it as one."""


@dataclass(frozen=True)
class RelativeWords:
    """One language's words, written as a native speaker types them (keys are folded)."""

    today: tuple[str, ...]
    tomorrow: tuple[str, ...]
    after_tomorrow: tuple[str, ...]
    next: tuple[str, ...] = ()  # "next" before or after a weekday: 1 to 7 days ahead
    filler: tuple[str, ...] = ()  # words that change nothing: "on", "am", "this"
    weekdays: tuple[tuple[str, ...], ...] = ()  # extra forms, Monday first (cases, short names)


RELATIVE_WORDS: dict[str, RelativeWords] = {
    "en": RelativeWords(
        today=("today",),
        tomorrow=("tomorrow", "tmrw", "tomorow"),
        after_tomorrow=("day after tomorrow", "the day after tomorrow"),
        next=("next", "coming"),
        filler=("on", "this", "the"),
        weekdays=(("tues",), ("weds",), ("thur", "thurs"), (), (), (), ()),
    ),
    "de": RelativeWords(
        today=("heute",),
        tomorrow=("morgen",),
        after_tomorrow=("übermorgen",),
        next=("nächsten", "nächster", "nächste", "kommenden", "kommender"),
        filler=("am", "diesen", "dieser", "diese"),
    ),
    "es": RelativeWords(
        today=("hoy", "hoy mismo"),
        tomorrow=("mañana",),
        after_tomorrow=("pasado mañana",),
        next=("próximo", "que viene"),
        filler=("el", "este"),
    ),
    "fr": RelativeWords(
        today=("aujourd'hui",),
        tomorrow=("demain",),
        after_tomorrow=("après-demain",),
        next=("prochain",),
        filler=("ce", "le"),
    ),
    "it": RelativeWords(
        today=("oggi",),
        tomorrow=("domani",),
        after_tomorrow=("dopodomani", "dopo domani"),
        next=("prossimo", "prossima"),
        filler=("questo", "questa"),
    ),
    "nl": RelativeWords(
        today=("vandaag",),
        tomorrow=("morgen",),
        after_tomorrow=("overmorgen",),
        next=("volgende", "volgend"),
        filler=("op", "deze", "aanstaande", "komende"),
    ),
    "pl": RelativeWords(
        today=("dziś", "dzisiaj"),
        tomorrow=("jutro",),
        after_tomorrow=("pojutrze",),
        next=("następny", "następna", "następną", "przyszły", "przyszła", "przyszłą"),
        filler=("w", "we", "ten", "tę", "ta"),
        weekdays=((), (), ("środę",), (), (), ("sobotę",), ("niedzielę",)),
    ),
    "pt": RelativeWords(
        today=("hoje",),
        tomorrow=("amanhã",),
        after_tomorrow=("depois de amanhã",),
        next=("próxima", "próximo"),
        filler=("na", "no", "nesta", "neste", "esta", "este"),
        weekdays=(("segunda",), ("terça",), ("quarta",), ("quinta",), ("sexta",), (), ()),
    ),
    "ru": RelativeWords(
        today=("сегодня",),
        tomorrow=("завтра",),
        after_tomorrow=("послезавтра",),
        next=("следующий", "следующую", "следующее", "следующая"),
        filler=("в", "во", "этот", "эту", "это"),
        weekdays=((), (), ("среду",), (), ("пятницу",), ("субботу",), ()),
    ),
    "tr": RelativeWords(
        today=("bugün",),
        tomorrow=("yarın",),
        after_tomorrow=("öbür gün", "yarından sonra"),
        next=("gelecek", "önümüzdeki", "haftaya"),
        filler=("bu", "günü"),
    ),
    "uk": RelativeWords(
        today=("сьогодні",),
        tomorrow=("завтра",),
        after_tomorrow=("післязавтра",),
        next=("наступний", "наступну", "наступна", "наступного", "наступної"),
        filler=("в", "у", "цей", "цю", "ця", "цього", "цієї"),
        weekdays=((), (), ("середу",), (), ("пʼятницю",), ("суботу",), ("неділю",)),
    ),
}

FORWARD_LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("prefer", "trial", "start", "appointment", "booking", "desired", "wish"),
    "de": ("wunsch", "probe", "termin", "start", "beginn", "schnupper"),
    "es": ("prefer", "prueba", "cita", "inicio", "comienzo", "reserva", "desead"),
    "fr": ("préfér", "essai", "rendez", "début", "réservation", "souhait"),
    "it": ("prefer", "prova", "appuntamento", "inizio", "prenotazione", "desiderat"),
    "nl": ("voorkeur", "proef", "afspraak", "start", "begin", "gewenst"),
    "pl": ("preferowan", "próbn", "termin", "rozpoczęci", "począt", "rezerwac"),
    "pt": ("prefer", "experimenta", "marcação", "início", "reserva", "pretendid"),
    "ru": ("предпочт", "пробн", "запис", "начал", "старт", "желаем", "назначен"),
    "tr": ("tercih", "deneme", "randevu", "başlangıç", "rezervasyon", "istenen"),
    "uk": ("бажан", "пробн", "запис", "почат", "старт", "призначен"),
}
"""Beginnings of words that make an unmarked date field's label ask forward ("Preferred trial
date", "Wunschtermin", "Fecha de la clase de prueba"). German and Dutch compound words, so their
words count anywhere inside a word; the others only at a word's start."""

_COMPOUNDING = frozenset({"de", "nl"})

_APOSTROPHES = "'\u2019\u02bc`\u00b4"  # straight, typographic, modifier letter, grave, acute
_SPACES = re.compile(r"[^\w]+")


def key(text: str) -> str:
    """Case, accents, apostrophes and punctuation ignored: "Après-demain!" -> "apres demain";
    Turkish dotless i and Polish ł, which have no accent to drop, as i and l."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.translate(str.maketrans("\u0131\u0142", "il", _APOSTROPHES))
    return " ".join(_SPACES.sub(" ", plain).split())


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("@")[0].split("_")[0].lower()


def _babel_weekdays(locale: str) -> Iterator[tuple[int, str]]:
    loc = babel_locale(locale)
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            try:
                names = dict(loc.days[context][width])
            except Exception:
                continue
            for weekday, name in names.items():
                if isinstance(weekday, int) and 0 <= weekday <= 6:
                    yield weekday, str(name)


@dataclass(frozen=True)
class _Vocabulary:
    offsets: dict[str, int]  # "morgen" -> 1
    weekdays: dict[str, int]  # "montag" -> 0
    next: frozenset[str]
    filler: frozenset[str]


@lru_cache(maxsize=64)
def _vocabulary(locale: str) -> _Vocabulary:
    """The prospect's language's words, then English's (the prospect's win on clashes)."""
    locale = locale.split("@")[0]  # "de@formal" reads as "de"
    languages = list(dict.fromkeys(("en", _language(locale))))
    offsets: dict[str, int] = {}
    weekdays: dict[str, int] = {}
    next_words: set[str] = set()
    filler: set[str] = set()
    for language in languages:
        babel_source = "en" if language == "en" else locale
        for weekday, name in _babel_weekdays(babel_source):
            weekdays[key(name)] = weekday
        words = RELATIVE_WORDS.get(language)
        if words is None:
            continue
        for offset, phrases in enumerate((words.today, words.tomorrow, words.after_tomorrow)):
            offsets.update((key(phrase), offset) for phrase in phrases)
        for weekday, forms in enumerate(words.weekdays):
            weekdays.update((key(form), weekday) for form in forms)
        next_words.update(word for phrase in words.next for word in key(phrase).split())
        filler.update(key(word) for word in words.filler)
    return _Vocabulary(offsets, weekdays, frozenset(next_words), frozenset(filler))


def read_relative_date(text: str, locale: str, today: date) -> date | None:
    """The day ``text`` names by a word ("tomorrow", "übermorgen", "next Friday", "в среду"),
    or None when it names none (then it may still be a written date)."""
    vocabulary = _vocabulary(locale)
    words = key(text).split()
    following = any(word in vocabulary.next for word in words)
    rest = " ".join(word for word in words if word not in vocabulary.next)
    phrase = " ".join(word for word in rest.split() if word not in vocabulary.filler)
    for candidate in (rest, phrase):  # "the day after tomorrow" keeps its "the"
        if candidate in vocabulary.offsets:
            return None if following else today + timedelta(days=vocabulary.offsets[candidate])
        if candidate in vocabulary.weekdays:
            ahead = (vocabulary.weekdays[candidate] - today.weekday()) % 7
            return today + timedelta(days=ahead or (7 if following else 0))
    return None


def latest_day(today: date) -> date:
    return today + timedelta(days=LATEST_DAYS)


def parse_forward_date(text: str, locale: str, *, today: date) -> date:
    """A day from today to a year ahead: a word (see :func:`read_relative_date`) or a written
    date. A past day raises DATE_TOO_EARLY, one over a year ahead DATE_TOO_LATE, both with
    ``detail`` FORWARD, as does an unreadable one (BAD_DATE)."""
    cleaned = clean_structured(text, Problem.BAD_DATE, MAX_STRUCTURED_LENGTH)
    value = read_relative_date(cleaned, locale, today)
    if value is None:
        try:
            # Wide bounds, so a two-digit year resolves and a past date is told it has passed.
            value = parse_date(
                cleaned,
                locale,
                earliest=years_before(today, PAST_YEARS_READ),
                latest=today + timedelta(days=365 * FUTURE_YEARS_READ),
            )
        except InvalidAnswer as error:
            raise InvalidAnswer(error.problem, FORWARD) from None
    check_forward(value, today)
    return value


def check_forward(value: date, today: date) -> None:
    """Raises for a day that has passed or lies over a year ahead."""
    if value < today:
        raise InvalidAnswer(Problem.DATE_TOO_EARLY, FORWARD)
    if value > latest_day(today):
        raise InvalidAnswer(Problem.DATE_TOO_LATE, FORWARD)


def forward_example(locale: str, today: date) -> str:
    """The hint's example: a week ahead, as the locale writes a date with a four-digit year."""
    return date_example(locale, today + timedelta(days=EXAMPLE_DAYS))


def next_days(today: date, count: int = FORWARD_DAYS) -> tuple[date, ...]:
    return tuple(today + timedelta(days=offset) for offset in range(count))


def day_label(value: date, locale: str) -> str:
    """A day button: weekday and date as the locale writes them ("Mon 14 Dec", "Mo., 14. Dez.")."""
    loc = babel_locale(locale)
    try:
        return str(babel.dates.format_skeleton("MMMEd", value, locale=loc))
    except Exception:
        return str(babel.dates.format_date(value, "EEE d MMM", locale=loc))


def encode_day(value: date) -> str:
    """A day in a button's callback data: eight digits, so a press after midnight still means
    the day that was shown."""
    return value.strftime("%Y%m%d")


def decode_day(arg: str) -> date | None:
    if len(arg) != 8 or not arg.isdigit():
        return None
    try:
        return date(int(arg[:4]), int(arg[4:6]), int(arg[6:]))
    except ValueError:
        return None


def label_asks_forward(labels: Iterable[str]) -> bool:
    """Whether a date field's label (configured or translated) reads as a day to come."""
    # "séance d'essai": an apostrophe parts a label's words (it joins "aujourd'hui" elsewhere).
    spaced = (
        label.translate(str.maketrans(_APOSTROPHES, " " * len(_APOSTROPHES))) for label in labels
    )
    words = [word for label in spaced for word in key(label).split()]
    for language, stems in FORWARD_LABEL_WORDS.items():
        for stem in (key(s) for s in stems):
            inside = language in _COMPOUNDING
            if any(stem in word if inside else word.startswith(stem) for word in words):
                return True
    return False
