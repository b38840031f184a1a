"""The front desk's texts on their own: opening hours and prices as each locale writes them, and
every text in all twelve catalogs with its placeholders filled."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from bot.frontdesk.handover import notice_text, thread_note
from bot.perfectgym.models import StudioInformation
from bot.perfectgym.offers import MembershipOffers
from bot.standin.sample_studio import offer, sample_information, sample_offers
from conversations.front_desk import (
    ASK,
    BACK,
    Topic,
    choose_club_first,
    desk_row,
    desk_rows,
    parse_topic_data,
    personally,
    topic_data,
    with_row,
)
from conversations.i18n import Translator, available_locales
from conversations.opening_hours import (
    Closure,
    OpeningSpan,
    closure_lines,
    hours_text,
    now_line,
    week_lines,
)
from conversations.prices import MAX_OFFERS, Offer, Term, price, prices_text, term_text
from conversations.replies import Button, Reply

LOCALES = available_locales()
WEEK = (OpeningSpan(0, 4, time(6), time(23)), OpeningSpan(5, 6, time(8), time(20)))
WEDNESDAY = datetime(2030, 1, 9, 20, 0)  # a Wednesday evening
UNFILLED = re.compile(r"\{\w*\}")


def ranges(text: str) -> str:
    """Days and times as the bot joins them: with en dashes, written here as hyphens."""
    return text.replace("-", "\u2013")


def _en(locale: str = "en_GB") -> tuple[Translator, str]:
    return Translator("en"), locale


def _offers(count: int) -> tuple[Offer, ...]:
    term = Term(12, "MONTH", Decimal("49.90"), "EUR")
    return tuple(Offer(f"Offer {n}", (term,), footnote=f"Note {n}") for n in range(count))


# --- opening hours ----------------------------------------------------------------------------


def test_the_week_is_written_in_runs_of_days_the_locales_way() -> None:
    tr, locale = _en()
    assert week_lines(WEEK, tr, locale) == [
        ranges("Mon-Fri 06:00-23:00"),
        ranges("Sat-Sun 08:00-20:00"),
    ]
    assert week_lines(WEEK, Translator("de"), "de_DE") == [
        ranges("Mo-Fr 06:00-23:00"),
        ranges("Sa-So 08:00-20:00"),
    ]
    # An American week starts on Sunday, and its times have AM and PM.
    assert week_lines(WEEK, tr, "en_US") == [
        ranges("Sun 8:00\u202fAM-8:00\u202fPM"),
        ranges("Mon-Fri 6:00\u202fAM-11:00\u202fPM"),
        ranges("Sat 8:00\u202fAM-8:00\u202fPM"),
    ]


def test_split_days_closed_days_and_ranges_past_sunday() -> None:
    tr, locale = _en()
    spans = (
        OpeningSpan(0, 3, time(7), time(12)),
        OpeningSpan(0, 3, time(15), time(21)),
        OpeningSpan(5, 0, time(9), time(14)),  # Saturday to Monday, wrapping
    )
    assert week_lines(spans, tr, locale) == [
        ranges("Mon 07:00-12:00, 09:00-14:00, 15:00-21:00"),
        ranges("Tue-Thu 07:00-12:00, 15:00-21:00"),
        "Fri closed",
        ranges("Sat-Sun 09:00-14:00"),
    ]


def test_open_now_until_and_when_it_opens_next() -> None:
    tr, locale = _en()
    assert now_line(WEEK, (), WEDNESDAY, tr, locale) == "🟢 Open now until 23:00."
    night = WEDNESDAY.replace(hour=23, minute=30)
    assert now_line(WEEK, (), night, tr, locale) == "🔴 Closed now. Opens tomorrow at 06:00."
    early = WEDNESDAY.replace(hour=5)
    assert now_line(WEEK, (), early, tr, locale) == "🔴 Closed now. Opens today at 06:00."
    friday_night = datetime(2030, 1, 11, 23, 30)
    assert now_line(WEEK, (), friday_night, tr, locale) == "🔴 Closed now. Opens tomorrow at 08:00."
    weekdays_only = (OpeningSpan(0, 4, time(7), time(22)),)
    saturday = datetime(2030, 1, 12, 12, 0)
    assert (
        now_line(weekdays_only, (), saturday, tr, locale) == "🔴 Closed now. Opens Monday at 07:00."
    )


def test_past_midnight_around_the_clock_and_a_closure_today() -> None:
    tr, locale = _en()
    late = (OpeningSpan(0, 6, time(18), time(2)),)
    assert now_line(late, (), WEDNESDAY, tr, locale) == "🟢 Open now until tomorrow at 02:00."
    always = (OpeningSpan(0, 6, time(0), time(0)),)
    assert now_line(always, (), WEDNESDAY, tr, locale) == "🟢 Open now, around the clock."
    closed_today = (Closure(datetime(2030, 1, 9), datetime(2030, 1, 10), "Flood"),)
    assert (
        now_line(WEEK, closed_today, WEDNESDAY, tr, locale)
        == "🔴 Closed now. Opens tomorrow at 06:00."
    )
    afternoon_off = (Closure(datetime(2030, 1, 9, 14), datetime(2030, 1, 9, 21), None),)
    assert now_line(WEEK, afternoon_off, WEDNESDAY, tr, locale) == (
        "🔴 Closed now. Opens today at 21:00."
    )


def test_closures_of_the_next_fourteen_days_only() -> None:
    tr, locale = _en()
    closures = (
        Closure(datetime(2030, 1, 8), datetime(2030, 1, 9), "Yesterday"),
        Closure(datetime(2030, 1, 24), datetime(2030, 1, 25), "Christmas Eve"),
        Closure(datetime(2030, 1, 12), datetime(2030, 1, 15), "Renovation"),
        Closure(datetime(2030, 1, 10, 14), datetime(2030, 1, 10, 18), None),
        Closure(datetime(2030, 1, 20), datetime(2030, 1, 21), "Holiday"),
    )
    assert closure_lines(closures, WEDNESDAY, tr, locale) == [
        "⛔ Closed on 10 Jan from 14:00 to 18:00",
        "⛔ Closed from 12 Jan to 14 Jan (Renovation)",
        "⛔ Closed on 20 Jan (Holiday)",
    ]
    german = closure_lines(closures[4:], WEDNESDAY, Translator("de"), "de_DE")
    assert german == [
        "⛔ " + Translator("de").gettext("Closed on {date}").format(date="20. Jan.") + " (Holiday)"
    ]


def test_no_hours_no_answer() -> None:
    tr, locale = _en()
    assert hours_text("Sol", (), (), WEDNESDAY, tr, locale) is None
    assert now_line((), (), WEDNESDAY, tr, locale) is None


# --- the vendor's hours and offers -------------------------------------------------------------


def test_studio_information_reads_public_hours_and_closures_and_skips_what_it_cannot() -> None:
    body = sample_information(date(2030, 1, 9))
    body["publicOpeningHours"] = [
        *body["publicOpeningHours"],
        {"dayOfWeekFrom": "FUNDAY", "dayOfWeekTo": "FRIDAY", "timeFrom": "06:00:00"},
        {"dayOfWeekFrom": "MONDAY", "timeFrom": "not a time", "timeTo": "10:00:00"},
        {
            "dayOfWeekFrom": "SUNDAY",
            "dayOfWeekTo": "SUNDAY",
            "timeFrom": "10:00:00",
            "timeTo": "24:00:00",
        },
    ]
    body["closingHours"] = [
        *body["closingHours"],
        {
            "reason": "Backwards",
            "dateTimeFrom": "2030-01-10T00:00:00",
            "dateTimeTo": "2030-01-09T00:00:00",
        },
        {
            "reason": "  ",
            "dateTimeFrom": "2030-01-11T08:00:00+01:00",
            "dateTimeTo": "2030-01-11T10:00:00+01:00",
        },
    ]
    information = StudioInformation.model_validate(body)
    assert information.opening_spans() == (
        OpeningSpan(0, 4, time(6), time(23)),
        OpeningSpan(5, 6, time(8), time(20)),
        OpeningSpan(6, 6, time(10), time(0)),
    )
    closures = information.closures()
    assert [c.reason for c in closures] == ["Floor renovation", "Staff training", None]
    assert closures[-1].start == datetime(2030, 1, 11, 8)  # wall clock, the offset dropped


def test_membership_offers_read_what_is_shown_and_leave_out_offers_without_a_name() -> None:
    body = sample_offers(date(2030, 1, 9))
    body.append({"id": 77, "terms": []})  # no name
    offers = MembershipOffers.model_validate(body).offers()
    assert [o.name for o in offers] == ["Standard", "Flex", "Student", "Summer special"]
    assert offers[0].terms == (Term(12, "MONTH", Decimal("49.9"), "EUR"),)
    assert offers[0].footnote == "Plus a one-off starter fee of €29. Prices include VAT."
    assert offers[3].last_day == date(2030, 1, 8)


# --- prices ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("de_DE", "49,90\xa0€"), ("en_GB", "€49.90"), ("en_IE", "€49.90"), ("fr_FR", "49,90\xa0€")],
)
def test_prices_are_written_the_locales_way(locale: str, shown: str) -> None:
    assert price(Decimal("49.90"), "EUR", locale) == shown


def test_an_unknown_currency_is_shown_as_it_came() -> None:
    assert "XYZ" in price(Decimal("10"), "XYZ", "en_GB")


def test_terms_are_plural_correct() -> None:
    en, pl = Translator("en"), Translator("pl")
    assert term_text(Term(1, "MONTH", None, None), en) == "1 month"
    assert term_text(Term(12, "MONTH", None, None), en) == "12 months"
    assert term_text(Term(2, "YEAR", None, None), en) == "2 years"
    assert term_text(Term(3, "FORTNIGHT", None, None), en) is None
    assert term_text(Term(0, "DAY", None, None), en) is None
    # Polish has three forms: 1 miesiąc, 2 miesiące, 5 miesięcy.
    assert len({term_text(Term(n, "MONTH", None, None), pl) for n in (1, 2, 5)}) == 3


def test_at_most_five_offers_valid_today_and_where_the_rest_are() -> None:
    tr, locale = _en()
    text = prices_text("Sol", _offers(7), date(2030, 1, 9), tr, locale, "https://sol.example")
    assert text is not None
    assert text.count("▪️") == MAX_OFFERS
    assert text.endswith("More offers on https://sol.example")
    without = prices_text("Sol", _offers(7), date(2030, 1, 9), tr, locale)
    assert without is not None
    assert without.endswith("2 more offers: just ask the studio.")
    exact = prices_text("Sol", _offers(5), date(2030, 1, 9), tr, locale, "https://sol.example")
    assert exact is not None
    assert "More offers" not in exact
    assert "€49.90 a month · minimum term 12 months\nNote 0" in exact


def test_only_offers_on_sale_today() -> None:
    tr, locale = _en()
    today = date(2030, 1, 9)
    offers = (
        Offer("Past", last_day=date(2030, 1, 8)),
        Offer("Future", first_day=date(2030, 1, 10)),
        Offer("Today only", first_day=today, last_day=today),
    )
    text = prices_text(None, offers, today, tr, locale)
    assert text is not None
    assert "Today only" in text
    assert "Past" not in text
    assert "Future" not in text
    assert prices_text(None, offers[:2], today, tr, locale) is None


def test_sample_offers_through_the_vendor_model() -> None:
    offers = MembershipOffers.model_validate(
        [offer(1, "Standard", "49.90", 12, currency="GBP")]
    ).offers()
    text = prices_text("Sol", offers, date(2030, 1, 9), Translator("en"), "en_GB")
    assert text is not None
    assert "£49.90 a month" in text


# --- the buttons -------------------------------------------------------------------------------


def test_desk_buttons_carry_short_data_of_their_own() -> None:
    for topic in Topic:
        data = topic_data(topic)
        assert len(data.encode()) <= 64
        assert parse_topic_data(data) is topic
    assert parse_topic_data("desk:nothing") is None
    assert parse_topic_data("1|ok|") is None
    row = desk_row(Translator("en"))
    assert [b.text for b in row] == ["📍 Where", "🕒 Hours", "💶 Prices"]


def test_the_row_goes_only_where_inline_buttons_can_go() -> None:
    row = (Button("x", "desk:where"),)
    assert with_row(Reply("q"), row).buttons == (row,)
    assert with_row(Reply("q", contact_button="Share"), row).buttons == ()
    assert with_row(Reply("q", keyboard_texts=("a",)), row).buttons == ()
    assert with_row(Reply("q"), ()).buttons == ()


def test_the_whole_desk_is_at_most_two_rows_of_short_data() -> None:
    tr = Translator("en")
    rows = desk_rows(tr, answers=True, ask=True)
    assert [[b.text for b in row] for row in rows] == [
        ["📍 Where", "🕒 Hours", "💶 Prices"],
        ["💬 Ask the studio"],
    ]
    assert desk_rows(tr, answers=False, ask=True) == (rows[1],)
    assert desk_rows(tr, answers=True, ask=False) == (rows[0],)
    assert desk_rows(tr, answers=False, ask=False) == ()
    for data in (ASK, BACK, *(b.data for row in rows for b in row)):
        assert len(data.encode()) <= 64
    assert parse_topic_data(ASK) is None  # the threads' buttons are not answers
    assert parse_topic_data(BACK) is None


@pytest.mark.parametrize("locale", LOCALES)
def test_the_notes_in_a_thread_are_translated_and_name_the_question(locale: str) -> None:
    tr, english = Translator(locale), Translator("en")
    notes = {topic: thread_note(tr, topic) for topic in Topic}
    assert len(set(notes.values())) == 3
    for topic, note in notes.items():
        assert note.startswith("❓")
        assert "PerfectGym" in note
        assert not UNFILLED.search(note)
        if not locale.startswith("en"):
            assert note != thread_note(english, topic), f"{locale}: {topic} untranslated"


# --- every catalog -----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_in_every_catalog_is_translated_and_filled(locale: str) -> None:
    tr = Translator(locale)
    formatting = locale.split("@")[0]
    closures = (
        Closure(datetime(2030, 1, 10), datetime(2030, 1, 11), "Feiertag"),
        Closure(datetime(2030, 1, 12), datetime(2030, 1, 15), None),
        Closure(datetime(2030, 1, 16, 14), datetime(2030, 1, 16, 18), None),
        Closure(datetime(2030, 1, 17, 14), datetime(2030, 1, 18, 10), None),
    )
    saturday = datetime(2030, 1, 12, 12)
    texts = [
        hours_text("Sol", WEEK, closures, WEDNESDAY, tr, formatting),
        hours_text(None, WEEK, (), WEDNESDAY, tr, formatting),
        now_line(WEEK, (), WEDNESDAY.replace(hour=5), tr, formatting),
        now_line(WEEK, (), WEDNESDAY.replace(hour=23), tr, formatting),
        now_line((OpeningSpan(0, 4, time(7), time(22)),), (), saturday, tr, formatting),
        now_line((OpeningSpan(0, 6, time(18), time(2)),), (), WEDNESDAY, tr, formatting),
        now_line((OpeningSpan(0, 6, time(0), time(0)),), (), WEDNESDAY, tr, formatting),
        now_line((OpeningSpan(0, 0, time(0), time(0)),), (), saturday, tr, formatting),
        now_line((OpeningSpan(0, 4, time(0), time(0)),), (), WEDNESDAY, tr, formatting),
        now_line(
            WEEK, (Closure(datetime(2030, 1, 1), datetime(2030, 2, 1)),), WEDNESDAY, tr, formatting
        ),
        prices_text("Sol", _offers(7), date(2030, 1, 9), tr, formatting, "https://s.example"),
        prices_text(None, _offers(6), date(2030, 1, 9), tr, formatting),
        prices_text(None, _offers(8), date(2030, 1, 9), tr, formatting),
        personally(tr),
        choose_club_first(tr, started=True),
        choose_club_first(tr, started=False),
        *(b.text for b in desk_row(tr)),
        *(notice_text(tr, topic) for topic in Topic),
        *(
            term_text(Term(n, unit, None, None), tr)
            for unit in ("DAY", "WEEK", "MONTH", "YEAR")
            for n in (1, 2, 5, 21)
        ),
    ]
    for text in texts:
        assert text, f"{locale}: an answer is missing"
        assert not UNFILLED.search(text), f"{locale}: unfilled placeholder in {text!r}"
    if not locale.startswith("en"):
        english = Translator("en")
        assert personally(tr) != personally(english)
        assert desk_row(tr)[1].text != desk_row(english)[1].text
