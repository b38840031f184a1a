"""A believable studio for the stand-in: where it is, its public opening hours, a closure or
two in the weeks ahead and its membership offers, as raw vendor JSON
(``StudioInformation`` and ``MembershipOffer``, ``perfectgym-studio-and-trials.md`` §1.2 and
``perfectgym-chains-offers-webhooks.md`` §2).

Dates are relative to ``today``, so the demo always has a closure coming up and offers on sale.
"""

from __future__ import annotations

import datetime
from typing import Any

OPENING_HOURS: list[dict[str, str]] = [
    {
        "dayOfWeekFrom": "MONDAY",
        "dayOfWeekTo": "FRIDAY",
        "timeFrom": "06:00:00",
        "timeTo": "23:00:00",
    },
    {
        "dayOfWeekFrom": "SATURDAY",
        "dayOfWeekTo": "SUNDAY",
        "timeFrom": "08:00:00",
        "timeTo": "20:00:00",
    },
]


def closure(day: datetime.date, reason: str, days: int = 1) -> dict[str, str]:
    """A whole-day closure as the vendor writes it: local midnight to local midnight."""
    end = day + datetime.timedelta(days=days)
    return {
        "reason": reason,
        "dateTimeFrom": f"{day.isoformat()}T00:00:00",
        "dateTimeTo": f"{end.isoformat()}T00:00:00",
    }


def sample_information(
    today: datetime.date, *, name: str = "Demo Studio", country: str | None = "DE"
) -> dict[str, Any]:
    """The studio's information with its address, coordinates, hours and closures."""
    studio: dict[str, Any] = {
        "studioId": 1,
        "name": name,
        "email": "hello@studio.example",
        "telephone": "+49 30 1234567",
        "website": "https://studio.example",
        "street": "Torstraße",
        "houseNumber": "140",
        "zip": "10119",
        "city": "Berlin",
        "location": {"latitude": 52.5298, "longitude": 13.4015},
        "accessCodeConfiguration": {"enabled": False},
        "publicOpeningHours": OPENING_HOURS,
        "closingHours": [
            closure(today + datetime.timedelta(days=9), "Floor renovation"),
            closure(today + datetime.timedelta(days=40), "Staff training", days=2),
        ],
    }
    if country:
        studio["countryCode"] = country
    return studio


def offer(
    offer_id: int,
    name: str,
    monthly: str,
    months: int,
    *,
    currency: str = "EUR",
    footnote: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> dict[str, Any]:
    """One membership offer with one term of ``months`` at ``monthly`` on average."""
    total = f"{float(monthly) * months:.2f}"
    period = {
        "startDate": (start or datetime.date(2020, 1, 1)).isoformat(),
        "endDate": (end or datetime.date(2099, 12, 31)).isoformat(),
    }
    item: dict[str, Any] = {
        "id": offer_id,
        "name": name,
        "description": f"{name} membership",
        "preUseType": "NOT_AVAILABLE",
        "limitedOfferingPeriod": period,
        "rateCodes": [],
        "terms": [
            {
                "term": {"value": months, "unit": "MONTH"},
                "contractVolumeInformation": {
                    "totalContractVolume": {"amount": float(total), "currency": currency},
                    "averagePaymentVolumePerMonth": {
                        "amount": float(monthly),
                        "currency": currency,
                    },
                },
                "paymentFrequency": {
                    "type": "RECURRING",
                    "formattedPaymentFrequency": "Every month",
                },
            }
        ],
    }
    if footnote is not None:
        item["footnote"] = footnote
    return item


def sample_offers(today: datetime.date) -> list[dict[str, Any]]:
    """Three offers on sale today and one whose sale ended yesterday (not shown)."""
    return [
        offer(
            1,
            "Standard",
            "49.90",
            12,
            footnote="Plus a one-off starter fee of €29. Prices include VAT.",
        ),
        offer(2, "Flex", "69.90", 1, footnote="Cancel monthly."),
        offer(3, "Student", "34.90", 6, footnote="With a valid student ID."),
        offer(4, "Summer special", "29.90", 3, end=today - datetime.timedelta(days=1)),
    ]
