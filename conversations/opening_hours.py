"""The studio's opening hours as a prospect reads them: per day, whether it is open now, and the
closures of the next two weeks.

Pure: no Telegram, no vendor, no clock. PerfectGym gives day ranges with times and closures, all
in studio-local time without a zone (``perfectgym-studio-and-trials.md`` §1.2); the caller turns
its own clock into ``now`` in the studio's zone. Days and times are written as the prospect's
locale writes them (Babel), the week starting where that locale starts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_skeleton, format_time, get_day_names

from conversations.i18n import Translator, babel_locale

CLOSURE_DAYS = 14
"""Closures this many days ahead are named; later ones are the studio's news to tell."""
_HORIZON_DAYS = 8
"""How far ahead the next opening is looked for: a week, and the day a range runs into."""
_DASH = "\u2013"


@dataclass(frozen=True)
class OpeningSpan:
    """One entry of the studio's public hours: weekdays ``first`` to ``last`` (0 is Monday; a
    range may wrap past Sunday), open from ``opens`` to ``closes``. A ``closes`` at or before
    ``opens`` runs past midnight (00:00 is the end of the day)."""

    first: int
    last: int
    opens: time
    closes: time

    def days(self) -> tuple[int, ...]:
        count = (self.last - self.first) % 7 + 1
        return tuple((self.first + offset) % 7 for offset in range(count))


@dataclass(frozen=True)
class Closure:
    """The studio closed from ``start`` to ``end`` (studio-local, no zone), and why."""

    start: datetime
    end: datetime
    reason: str | None = None

    @property
    def whole_days(self) -> bool:
        return self.start.time() == time(0) and self.end.time() in (time(0), time(23, 59, 59))

    @property
    def last_day(self) -> date:
        """The last day the closure touches (an end at midnight belongs to the day before)."""
        if self.end.time() == time(0) and self.end > self.start:
            return (self.end - timedelta(days=1)).date()
        return self.end.date()


Ranges = tuple[tuple[time, time], ...]


def week(spans: Sequence[OpeningSpan]) -> dict[int, Ranges]:
    """Each weekday's opening times, in order (days without any are left out)."""
    days: dict[int, set[tuple[time, time]]] = {}
    for span in spans:
        for day in span.days():
            days.setdefault(day, set()).add((span.opens, span.closes))
    return {day: tuple(sorted(ranges)) for day, ranges in sorted(days.items())}


def _time(value: time, locale: str) -> str:
    return format_time(value, "short", locale=babel_locale(locale))


def _ranges(ranges: Ranges, locale: str) -> str:
    return ", ".join(f"{_time(o, locale)}{_DASH}{_time(c, locale)}" for o, c in ranges)


def week_lines(spans: Sequence[OpeningSpan], tr: Translator, locale: str) -> list[str]:
    """One line per run of days with the same hours ("Mon-Fri 06:00-23:00", with en dashes),
    the week starting on the locale's first day; days without hours say so."""
    hours = week(spans)
    if not hours:
        return []
    babel = babel_locale(locale)
    names = get_day_names("abbreviated", context="stand-alone", locale=babel)
    order = [(babel.first_week_day + offset) % 7 for offset in range(7)]
    runs: list[list[int]] = []
    for day in order:
        if runs and hours.get(runs[-1][-1]) == hours.get(day):
            runs[-1].append(day)
        else:
            runs.append([day])
    lines = []
    for run in runs:
        first, last = str(names[run[0]]), str(names[run[-1]])
        days = first if len(run) == 1 else f"{first}{_DASH}{last}"
        ranges = hours.get(run[0])
        shown = _ranges(ranges, locale) if ranges else tr.gettext("closed")
        lines.append(f"{days} {shown}")
    return lines


def _intervals(
    spans: Sequence[OpeningSpan], closures: Sequence[Closure], today: date
) -> list[tuple[datetime, datetime]]:
    """When the studio is open from yesterday to a week ahead, closures taken out, adjoining
    times joined (a 24-hour studio is one interval)."""
    hours = week(spans)
    opened: list[tuple[datetime, datetime]] = []
    for offset in range(-1, _HORIZON_DAYS):
        day = today + timedelta(days=offset)
        for opens, closes in hours.get(day.weekday(), ()):
            start = datetime.combine(day, opens)
            end = datetime.combine(day + timedelta(days=int(closes <= opens)), closes)
            opened.append((start, end))
    opened.sort()
    joined: list[tuple[datetime, datetime]] = []
    for start, end in opened:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    for closure in closures:
        cut: list[tuple[datetime, datetime]] = []
        for start, end in joined:
            if closure.end <= start or closure.start >= end:
                cut.append((start, end))
                continue
            if start < closure.start:
                cut.append((start, closure.start))
            if closure.end < end:
                cut.append((closure.end, end))
        joined = cut
    return joined


