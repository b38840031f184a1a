"""The first question of a chain's bot when the link named no club: which club?

The prospect taps a club (or first a city, when there are more than :data:`MAX_CLUB_BUTTONS`),
shares their location, or types a city, postcode or club name. These are the messages only;
reading the answer (``conversations.clubs``) and moving on is the dialogue's business.

Club buttons carry the club's id, not a question token: the choice means the same whichever
message it was pressed on, and the dialogue decides whether a club may still be chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conversations.asking import MAX_BUTTON_TEXT, shorten
from conversations.clubs import ClubCard, card_key, distance_text
from conversations.i18n import Translator
from conversations.replies import Button, Reply

MAX_CLUB_BUTTONS = 8
"""More clubs than this are offered city by city, and more matches than this are cut."""
MAX_CALLBACK_BYTES = 64
MAX_QUOTED = 40
"""How much of an unmatched typed text the answer repeats."""

_CLUB = "club:"
_CITY = "city:"
_ALL = "clubs"

Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ClubChoiceData:
    """A decoded club-question button: a club, a city's clubs, or (neither) all clubs again."""

    club_id: str | None = None
    city_index: int | None = None

    @property
    def show_all(self) -> bool:
        return self.club_id is None and self.city_index is None


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError("callback data over Telegram's 64-byte limit")
    return data


def club_data(club_id: str) -> str:
    return _checked(f"{_CLUB}{club_id}")


def city_data(index: int) -> str:
    return _checked(f"{_CITY}{index}")


def all_clubs_data() -> str:
    return _ALL


def parse_club_data(data: str) -> ClubChoiceData | None:
    """None for any other button (the dialogue's own, or junk)."""
    if data == _ALL:
        return ClubChoiceData()
    if data.startswith(_CLUB) and len(data) > len(_CLUB):
        return ClubChoiceData(club_id=data[len(_CLUB) :])
    index = data[len(_CITY) :]
    if data.startswith(_CITY) and index.isdigit() and len(index) < 4:
        return ClubChoiceData(city_index=int(index))
    return None


def cities(cards: Sequence[ClubCard]) -> list[tuple[str | None, list[ClubCard]]]:
    """The clubs by city, cities in alphabetical order (case and accents ignored), clubs without
    a city last under None; a city's index here is what :func:`city_data` carries, so the same
    cards must be used to show the question and to read its answer."""
    groups: dict[str, tuple[str, list[ClubCard]]] = {}
    others: list[ClubCard] = []
    for card in cards:
        key = card_key(card.city) if card.city else ""
        if not key:
            others.append(card)
        else:
            groups.setdefault(key, (card.city or key, []))[1].append(card)
    ordered: list[tuple[str | None, list[ClubCard]]] = [groups[key] for key in sorted(groups)]
    if others:
        ordered.append((None, others))
    return ordered


def club_label(card: ClubCard) -> str:
    """ "Camden (London)"; just the name where it already says the city."""
    if card.city and card_key(card.city) not in card_key(card.name):
        return f"{card.name} ({card.city})"
    return card.name


def location_label(tr: Translator) -> str:
    return tr.gettext("📍 Send my location")


def _club_rows(cards: Sequence[ClubCard], *, with_city: bool = True) -> Rows:
    return tuple(
        (
            Button(
                shorten(club_label(card) if with_city else card.name, MAX_BUTTON_TEXT),
                club_data(card.id),
            ),
        )
        for card in cards
    )


def _all_clubs_row(tr: Translator) -> tuple[Button, ...]:
    return (Button(tr.gettext("← All clubs"), all_clubs_data()),)


def _by_city(cards: Sequence[ClubCard]) -> bool:
    return len(cards) > MAX_CLUB_BUTTONS and len(cities(cards)) > 1


def _choice(tr: Translator, cards: Sequence[ClubCard]) -> tuple[str, Rows]:
    """The hint and the buttons to choose among all clubs: each club, or each city."""
    if not _by_city(cards):
        hint = tr.gettext("Tap a club, send your location, or type a city, postcode or club name.")
        return hint, _club_rows(cards)
    others = tr.gettext("Other clubs")
    buttons = [
        Button(f"{shorten(city or others, MAX_BUTTON_TEXT - 5)} ({len(clubs)})", city_data(index))
        for index, (city, clubs) in enumerate(cities(cards))
    ]
    rows = tuple(tuple(buttons[start : start + 2]) for start in range(0, len(buttons), 2))
    hint = tr.gettext("Tap a city, send your location, or type a city, postcode or club name.")
    return hint, rows


