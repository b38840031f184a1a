"""The "which club?" question's messages and buttons: pure, no database or network."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations import callbacks
from conversations.club_choice import (
    MAX_CLUB_BUTTONS,
    ClubChoiceData,
    all_clubs,
    all_clubs_data,
    cities,
    city_clubs,
    city_data,
    club_chosen,
    club_data,
    club_question,
    nearest_clubs,
    parse_club_data,
    typed_matches,
)
from conversations.clubs import ClubCard, find, nearest
from conversations.i18n import Translator
from conversations.replies import Reply

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LOCALES = sorted(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
EN = Translator("en")

CAMDEN = ClubCard("c1", "Camden", "London", "NW1 7AB", 51.5390, -0.1426)
ISLINGTON = ClubCard("c2", "Islington", "London", "N1 0PS", 51.5362, -0.1033)
MITTE = ClubCard("c3", "Berlin Mitte", "Berlin", "10115", 52.5320, 13.3849)
FEW = (CAMDEN, ISLINGTON, MITTE)

MANY = (
    *(ClubCard(f"l{n}", f"London {n}", "London") for n in range(4)),
    *(ClubCard(f"b{n}", f"Berlin {n}", "Berlin") for n in range(3)),
    ClubCard("m1", "Marienplatz", "München"),
    ClubCard("a1", "Aachen Dom", "aachen"),
    ClubCard("x1", "Online studio"),
)


def _datas(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def _texts(reply: Reply) -> list[str]:
    return [button.text for row in reply.buttons for button in row]


def test_few_clubs_are_buttons_with_a_location_button() -> None:
    reply = club_question(EN, FEW, brand="FitChain")
    assert reply.text.startswith("Welcome to FitChain! Which club would you like to join?")
    assert "Tap a club" in reply.text
    assert _texts(reply) == ["Camden (London)", "Islington (London)", "Berlin Mitte"]
    assert [parse_club_data(d) for d in _datas(reply)] == [
        ClubChoiceData(club_id=card.id) for card in FEW
    ]
    assert reply.location_button == "📍 Send my location"
    assert not reply.can_remove_keyboard


def test_without_a_brand_the_welcome_names_none() -> None:
    assert club_question(EN, FEW, brand=None).text.startswith(
        "Welcome! Which of our clubs would you like to join?"
    )
    assert club_question(EN, FEW, brand="").text.startswith("Welcome! ")


def test_eight_clubs_are_still_buttons_nine_go_by_city() -> None:
    eight = MANY[:MAX_CLUB_BUTTONS]
    assert [parse_club_data(d) for d in _datas(club_question(EN, eight, brand=None))] == [
        ClubChoiceData(club_id=card.id) for card in eight
    ]
    reply = club_question(EN, MANY, brand=None)
    assert "Tap a city" in reply.text
    # Sorted with case and accents ignored; clubs without a city last.
    assert _texts(reply) == [
        "aachen (1)",
        "Berlin (3)",
        "London (4)",
        "München (1)",
        "Other clubs (1)",
    ]
    assert [parse_club_data(d) for d in _datas(reply)] == [
        ClubChoiceData(city_index=index) for index in range(5)
    ]
    assert reply.location_button


def test_many_clubs_in_one_city_are_listed_not_grouped() -> None:
    london = [ClubCard(f"l{n}", f"Club {n}", "London") for n in range(12)]
    assert len(_datas(club_question(EN, london, brand=None))) == 12


def test_a_city_shows_its_clubs_and_leads_back() -> None:
    reply = city_clubs(EN, MANY, 1)
    assert reply.text == "Our clubs in Berlin:"
    assert _texts(reply) == ["Berlin 0", "Berlin 1", "Berlin 2", "← All cities"]
    assert parse_club_data(_datas(reply)[0]) == ClubChoiceData(club_id="b0")
    back = parse_club_data(_datas(reply)[-1])
    assert back is not None
    assert back.show_all
    assert reply.replace
    others = city_clubs(EN, MANY, 4)
    assert others.text == "Our other clubs:"
    assert _texts(others)[0] == "Online studio"


def test_a_city_index_no_longer_there_shows_the_whole_choice() -> None:
    reply = city_clubs(EN, MANY, 99)
    assert _datas(reply) == _datas(all_clubs(EN, MANY))
    assert _datas(reply) == [city_data(index) for index in range(len(cities(MANY)))]


def test_nearest_clubs_show_their_distance_in_the_locale() -> None:
    found = nearest(FEW, 51.5308, -0.1238, count=2)
    reply = nearest_clubs(Translator("de"), found, "de")
    labels = _texts(reply)
    assert labels[0].endswith(" km")
    assert "," in labels[0]  # German decimals
    assert {label.split(" · ")[0] for label in labels[:2]} == {"Camden", "Islington"}
    assert [parse_club_data(d) for d in _datas(reply)[:2]] == [
        ClubChoiceData(club_id=card.id) for card, _ in found
    ]
    assert _datas(reply)[-1] == all_clubs_data()
    en = nearest_clubs(EN, [(CAMDEN, 1.23)], "en")
    assert en.text == "The clubs nearest to you:"
    assert _texts(en)[0] == "Camden · 1.2 km"
    assert "1,2 km" in _texts(nearest_clubs(EN, [(CAMDEN, 1.23)], "de@formal"))[0]


def test_nearest_without_any_club_placed_says_so() -> None:
    reply = nearest_clubs(EN, [], "en")
    assert "nearest" in reply.text
    assert _datas(reply) == [all_clubs_data()]


def test_typed_matches_confirm_one_offer_several_or_show_all_again() -> None:
    one = typed_matches(EN, find(FEW, "camden"), typed="camden", cards=FEW)
    assert _texts(one) == ["Camden (London)", "← All clubs"]
    several = typed_matches(EN, find(FEW, "london"), typed="london", cards=FEW)
    assert _texts(several)[:2] == ["Camden (London)", "Islington (London)"]
    many = [ClubCard(f"l{n}", f"Club {n}", "London") for n in range(12)]
    assert len(_datas(typed_matches(EN, many, typed="club", cards=many))) == MAX_CLUB_BUTTONS + 1
    none = typed_matches(EN, find(FEW, "Paris"), typed="Paris", cards=FEW)
    assert none.text.startswith("I couldn't find a club for “Paris”.")
    assert _datas(none) == [club_data(card.id) for card in FEW]
    assert none.location_button


def test_a_long_typed_text_is_quoted_short() -> None:
    reply = typed_matches(EN, [], typed="word " * 100, cards=FEW)
    assert len(reply.text) < 200
    assert "…" in reply.text


def test_the_chosen_club_is_confirmed() -> None:
    assert club_chosen(EN, CAMDEN) == "Great, Camden (London) it is."
    assert club_chosen(EN, MITTE) == "Great, Berlin Mitte it is."


def test_callback_data_round_trips_and_stays_small() -> None:
    club_id = "5f8d0d55b54764421b7156c9"  # 24 characters, like a database object id
    data = club_data(club_id)
    assert len(data.encode()) <= 32
    assert parse_club_data(data) == ClubChoiceData(club_id=club_id)
    assert parse_club_data(city_data(12)) == ClubChoiceData(city_index=12)
    assert len(city_data(999).encode()) <= 32
    shown_all = parse_club_data(all_clubs_data())
    assert shown_all is not None
    assert shown_all.show_all
    with pytest.raises(ValueError, match="64-byte"):
        club_data("x" * 64)


@pytest.mark.parametrize(
    "data", ["", "club:", "city:", "city:x", "city:12345", "clubs!", "7|ok|", "1|o|2"]
)
def test_other_buttons_are_not_club_choices(data: str) -> None:
    assert parse_club_data(data) is None


def test_club_data_is_not_read_as_a_question_button() -> None:
    for data in (club_data("a|b|c"), club_data("123"), city_data(0), all_clubs_data()):
        assert callbacks.decode(data) is None


def _every_message(tr: Translator, locale: str) -> list[Reply]:
    return [
        club_question(tr, FEW, brand="FitChain"),
        club_question(tr, FEW, brand=None),
        club_question(tr, MANY, brand="FitChain"),
        city_clubs(tr, MANY, 0),
        city_clubs(tr, MANY, len(cities(MANY)) - 1),
        all_clubs(tr, MANY),
        nearest_clubs(tr, [(CAMDEN, 0.85), (ISLINGTON, 2.345)], locale),
        nearest_clubs(tr, [], locale),
        typed_matches(tr, [CAMDEN], typed="camden", cards=FEW),
        typed_matches(tr, [CAMDEN, ISLINGTON], typed="london", cards=FEW),
        typed_matches(tr, [], typed="Paris", cards=FEW),
        Reply(club_chosen(tr, CAMDEN)),
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_renders_in_every_catalog(locale: str) -> None:
    tr = Translator(locale)
    replies = _every_message(tr, locale)
    english = _every_message(EN, "en")
    for reply, source in zip(replies, english, strict=True):
        shown = [reply.text, *_texts(reply), reply.location_button or ""]
        assert not any("{" in text or "}" in text for text in shown), shown
        assert reply.text.strip()
        if locale != "en":
            assert reply.text != source.text, f"untranslated in {locale}: {reply.text!r}"
    assert "FitChain" in replies[0].text
    assert "Paris" in replies[10].text
    assert "Camden" in replies[11].text
