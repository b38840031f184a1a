# ruff: noqa: RUF001  (the prospects' own words and the catalogs' punctuation, not look-alikes)
"""A date question that asks for a day to come: words, buttons, past days refused (issue 27)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.studio.texts import StudioTexts, StudioTextsError, template
from conversations import callbacks
from conversations.context import AskContext
from conversations.dates import date_example as format_example
from conversations.dates import format_date
from conversations.field_plan import AnswerKind, FieldPlan, Question, Slot
from conversations.i18n import Translator, available_locales
from conversations.kinds import kind_of
from conversations.kinds.base import Accept, Notice, View
from conversations.relative_dates import (
    RELATIVE_WORDS,
    day_label,
    label_asks_forward,
    parse_forward_date,
    read_relative_date,
)
from conversations.text import InvalidAnswer, Problem
from conversations.wording import FieldWording
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot

WEDNESDAY = date(2026, 12, 9)
TRIAL = Question(
    "extra.7003",
    Slot.ADDITIONAL,
    AnswerKind.DATE,
    False,
    label="Preferred trial date",
    field_id=7003,
)
PLAIN = Question(
    "extra.7010", Slot.ADDITIONAL, AnswerKind.DATE, False, label="Membership end", field_id=7010
)
BIRTH = Question("birth_date", Slot.DATE_OF_BIRTH, AnswerKind.BIRTH_DATE, True)


def _ctx(
    catalog: str = "en",
    locale: str = "en_GB",
    today: date = WEDNESDAY,
    wording: FieldWording | None = None,
) -> AskContext:
    return AskContext(Translator(catalog), locale, None, today, wording=wording or FieldWording())


# --- the words, in every catalog language -----------------------------------------------------


def test_every_catalog_language_has_its_words() -> None:
    assert set(available_locales()) <= set(RELATIVE_WORDS)


# (locale, typed, days after Wednesday 9 December 2026)
WORDS = [
    ("en", "today", 0),
    ("en", "Tomorrow!", 1),
    ("en", "the day after tomorrow", 2),
    ("en", "Friday", 2),
    ("en", "fri", 2),
    ("en", "on Monday", 5),
    ("en", "Wednesday", 0),
    ("en", "next Wednesday", 7),
    ("en", "next Friday", 2),
    ("de", "heute", 0),
    ("de", "morgen", 1),
    ("de", "Übermorgen", 2),
    ("de", "ubermorgen", 2),
    ("de", "Freitag", 2),
    ("de", "Fr.", 2),
    ("de", "am Montag", 5),
    ("de", "Mittwoch", 0),
    ("de", "nächsten Mittwoch", 7),
    ("de@formal", "morgen", 1),
    ("de_AT", "am Freitag", 2),
    ("es", "hoy", 0),
    ("es", "mañana", 1),
    ("es", "manana", 1),
    ("es", "pasado mañana", 2),
    ("es", "viernes", 2),
    ("es", "el lunes", 5),
    ("es", "miercoles", 0),
    ("es", "el miércoles que viene", 7),
    ("fr", "aujourd'hui", 0),
    ("fr", "aujourd’hui", 0),
    ("fr", "demain", 1),
    ("fr", "après-demain", 2),
    ("fr", "apres demain", 2),
    ("fr", "vendredi", 2),
    ("fr", "ven.", 2),
    ("fr", "lundi", 5),
    ("fr", "mercredi prochain", 7),
    ("it", "oggi", 0),
    ("it", "domani", 1),
    ("it", "dopodomani", 2),
    ("it", "venerdi", 2),
    ("it", "lunedì", 5),
    ("it", "mercoledì prossimo", 7),
    ("nl", "vandaag", 0),
    ("nl", "morgen", 1),
    ("nl", "overmorgen", 2),
    ("nl", "vrijdag", 2),
    ("nl", "op maandag", 5),
    ("nl", "volgende woensdag", 7),
    ("pl", "dziś", 0),
    ("pl", "dzisiaj", 0),
    ("pl", "jutro", 1),
    ("pl", "pojutrze", 2),
    ("pl", "piątek", 2),
    ("pl", "w poniedziałek", 5),
    ("pl", "w środę", 0),
    ("pl", "w przyszłą środę", 7),
    ("pt", "hoje", 0),
    ("pt", "amanhã", 1),
    ("pt", "depois de amanhã", 2),
    ("pt", "sexta-feira", 2),
    ("pt", "sexta", 2),
    ("pt", "na segunda", 5),
    ("pt", "na próxima quarta", 7),
    ("ru", "сегодня", 0),
    ("ru", "Завтра", 1),
    ("ru", "послезавтра", 2),
    ("ru", "пятница", 2),
    ("ru", "в пятницу", 2),
    ("ru", "в понедельник", 5),
    ("ru", "в среду", 0),
    ("ru", "в следующую среду", 7),
    ("tr", "bugün", 0),
    ("tr", "yarın", 1),
    ("tr", "yarin", 1),
    ("tr", "öbür gün", 2),
    ("tr", "Cuma", 2),
    ("tr", "Cuma günü", 2),
    ("tr", "Pazartesi", 5),
    ("tr", "Çarşamba", 0),
    ("tr", "gelecek çarşamba", 7),
    ("uk", "сьогодні", 0),
    ("uk", "завтра", 1),
    ("uk", "післязавтра", 2),
    ("uk", "п'ятниця", 2),
    ("uk", "у пʼятницю", 2),
    ("uk", "в понеділок", 5),
    ("uk", "в середу", 0),
    ("uk", "в наступну середу", 7),
]


@pytest.mark.parametrize(("locale", "typed", "ahead"), WORDS)
def test_words_name_a_day_from_today(locale: str, typed: str, ahead: int) -> None:
    assert read_relative_date(typed, locale, WEDNESDAY) == WEDNESDAY + timedelta(days=ahead)


def test_every_catalog_language_is_covered_by_the_word_tests() -> None:
    tested = {locale.split("@")[0].split("_")[0] for locale, _, _ in WORDS}
    assert set(available_locales()) <= tested


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        ("en", "next tomorrow"),
        ("en", "someday"),
        ("en", "14.12.2026"),
        ("en", "morgen"),  # another language's word: the prospect's language and English only
        ("de", "mañana"),
        ("de", "Montag Freitag"),
    ],
)
def test_other_text_names_no_day(locale: str, typed: str) -> None:
    assert read_relative_date(typed, locale, WEDNESDAY) is None


def test_english_words_are_understood_in_every_language() -> None:
    for locale in available_locales():
        assert read_relative_date("tomorrow", locale, WEDNESDAY) == date(2026, 12, 10)


# --- typed dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "locale", "expected"),
    [
        ("2026-12-24", "de", date(2026, 12, 24)),
        ("24.12.2026", "de", date(2026, 12, 24)),
        ("24.12.26", "de", date(2026, 12, 24)),
        ("24/12/2026", "en_GB", date(2026, 12, 24)),
        ("12/24/2026", "en", date(2026, 12, 24)),
        ("24 December 2026", "en_GB", date(2026, 12, 24)),
        ("9.12.2026", "de", WEDNESDAY),
        ("9.12.2027", "de", date(2027, 12, 9)),
    ],
)
def test_written_dates_are_read_in_the_locales_order(
    typed: str, locale: str, expected: date
) -> None:
    assert parse_forward_date(typed, locale, today=WEDNESDAY) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("8.12.2026", Problem.DATE_TOO_EARLY),
        ("1.1.26", Problem.DATE_TOO_EARLY),  # a two-digit year: 2026, which has passed
        ("31.12.1990", Problem.DATE_TOO_EARLY),
        ("10.12.2027", Problem.DATE_TOO_LATE),
        ("31.2.2027", Problem.NO_SUCH_DATE),
        ("bald", Problem.BAD_DATE),
    ],
)
def test_past_far_and_unreadable_dates_are_refused(typed: str, problem: Problem) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_forward_date(typed, "de", today=WEDNESDAY)
    assert caught.value.problem is problem


# --- the question -----------------------------------------------------------------------------


def test_a_trial_date_offers_the_next_seven_days_as_buttons() -> None:
    kind = kind_of(TRIAL)
    token = 987654321  # the longest token a button carries
    rows = kind.buttons(TRIAL, _ctx(), token, View())
    buttons = [button for row in rows for button in row]
    assert [b.text for b in buttons] == [
        "Wed 9 Dec",
        "Thu 10 Dec",
        "Fri 11 Dec",
        "Sat 12 Dec",
        "Sun 13 Dec",
        "Mon 14 Dec",
        "Tue 15 Dec",
    ]
    assert all(len(b.data.encode()) <= 64 for b in buttons)
    german = kind.buttons(TRIAL, _ctx("de", "de_DE"), token, View())
    assert [b.text for row in german for b in row][:3] == [
        "Mi., 9. Dez.",
        "Do., 10. Dez.",
        "Fr., 11. Dez.",
    ]
    for offset, button in enumerate(buttons):
        action = callbacks.decode(button.data)
        assert action is not None
        assert action.token == token
        pressed = kind.read_button(TRIAL, action, _ctx(), View())
        assert pressed == Accept((WEDNESDAY + timedelta(days=offset)).isoformat())


def test_a_day_pressed_after_it_has_passed_is_explained() -> None:
    kind = kind_of(TRIAL)
    [first, *_] = kind.buttons(TRIAL, _ctx(), 5, View())[0]
    action = callbacks.decode(first.data)
    assert action is not None
    pressed = kind.read_button(TRIAL, action, _ctx(today=WEDNESDAY + timedelta(days=1)), View())
    assert pressed == Notice("That date has passed — please choose today or a later day.")


def test_the_forward_prompt_gives_a_future_example() -> None:
    kind = kind_of(TRIAL)
    prompt = kind.prompt(TRIAL, FieldPlan((TRIAL,)), _ctx("de", "de_DE"), View())
    assert prompt.title == "Preferred trial date"
    assert prompt.hint == (
        "Tippe auf einen Tag oder schreib ein Datum wie 16.12.2026 oder ein Wort wie „morgen“."
    )


@pytest.mark.parametrize(
    ("catalog", "typed", "stored"),
    [
        ("en", "tomorrow", "2026-12-10"),
        ("de", "morgen", "2026-12-10"),
        ("tr", "Cuma", "2026-12-11"),
    ],
)
def test_a_word_is_stored_as_the_iso_date(catalog: str, typed: str, stored: str) -> None:
    ctx = _ctx(catalog, catalog)
    assert kind_of(TRIAL).read_text(TRIAL, typed, ctx, View()) == stored


@pytest.mark.parametrize(
    ("catalog", "typed", "explanation"),
    [
        ("en", "1.12.2026", "That date has passed — please choose today or a later day."),
        (
            "de",
            "1.12.2026",
            "Dieser Tag ist schon vorbei – bitte wähle heute oder einen späteren Tag.",
        ),
        (
            "de@formal",
            "1.12.2026",
            "Dieser Tag ist schon vorbei – bitte wählen Sie heute oder einen späteren Tag.",
        ),
        ("en", "1.1.2028", "That date is more than a year ahead — please choose an earlier day."),
        ("en", "soonish", "I couldn't read that as a date. Please type it like 16/12/2026."),
    ],
)
def test_a_refused_day_is_explained(catalog: str, typed: str, explanation: str) -> None:
    kind = kind_of(TRIAL)
    ctx = _ctx(catalog, "en_GB" if catalog == "en" else "de")
    with pytest.raises(InvalidAnswer) as caught:
        kind.read_text(TRIAL, typed, ctx, View())
    assert kind.explain(caught.value, ctx, View()) == explanation


def test_every_catalog_explains_a_past_day_in_its_own_words() -> None:
    kind = kind_of(TRIAL)
    texts = set()
    for catalog in ("de", "de@formal", "en", "es", "fr", "it", "nl", "pl", "pt", "ru", "tr", "uk"):
        ctx = _ctx(catalog, catalog.split("@")[0])
        with pytest.raises(InvalidAnswer) as caught:
            kind.read_text(TRIAL, "2026-12-01", ctx, View())
        texts.add(kind.explain(caught.value, ctx, View()))
    assert len(texts) == 12


def test_birth_dates_and_other_date_fields_keep_todays_rules() -> None:
    ctx = _ctx("de", "de", wording=FieldWording(future={7010: False}))
    for question in (BIRTH, PLAIN):
        kind = kind_of(question)
        assert kind.buttons(question, ctx, 5, View()) == ()
        with pytest.raises(InvalidAnswer) as caught:
            kind.read_text(question, "morgen", ctx, View())
        assert caught.value.problem is Problem.BAD_DATE
        assert kind.explain(caught.value, ctx, View()) == (
            "Das konnte ich nicht als Datum erkennen. Bitte schreib es so: 31.12.1990."
        )
    assert kind_of(BIRTH).read_text(BIRTH, "31.12.1990", ctx, View()) == "1990-12-31"
    assert kind_of(PLAIN).read_text(PLAIN, "31.12.1990", ctx, View()) == "1990-12-31"
    assert kind_of(PLAIN).read_text(PLAIN, "31.12.2030", ctx, View()) == "2030-12-31"


# --- which fields ask forward -----------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "Preferred trial date",
        "Start date",
        "Wunschtermin",
        "Datum fürs Probetraining",
        "Fecha de la clase de prueba",
        "Date de votre séance d’essai",
        "Data della lezione di prova",
        "Voorkeursdatum proefles",
        "Termin treningu próbnego",
        "Data da aula experimental",
        "Дата пробного занятия",
        "Deneme dersi tarihi",
        "Бажана дата пробного заняття",
    ],
)
def test_a_label_that_asks_for_a_day_to_come_is_guessed(label: str) -> None:
    assert label_asks_forward([label])


@pytest.mark.parametrize(
    "label", ["Date", "Datum", "Membership end", "Date of last visit", "Expiry date"]
)
def test_other_labels_are_not(label: str) -> None:
    assert not label_asks_forward([label])


FIELDS = {
    7001: ("How did you hear about us?", ("Instagram", "Friends")),
    7003: ("Preferred trial date", ()),
    7010: ("Membership end", ()),
}
DATES = {7003, 7010}


def test_the_studio_texts_mark_a_date_field_future_or_not() -> None:
    texts = StudioTexts.parse(
        '{"additional_fields": {"7003": {"future": false}, "7010": {"future": true}}}'
    )
    texts.check_fields(FIELDS, date_fields=DATES)
    wording = texts.wording_for("de")
    assert not wording.asks_forward(TRIAL)  # false turns the label's guess off
    assert wording.asks_forward(PLAIN)
    unmarked = StudioTexts.parse("{}").wording_for("de")
    assert unmarked.asks_forward(TRIAL)
    assert not unmarked.asks_forward(PLAIN)
    assert not unmarked.asks_forward(BIRTH)


def test_a_translated_label_is_read_too() -> None:
    texts = StudioTexts.parse('{"additional_fields": {"7010": {"label": {"de": "Wunschtermin"}}}}')
    assert texts.wording_for("de").asks_forward(PLAIN)
    assert not texts.wording_for("en").asks_forward(PLAIN)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"additional_fields": {"7001": {"future": true}}}',
            "additional_fields.7001.future: the field is not a DATE field",
        ),
        (
            '{"additional_fields": {"7099": {"future": true}}}',
            "additional_fields.7099: the leads config has no such additional field",
        ),
    ],
)
def test_future_only_on_a_date_field_of_the_config(content: str, message: str) -> None:
    with pytest.raises(StudioTextsError, match=message):
        StudioTexts.parse(content).check_fields(FIELDS, date_fields=DATES)


def test_future_must_be_true_or_false() -> None:
    with pytest.raises(StudioTextsError, match=r"additional_fields\.7003\.future"):
        StudioTexts.parse('{"additional_fields": {"7003": {"future": "yes"}}}')


def test_the_template_shows_each_date_fields_reading_and_changes_nothing() -> None:
    printed = template(FIELDS, date_fields=DATES)
    fields = json.loads(printed)["additional_fields"]
    assert fields["7003"]["future"] is True
    assert fields["7010"]["future"] is False
    assert "future" not in fields["7001"]
    texts = StudioTexts.parse(printed)
    texts.check_fields(FIELDS, date_fields=DATES)
    assert texts.wording_for("de").asks_forward(TRIAL)
    assert not texts.wording_for("de").asks_forward(PLAIN)


# --- end to end, through the real Application -------------------------------------------------

ZONE = "Europe/Berlin"


def _studio_today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def _trial_only() -> dict[str, object]:
    """Name and e-mail, then the everything config's "Preferred trial date" (optional)."""
    config = load_config("all-inactive")
    trial = [
        extra
        for extra in load_config("everything")["additionalInformation"]
        if extra["additionalFieldId"] == 7003
    ]
    assert trial[0]["name"] == "Preferred trial date"
    assert trial[0]["mode"] == "OPTIONAL"
    config["additionalInformation"] = trial
    return config


