"""Every message the bot can send, rendered in every catalog with sample values, read the way a
proofreader reads it (issue 27): no placeholder left unfilled, no doubled punctuation, French
spacing, the language's own quotation marks, nothing longer than Telegram takes.

Two passes: the dialogue, the club choice and the trial booking through their public functions
(what a prospect really meets, with the studio's name, its word or the catalog's word filled in),
and, for completeness, every msgid of every catalog formatted with sample values for its
placeholders (the staff texts, the reports, anything the first pass cannot reach).
"""

from __future__ import annotations

import datetime
import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.intake.commands import help_text, menu, unknown_command_text
from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from conversations import booking, club_choice, flow
from conversations.booking import BookingPhase, BookingState, Offer, TrialSlot
from conversations.clubs import ClubCard
from conversations.context import AskContext
from conversations.field_plan import ConsentCategory, ConsentChannel
from conversations.i18n import Translator
from conversations.kinds import kind_of
from conversations.kinds.base import View
from conversations.kinds.consent import CATEGORIES, CHANNELS, channel_phrase, consent_prompt
from conversations.replies import Outcome, Reply
from conversations.state import ConversationState, Phase
from conversations.studio import Studio
from conversations.summary import summary
from conversations.text import InvalidAnswer, Problem
from tests.harness import load_config

ROOT = Path(__file__).resolve().parent.parent
LOCALES_DIR = ROOT / "locales"
LOCALES = sorted(p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))

TELEGRAM_MAX_TEXT = 4096
MAX_BUTTON_TEXT = 40  # a phone shows about this much of a button in one line

NBSP = "\u00a0\u202f"  # no-break space, narrow no-break space
# Quotation marks a language does not use (besides the straight " every language is spared).
FOREIGN_QUOTES = {
    "de": "«»”",
    "fr": "„“”",
    "ru": "”",
    "uk": "”",
    "pl": "“«»",
    "es": "„",
    "it": "„",
    "pt": "„",
    "nl": "„«»",
    "tr": "„«»",
    "en": "„«»",
}
URL = re.compile(r"https?://\S+")
# A colon that separates (not one in a time "18:30" or a URL), with the spaces around it.
SEPARATOR = re.compile(r"(?<!\d)[\s\u00a0\u202f]*:(?![\d/])")
SENTENCE_END = re.compile(r"(?<=[.!?])[\s\u00a0\u202f]+")


def _language(locale: str) -> str:
    return locale.split("@")[0].split("_")[0]


def problems(text: str, locale: str) -> list[str]:
    """What a proofreader would mark in ``text`` (one message or button) in ``locale``."""
    found = []
    language = _language(locale)
    if "{" in text or "}" in text:
        found.append("a placeholder is left unfilled")
    if len(text) > TELEGRAM_MAX_TEXT:
        found.append(f"longer than Telegram's {TELEGRAM_MAX_TEXT} characters")
    bare = URL.sub("URL", text)
    for line in bare.splitlines():
        for sentence in SENTENCE_END.split(line):
            if len(SEPARATOR.findall(sentence)) >= 2:
                found.append(f"two colons in one sentence (a label ends in one): {sentence!r}")
    for mark, name in (("..", "'..'"), ("  ", "two spaces"), (" ,", "' ,'"), (" .", "' .'")):
        if mark in bare:
            found.append(f"doubled punctuation {name}")
    if '"' in bare:
        found.append("a straight \" instead of the language's quotation marks")
    foreign = [mark for mark in FOREIGN_QUOTES.get(language, "") if mark in bare]
    if foreign:
        found.append(f"quotation marks {''.join(foreign)} not used in {language}")
    if language == "fr":
        for match in re.finditer(r"[;:!?»]", bare):
            at = match.start()
            if match.group() == ":" and not SEPARATOR.match(bare, at):
                continue  # a time or a URL
            if bare[at - 1 : at] not in tuple(NBSP) and not (
                match.group() in "!?" and bare[at - 1 : at] in "!?"
            ):
                found.append(f"no no-break space before {match.group()!r}: {bare[: at + 1]!r}")
        for match in re.finditer("«", bare):
            if bare[match.end() : match.end() + 1] not in tuple(NBSP):
                found.append("no no-break space after «")
    return found


# --- the samples ---------------------------------------------------------------------------------

