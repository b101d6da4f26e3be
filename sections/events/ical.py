"""Occurrences from iCalendar data, with recurrence expanded inside a span and bounded.

Recurring events are expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID) only inside the
span and capped per series, so a rule like ``FREQ=SECONDLY;COUNT=1000000000`` cannot
hang a run: a rule whose expansion would cost too many steps is refused up front.
Cancelled occurrences are left out. One broken event among good ones becomes a
problem naming its UID and line; the rest is kept.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from newsletter import MAX_FIELD

from .occurrence import (
    Found,
    Occurrence,
    Span,
    as_html,
    comparable,
    http_url,
    is_online,
    one_line,
    zone_key,
    zone_named,
)
from .wording import recurrence_text

MAX_RULE_STEPS = 100_000
"""Estimated recurrence-rule steps from a series' DTSTART to the end of the span above
which the series is not expanded: dateutil walks every step from DTSTART, and about
150,000 steps take a second here (a SECONDLY rule over a month took 17 s)."""
_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 31 * 86400,
    "YEARLY": 366 * 86400,
}
_DAYS_PER_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}


def read_calendar(
    data: bytes, name: str, span: Span, home: ZoneInfo, max_occurrences: int = 500
) -> Found:
    """Every occurrence in ``data`` (an iCalendar file) overlapping ``span``."""
    found = Found()
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        found.problems.append(f"not an iCalendar file: {first}")
        return found
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        found.problems.append("not an iCalendar file: no BEGIN:VCALENDAR … END:VCALENDAR")
        return found
    lines = _event_lines(data)
    for calendar in calendars:
        source = name or one_line(str(calendar.get("X-WR-CALNAME") or calendar.get("NAME") or ""))
        floating = zone_named(str(calendar.get("X-WR-TIMEZONE") or "")) or home
        defaults = {
            "source": source or "Calendar",
            "url": http_url(str(calendar.get("URL") or "")),
        }
        groups: dict[str, list[icalendar.cal.Component]] = {}
        for index, event in enumerate(calendar.walk("VEVENT")):
            uid = str(event.get("UID") or "") or f"#{index + 1}"
            groups.setdefault(uid, []).append(event)
        for uid, components in groups.items():
            where = f"event {uid!r}" + (f" (line {lines[uid]})" if uid in lines else "")
            try:
                found.occurrences.extend(
                    _expand(uid, components, span, home, floating, defaults, max_occurrences,
                            found.problems, where)
                )  # fmt: skip
            except Exception as error:  # one broken event must not hide the good ones
                found.problems.append(f"{where}: {_reason(error)}")
    return found


def _expand(
    uid: str,
    components: list[icalendar.cal.Component],
    span: Span,
    home: ZoneInfo,
    floating: tzinfo,
    defaults: dict[str, str],
    max_occurrences: int,
    problems: list[str],
    where: str,
) -> list[Occurrence]:
    for component in components:
        if component.errors:
            prop, why = component.errors[0]
            problems.append(f"{where}: {prop}: {why}")
            return []
        if component.get("DTSTART") is None:
            problems.append(f"{where}: no DTSTART")
            return []
        start = component.get("DTSTART").dt
        end_prop = component.get("DTEND")
        if end_prop is not None and comparable(end_prop.dt) < comparable(start):
            problems.append(f"{where}: DTEND {end_prop.to_ical().decode()} is before DTSTART")
            return []
        tzid = component.get("DTSTART").params.get("TZID")
        if tzid and isinstance(start, datetime) and start.tzinfo is None:
            problems.append(f"{where}: unknown time zone {tzid!r}; read as {zone_key(floating)}")
    master = next((c for c in components if c.get("RECURRENCE-ID") is None), components[0])
    too_costly = _rule_cost_problem(master, span)
    if too_costly:
        problems.append(f"{where}: {too_costly}; not expanded")
        return []
    holder = icalendar.Calendar()
    for component in components:
        holder.add_component(component)
    # Floating and unknown-zone times may lie up to a day off an aware span: widen the
    # query, then filter exactly below. A dense series is queried only as far as its
    # first max_occurrences need: building each occurrence is the costly part.
    enough = _enough_time(master, max_occurrences)
    stop = span.end if enough >= span.end - span.start else span.start + enough
    query = recurring_ical_events.of(holder)
    raw = query.between(span.start - timedelta(days=1), stop + timedelta(days=1))
    occurrences = []
    recurring = master.get("RRULE") is not None or master.get("RDATE") is not None
    for component in raw:
        if str(component.get("STATUS", "")).upper() == "CANCELLED":
            continue
        occurrence = _occurrence(uid, component, home, floating, defaults)
        if span.overlaps(occurrence.start, occurrence.end):
            if recurring:
                occurrence.series = uid
                occurrence.recurrence = recurrence_text(master)
            occurrences.append(occurrence)
    occurrences.sort(key=lambda o: o.start)
    if stop < span.end or len(occurrences) > max_occurrences:
        occurrences = occurrences[:max_occurrences]
        last = occurrences[-1].start if occurrences else stop
        problems.append(
            f"{where}: a dense series; listing {len(occurrences)} occurrences "
            f"(max_occurrences), until {last:%Y-%m-%d %H:%M}"
        )
    return occurrences


def _enough_time(master: icalendar.cal.Component, count: int) -> timedelta:
    """A time in which the series' rules yield at least ``count + 1`` occurrences."""
    rules = master.get("RRULE")
    if rules is None:
        return timedelta.max
    shortest = timedelta.max
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
        period = _FREQ_SECONDS[freq] * interval
        # At least one occurrence per period; two extra periods for the span's edges.
        shortest = min(shortest, timedelta(seconds=period * (count + 3)))
    return shortest


