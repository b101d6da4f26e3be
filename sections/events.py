"""Upcoming events from iCalendar feeds and a hand-kept ``events.yaml``.

Lists what starts in the look-ahead after the issue (``lookahead_days``), and what
starts or is still running during the issue's own week (``include_current_week``).
Recurring events are expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID) only inside that
span and capped per series, so a rule like ``FREQ=SECONDLY;COUNT=1000000000`` cannot
hang a run. Times are shown in the newsletter's timezone, with the event's own local
time where it differs. Cancelled events are left out and the same event met in two
sources is listed once. A broken calendar, or one broken event among good ones,
becomes a problem naming the calendar and the event's UID and line; the rest is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from newsletter.errors import SourceError
from newsletter.model import Item
from newsletter.providers import GatherContext, ProviderOptions, SectionProvider
from newsletter.sanitize import MAX_FIELD, html_to_markdown

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
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_ONLINE = re.compile(r"\b(online|virtual|webinar|zoom|jitsi|teams|web ?conference)\b", re.I)
_HTML_HINT = re.compile(r"<(p|br|a|div|span|b|i|em|strong|ul|ol|li)\b", re.I)
_TITLE_NOISE = re.compile(r"[\W_]+")


# ---------------------------------------------------------------- options


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="http(s) URL or a path relative to the workspace")
    name: str = Field("", description="shown as the source; defaults to the calendar's name")


class EventsOptions(ProviderOptions):
    calendars: list[str | Calendar] = Field(default_factory=list)
    events_file: str | None = Field(None, description="hand-kept events, workspace-relative")
    lookahead_days: int = Field(30, ge=0, le=3660)
    include_current_week: bool = Field(True, description="also list the issue's own week")
    collapse_recurring: bool = Field(False, description="list a series once: 'every Tuesday'")
    group_by: Literal["month", "week"] = "month"
    summary_words: int = Field(60, ge=1, description="cut descriptions at this many words")
    max_occurrences: int = Field(500, ge=1, description="per series, inside the span")

    def calendar_list(self) -> list[Calendar]:
        return [Calendar(url=c) if isinstance(c, str) else c for c in self.calendars]


# ---------------------------------------------------------------- what we found


@dataclass(frozen=True)
class Span:
    """Occurrences overlapping ``[start, end)`` are listed."""

    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        if end <= start:  # an instant: listed if it falls inside
            return self.start <= start < self.end
        return start < self.end and end > self.start


@dataclass
class Occurrence:
    uid: str
    title: str
    start: datetime  # an instant; all-day events start at midnight in the newsletter tz
    end: datetime
    zone: tzinfo  # the event's own zone, for showing its local time
    zone_name: str  # its TZID ("" when floating or a bare UTC offset)
    source: str
    all_day: bool = False
    first_day: date | None = None
    last_day: date | None = None  # inclusive
    location: str = ""
    url: str = ""
    description_html: str = ""
    online: bool = False
    recurrence: str = ""
    series: str = ""  # set on occurrences of a recurring series
    count: int = 1


@dataclass
class Found:
    occurrences: list[Occurrence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the provider


class EventsProvider(SectionProvider):
    name = "events"
    description = "Upcoming events from iCalendar feeds and a hand-kept events.yaml."
    Options = EventsOptions

    async def gather(self, options: EventsOptions, ctx: GatherContext) -> list[Item]:
        home = ZoneInfo(ctx.timezone)
        span = listing_span(ctx.window.start, ctx.window.end, options)
        calendars = options.calendar_list()
        tasks = [self._calendar(c, span, home, options, ctx) for c in calendars]
        if options.events_file:
            tasks.append(self._events_file(options.events_file, span, home, ctx))
        found: list[Occurrence] = []
        for occurrences in await asyncio.gather(*tasks):
            found.extend(occurrences)
        listed = deduplicate(found)
        if options.collapse_recurring:
            listed = collapse(listed)
        listed.sort(key=lambda o: (o.start, o.title))
        year = (ctx.window.end - timedelta(microseconds=1)).astimezone(home).year
        return [to_item(o, home, options, year) for o in listed]

    async def _calendar(
        self, calendar: Calendar, span: Span, home: ZoneInfo, options: EventsOptions,
        ctx: GatherContext,
    ) -> list[Occurrence]:  # fmt: skip
        try:
            fetched = await ctx.fetch(calendar.url)
        except SourceError as error:
            ctx.problem(calendar.url, error.reason)
            return []
        result = await asyncio.to_thread(
            read_calendar, fetched.content, calendar.name, span, home, options.max_occurrences
        )
        for problem in result.problems:
            ctx.problem(calendar.url, problem)
        return result.occurrences

    async def _events_file(
        self, path: str, span: Span, home: ZoneInfo, ctx: GatherContext
    ) -> list[Occurrence]:
        try:
            fetched = await ctx.fetch(path)
        except SourceError as error:
            ctx.problem(path, error.reason)
            return []
        result = read_events_file(fetched.content, path, span, home)
        for problem in result.problems:
            ctx.problem(path, problem)
        return result.occurrences


def listing_span(window_start: datetime, window_end: datetime, options: EventsOptions) -> Span:
    start = window_start if options.include_current_week else window_end
    return Span(start, window_end + timedelta(days=options.lookahead_days))


# ---------------------------------------------------------------- iCalendar


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
        source = name or _text(str(calendar.get("X-WR-CALNAME") or calendar.get("NAME") or ""))
        floating = _zone(str(calendar.get("X-WR-TIMEZONE") or "")) or home
        defaults = {
            "source": source or "Calendar",
            "url": _http(str(calendar.get("URL") or "")),
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
        if end_prop is not None and _comparable(end_prop.dt) < _comparable(start):
            problems.append(f"{where}: DTEND {end_prop.to_ical().decode()} is before DTSTART")
            return []
        tzid = component.get("DTSTART").params.get("TZID")
        if tzid and isinstance(start, datetime) and start.tzinfo is None:
            problems.append(f"{where}: unknown time zone {tzid!r}; read as {_zone_key(floating)}")
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
    title = _text(str(component.get("SUMMARY") or "")) or "(untitled event)"
    location = _text(str(component.get("LOCATION") or ""))
    url = _http(str(component.get("URL") or "")) or defaults["url"]
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
        start=start, end=end, zone=zone, zone_name=_zone_key(zone, start_prop.params.get("TZID")),
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


def as_html(text: str) -> str:
    """A description as HTML: kept if it already is (Google's exports), else escaped."""
    text = text[:MAX_FIELD]
    if _HTML_HINT.search(text):
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


def _rule_cost_problem(master: icalendar.cal.Component, span: Span) -> str:
    """Why the series' rules are too costly to expand, or ``""``."""
    rules = master.get("RRULE")
    if rules is None:
        return ""
    start = _comparable(master.get("DTSTART").dt)
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
            stop = min(stop, _comparable(until))
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


# ---------------------------------------------------------------- events.yaml


class HandEvent(BaseModel):
    """One entry of the hand-kept events file."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    start: datetime | date
    end: datetime | date | None = None
    all_day: bool = False
    timezone: str | None = Field(None, description="IANA name, e.g. America/Chicago")
    location: str = ""
    url: str = ""
    description: str = Field("", description="plain text or HTML")
    online: bool | None = None
    uid: str = ""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _moment(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            try:
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    return date.fromisoformat(text)
                return datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"{text!r} is not a date (2011-10-05) or date and time (2011-07-14 13:30)"
                ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and _zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Paris")
        return value

    @field_validator("end")
    @classmethod
    def _after_start(cls, value: datetime | date | None, info: Any) -> datetime | date | None:
        start = info.data.get("start")
        if value is None or start is None:
            return value
        if isinstance(start, datetime) != isinstance(value, datetime):
            raise ValueError("start and end must both be dates or both be dates with times")
        if (
            isinstance(start, datetime)
            and isinstance(value, datetime)
            and (start.tzinfo is None) != (value.tzinfo is None)
        ):
            raise ValueError("start and end must both have a UTC offset, or neither")
        if value < start:
            raise ValueError(f"{value} is before start {start}")
        return value

    def occurrence(self, source: str, home: ZoneInfo) -> Occurrence:
        zone: tzinfo = _zone(self.timezone or "") or home
        common: dict[str, Any] = {
            "uid": self.uid or f"{_normal_title(self.title)}@{source}",
            "title": _text(self.title),
            "source": source,
            "location": _text(self.location),
            "url": _http(self.url),
            "description_html": as_html(self.description),
            "online": self.online if self.online is not None else is_online(self.location),
        }
        if self.all_day or not isinstance(self.start, datetime):
            first = self.start.date() if isinstance(self.start, datetime) else self.start
            last = self.end or first
            last = last.date() if isinstance(last, datetime) else last
            return Occurrence(
                start=datetime.combine(first, time(0), tzinfo=home),
                end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=home),
                zone=home, zone_name="", all_day=True, first_day=first, last_day=last,
                **common,
            )  # fmt: skip
        start = self.start.replace(tzinfo=zone) if self.start.tzinfo is None else self.start
        end = self.end if isinstance(self.end, datetime) else start
        end = end.replace(tzinfo=zone) if end.tzinfo is None else end
        if self.timezone is None and self.start.tzinfo is not None:
            zone = self.start.tzinfo
        return Occurrence(
            start=start, end=end, zone=zone, zone_name=self.timezone or _zone_key(zone), **common
        )


class _Constructor(RoundTripConstructor):
    """Keeps timestamps as written, so a UTC offset is parsed by us, never dropped."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def read_events_file(data: bytes, path: str, span: Span, home: ZoneInfo) -> Found:
    """The hand-kept events overlapping ``span``; each bad entry is a problem."""
    found = Found()
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        found.problems.append(f"not UTF-8 text: {error}")
        return found
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        found.problems.append(f"{where}{getattr(error, 'problem', None) or error}")
        return found
    if node is None:
        return found
    if isinstance(node, CommentedMap) and isinstance(node.get("events"), CommentedSeq):
        node = node["events"]
    if not isinstance(node, CommentedSeq):
        found.problems.append("line 1: expected a list of events (- title: …, start: …)")
        return found
    for index, entry in enumerate(node):
        line = node.lc.item(index)[0] + 1
        try:
            event = HandEvent.model_validate(_plain(entry))
        except ValidationError as error:
            for detail in error.errors():
                loc = [str(part) for part in detail["loc"] if not str(part).startswith("function")]
                field_line = line
                if isinstance(entry, CommentedMap) and loc and loc[0] in entry:
                    field_line = entry.lc.key(loc[0])[0] + 1
                message = "unknown field" if detail["type"] == "extra_forbidden" else detail["msg"]
                name = ".".join(loc) or "entry"
                found.problems.append(
                    f"line {field_line}: entry {index + 1}, field '{name}': {message}"
                )
            continue
        occurrence = event.occurrence(path, home)
        if span.overlaps(occurrence.start, occurrence.end):
            found.occurrences.append(occurrence)
    return found


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


# ---------------------------------------------------------------- cleanup


def deduplicate(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """One of each event: same UID and start, or same title and start, are one event.

    The first seen is kept (calendars in their configured order, then the events
    file), filling in a location, link or description it lacks from the others."""
    kept: list[Occurrence] = []
    index: dict[tuple[str, str], Occurrence] = {}
    for occurrence in occurrences:
        moment = _moment_key(occurrence)
        keys = [
            ("uid", occurrence.uid + "|" + moment),
            ("title", _normal_title(occurrence.title) + "|" + moment),
        ]
        earlier = next((index[k] for k in keys if k in index), None)
        if earlier is None:
            kept.append(occurrence)
            earlier = occurrence
        else:
            earlier.location = earlier.location or occurrence.location
            earlier.url = earlier.url or occurrence.url
            earlier.description_html = earlier.description_html or occurrence.description_html
        for key in keys:
            index.setdefault(key, earlier)
    return kept


def collapse(occurrences: list[Occurrence]) -> list[Occurrence]:
    """A recurring series becomes its first occurrence, counting the others."""
    firsts: dict[tuple[str, str], Occurrence] = {}
    out = []
    for occurrence in sorted(occurrences, key=lambda o: o.start):
        if not occurrence.series:
            out.append(occurrence)
            continue
        key = (occurrence.source, occurrence.series)
        if key in firsts:
            firsts[key].count += 1
        else:
            firsts[key] = replace(occurrence, count=1)
            out.append(firsts[key])
    for occurrence in out:
        if occurrence.series and occurrence.count < 2:
            occurrence.recurrence = ""  # one date in the span: nothing to collapse
    return out


def is_online(location: str, conference: bool = False) -> bool:
    stripped = location.strip()
    return (
        conference or stripped.startswith(("http://", "https://")) or bool(_ONLINE.search(stripped))
    )


def _moment_key(occurrence: Occurrence) -> str:
    if occurrence.all_day and occurrence.first_day is not None:
        return occurrence.first_day.isoformat()
    return occurrence.start.astimezone(UTC).isoformat()


def _normal_title(title: str) -> str:
    return _TITLE_NOISE.sub(" ", title.casefold()).strip()


# ---------------------------------------------------------------- to items


def to_item(occurrence: Occurrence, home: ZoneInfo, options: EventsOptions, year: int) -> Item:
    o = occurrence
    local = o.start.astimezone(home)
    series = bool(o.recurrence and o.count > 1)
    key = f"{o.uid}|series" if series else f"{o.uid}|{_moment_key(o)}"
    details: dict[str, Any] = {
        "start": o.first_day.isoformat() if o.all_day and o.first_day else o.start.isoformat(),
        "end": o.last_day.isoformat() if o.all_day and o.last_day else o.end.isoformat(),
        "all_day": o.all_day,
        "timezone": o.zone_name,
        "local_start": local.date().isoformat() if o.all_day else local.isoformat(),
        "when": when(o, home, year),
        "location": o.location,
        "online": o.online,
        "uid": o.uid,
        "group": group_label(local, options.group_by),
    }
    if series:
        details["recurrence"] = o.recurrence
        details["occurrences"] = o.count
    return Item(
        id="event-" + hashlib.sha1(key.encode()).hexdigest()[:10],
        title=o.title,
        url=o.url,
        summary=html_to_markdown(o.description_html, options.summary_words),
        # The draft cannot read back an empty ``published``; the start is the date
        # an event item is about.
        published=o.start,
        source=o.source,
        details=details,
        score=-o.start.timestamp(),  # the soonest are the most notable
    )


def group_label(local: datetime, group_by: str) -> str:
    if group_by == "week":
        monday = local.date() - timedelta(days=local.weekday())
        return f"Week of {_day(monday)}, {monday.year}"
    return f"{local:%B %Y}"


def when(o: Occurrence, home: ZoneInfo, year: int) -> str:
    """Human dates: ``Oct 5–7``, ``Thu Jul 14, 1:30 PM CDT (8:30 PM Paris)``."""
    if o.all_day and o.first_day and o.last_day:
        text = _days(o.first_day, o.last_day, year)
    else:
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
    prefix = (
        f"{o.recurrence[0].upper()}{o.recurrence[1:]}, from "
        if o.recurrence and o.count > 1
        else ""
    )
    return prefix + text


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


# ---------------------------------------------------------------- small helpers


def _text(value: str) -> str:
    """A plain-text field (iCalendar's SUMMARY and LOCATION are text, not HTML): kept
    as written, whitespace folded, and escaped by the templates on output."""
    return " ".join(value[:2000].split())


def _zone(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_key(zone: tzinfo, tzid: str | None = None) -> str:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    if zone is UTC:
        return "UTC"
    return str(tzid or "")


def _comparable(moment: date | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(moment, time(0), tzinfo=UTC)


def _http(url: str) -> str:
    url = url.strip()[:2000]
    return url if url.lower().startswith(("http://", "https://")) else ""


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