CONFIG = LeadConfig.model_validate(load_config("everything"))
PLAN = plan_from_config(CONFIG)
BERLIN = ZoneInfo("Europe/Berlin")
YOGA = Offer("c1:10", "Yoga Flow", 60)
COACH = Offer("a2:20", "Probetraining mit Coach", 45)
EVENING = TrialSlot("ref-1", "2026-12-03T18:30:00+01:00", instructor="Mia", place="Room 1")
MORNING = TrialSlot("ref-2", "2026-12-04T09:00:00+01:00")
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=BERLIN)
CLUBS = (
    ClubCard("mitte", "FitX Mitte", "Berlin", "10115", 52.53, 13.38),
    ClubCard("pankow", "FitX Pankow", "Berlin", "13187", 52.57, 13.40),
    ClubCard("altona", "FitX Altona", "Hamburg", "22765", 53.55, 9.93),
)
# Who receives the details: unknown (the catalog's word), the studio's own word, its name.
STUDIOS = {
    "unknown": Studio(),
    "word": Studio(word="the gym"),
    "named": Studio(name="Studio Sol", email="hello@sol.example", phone="+49 30 1234567"),
}


def _formatting(locale: str) -> str:
    return {"pt": "pt_PT", "en": "en_GB"}.get(_language(locale), _language(locale))


def _ctx(locale: str, studio: Studio, **more: object) -> AskContext:
    return AskContext(
        Translator(locale),
        _formatting(locale),
        "DE",
        datetime.date(2026, 11, 27),
        studio=studio,
        **more,  # type: ignore[arg-type]
    )


def _texts(outcome: Outcome | Reply) -> Iterator[tuple[str, bool]]:
    """The outcome's texts: (text, whether it is a button)."""
    replies = (outcome,) if isinstance(outcome, Reply) else outcome.replies
    for reply in replies:
        yield reply.text, False
        for row in reply.buttons:
            for button in row:
                yield button.text, True
    if isinstance(outcome, Outcome):
        if outcome.notice:
            yield outcome.notice, False
        if outcome.settle is not None and outcome.settle.shown:
            yield outcome.settle.shown, False


def _dialogue(locale: str, studio: Studio) -> Iterator[tuple[str, str, bool]]:
    tr = Translator(locale)
    ctx = _ctx(locale, studio)
    yield "greeting", studio.greeting(tr), False
    yield "withdrawal", studio.withdrawal(tr), False
    yield (
        "help",
        help_text(tr, studio, "https://studio.example/privacy", chain=True, ask=True),
        False,
    )
    yield "unknown command", unknown_command_text(tr, chain=True, ask=True), False
    for command, description in menu(tr, chain=True, ask=True):
        yield f"menu /{command}", description, False  # the menu, not a button
    for position in range(len(PLAN.questions)):
        state = ConversationState(
            chat_id=1,
            locale=locale,
            language=locale,
            campaign=None,
            plan=PLAN,
            profile=("Anna", "Schmidt"),
        )
        flow.begin(state, ctx, lambda required, optional: "hi")
        state.queue = state.queue[position:]
        for text, button in _texts(flow.repeat(state, ctx)):
            yield f"question {position}", text, button
    for question in PLAN.questions:
        kind = kind_of(question)
        view = View(country="DE")
        for problem in Problem:
            text = kind.explain(InvalidAnswer(problem, "DE"), ctx, view)
            yield f"{question.key}: {problem.value}", text, False
        yield f"{question.key}: label", kind.label(question, PLAN, ctx), True
    for category in (*CATEGORIES, "FRIENDS_PROGRAM", None):
        consent = ConsentCategory(category, tuple(ConsentChannel(c, True, False) for c in CHANNELS))
        yield (
            f"consent {category}",
            consent_prompt(consent, tr, studio.withdrawal(tr), studio),
            False,
        )
    for channel in CHANNELS:
        yield f"channel {channel}", channel_phrase(channel, tr), False
    state = ConversationState(
        chat_id=1,
        locale=locale,
        language=locale,
        campaign=None,
        plan=PLAN,
        profile=("Anna", "Schmidt"),
    )
    flow.begin(state, ctx, lambda required, optional: "hi")
    for text, button in _texts(
        summary(state, _ctx(locale, studio, club="FitX Mitte", clubs=CLUBS))
    ):
        yield "summary", text, button
    for phase in (Phase.ASKING, Phase.REVIEW):
        state.phase = phase
        for text, button in _texts(flow.remind(state, ctx, studio)):
            yield f"reminder {phase}", text, button


def _club_choice(locale: str) -> Iterator[tuple[str, str, bool]]:
    tr = Translator(locale)
    replies = [
        club_choice.club_question(tr, CLUBS, brand="FitX"),
        club_choice.club_question(tr, CLUBS, brand=None),
        club_choice.all_clubs(tr, CLUBS),
        club_choice.city_clubs(tr, CLUBS, 0),
        club_choice.nearest_clubs(tr, [(CLUBS[0], 1.2), (CLUBS[1], 4.8)], _formatting(locale)),
        club_choice.nearest_clubs(tr, [], _formatting(locale)),
        club_choice.typed_matches(tr, [CLUBS[0]], typed="Mitte", cards=CLUBS),
        club_choice.typed_matches(tr, [CLUBS[0], CLUBS[1]], typed="Berlin", cards=CLUBS),
        club_choice.typed_matches(tr, [], typed="Xanadu", cards=CLUBS),
    ]
    for reply in replies:
        for text, button in _texts(reply):
            yield "club choice", text, button
    yield "club chosen", club_choice.club_chosen(tr, CLUBS[0]), False


