"""Occurrences from iCalendar data, with recurrence expanded inside a span and bounded.

Recurring events are expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID) only inside the
span and capped per series, so a rule like ``FREQ=SECONDLY;COUNT=1000000000`` cannot
hang a run: a rule whose expansion would cost too many steps is refused up front.
Cancelled occurrences are left out.

Real exports are untidy, and one bad line must not cost an event: a property that
cannot be read is dropped and the event kept (as icalendar itself keeps it); an empty
or unreadable RRULE makes a single event; an end before the start is ignored; several
events sharing one UID at different times (a conference export) stay distinct. Only
an event without a usable start is left out. Each of these is a problem in words,
naming the event's UID and line; the same problem in many events is said once.
"""

from __future__ import annotations

import math
import time as clock
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from dateutil import rrule as dateutil_rrule
from recurring_ical_events.errors import BadRuleStringFormat

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

EXPANSION_SECONDS = 10.0
"""Time one calendar's series may take to expand, all together; those left when it is
spent are not expanded. The step estimate cannot see a rule that never matches
(``BYSETPOS=9;BYDAY=MO`` in a month): dateutil then walks to the year 9999, seconds
per series, and a stranger's calendar may hold any number of them."""

_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # the most each can have
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
_MARGIN = timedelta(days=1)
"""Floating and unknown-zone times may lie up to a day off an aware span: the query is
widened by this much, then filtered exactly."""
_RECURRENCE = ("RRULE", "RDATE", "EXDATE")
_SAID_ONCE = 3
"""A problem met in more events than this is said once, with the count."""


@dataclass(frozen=True)
class _Event:
    """One series (or single event) to expand: its components, and where it is."""

    uid: str
    series: str
    components: list[icalendar.cal.Component]
    where: str


class _Refused(Exception):
    """The event cannot be listed; the message says why, in words."""


def read_calendar(
    data: bytes, name: str, span: Span, home: ZoneInfo, max_occurrences: int = 500
) -> Found:
    """Every occurrence in ``data`` (an iCalendar file) overlapping ``span``."""
    found = Found()
    try:
        parsed = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, KeyError, IndexError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        found.problems.append(f"not an iCalendar file: {first}")
        return found
    calendars = [c for c in parsed if c.name == "VCALENDAR"]
    loose = [c for c in parsed if c.name == "VEVENT"]
    if loose:  # bare events without their VCALENDAR: read them as one calendar
        holder = icalendar.Calendar()
        for component in loose:
            holder.add_component(component)
        calendars.append(holder)
    if not calendars:
        found.problems.append("not an iCalendar file: no BEGIN:VCALENDAR … END:VCALENDAR")
        return found
    lines = iter(_event_lines(data))
    said: list[tuple[str, str]] = []  # (where, what) of every problem, summarized below
    events = refused = unexpanded = 0
    started = clock.perf_counter()
    for calendar in calendars:
        source = name or one_line(str(calendar.get("X-WR-CALNAME") or calendar.get("NAME") or ""))
        floating = zone_named(str(calendar.get("X-WR-TIMEZONE") or "")) or home
        defaults = {
            "source": source or "Calendar",
            "url": http_url(str(calendar.get("URL") or "")),
        }
        for event in _events(calendar, lines):
            events += 1
            spent = clock.perf_counter() - started
            if spent > EXPANSION_SECONDS and any(_recurs(c) for c in event.components):
                unexpanded += 1
                continue
            try:
                found.occurrences.extend(
                    _expand(event, span, home, floating, defaults, max_occurrences, said)
                )
            except _Refused as why:
                refused += 1
                said.append((event.where, f"{why}; left out"))
            except Exception as error:  # one broken event must not hide the good ones
                refused += 1
                said.append((event.where, f"could not be read ({type(error).__name__}); left out"))
    found.problems.extend(_summarized(said))
    if unexpanded:
        found.problems.append(
            f"expanding its recurring events took over {EXPANSION_SECONDS:g} s; "
            f"{unexpanded} were left out"
        )
    if events > 1 and refused == events:
        found.problems.append(f"none of its {events} events could be read")
    return found


