"""Upcoming events from iCalendar feeds and a hand-kept ``events.yaml``.

Lists what starts in the look-ahead after the issue (``lookahead_days``), and what
starts or is still running during the issue's own week (``include_current_week``).
Recurring series are expanded only inside that span, and bounded (:mod:`.ical`).
Times are shown in the newsletter's timezone, with the event's own local time where it
differs (:mod:`.wording`). Cancelled events are left out and the same event met in two
sources is listed once. A broken calendar, or one broken event among good ones,
becomes a problem naming the calendar and the event's UID and line; the rest is kept.
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
    lookahead_days: int = Field(30, ge=0, le=3660)
    include_current_week: bool = Field(True, description="also list the issue's own week")
    collapse_recurring: bool = Field(False, description="list a series once: 'every Tuesday'")
    group_by: Literal["month", "week"] = "month"
    summary_words: int = Field(60, ge=1, description="cut descriptions at this many words")
    max_occurrences: int = Field(500, ge=1, description="per series, inside the span")

    def calendar_list(self) -> list[Calendar]:
        return [Calendar(url=c) if isinstance(c, str) else c for c in self.calendars]


class EventsProvider(SectionProvider[EventsOptions]):
    name = "events"
    description = "Upcoming events from iCalendar feeds and a hand-kept events.yaml."

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