def _day_name(day: date, locale: str) -> str:
    return str(get_day_names("wide", context="format", locale=babel_locale(locale))[day.weekday()])


def now_line(
    spans: Sequence[OpeningSpan],
    closures: Sequence[Closure],
    now: datetime,
    tr: Translator,
    locale: str,
) -> str | None:
    """Whether it is open now ("Open now until 22:00"), or when it opens next ("Closed now. Opens tomorrow at 07:00.");
    ``now`` is studio-local. None without opening hours."""
    if not spans:
        return None
    today = now.date()
    tomorrow = today + timedelta(days=1)
    intervals = _intervals(spans, closures, today)
    horizon = datetime.combine(today + timedelta(days=_HORIZON_DAYS - 1), time(0))
    for start, end in intervals:
        if start <= now < end:
            at = _time(end.time(), locale)
            if end >= horizon and start <= now - timedelta(days=1):
                return tr.gettext("🟢 Open now, around the clock.")
            if end.date() == today or end == datetime.combine(tomorrow, time(0)):
                return tr.gettext("🟢 Open now until {time}.").format(time=at)
            if end.date() == tomorrow:
                return tr.gettext("🟢 Open now until tomorrow at {time}.").format(time=at)
            return tr.gettext("🟢 Open now until {day} at {time}.").format(
                day=_day_name(end.date(), locale), time=at
            )
    closed = tr.gettext("🔴 Closed now.")
    following = next((start for start, _ in intervals if start > now), None)
    if following is None:
        return closed + " " + tr.gettext("No opening in the coming week.")
    at = _time(following.time(), locale)
    if following.date() == today:
        opens = tr.gettext("Opens today at {time}.").format(time=at)
    elif following.date() == tomorrow:
        opens = tr.gettext("Opens tomorrow at {time}.").format(time=at)
    else:
        opens = tr.gettext("Opens {day} at {time}.").format(
            day=_day_name(following.date(), locale), time=at
        )
    return closed + " " + opens


def _date(day: date, locale: str) -> str:
    return format_skeleton("MMMd", day, locale=babel_locale(locale))


def closure_lines(
    closures: Sequence[Closure],
    now: datetime,
    tr: Translator,
    locale: str,
    days: int = CLOSURE_DAYS,
) -> list[str]:
    """A line such as "Closed on 24 Dec (Christmas Eve)" for each closure from now to ``days`` ahead."""
    until = now + timedelta(days=days)
    lines = []
    for closure in sorted(closures, key=lambda c: c.start):
        if closure.end <= now or closure.start >= until:
            continue
        first, last = closure.start.date(), closure.last_day
        if closure.whole_days and first == last:
            line = tr.gettext("Closed on {date}").format(date=_date(first, locale))
        elif closure.whole_days:
            line = tr.gettext("Closed from {first} to {last}").format(
                first=_date(first, locale), last=_date(last, locale)
            )
        elif first == closure.end.date():
            line = tr.gettext("Closed on {date} from {start} to {end}").format(
                date=_date(first, locale),
                start=_time(closure.start.time(), locale),
                end=_time(closure.end.time(), locale),
            )
        else:
            line = tr.gettext("Closed from {first} to {last}").format(
                first=f"{_date(first, locale)} {_time(closure.start.time(), locale)}",
                last=f"{_date(closure.end.date(), locale)} {_time(closure.end.time(), locale)}",
            )
        if closure.reason:
            line += f" ({closure.reason})"
        lines.append(f"⛔ {line}")
    return lines


def hours_text(
    studio: str | None,
    spans: Sequence[OpeningSpan],
    closures: Sequence[Closure],
    now: datetime,
    tr: Translator,
    locale: str,
) -> str | None:
    """The whole answer to "when are you open?"; None when the studio gave no hours."""
    lines = week_lines(spans, tr, locale)
    if not lines:
        return None
    if studio:
        title = tr.gettext("🕒 Opening hours of {studio}:").format(studio=studio)
    else:
        title = tr.gettext("🕒 Opening hours:")
    text = "\n".join([title, *lines])
    current = now_line(spans, closures, now, tr, locale)
    if current:
        text += "\n\n" + current
    ahead = closure_lines(closures, now, tr, locale)
    if ahead:
        text += "\n" + "\n".join(ahead)
    return text