def club_question(tr: Translator, cards: Sequence[ClubCard], *, brand: str | None) -> Reply:
    """The welcome naming the brand, and every way to choose a club.

    Telegram gives a message either inline buttons or a reply keyboard, so the Telegram layer
    sends the location keyboard just after this message (``Reply.location_button``).
    """
    if brand:
        welcome = tr.gettext("Welcome to {brand}! Which club would you like to join?")
        welcome = welcome.format(brand=brand)
    else:
        welcome = tr.gettext("Welcome! Which of our clubs would you like to join?")
    hint, rows = _choice(tr, cards)
    return Reply(f"{welcome}\n{hint}", buttons=rows, location_button=location_label(tr))


def all_clubs(tr: Translator, cards: Sequence[ClubCard]) -> Reply:
    """The whole choice again, in place of the message whose "All cities" or "All clubs"
    button was pressed (the location keyboard from the question is still there)."""
    hint, rows = _choice(tr, cards)
    return Reply(hint, buttons=rows, replace=True)


def city_clubs(tr: Translator, cards: Sequence[ClubCard], city_index: int) -> Reply:
    """One city's clubs, in place of the cities; an index the cards no longer have (the clubs
    changed since the buttons were shown) shows the whole choice again."""
    groups = cities(cards)
    if not 0 <= city_index < len(groups):
        return all_clubs(tr, cards)
    city, clubs = groups[city_index]
    if city is None:
        text = tr.gettext("Our other clubs:")
    else:
        text = tr.gettext("Our clubs in {city}:").format(city=city)
    back = (Button(tr.gettext("← All cities"), all_clubs_data()),)
    return Reply(text, buttons=(*_club_rows(clubs, with_city=False), back), replace=True)


def nearest_clubs(tr: Translator, found: list[tuple[ClubCard, float]], locale: str) -> Reply:
    """The clubs nearest to a shared location with their distance, in the prospect's locale."""
    if not found:
        text = tr.gettext(
            "I can't tell which club is nearest to you. Type a city, postcode or club name instead."
        )
        return Reply(text, buttons=(_all_clubs_row(tr),))
    rows = tuple(
        (
            Button(
                f"{shorten(card.name, MAX_BUTTON_TEXT - 10)} · {distance_text(km, locale)}",
                club_data(card.id),
            ),
        )
        for card, km in found
    )
    return Reply(tr.gettext("The clubs nearest to you:"), buttons=(*rows, _all_clubs_row(tr)))


def typed_matches(
    tr: Translator, found: list[ClubCard], *, typed: str, cards: Sequence[ClubCard]
) -> Reply:
    """The answer to a typed city, postcode or name: the club to confirm, the matches to pick
    from, or (none) the whole choice again. ``typed`` is quoted back when nothing matched;
    ``cards`` are all the clubs, offered again then."""
    if len(found) == 1:
        text = tr.gettext("Did you mean this club?")
        return Reply(text, buttons=(*_club_rows(found), _all_clubs_row(tr)))
    if found:
        text = tr.gettext("Which of these clubs do you mean?")
        rows = _club_rows(found[:MAX_CLUB_BUTTONS])
        return Reply(text, buttons=(*rows, _all_clubs_row(tr)))
    quoted = shorten(" ".join(typed.split()), MAX_QUOTED)
    missing = tr.gettext(
        "I couldn't find a club for “{typed}”. Try a city, a postcode or a club's name, "
        "or pick one below."
    ).format(typed=quoted)
    _, rows = _choice(tr, cards)
    return Reply(missing, buttons=rows, location_button=location_label(tr))


def club_chosen(tr: Translator, card: ClubCard) -> str:
    """The line written under the question once a club is chosen, so the chat reads as a record."""
    return tr.gettext("Great, {club} it is.").format(club=club_label(card))
