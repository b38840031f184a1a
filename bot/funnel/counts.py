"""The marketing funnel: how many conversations of each campaign got how far, per day.

Only counts are kept (studio, campaign, day, stage, count), never a name or a chat id, so they
stay after /forget and after unfinished conversations are erased. A chain's studios are counted
apart, each day in that studio's time zone; studio ``None`` is the single studio of a
deployment without a chain (and the chain's counts from before it had studios).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.periodic import Periodic
from bot.storage.funnel_counts import FunnelCountRecords, StoredCount

log = logging.getLogger(__name__)

# Counts are added up in memory and written this often, in one transaction: a count must never
# cost the prospect's reply a database round trip. A crash loses at most this many seconds.
FLUSH_SECONDS = 5.0


class Stage(StrEnum):
    """A point a conversation can reach, in the order a prospect passes them.

    ``QUESTION`` is counted once per question reached (with the question's key); the rest once
    per conversation. The next group is the trial booking that may follow a created lead; the
    last, what PerfectGym reports of the lead's customer afterwards (the funnel to the
    contract).
    """

    STARTED = "started"
    QUESTION = "question"
    SUMMARY = "summary"
    CONFIRMED = "confirmed"
    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    FORGOTTEN = "forgotten"
    REMINDED = "reminded"
    OFFERS_SHOWN = "offers_shown"
    SLOTS_SHOWN = "slots_shown"
    BOOKED = "booked"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_REFUSED = "booking_refused"
    # The front desk (bot/frontdesk): a prospect's thread with staff opened, staff's first reply
    # to it, and how long that took in whole minutes (rounded up; the minutes are the count's
    # ``question`` key, so the median is read off the counts).
    THREAD_OPENED = "thread_opened"
    THREAD_ANSWERED = "thread_answered"
    REPLY_MINUTES = "reply_minutes"
    # From PerfectGym's events of a created lead's customer (bot/events), once per lead.
    ATTENDED = "attended"  # checked in at the studio
    MEMBER = "member"  # a membership contract was created


# The stages a report shows as the funnel's steps, in order; questions come between STARTED and
# SUMMARY.
FUNNEL = (Stage.STARTED, Stage.SUMMARY, Stage.CONFIRMED, Stage.CREATED)
# How the confirmed conversations ended besides CREATED, and how others left.
OUTCOMES = (
    Stage.DUPLICATE,
    Stage.INVALID,
    Stage.FAILED,
    Stage.CANCELLED,
    Stage.FORGOTTEN,
    Stage.REMINDED,
)
THREADS = (Stage.THREAD_OPENED, Stage.THREAD_ANSWERED)
BOOKING = (
    Stage.OFFERS_SHOWN,
    Stage.SLOTS_SHOWN,
    Stage.BOOKED,
    Stage.BOOKING_CONFIRMED,
    Stage.BOOKING_REFUSED,
)

# The funnel to the contract: from the conversation to a member (bot/marketing/report.py).
CONTRACT = (Stage.STARTED, Stage.CREATED, Stage.BOOKED, Stage.ATTENDED, Stage.MEMBER)


@dataclass(frozen=True)
class Step:
    """One countable step: a stage, and for ``Stage.QUESTION`` the question's key."""

    stage: Stage
    question: str = ""


@dataclass(frozen=True)
class FunnelCount:
    """One stored count. ``campaign`` is ``None`` for conversations not started from a link,
    ``studio`` for the single studio."""

    day: datetime.date
    campaign: str | None
    step: Step
    count: int
    studio: str | None = None

    def stored(self) -> StoredCount:
        return StoredCount(
            self.day,
            self.campaign,
            self.step.stage.value,
            self.step.question,
            self.count,
            self.studio,
        )


def known_counts(stored: Iterable[StoredCount]) -> list[FunnelCount]:
    """The stored counts of the stages this release knows; a stage of a newer release (sharing
    the database during an upgrade) is left to that release."""
    known = {stage.value for stage in Stage}
    return [
        FunnelCount(
            item.day,
            item.campaign,
            Step(Stage(item.stage), item.question),
            item.count,
            item.studio,
        )
        for item in stored
        if item.stage in known
    ]