def _events(calendar: icalendar.Calendar, lines: Iterator[int]) -> list[_Event]:
    """The calendar's series, each VEVENT without RECURRENCE-ID starting one.

    Several such events sharing a UID are revisions when their SEQUENCE differs (the
    highest wins, as recurring-ical-events reads them), else distinct events (a
    conference export giving all its talks a few UIDs). The moved or cancelled
    instances (with RECURRENCE-ID) join the series of their UID that recurs."""
    masters: dict[str, list[tuple[icalendar.cal.Component, str]]] = {}
    overrides: list[tuple[str, icalendar.cal.Component, str]] = []
    for index, component in enumerate(calendar.walk("VEVENT")):
        uid = one_line(str(component.get("UID") or "")) or f"#{index + 1}"
        line = next(lines, 0)
        where = f"event {uid!r}" + (f" (line {line})" if line else "")
        if component.get("RECURRENCE-ID") is not None:
            overrides.append((uid, component, where))
        else:
            masters.setdefault(uid, []).append((component, where))
    by_uid: dict[str, list[_Event]] = {}
    for uid, found in masters.items():
        latest = max(_sequence(component) for component, _ in found)
        kept = [(c, where) for c, where in found if _sequence(c) == latest]
        by_uid[uid] = [
            _Event(uid, uid if number == 0 else f"{uid}#{number + 1}", [component], where)
            for number, (component, where) in enumerate(kept)
        ]
    for uid, component, where in overrides:
        candidates = by_uid.get(uid, [])
        owner = next((e for e in candidates if _recurs(e.components[0])), None)
        owner = owner or (candidates[0] if candidates else None)
        if owner is None:  # an instance whose series is not in the file: an event itself
            owner = _Event(uid, uid, [], where)
            by_uid[uid] = [owner]
        owner.components.append(component)
    return [event for events in by_uid.values() for event in events]


def _sequence(component: icalendar.cal.Component) -> int:
    try:
        return int(component.get("SEQUENCE", -1))
    except (TypeError, ValueError):
        return -1


def _recurs(component: icalendar.cal.Component) -> bool:
    return component.get("RRULE") is not None or component.get("RDATE") is not None


def _expand(
    event: _Event,
    span: Span,
    home: ZoneInfo,
    floating: tzinfo,
    defaults: dict[str, str],
    max_occurrences: int,
    said: list[tuple[str, str]],
) -> list[Occurrence]:
    where = event.where
    for component in event.components:
        _repair(component, where, said, floating)
    master = next((c for c in event.components if c.get("RECURRENCE-ID") is None), None)
    master = master or event.components[0]
    invalid = _invalid_rule(master)
    if invalid:
        said.append((where, f"{invalid}; listed as a single event"))
        master.pop("RRULE")
    too_costly = _rule_cost_problem(master, span)
    if too_costly:
        said.append((where, f"{too_costly}; not expanded"))
        return []
    try:
        raw = _between(event.components, master, span, max_occurrences)
    except Exception as error:  # dateutil refuses the rule (RSCALE calendars, bad UNTIL…)
        if not _recurs(master):
            raise
        said.append((where, f"its recurrence cannot be expanded{_rule_error(error)}; "
                            "listed as a single event"))  # fmt: skip
        for name in _RECURRENCE:
            master.pop(name, None)
        raw = _between([master], master, span, max_occurrences)
    occurrences = []
    recurring = _recurs(master)
    for component in raw:
        if str(component.get("STATUS", "")).upper() == "CANCELLED":
            continue
        occurrence = _occurrence(event.uid, component, home, floating, defaults)
        if span.overlaps(occurrence.start, occurrence.end):
            if recurring:
                occurrence.series = event.series
                occurrence.recurrence = recurrence_text(master)
            occurrences.append(occurrence)
    occurrences.sort(key=lambda o: o.start)
    if len(occurrences) > max_occurrences:
        occurrences = occurrences[:max_occurrences]
        said.append(
            (where, f"a dense series; listing {len(occurrences)} occurrences "
                    f"(max_occurrences), until {occurrences[-1].start:%Y-%m-%d %H:%M}")
        )  # fmt: skip
    return occurrences