def _booking(locale: str, studio: Studio) -> Iterator[tuple[str, str, bool]]:
    tr = Translator(locale)
    ctx = _ctx(locale, studio)

    def state() -> BookingState:
        made = BookingState(1, _formatting(locale), locale, "spring", 77, phase=BookingPhase.DAYS)
        made.offers, made.offer, made.chosen = [YOGA, COACH], YOGA, EVENING
        made.confirm_by = NOW.timestamp() + 3600
        return made

    outcomes: list[Outcome | Reply] = [
        booking.invitation(state(), tr),
        booking.no_thanks(state(), tr, studio),
        booking.offers_view(state(), [YOGA, COACH], ctx),
        booking.offers_view(state(), [], ctx),
        booking.days_view(state(), [EVENING, MORNING], True, ctx, BERLIN, NOW),
        booking.days_view(state(), [], True, ctx, BERLIN, NOW),
        booking.days_view(state(), [], False, ctx, BERLIN, NOW, note=booking.taken_note(tr)),
        booking.times_view(state(), EVENING.starts(BERLIN).date(), [EVENING], ctx, BERLIN, NOW),
        booking.times_view(state(), EVENING.starts(BERLIN).date(), [], ctx, BERLIN, NOW),
        booking.booking_view(state(), EVENING, ctx, BERLIN),
        booking.still_trying(ctx),
        booking.booked_view(state(), ctx, BERLIN),
        booking.booked_view(state(), ctx, BERLIN, earlier=MORNING),
        booking.confirm_view(state(), ctx, BERLIN),
        booking.waiting_view(state(), ctx, BERLIN),
        booking.refused_view(state(), ctx),
        booking.change_refused_view(state(), ctx),
        booking.stale(tr),
    ]
    for outcome in outcomes:
        for text, button in _texts(outcome):
            yield "booking", text, button
    for note in (booking.taken_note(tr), booking.expired_note(tr), booking.change_note(tr)):
        yield "booking note", note, False


@cache
def _studios_own_words() -> tuple[str, ...]:
    """The leads config's own labels (English in the sample config, shown as they are to a
    prospect of any language when the studio texts give none): the studio's words, not ours."""
    ctx = _ctx("en", Studio())
    return tuple(
        kind_of(question).label(question, PLAN, ctx)
        for question in PLAN.questions
        if question.key.startswith("extra.")
    )


def rendered(locale: str) -> Iterator[tuple[str, str, bool]]:
    """(where, text, whether it is a button) for everything the dialogue says in ``locale``,
    the studio's own words left out."""
    every = [
        *(
            (f"{name}: {where}", text, button)
            for name, studio in STUDIOS.items()
            for part in (_dialogue, _booking)
            for where, text, button in part(locale, studio)
        ),
        *_club_choice(locale),
    ]
    for where, text, button in every:
        for own in _studios_own_words():
            text = text.replace(own, "…")
        yield where, text, button


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_dialogue_reads_right(locale: str) -> None:
    marked = []
    seen = 0
    for where, text, button in rendered(locale):
        seen += 1
        assert text.strip(), f"{where}: empty"
        marked += [f"{where}: {problem} in {text!r}" for problem in problems(text, locale)]
        if button and len(text) > MAX_BUTTON_TEXT:
            marked.append(f"{where}: button longer than {MAX_BUTTON_TEXT}: {text!r}")
    assert seen > 200
    assert marked == []


# --- every msgid, formatted ----------------------------------------------------------------------

SAMPLES: dict[str, object] = {
    "address": "Hauptstraße 12, 10115 Berlin",
    "age": 16,
    "answer": "Anna",
    "booked": 3,
    "booking": "B-678",
    "brand": "FitX",
    "campaign": "spring-2026",
    "channels": "e-mail and SMS",
    "city": "Berlin",
    "club": "FitX Mitte",
    "confirmed": 2,
    "contact": "+49 30 1234567",
    "country": "Germany",
    "count": 3,
    "customer": "12345",
    "day": "Thu 3 Dec",
    "date": "24 Dec",
    "deadline": "18:30",
    "default": 30,
    "email": "hello@sol.example",
    "end": "22:00",
    "example": "17.05.1990",
    "fields": "7001, 7002",
    "first": "24 Dec",
    "last": "26 Dec",
    "instructor": "Mia",
    "label": "Phone",
    "lead": "Questions",
    "minutes": 45,
    "most": 366,
    "name": "Anna",
    "number": "12",
    "offered": 10,
    "period": "1-7 Dec 2026",
    "phone": "+49 30 1234567",
    "place": "Room 1",
    "postcode": "10115",
    "price": "49.90 €",
    "question": "Phone",
    "reason": "timeout",
    "ref": "12345",
    "refused": 1,
    "session": "Yoga Flow",
    "start": "07:00",
    "shown": 6,
    "street": "Hauptstraße",
    "term": "12 months",
    "things": "a towel, water and indoor shoes",
    "time": "18:30",
    "topic": "rewards",
    "typed": "Mitte",
    "url": "https://studio.example/privacy",
    "value": "Anna",
    "website": "https://studio.example",
    "when": "Thu 3 Dec at 18:30",
    "who": "Anna Schmidt, anna@example.com",
    "why": "PerfectGym does not answer.",
    "years": 120,
}


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=_language(locale))


