"""Which span of time an issue covers, and what it is called.

An issue closes on a configured weekday (Sunday by default, so a window is an ISO
week). The window for ISO week ``W`` is the seven days ending with the closing day
that falls inside week ``W``; the issue is named after that week (``2026-W47``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the model (pydantic) only where a Window is made: picking a week
    from .model import Window  # for `status` needs no more than the calendar

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def parse_week(week: str) -> tuple[int, int]:
    match = _WEEK.match(week)
    if not match:
        raise ValueError(f"{week!r} is not an ISO week like 2026-W47")
    year, number = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {number}") from None
    return year, number


def week_window(week: str, tz: ZoneInfo, closes_on: str = "sunday") -> Window:
    """The window of the issue named ``week`` (``YYYY-Www``)."""
    from .model import Window

    year, number = parse_week(week)
    closing_day = date.fromisocalendar(year, number, WEEKDAYS.index(closes_on) + 1)
    end = closing_day + timedelta(days=1)
    return Window(start=_midnight(end - timedelta(days=7), tz), end=_midnight(end, tz))


def dates_window(since: date, until: date, tz: ZoneInfo) -> Window:
    """A window from the start of ``since`` to the end of ``until`` (both inclusive)."""
    from .model import Window

    if until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    return Window(start=_midnight(since, tz), end=_midnight(until + timedelta(days=1), tz))


def issue_name(window: Window) -> str:
    """The ISO week of the window's last day, e.g. ``2026-W47``."""
    last_day = (window.end - timedelta(microseconds=1)).date()
    year, week, _ = last_day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: datetime, tz: ZoneInfo, closes_on: str = "sunday") -> str:
    """The newest issue whose window has ended by ``now``."""
    today = now.astimezone(tz).date()
    closing = WEEKDAYS.index(closes_on)
    # The most recent closing day strictly before today has fully ended.
    back = (today.weekday() - closing - 1) % 7 + 1
    year, week, _ = (today - timedelta(days=back)).isocalendar()
    return f"{year}-W{week:02d}"


def describe(window: Window) -> str:
    """Human dates of a window, e.g. ``June 25 – July 1, 2011`` or ``Nov 16–22, 2026``."""
    first = window.start.date()
    last = (window.end - timedelta(microseconds=1)).date()
    if first.year != last.year:
        return f"{first:%B} {first.day}, {first.year} – {last:%B} {last.day}, {last.year}"
    if first.month != last.month:
        return f"{first:%B} {first.day} – {last:%B} {last.day}, {last.year}"
    return f"{first:%B} {first.day}–{last.day}, {last.year}"
