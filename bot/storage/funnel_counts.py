"""The marketing funnel's stored counts: sums per studio, day, campaign, stage and question.

Stage and question are plain text here: what they mean is the funnel's (bot/funnel/counts.py),
which also decides what to make of a stage it does not know.

Counts are written to ``studio_funnel_counts``. The table of the release before studios,
``funnel_counts``, is only read: its rows are the single studio's (studio ``None``), so what was
counted before a chain's upgrade stays in the single studio's report.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.storage.database import Database, Row, SqlRecords


@dataclass(frozen=True)
class StoredCount:
    """One stored count. ``campaign`` is ``None`` for conversations not started from a link;
    ``question`` is ``""`` but for the stage of a question; ``studio`` is ``None`` for the
    single studio."""

    day: datetime.date
    campaign: str | None
    stage: str
    question: str
    count: int
    studio: str | None = None


class FunnelCountRecords(Protocol):
    async def add_funnel_counts(self, counts: Sequence[StoredCount]) -> None:
        """Add to the stored counts (they are sums: any instance may add to any day)."""
        ...

    async def funnel_counts(
        self,
        first_day: datetime.date,
        last_day: datetime.date,
        *,
        studios: Collection[str | None] | None = None,
    ) -> list[StoredCount]:
        """The counts of these days, of ``studios`` only (``None``: of every studio)."""
        ...


_COLUMNS = "day, campaign, stage, question, count"


async def add_count(db: Database, item: StoredCount) -> None:
    """Add ``item`` to its stored sum (inside the caller's transaction)."""
    await db.execute(
        f"INSERT INTO studio_funnel_counts (studio, {_COLUMNS}) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (studio, day, campaign, stage, question) "
        "DO UPDATE SET count = studio_funnel_counts.count + excluded.count",
        item.studio or "",
        item.day.isoformat(),
        item.campaign or "",
        item.stage,
        item.question,
        item.count,
    )


class SqlFunnelCounts(SqlRecords):
    async def add_funnel_counts(self, counts: Sequence[StoredCount]) -> None:
        async with self._transaction() as db:
            for item in counts:
                await add_count(db, item)

    async def funnel_counts(
        self,
        first_day: datetime.date,
        last_day: datetime.date,
        *,
        studios: Collection[str | None] | None = None,
    ) -> list[StoredCount]:
        days = (first_day.isoformat(), last_day.isoformat())
        where = "day >= $1 AND day <= $2"
        keys: list[str] = []
        if studios is not None:
            if not studios:
                return []
            keys = sorted({studio or "" for studio in studios})
            marks = ", ".join(f"${n}" for n in range(3, 3 + len(keys)))
            where += f" AND studio IN ({marks})"
        rows = await self._db.fetch(
            f"SELECT studio, {_COLUMNS} FROM studio_funnel_counts WHERE {where}", *days, *keys
        )
        counts = [_count(row, row["studio"] or None) for row in rows]
        if studios is None or None in studios or "" in studios:
            legacy = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM funnel_counts WHERE day >= $1 AND day <= $2", *days
            )
            counts += [_count(row, None) for row in legacy]
        # A day both releases counted (during the upgrade) is one count, as if in one table.
        summed: dict[tuple[str, datetime.date, str, str, str], StoredCount] = {}
        for item in counts:
            key = (item.studio or "", item.day, item.campaign or "", item.stage, item.question)
            seen = summed.get(key)
            summed[key] = item if seen is None else replace(seen, count=seen.count + item.count)
        return [summed[key] for key in sorted(summed)]


def _count(row: Row, studio: str | None) -> StoredCount:
    return StoredCount(
        datetime.date.fromisoformat(row["day"]),
        row["campaign"] or None,
        str(row["stage"]),
        str(row["question"]),
        int(row["count"]),
        studio,
    )