def _occurrence(
    uid: str,
    component: icalendar.cal.Component,
    home: ZoneInfo,
    floating: tzinfo,
    defaults: dict[str, str],
) -> Occurrence:
    start_prop = component.get("DTSTART")
    start = start_prop.dt
    end = _end(component, start)
    title = one_line(str(component.get("SUMMARY") or "")) or "(untitled event)"
    location = one_line(str(component.get("LOCATION") or ""))
    url = http_url(str(component.get("URL") or "")) or defaults["url"]
    description = _description(component)
    conference = any(component.get(key) for key in ("CONFERENCE", "X-GOOGLE-CONFERENCE"))
    common: dict[str, Any] = {
        "uid": uid,
        "title": title,
        "source": defaults["source"],
        "location": location,
        "url": url,
        "description_html": description,
        "online": is_online(location, conference),
    }
    if not isinstance(start, datetime):
        last = (end - timedelta(days=1)) if isinstance(end, date) and end > start else start
        if isinstance(last, datetime):
            last = last.date()
        return Occurrence(
            start=datetime.combine(start, time(0), tzinfo=home),
            end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=home),
            zone=home, zone_name="", all_day=True, first_day=start, last_day=last,
            **common,
        )  # fmt: skip
    zone: tzinfo = start.tzinfo or floating
    start = start if start.tzinfo else start.replace(tzinfo=floating)
    if isinstance(end, datetime):
        end = end if end.tzinfo else end.replace(tzinfo=floating)
    else:
        end = start
    return Occurrence(
        start=start, end=end, zone=zone, zone_name=zone_key(zone, start_prop.params.get("TZID")),
        **common,
    )  # fmt: skip


def _end(component: icalendar.cal.Component, start: date) -> date | None:
    if component.get("DTEND") is not None:
        end: date = component.get("DTEND").dt
        return end
    if component.get("DURATION") is not None:
        duration: date = start + component.get("DURATION").dt
        return duration
    return None


def _description(component: icalendar.cal.Component) -> str:
    for alt in (
        component.get("X-ALT-DESC", [])
        if isinstance(component.get("X-ALT-DESC"), list)
        else [component.get("X-ALT-DESC")]
    ):
        if alt is not None and str(alt.params.get("FMTTYPE", "")).lower() == "text/html":
            return str(alt)[:MAX_FIELD]
    return as_html(str(component.get("DESCRIPTION") or ""))


def _rule_cost_problem(master: icalendar.cal.Component, span: Span) -> str:
    """Why the series' rules are too costly to expand, or ``""``."""
    rules = master.get("RRULE")
    if rules is None:
        return ""
    start = comparable(master.get("DTSTART").dt)
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
        if interval < 1:
            return f"RRULE INTERVAL={interval} is not a positive number"
        if freq not in _FREQ_SECONDS:
            return f"RRULE FREQ={freq or '(missing)'} is not a recurrence frequency"
        stop = span.end
        until = (rule.get("UNTIL") or [None])[0]
        if until is not None:
            stop = min(stop, comparable(until))
        seconds = max((stop - start).total_seconds(), 0)
        periods = seconds / (_FREQ_SECONDS[freq] * interval) + 1
        per_period = _DAYS_PER_PERIOD.get(freq, 1)
        for by, coarser in (("BYHOUR", "DAILY"), ("BYMINUTE", "HOURLY"), ("BYSECOND", "MINUTELY")):
            if _FREQ_SECONDS[freq] >= _FREQ_SECONDS[coarser]:
                per_period *= max(len(rule.get(by) or []), 1)
        steps = periods * per_period
        if steps > MAX_RULE_STEPS:
            return f"RRULE FREQ={freq} from {start:%Y-%m-%d} needs about {steps:,.0f} steps"
    return ""


def _event_lines(data: bytes) -> dict[str, int]:
    """UID → line of its first BEGIN:VEVENT, to point at a broken event."""
    lines: dict[str, int] = {}
    begin = 0
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        upper = line.upper()
        if upper.startswith("BEGIN:VEVENT"):
            begin = number
        elif upper.startswith("UID") and begin and ":" in line:
            lines.setdefault(line.split(":", 1)[1].strip(), begin)
    return lines


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