def _between(
    components: list[icalendar.cal.Component],
    master: icalendar.cal.Component,
    span: Span,
    max_occurrences: int,
) -> list[icalendar.cal.Component]:
    """The series' occurrences around the span, one more than ``max_occurrences`` at most
    when that many fall in it.

    Building each occurrence is the costly part, so a dense series is queried from its
    own start (or the span's, if later) only as far as its first ``max_occurrences``
    need, and further in doubling steps only if the rule gave fewer there."""
    holder = icalendar.Calendar()
    for component in components:
        holder.add_component(component)
    query = recurring_ical_events.of(holder)
    first = max(span.start, comparable(master.get("DTSTART").dt) - _MARGIN)
    reach = _enough_time(master, max_occurrences)
    found: dict[Any, icalendar.cal.Component] = {}
    low, high = span.start - _MARGIN, span.end + _MARGIN
    while True:
        stop = high if reach >= high - first else first + reach
        for component in query.between(low, stop):
            found.setdefault(_instance_key(component), component)
        if stop >= high or len(found) > max_occurrences:
            return list(found.values())
        low, reach = stop, reach * 2


def _instance_key(component: icalendar.cal.Component) -> Any:
    """What tells one occurrence from another (queries overlap at their edges)."""
    recurrence = component.get("RECURRENCE-ID")
    start = component.get("DTSTART")
    return (str(recurrence.dt if recurrence is not None else ""), str(start.dt))


def _repair(
    component: icalendar.cal.Component,
    where: str,
    said: list[tuple[str, str]],
    floating: tzinfo,
) -> None:
    """Drop what cannot be read, keeping the event; :class:`_Refused` if it has no start."""
    for name, why in component.errors:
        if name is None:
            said.append((where, f"a line that is not iCalendar was ignored ({_quote(why)})"))
            continue
        if name.upper() in {"DTSTART", "RECURRENCE-ID"}:
            raise _Refused(f"its start ({name}) is not a date ({_quote(why)})")
        written = f" ({str(component.get(name, ''))[:80]!r})" if component.get(name) else ""
        if name.upper() == "RRULE":
            said.append((where, f"its RRULE{written} cannot be read; listed as a single event"))
        elif name.upper() in {"DTEND", "DURATION"}:
            said.append((where, f"its end ({name}{written}) cannot be read; listed without one"))
        else:
            said.append((where, f"its {name}{written} cannot be read; ignored"))
        component.pop(name, None)
    component.errors.clear()
    for name in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SUMMARY", "LOCATION"):
        value = component.get(name)
        if isinstance(value, list):  # the same property twice: the first one counts
            component[name] = value[0]
    start_prop = component.get("DTSTART")
    if start_prop is None:
        raise _Refused("it has no start (DTSTART)")
    start = start_prop.dt
    if not isinstance(start, date):  # a time of day, or a period
        raise _Refused("its start (DTSTART) is not a date")
    for name in ("DTEND", "DURATION"):
        value = component.get(name)
        if value is not None and not isinstance(value.dt, date | timedelta):
            said.append((where, f"its end ({name}) is not a date; listed without one"))
            component.pop(name)
    rules = component.get("RRULE")
    if rules is not None and not all(rules if isinstance(rules, list) else [rules]):
        said.append((where, "an empty RRULE; listed as a single event"))
        component.pop("RRULE")
    end_prop = component.get("DTEND")
    if end_prop is not None and comparable(end_prop.dt) < comparable(start):
        said.append(
            (where, f"its end (DTEND {end_prop.to_ical().decode()}) is before its start; "
                    "listed without one")
        )  # fmt: skip
        component.pop("DTEND")
    tzid = start_prop.params.get("TZID")
    if tzid and isinstance(start, datetime) and start.tzinfo is None:
        said.append((where, f"unknown time zone {tzid!r}; read as {zone_key(floating)}"))


def _quote(why: str) -> str:
    """The offending text of an icalendar error, short, without the library's wording."""
    text = " ".join(str(why).split())
    if "': " in text:  # "Content line could not be parsed into parts: 'X=1': X=1"
        text = text.rsplit("': ", 1)[1]
    elif ": " in text:  # "Wrong datetime format: 00001231T000000Z"
        text = text.rsplit(": ", 1)[1]
    return repr(text.strip("'\"")[:80])


