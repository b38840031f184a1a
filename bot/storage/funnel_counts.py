"""The marketing funnel's stored counts: sums per day, campaign, stage and question.

Stage and question are plain text here: what they mean is the funnel's (bot/funnel/counts.py),
which also decides what to make of a stage it does not know.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.storage.database import SqlRecords


@dataclass(frozen=True)
class StoredCount:
    """One stored count. ``campaign`` is ``None`` for conversations not started from a link;
    ``question`` is ``""`` but for the stage of a question."""

    day: datetime.date
    campaign: str | None
    stage: str
    question: str
    count: int


class FunnelCountRecords(Protocol):
    async def add_funnel_counts(self, counts: Sequence[StoredCount]) -> None:
        """Add to the stored counts (they are sums: any instance may add to any day)."""
        ...

    async def funnel_counts(
        self, first_day: datetime.date, last_day: datetime.date
    ) -> list[StoredCount]: ...


class SqlFunnelCounts(SqlRecords):
    async def add_funnel_counts(self, counts: Sequence[StoredCount]) -> None:
        async with self._transaction() as db:
            for item in counts:
                await db.execute(
                    "INSERT INTO funnel_counts (day, campaign, stage, question, count) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day, campaign, stage, question) "
                    "DO UPDATE SET count = funnel_counts.count + excluded.count",
                    item.day.isoformat(),
                    item.campaign or "",
                    item.stage,
                    item.question,
                    item.count,
                )

    async def funnel_counts(
        self, first_day: datetime.date, last_day: datetime.date
    ) -> list[StoredCount]:
        rows = await self._db.fetch(
            "SELECT day, campaign, stage, question, count FROM funnel_counts "
            "WHERE day >= $1 AND day <= $2 ORDER BY day, campaign, stage, question",
            first_day.isoformat(),
            last_day.isoformat(),
        )
        return [
            StoredCount(
                datetime.date.fromisoformat(row["day"]),
                row["campaign"] or None,
                str(row["stage"]),
                str(row["question"]),
                int(row["count"]),
            )
            for row in rows
        ]
