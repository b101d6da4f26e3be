"""Upcoming events from iCalendar feeds and a hand-kept ``events.yaml``.

Lists what is still to come when the issue closes: events that start in the
look-ahead after it (``lookahead_days``), and those already running then; never one
that ended before it closes. Recurring series are expanded only inside that span, and
bounded (:mod:`.ical`); a series is listed once, by its next occurrence ("Every Tuesday,
4:00 PM CDT — next: Tue Jul 5"), unless ``collapse_recurring = false``. Times are shown
in the newsletter's timezone, with the event's own local time where it differs
(:mod:`.wording`). Cancelled events are left out and the same event met in two sources
is listed once. A broken calendar, or one broken event among good ones, becomes a
problem naming the calendar and the event's UID and line; the rest is kept.

An occurrence is known by its UID and start (``event:<uid>@<start>``); an event keeps
appearing in later issues until it begins (``repeats = "upcoming"``; ``Item.published``
is its start), and a series shows its next occurrence each week.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from newsletter import (
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    SourceError,
    html_to_markdown,
)

from .handkept import read_events_file
from .ical import read_calendar
from .occurrence import Occurrence, Span, collapse, deduplicate, moment_key
from .wording import group_label, when


class Calendar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="http(s) URL or a path relative to the workspace")
    name: str = Field("", description="shown as the source; defaults to the calendar's name")


class EventsOptions(ProviderOptions):
    calendars: list[str | Calendar] = Field(default_factory=list)
    events_file: str | None = Field(None, description="hand-kept events, workspace-relative")
    lookahead_days: int = Field(30, ge=0, le=3660, description="days after the issue closes")
    collapse_recurring: bool = Field(
        True, description="list a series once, by its next date: 'every Tuesday'"
    )
    group_by: Literal["month", "week"] = "month"
    summary_words: int = Field(60, ge=1, description="cut descriptions at this many words")
    max_occurrences: int = Field(500, ge=1, description="per series, inside the span")

    def calendar_list(self) -> list[Calendar]:
        return [Calendar(url=c) if isinstance(c, str) else c for c in self.calendars]


class EventsProvider(SectionProvider[EventsOptions]):
    name = "events"
    description = "Upcoming events from iCalendar feeds and a hand-kept events.yaml."
    repeats = "upcoming"

    async def gather(self, options: EventsOptions, ctx: GatherContext) -> list[Item]:
        home = ZoneInfo(ctx.timezone)
        span = listing_span(ctx.window.end, options)
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

    def sources(self, options: EventsOptions) -> list[str]:
        files = [options.events_file] if options.events_file else []
        return [calendar.url for calendar in options.calendar_list()] + files

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
        ctx.source_result(calendar.url, len(result.occurrences))
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
        ctx.source_result(path, len(result.occurrences))
        return result.occurrences


def listing_span(closes: datetime, options: EventsOptions) -> Span:
    """What is listed in an issue that closes at ``closes``: whatever has not ended by
    then and begins within the look-ahead."""
    return Span(closes, closes + timedelta(days=options.lookahead_days))


def to_item(occurrence: Occurrence, home: ZoneInfo, options: EventsOptions, year: int) -> Item:
    o = occurrence
    local = o.start.astimezone(home)
    series = bool(o.recurrence and o.count > 1)
    key = f"{o.uid}|series" if series else f"{o.uid}|{moment_key(o)}"
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
        keys=[f"event:{o.uid}@{moment_key(o)}"],
        title=o.title,
        url=o.url,
        summary=html_to_markdown(o.description_html, options.summary_words),
        # The start is the moment an event item is about: the "upcoming" repeat policy
        # reads it (an event featured before comes back while it has not begun).
        published=o.start,
        source=o.source,
        details=details,
        score=-o.start.timestamp(),  # the soonest are the most notable
    )