def _rule_error(error: Exception) -> str:
    """Why a recurrence could not be expanded, in words."""
    text = " ".join(str(error).split())
    if "RSCALE=" in text.upper():
        scale = text.upper().split("RSCALE=", 1)[1].split(";", 1)[0]
        return f": the {scale.lower()} calendar (RSCALE) is not supported"
    if isinstance(error, BadRuleStringFormat):  # dateutil's own words about the rule
        return f" ({text[:120]})"
    return ""


def _summarized(said: list[tuple[str, str]]) -> list[str]:
    """``where: what`` for each problem; a ``what`` met often is said once, counted."""
    counts = Counter(what for _, what in said)
    out: list[str] = []
    done: set[str] = set()
    for where, what in said:
        if counts[what] <= _SAID_ONCE:
            out.append(f"{where}: {what}")
        elif what not in done:
            done.add(what)
            out.append(f"{counts[what]} events, the first {where}: {what}")
    return out


def _enough_time(master: icalendar.cal.Component, count: int) -> timedelta:
    """A time in which the series' rules may yield ``count + 1`` occurrences."""
    rules = master.get("RRULE")
    if rules is None:
        return timedelta.max
    shortest = timedelta.max
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
        period = _FREQ_SECONDS[freq] * interval
        # At least one occurrence per period; two extra periods for the span's edges.
        seconds = period * (count + 3)
        if seconds < timedelta.max.total_seconds():
            shortest = min(shortest, timedelta(seconds=seconds))
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
        end = max(end, start)
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


def _invalid_rule(master: icalendar.cal.Component) -> str:
    """Why the series' RRULE is no rule (an unknown FREQ, INTERVAL=0), or ``""``."""
    rules = master.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        interval = (rule.get("INTERVAL") or [1])[0]
        if not isinstance(interval, int) or interval < 1:
            return f"its RRULE has INTERVAL={interval}, not a positive number"
        if freq not in _FREQ_SECONDS:
            return f"its RRULE has FREQ={freq or '(none)'}, not a recurrence frequency"
        never = _never_matches(rule, freq, interval, master.get("DTSTART").dt)
        if never:
            return f"its RRULE can never match ({never})"
    return ""


def _never_matches(rule: Any, freq: str, interval: int, start: date) -> str:
    """Which parts of ``rule`` contradict each other, or ``""``: dateutil would seek a
    rule that never matches until the year 9999, minutes per series at FREQ=HOURLY.
    The contradictions that can be seen without expanding: a day no month of BYMONTH
    has (February 30th), a day of the year outside BYMONTH, a BYSETPOS past the
    candidates one period can have, an INTERVAL that never lands on the weekday or
    hour asked for, and date parts that no day of any year meets (asked of a
    FREQ=YEARLY rule with the same parts: a walk of years, not of days or hours)."""
    try:
        months = [int(m) for m in rule.get("BYMONTH") or []] or list(range(1, 13))
        days = [int(day) for day in rule.get("BYMONTHDAY") or []]
        if days and not any(
            1 <= m <= 12 and 0 < abs(day) <= _MONTH_DAYS[m - 1] for day in days for m in months
        ):
            return "BYMONTHDAY with BYMONTH"
        yeardays = [int(day) for day in rule.get("BYYEARDAY") or []]
        if yeardays and not any(
            _yearday_in(day, m, leap) for day in yeardays for m in months for leap in (0, 1)
        ):
            return "BYYEARDAY with BYMONTH"
        positions = [abs(int(pos)) for pos in rule.get("BYSETPOS") or []]
        if positions and min(positions) > _candidates(rule, freq):
            return "BYSETPOS past the candidates of a period"
        missed = _phase_never_met(rule, freq, interval, start)
        if missed:
            return missed
        if freq in _FINE and not _some_day_meets(rule, start):
            return "no day of any year meets its BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY"
    except (TypeError, ValueError):
        return ""  # dateutil's own refusal says what is wrong
    return ""