@cache
def _shipped(locale: str) -> Catalog:
    return _catalog(locale)


def formatted(catalog: Catalog, locale: str) -> Iterator[tuple[str, str]]:
    """(msgid, msgstr filled with samples) for every form of every entry of ``catalog``; the
    studio in ``{studio}`` is the catalog's own word, as a studio without a name gets it."""
    tr = Translator(locale)
    values = dict(
        SAMPLES,
        channels=format_list(
            [channel_phrase("EMAIL", tr), channel_phrase("TEXT_MESSAGE", tr)], locale=tr.written_in
        ),
    )
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = (message.string,) if isinstance(message.string, str) else message.string
        for form in forms or ():
            names = {field for _, field, _, _ in string.Formatter().parse(form) if field}
            missing = names - set(values) - {"studio"}
            assert not missing, f"{msgid!r}: give SAMPLES a value for {missing}"
            yield msgid, Studio().fill(form, tr, **{n: values[n] for n in names - {"studio"}})


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_entry_reads_right_with_sample_values(locale: str) -> None:
    marked = [
        f"{msgid!r}: {problem} in {text!r}"
        for msgid, text in formatted(_shipped(locale), locale)
        for problem in problems(text, locale)
    ]
    assert marked == []


# --- the checker itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "text", "complaint"),
    [
        ("de", "Kontakt: Neuigkeiten und Angebote: Nein", "two colons"),
        ("de", "Hallo {name}!", "placeholder"),
        ("en", "Thanks!} See you", "placeholder"),
        ("en", "Done.. next", "'..'"),
        ("en", "Done.  Next", "two spaces"),
        ("en", "Yes , please", "' ,'"),
        ("en", "Yes .", "' .'"),
        ("de", 'Tippe auf "Bestätigen".', "straight"),
        ("de", "Tippe auf «Bestätigen».", "not used in de"),
        ("pl", "Naciśnij “Potwierdź”.", "not used in pl"),
        ("fr", "Bonjour ! Ça va ?", "no no-break space before '!'"),
        ("fr", "Adresse: ici", "no no-break space before ':'"),
        ("fr", "Appuyez sur «\u00a0Confirmer »", "no no-break space before '»'"),
        ("fr", "Appuyez sur «Confirmer\u00a0»", "no no-break space after «"),
        ("ru", "Нажмите ”Подтвердить”", "not used in ru"),
        ("en", "x" * (TELEGRAM_MAX_TEXT + 1), "longer than Telegram"),
    ],
)
def test_the_checker_marks_a_broken_text(locale: str, text: str, complaint: str) -> None:
    assert any(complaint in problem for problem in problems(text, locale)), problems(text, locale)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("de", "Kontakt per E-Mail: Nein"),
        ("de", "Tippe auf „Bestätigen“. Um 18:30 geht es los: https://studio.example/a?b=c"),
        ("fr", "Bonjour\u00a0! Appuyez sur «\u00a0Confirmer\u00a0»\u202f; à 18:30\u00a0?!"),
        ("pl", "Naciśnij „Potwierdź”."),
        ("ru", "Нажмите «Подтвердить» …"),
        ("en", "Tap “Confirm” at 18:30: https://studio.example/privacy"),
    ],
)
def test_the_checker_passes_a_clean_text(locale: str, text: str) -> None:
    assert problems(text, locale) == []


def test_a_deliberately_broken_catalog_entry_fails_the_catalog_check() -> None:
    catalog = _catalog("fr")
    message = catalog.get("Please check your details:")
    assert message is not None
    message.string = "Vérifiez vos informations: {label}"
    marked = [
        (msgid, problem)
        for msgid, text in formatted(catalog, "fr")
        for problem in problems(text, "fr")
    ]
    assert [msgid for msgid, _ in marked] == ["Please check your details:"] * len(marked)
    assert any("no no-break space before ':'" in problem for _, problem in marked)
