"""When each reminder and the follow-up are due: pure arithmetic on Unix times in the studio's
zone, no I/O.

Night (21:00 to 09:00 at the studio) is quiet: a reminder whose moment falls into it is sent at
09:00 instead, and when 09:00 is already after the session's start it is not sent at all (the
night stays quiet for a reminder that would have come too close to the session anyway; the
earlier reminder, if any, named the time). A reminder whose moment has passed when the session
is booked is not sent either, nor one that would come at or after another one's time.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from bot.storage.trial_reminders import FOLLOWUP, Planned

QUIET_FROM = datetime.time(21)
QUIET_UNTIL = datetime.time(9)
FOLLOWUP_AT = datetime.time(10)  # "How was it?" comes at 10:00 the day after the visit
MISSED_AFTER = 2 * 3600.0  # no check-in by the session's end plus this: missed
DEFAULT_LENGTH = 3600.0  # a session whose end is not known


def kind_of(offset: float) -> str:
    """A reminder's name by how long before the session it comes: "24h", "2h", "30m"."""
    if offset % 3600 == 0:
        return f"{int(offset // 3600)}h"
    return f"{int(offset // 60)}m"


def _local(moment: float, zone: ZoneInfo | None) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(moment, zone).astimezone(zone)


def daytime(moment: float, zone: ZoneInfo | None) -> float:
    """``moment``, or the next 09:00 when it falls into the night at the studio."""
    local = _local(moment, zone)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return moment
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + datetime.timedelta(days=1)
    return _at(day, QUIET_UNTIL, zone)


def _at(day: datetime.date, time: datetime.time, zone: ZoneInfo | None) -> float:
    if zone is None:
        return datetime.datetime.combine(day, time).timestamp()  # the server's own zone
    return datetime.datetime.combine(day, time, zone).timestamp()


def reminders(
    starts_at: float, offsets: tuple[float, ...], zone: ZoneInfo | None, now: float
) -> list[Planned]:
    """The reminders of a session starting at ``starts_at`` booked ``now``, soonest first."""
    planned: list[Planned] = []
    for offset in sorted(offsets):  # shortest first: a longer one may not come after it
        due = daytime(starts_at - offset, zone)
        if due >= starts_at or due < now:
            continue
        if planned and due >= planned[-1].due_at:
            continue
        planned.append(Planned(kind_of(offset), due))
    return sorted(planned, key=lambda p: p.due_at)


def missed_check(starts_at: float, ends_at: float | None, zone: ZoneInfo | None) -> Planned:
    """The follow-up as first planned: at the end plus two hours (in the daytime), where a
    session without a check-in counts as missed."""
    end = ends_at if ends_at is not None and ends_at > starts_at else starts_at + DEFAULT_LENGTH
    return Planned(FOLLOWUP, daytime(end + MISSED_AFTER, zone))


def day_after(starts_at: float, zone: ZoneInfo | None) -> float:
    """10:00 at the studio on the day after the session: when "How was it?" comes."""
    day = _local(starts_at, zone).date() + datetime.timedelta(days=1)
    return _at(day, FOLLOWUP_AT, zone)