_FINE = frozenset({"WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"})
_DATE_PARTS = {"BYMONTH": "bymonth", "BYMONTHDAY": "bymonthday", "BYYEARDAY": "byyearday",
               "BYWEEKNO": "byweekno"}  # fmt: skip
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _phase_never_met(rule: Any, freq: str, interval: int, start: date) -> str:
    """Why the steps of ``interval`` from DTSTART never reach the weekday, hour, minute
    or second the rule keeps (every 7 days from a Monday is never a Tuesday), or ``""``."""
    # An ordinal ("1MO") means nothing at these frequencies: dateutil keeps the weekday.
    weekdays = {str(day).upper()[-2:] for day in rule.get("BYDAY") or []}
    weekday = _WEEKDAYS[start.weekday()]
    if freq == "DAILY" and interval % 7 == 0 and weekdays and weekday not in weekdays:
        return f"INTERVAL={interval} days from a {weekday} with BYDAY"
    if not isinstance(start, datetime):
        return ""
    for unit, part, cycle, now in (
        ("HOURLY", "BYHOUR", 24, start.hour),
        ("MINUTELY", "BYMINUTE", 60, start.minute),
        ("SECONDLY", "BYSECOND", 60, start.second),
    ):
        kept = [int(value) for value in rule.get(part) or []]
        step = math.gcd(interval, cycle)
        if freq == unit and kept and all((value - now) % step for value in kept):
            return f"INTERVAL={interval} from {now} never reaches {part}"
    return ""


def _some_day_meets(rule: Any, start: date) -> bool:
    """Whether any day meets the rule's date parts (plain BYDAY weekdays only)."""
    weekdays = [str(day).upper() for day in rule.get("BYDAY") or []]
    if any(day not in _WEEKDAYS for day in weekdays):
        return True  # "1MO" is not a filter of these frequencies: dateutil decides
    parts: dict[str, Any] = {
        name: [int(value) for value in rule.get(part)]
        for part, name in _DATE_PARTS.items()
        if rule.get(part)
    }
    if not parts and not weekdays:
        return True
    if weekdays:
        parts["byweekday"] = [getattr(dateutil_rrule, day) for day in weekdays]
    probe = dateutil_rrule.rrule(
        dateutil_rrule.YEARLY, dtstart=datetime(start.year, 1, 1), cache=False, **parts
    )
    return next(iter(probe), None) is not None


def _yearday_in(day: int, month: int, leap: int) -> bool:
    """Whether day ``day`` of a (leap) year, counted from its end if negative, is in
    ``month``."""
    length = 365 + leap
    number = day if day > 0 else length + day + 1
    first = 1 + sum(_MONTH_DAYS[: month - 1]) - (leap == 0 and month > 2)
    last = first + _MONTH_DAYS[month - 1] - 1 - (leap == 0 and month == 2)
    return first <= number <= last


def _candidates(rule: Any, freq: str) -> int:
    """The most occurrences one period of ``freq`` can hold, before BYSETPOS picks."""
    days = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7}.get(freq, 1)
    weekdays = rule.get("BYDAY") or []
    if weekdays and days > 7:  # at most 53 (5) of each weekday in a year (month)
        days = min(days, len(weekdays) * (53 if freq == "YEARLY" else 5))
    elif weekdays:
        days = min(days, len(weekdays))
    finer = {"YEARLY": 3, "MONTHLY": 3, "WEEKLY": 3, "DAILY": 3, "HOURLY": 2, "MINUTELY": 1}
    times = 1
    for by in ("BYHOUR", "BYMINUTE", "BYSECOND")[3 - finer.get(freq, 0) :]:
        times *= max(len(rule.get(by) or []), 1)
    return days * times


def _rule_cost_problem(master: icalendar.cal.Component, span: Span) -> str:
    """Why the series' rules are too costly to expand, or ``""``."""
    rules = master.get("RRULE")
    if rules is None:
        return ""
    start = comparable(master.get("DTSTART").dt)
    for rule in rules if isinstance(rules, list) else [rules]:
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
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


def _event_lines(data: bytes) -> list[int]:
    """The line of each BEGIN:VEVENT, in the order icalendar walks the events."""
    return [
        number
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1)
        if line.upper().startswith("BEGIN:VEVENT")
    ]
