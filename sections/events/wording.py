"""Dates in words, as the newsletter prints them: ``Oct 5–7``, ``every Tuesday``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from .occurrence import Occurrence

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def recurrence_text(master: icalendar.cal.Component) -> str:
    """A short description of the first RRULE, e.g. ``every Tuesday``."""
    rules = master.get("RRULE")
    if rules is None:
        return "on several dates"
    rule = rules[0] if isinstance(rules, list) else rules
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    interval = int((rule.get("INTERVAL") or [1])[0])
    start = master.get("DTSTART").dt
    every = "every" if interval == 1 else ("every other" if interval == 2 else f"every {interval}")
    days = [str(d).upper() for d in rule.get("BYDAY") or []]
    if freq == "WEEKLY":
        names = [_DAY_NAMES[_WEEKDAYS[d[-2:]]] for d in days if d[-2:] in _WEEKDAYS]
        names = names or [_DAY_NAMES[start.weekday()]]
        joined = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return f"{every} {joined}" if interval <= 2 else f"every {interval} weeks on {joined}"
    if freq == "MONTHLY" and len(days) == 1 and days[0][-2:] in _WEEKDAYS:
        number = days[0][:-2].lstrip("+")
        ordinal = _ORDINALS.get(int(number)) if number.lstrip("-").isdigit() else None
        if ordinal:
            return f"the {ordinal} {_DAY_NAMES[_WEEKDAYS[days[0][-2:]]]} of every month"
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq)
    if unit is None:
        return "repeatedly"
    return f"every {unit}" if interval == 1 else f"every {interval} {unit}s"


def group_label(local: datetime, group_by: str) -> str:
    if group_by == "week":
        monday = local.date() - timedelta(days=local.weekday())
        return f"Week of {_day(monday)}, {monday.year}"
    return f"{local:%B %Y}"


def when(o: Occurrence, home: ZoneInfo, year: int) -> str:
    """Human dates: ``Oct 5–7``, ``Thu Jul 14, 1:30 PM CDT (8:30 PM Paris)``, and for a
    collapsed series ``Every Tuesday, 4:00 PM CDT (9:00 PM UTC) — next: Tue Jul 5``."""
    if o.recurrence and o.count > 1:
        return _series(o, home, year)
    if o.all_day and o.first_day and o.last_day:
        return _days(o.first_day, o.last_day, year)
    local = o.start.astimezone(home)
    end = o.end.astimezone(home)
    text = f"{local:%a} {_day(local)}{_year(local, year)}, {_clock(local)}"
    if end.date() > local.date():
        text += f" – {end:%a} {_day(end)}{_year(end, year)}, {_clock(end)}"
    text += f" {local:%Z}"
    own = o.start.astimezone(o.zone)
    if own.utcoffset() != local.utcoffset():
        day = f"{own:%a} " if own.date() != local.date() else ""
        text += f" ({day}{_clock(own)} {_place(o, own)})"
    return text


def _series(o: Occurrence, home: ZoneInfo, year: int) -> str:
    """A series by its rule, its time and its next date. The rule's weekdays are the
    event's own: where the newsletter's timezone puts the meeting on another day, the
    event's own time comes first."""
    rule = f"{o.recurrence[0].upper()}{o.recurrence[1:]}"
    if o.all_day and o.first_day:
        return f"{rule} — next: {o.first_day:%a} {_day(o.first_day)}{_year(o.first_day, year)}"
    local = o.start.astimezone(home)
    own = o.start.astimezone(o.zone)
    here = f"{_clock(local)} {local:%Z}"
    text, day = f"{rule}, {here}", local
    if own.utcoffset() != local.utcoffset():
        there = f"{_clock(own)} {_place(o, own)}"
        if own.date() != local.date():
            text, day = f"{rule}, {there} ({local:%a} {here})", own
        else:
            text += f" ({there})"
    return f"{text} — next: {day:%a} {_day(day)}{_year(day, year)}"


def _days(first: date, last: date, year: int) -> str:
    if first == last:
        return f"{first:%a} {_day(first)}{_year(first, year)}"
    if first.year != last.year:
        return f"{_day(first)}, {first.year} – {_day(last)}, {last.year}"
    if first.month == last.month:
        return f"{_day(first)}–{last.day}{_year(last, year)}"
    return f"{_day(first)} – {_day(last)}{_year(last, year)}"


def _day(moment: date) -> str:
    return f"{moment:%b} {moment.day}"


def _year(moment: date, year: int) -> str:
    return f", {moment.year}" if moment.year != year else ""


def _clock(moment: datetime) -> str:
    return f"{moment.hour % 12 or 12}:{moment:%M %p}"


def _place(o: Occurrence, own: datetime) -> str:
    if o.zone_name and "/" in o.zone_name:
        return o.zone_name.rsplit("/", 1)[-1].replace("_", " ")
    return o.zone_name or own.strftime("%Z") or "local time"