async def test_a_trial_date_in_english_by_button_after_a_past_date(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    today = _studio_today()
    pg.set_config(_trial_only())
    env = bot_environment(tg, pg, database_url, STUDIO_TIMEZONE=ZONE)
    async with running_bot(env):
        tom = Prospect(tg, chat_id=27001, language_code="en-GB", first_name="Tom")
        question = await tom.introduce(
            "Tom",
            "Tailor",
            "tom@example.com",
            then=["Preferred trial date (optional)", "Tap a day", "“tomorrow”"],
        )
        week_ahead = format_example("en_GB", today + timedelta(days=7))
        assert week_ahead in (question.text or "")
        days = [day_label(today + timedelta(days=n), "en_GB") for n in range(7)]
        assert [text for text, _ in question.buttons()][:7] == days
        yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
        question = await tom.answer(
            yesterday,
            "That date has passed — please choose today or a later day.",
            "Preferred trial date",
        )
        after_tomorrow = today + timedelta(days=2)
        summary = await tom.choose(
            question,
            days[2],
            "Please check your details",
            f"Preferred trial date: {format_date(after_tomorrow, 'en_GB')}",
        )
        if _studio_today() != today:
            pytest.skip("the studio's day changed during the test")
        await tom.choose(summary, "Yes, send it", "Thank you, Tom")
    [lead] = pg.created
    assert lead["additionalInformation"] == [
        {"additionalFieldId": 7003, "value": after_tomorrow.isoformat()}
    ]
    assert tg.errors == []


async def test_a_trial_date_in_german_typed_as_morgen(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    today = _studio_today()
    pg.set_config(_trial_only())
    env = bot_environment(tg, pg, database_url, STUDIO_TIMEZONE=ZONE)
    async with running_bot(env):
        jana = Prospect(tg, chat_id=27002, language_code="de-DE", first_name="Jana")
        question = await jana.introduce(
            "Jana",
            "Huber",
            "jana@example.de",
            welcome=["3 Fragen sind Pflicht"],
            then=["Preferred trial date (optional)", "Tippe auf einen Tag", "„morgen“"],
        )
        assert format_example("de_DE", today + timedelta(days=7)) in (question.text or "")
        days = [day_label(today + timedelta(days=n), "de_DE") for n in range(7)]
        assert [text for text, _ in question.buttons()][:7] == days
        assert question.button_data("Überspringen")
        yesterday = (today - timedelta(days=1)).strftime("%d.%m.%Y")
        await jana.answer(
            yesterday,
            "Dieser Tag ist schon vorbei – bitte wähle heute oder einen späteren Tag.",
            "Preferred trial date",
        )
        tomorrow = today + timedelta(days=1)
        summary = await jana.answer(
            "morgen",
            "Bitte prüfe deine Angaben",
            f"Preferred trial date: {format_date(tomorrow, 'de_DE')}",
        )
        if _studio_today() != today:
            pytest.skip("the studio's day changed during the test")
        await jana.press(summary, summary.buttons()[0][0])
        await jana.expect("Jana")
    [lead] = pg.created
    assert lead["additionalInformation"] == [
        {"additionalFieldId": 7003, "value": tomorrow.isoformat()}
    ]
    assert tg.errors == []
