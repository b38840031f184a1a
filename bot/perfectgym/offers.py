"""``GET /v1/memberships/membership-offers``: the studio's membership offers, as the wire carries
them (``perfectgym-chains-offers-webhooks.md`` §2), reduced to what a prospect is told.

Only the fields the bot shows are read; unknown ones are ignored, and every one is optional
here even where the vendor calls it required, so that one odd offer is left out instead of
costing all the others (:meth:`MembershipOffer.offer` answers None for it).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, RootModel

from bot.perfectgym.wire import NullAsEmpty as _NullAsEmpty
from bot.perfectgym.wire import Wire as _Wire
from conversations.prices import Offer, Term


class Money(_Wire):
    amount: Decimal | None = None
    currency: str | None = None


class ContractVolumeInformation(_Wire):
    average_payment_volume_per_month: Money | None = None


class TermLength(_Wire):
    value: int | None = None
    unit: str | None = None  # DAY, WEEK, MONTH, YEAR


class OfferTerm(_Wire):
    term: TermLength | None = None
    contract_volume_information: ContractVolumeInformation | None = None

    def shown(self) -> Term:
        length = self.term or TermLength()
        volume = self.contract_volume_information
        monthly = volume.average_payment_volume_per_month if volume else None
        return Term(
            value=length.value,
            unit=length.unit,
            monthly=monthly.amount if monthly else None,
            currency=(monthly.currency or "").strip().upper() or None if monthly else None,
        )


class OfferingPeriod(_Wire):
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


class MembershipOffer(_Wire):
    id: int | None = None
    name: str | None = None
    footnote: str | None = None
    limited_offering_period: OfferingPeriod | None = None
    terms: Annotated[list[OfferTerm], _NullAsEmpty] = Field(default_factory=list)

    def offer(self) -> Offer | None:
        """The offer as the prospect is shown it; None without a name to call it by."""
        name = (self.name or "").strip()
        if not name:
            return None
        period = self.limited_offering_period or OfferingPeriod()
        return Offer(
            name=name,
            terms=tuple(term.shown() for term in self.terms),
            footnote=(self.footnote or "").strip() or None,
            first_day=period.start_date,
            last_day=period.end_date,
        )


class MembershipOffers(RootModel[list[MembershipOffer]]):
    """The endpoint's answer: an array of offers."""

    def offers(self) -> tuple[Offer, ...]:
        return tuple(offer for item in self.root if (offer := item.offer()))