@dataclass(frozen=True)
class CampaignFunnel:
    """One campaign's counts over a report's days. ``questions`` keeps the order in which
    the questions were first asked (the leads config's order); ``waits`` are the minutes staff
    took to answer a thread first, with how many threads took each, shortest first."""

    campaign: str | None
    stages: dict[Stage, int]
    questions: tuple[tuple[str, int], ...]
    waits: tuple[tuple[int, int], ...] = ()

    def count(self, stage: Stage) -> int:
        return self.stages.get(stage, 0)

    def median_wait(self) -> float | None:
        """The median of the minutes to staff's first reply; None without any."""
        return median_of(self.waits)


def median_of(waits: Iterable[tuple[int, int]]) -> float | None:
    """The median of values given with how often each occurs."""
    ordered = sorted((value, count) for value, count in waits if count > 0)
    total = sum(count for _, count in ordered)
    if not total:
        return None

    def at(position: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if position < seen:
                return value
        raise AssertionError("position beyond the counts")

    return (at((total - 1) // 2) + at(total // 2)) / 2


def wait_minutes(seconds: float) -> int:
    """A first reply's wait as counted: whole minutes, rounded up (under a minute is 1)."""
    return max(1, -int(-seconds // 60))


@dataclass(frozen=True)
class FunnelReport:
    """The funnel of every campaign seen between two days, inclusive, busiest first."""

    first_day: datetime.date
    last_day: datetime.date
    campaigns: tuple[CampaignFunnel, ...]
    question_order: tuple[str, ...] = ()

    def total(self, stage: Stage) -> int:
        """``stage``'s count summed over every campaign."""
        return sum(campaign.count(stage) for campaign in self.campaigns)

    @classmethod
    def of(
        cls,
        counts: Iterable[FunnelCount],
        first_day: datetime.date,
        last_day: datetime.date,
        question_order: tuple[str, ...] = (),
    ) -> FunnelReport:
        """Sums ``counts`` per campaign; questions in ``question_order`` first, in that order,
        then any others (from an older config) by name."""
        stages: dict[str | None, dict[Stage, int]] = {}
        questions: dict[str | None, dict[str, int]] = {}
        waits: dict[str | None, dict[int, int]] = {}
        for item in counts:
            if not first_day <= item.day <= last_day:
                continue
            per_stage = stages.setdefault(item.campaign, {})
            per_question = questions.setdefault(item.campaign, {})
            if item.step.stage is Stage.REPLY_MINUTES:
                if item.step.question.isdigit():
                    per_wait = waits.setdefault(item.campaign, {})
                    minutes = int(item.step.question)
                    per_wait[minutes] = per_wait.get(minutes, 0) + item.count
            elif item.step.stage is Stage.QUESTION:
                key = item.step.question
                per_question[key] = per_question.get(key, 0) + item.count
            else:
                per_stage[item.step.stage] = per_stage.get(item.step.stage, 0) + item.count

        def rank(key: str) -> tuple[int, str]:
            return (
                (question_order.index(key), "")
                if key in question_order
                else (
                    len(question_order),
                    key,
                )
            )

        campaigns = [
            CampaignFunnel(
                campaign,
                per_stage,
                tuple(sorted(questions[campaign].items(), key=lambda item: rank(item[0]))),
                tuple(sorted(waits.get(campaign, {}).items())),
            )
            for campaign, per_stage in stages.items()
        ]
        campaigns.sort(
            key=lambda c: (-c.count(Stage.STARTED), c.campaign is None, c.campaign or "")
        )
        return cls(first_day, last_day, tuple(campaigns), question_order)


@dataclass(frozen=True)
class ChainReport:
    """The funnel of several studios over the same number of days up to each one's today (in
    its time zone): one report per studio, in the order asked, and their campaigns summed
    across studios over all their days (``campaigns``)."""

    studios: tuple[tuple[str | None, FunnelReport], ...]
    campaigns: FunnelReport


# A moment's date differs by at most two days between any two time zones (UTC-12 and UTC+14).
ZONE_SPREAD = datetime.timedelta(days=2)


class Funnel:
    """Counts steps as they happen, per studio, campaign and day in the studio's time zone, and
    adds them to the stored counts every ``FLUSH_SECONDS`` (and at ``stop``).

    The time zone is ``zone_of(studio)``, or for a deployment of one studio ``zone()`` (the same
    for every studio); either may change once the studio's information arrives. A zone of
    ``None`` is the machine's.
    """

    def __init__(
        self,
        storage: FunnelCountRecords,
        zone: Callable[[], str | None] | None = None,
        *,
        zone_of: Callable[[str | None], str | None] | None = None,
        clock: Callable[[], float] = time.time,
        interval: float = FLUSH_SECONDS,
    ) -> None:
        self._storage = storage
        self._zone_of: Callable[[str | None], str | None]
        if zone_of is not None:
            self._zone_of = zone_of
        elif zone is not None:
            self._zone_of = lambda _studio: zone()
        else:
            self._zone_of = lambda _studio: None
        self._clock = clock
        self._pending: Counter[tuple[str | None, datetime.date, str | None, Step]] = Counter()
        self._flushing = Periodic("funnel", interval, self.flush)

    def today(self, *, studio: str | None = None) -> datetime.date:
        """The studio's day."""
        zone = self._zone_of(studio)
        moment = datetime.datetime.fromtimestamp(self._clock(), ZoneInfo(zone) if zone else None)
        return moment.date()

    def count(self, campaign: str | None, *steps: Step, studio: str | None = None) -> None:
        day = self.today(studio=studio)
        for step in steps:
            self._pending[(studio, day, campaign, step)] += 1

    def reached(self, campaign: str | None, stage: Stage, *, studio: str | None = None) -> None:
        self.count(campaign, Step(stage), studio=studio)

    def progressed(
        self,
        campaign: str | None,
        questions: Sequence[str],
        review: bool,
        *,
        studio: str | None = None,
    ) -> None:
        """What ``ConversationState.reach`` reported: questions asked, the summary shown."""
        self.count(campaign, *(Step(Stage.QUESTION, key) for key in questions), studio=studio)
        if review:
            self.reached(campaign, Stage.SUMMARY, studio=studio)

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, Counter()
        counts = [
            FunnelCount(day, campaign, step, n, studio).stored()
            for (studio, day, campaign, step), n in batch.items()
        ]
        try:
            await self._storage.add_funnel_counts(counts)
        except Exception:
            log.warning("funnel counts not stored yet; kept for the next try", exc_info=True)
            self._pending.update(batch)

    def _days(self, days: int, studio: str | None) -> tuple[datetime.date, datetime.date]:
        last = self.today(studio=studio)
        return last - datetime.timedelta(days=days - 1), last

    async def report(
        self, days: int, question_order: tuple[str, ...] = (), *, studio: str | None = None
    ) -> FunnelReport:
        """One studio's last ``days`` days up to its today, this instance's latest counts
        included."""
        await self.flush()
        first, last = self._days(days, studio)
        stored = await self._storage.funnel_counts(first, last, studios=(studio,))
        return FunnelReport.of(known_counts(stored), first, last, question_order)

    async def chain_report(
        self,
        days: int,
        question_order: tuple[str, ...] = (),
        *,
        studios: Collection[str | None] | None = None,
    ) -> ChainReport:
        """:meth:`report` of each of ``studios`` (``None``: of every studio that counted a
        step in those days, the single studio first, then by id), read at once."""
        await self.flush()
        today = self.today()
        stored = await self._storage.funnel_counts(
            today - datetime.timedelta(days=days - 1) - ZONE_SPREAD,
            today + ZONE_SPREAD,
            studios=studios,
        )
        periods: dict[str | None, tuple[datetime.date, datetime.date]] = {}

        def period(studio: str | None) -> tuple[datetime.date, datetime.date]:
            if studio not in periods:
                periods[studio] = self._days(days, studio)
            return periods[studio]

        def within(count: FunnelCount) -> bool:
            first, last = period(count.studio)
            return first <= count.day <= last

        counts = [count for count in known_counts(stored) if within(count)]
        if studios is None:
            order = sorted(
                {count.studio for count in counts}, key=lambda s: (s is not None, s or "")
            )
        else:
            order = list(dict.fromkeys(studios))
        reports = tuple(
            (
                studio,
                FunnelReport.of(
                    (count for count in counts if count.studio == studio),
                    *period(studio),
                    question_order,
                ),
            )
            for studio in order
        )
        spans = [period(studio) for studio in order]
        first = min((first for first, _ in spans), default=today - datetime.timedelta(days - 1))
        last = max((last for _, last in spans), default=today)
        return ChainReport(reports, FunnelReport.of(counts, first, last, question_order))

    def start(self) -> None:
        self._flushing.start()

    async def stop(self) -> None:
        await self._flushing.stop()
        await self.flush()
