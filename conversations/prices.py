"""What a membership costs, as a prospect reads it: the studio's offers valid today, each with its
name, the average price per month in the offer's currency, the minimum term and its footnote.

Pure: no Telegram, no vendor, no clock. PerfectGym's ``GET /v1/memberships/membership-offers``
gives the offers (``perfectgym-chains-offers-webhooks.md`` §2); the caller turns them into
:class:`Offer`. Prices are written the prospect's locale's way (Babel), never converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import UnknownCurrencyError, format_currency

from conversations.i18n import Translator, babel_locale

MAX_OFFERS = 5
"""More than this and the message stops being read; the rest are on the studio's website."""


@dataclass(frozen=True)
class Term:
    """One contract term of an offer: at least ``value`` ``unit``s (DAY, WEEK, MONTH, YEAR),
    ``monthly`` on average per month in ``currency`` (ISO 4217)."""

    value: int | None
    unit: str | None
    monthly: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class Offer:
    """A membership offer, takeable from ``first_day`` to ``last_day`` (either may be open)."""

    name: str
    terms: tuple[Term, ...] = ()
    footnote: str | None = None
    first_day: date | None = None
    last_day: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.first_day is None or self.first_day <= day) and (
            self.last_day is None or day <= self.last_day
        )


def valid_offers(offers: Sequence[Offer], today: date) -> list[Offer]:
    return [offer for offer in offers if offer.valid_on(today)]


def price(amount: Decimal, currency: str, locale: str) -> str:
    """``49,90 €`` in German, ``€49.90`` in British English; an unknown code as it came."""
    try:
        return format_currency(amount, currency, locale=babel_locale(locale))
    except (UnknownCurrencyError, ValueError):
        return f"{amount} {currency}"


def term_text(term: Term, tr: Translator) -> str | None:
    """The term ("12 months") in the language's plural forms; None for a unit this code does not know."""
    count = term.value
    if count is None or count <= 0:
        return None
    match term.unit:
        case "DAY":
            text = tr.ngettext("{count} day", "{count} days", count)
        case "WEEK":
            text = tr.ngettext("{count} week", "{count} weeks", count)
        case "MONTH":
            text = tr.ngettext("{count} month", "{count} months", count)
        case "YEAR":
            text = tr.ngettext("{count} year", "{count} years", count)
        case _:
            return None
    return text.format(count=count)


def _term_line(term: Term, tr: Translator, locale: str) -> str | None:
    if term.monthly is None or not term.currency:
        return None
    line = tr.gettext("{price} a month").format(price=price(term.monthly, term.currency, locale))
    minimum = term_text(term, tr)
    if minimum:
        line += " · " + tr.gettext("minimum term {term}").format(term=minimum)
    return line


def offer_text(offer: Offer, tr: Translator, locale: str) -> str:
    lines = [f"▪️ {offer.name}"]
    lines += [line for term in offer.terms if (line := _term_line(term, tr, locale))]
    if offer.footnote:
        lines.append(offer.footnote.strip())
    return "\n".join(lines)


def prices_text(
    studio: str | None,
    offers: Sequence[Offer],
    today: date,
    tr: Translator,
    locale: str,
    website: str | None = None,
) -> str | None:
    """The answer to "what does it cost?": at most :data:`MAX_OFFERS` offers valid today, and
    where to find the rest; None when no offer is valid today."""
    valid = valid_offers(offers, today)
    if not valid:
        return None
    if studio:
        title = tr.gettext("💶 Memberships at {studio}:").format(studio=studio)
    else:
        title = tr.gettext("💶 Memberships:")
    parts = [title, *(offer_text(offer, tr, locale) for offer in valid[:MAX_OFFERS])]
    more = len(valid) - MAX_OFFERS
    if more > 0 and website:
        parts.append(tr.gettext("More offers on {website}").format(website=website))
    elif more > 0:
        parts.append(
            tr.ngettext(
                "{count} more offer: just ask the studio.",
                "{count} more offers: just ask the studio.",
                more,
            ).format(count=more)
        )
    return "\n\n".join(parts)
