"""The events provider reads real calendars as recurring-ical-events does, and never
breaks on them: run over icalendar's and recurring-ical-events' test calendars.

Their sdists ship 260 .ics files: RFC examples, exports from Google, Outlook, Apple,
Nextcloud and Meetup, and the bug reports of both projects (broken lines, missing
time zones, moved and cancelled instances, RANGE=THISANDFUTURE, revisions by
SEQUENCE). Every file goes through the provider's reader over a wide window
(1990–2035), without a crash or a hang; the events it lists — UID and start of each
occurrence — must be those recurring-ical-events lists over the same window, except in
the files of ``EXPLAINED``, each with its reason. A file that starts or stops
differing fails the test, so the list stays true.
"""

from __future__ import annotations

import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from newsletter.sections.events.ical import read_calendar
from newsletter.sections.events.occurrence import Span, zone_named
from tests.corpora import sdist

START, END = datetime(1990, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)
HOME = ZoneInfo("UTC")
EVERY = 10**6
"""max_occurrences high enough to list every occurrence in the window."""

Key = tuple[str, str]

_SINGLE = (
    "its recurrence rule cannot be expanded: recurring-ical-events leaves the whole "
    "series out, we list its first date once and say why"
)
_REFUSED = (
    "recurring-ical-events refuses the whole calendar (an event without a start, or "
    "with two); we list the events that can be read and name the others"
)
_SWAPPED = (
    "DTEND before DTSTART: recurring-ical-events swaps them, we keep the start as "
    "written and drop the end"
)
EXPLAINED = {
    "icalendar/docs/tutorials/example.ics": (
        "two events share one UID at different times: both are listed (recurring-ical-"
        "events keeps one, as it would revisions)"
    ),
    "icalendar/tests/calendars/invalid_duration.ics": (
        "an unreadable DURATION: we list the event without an end, recurring-ical-events "
        "leaves it out"
    ),
    "icalendar/tests/events/issue_464_invalid_rdate.ics": (
        "an RDATE that cannot be read: we ignore that line and list the event, "
        "recurring-ical-events leaves it out"
    ),
    "icalendar/tests/calendars/parsing_error.ics": (
        "an empty EXDATE: we ignore that line, so the date it meant to remove stays"
    ),
    "icalendar/tests/calendars/issue_1081_invalid_rrule_freq.ics": _SINGLE,
    "icalendar/tests/calendars/issue_165_missing_event.ics": _SINGLE,
    "icalendar/tests/calendars/rfc_7529.ics": _SINGLE + " (RSCALE calendars)",
    "recurring-ical-events/test/calendars/bad_rrule_missing_until_event.ics": _SINGLE,
    "recurring-ical-events/test/calendars/end_before_start_event.ics": _SWAPPED,
    "recurring-ical-events/test/calendars/issue_132_swapped_start_and_end.ics": _SWAPPED,
    "icalendar/tests/calendars/america_new_york_forward_reference.ics": _REFUSED,
    "icalendar/tests/calendars/created_calendar_with_unicode_fields.ics": _REFUSED,
    "icalendar/tests/calendars/issue_722_missing_timezones.ics": _REFUSED,
    "icalendar/tests/calendars/multiple_timezones.ics": _REFUSED,
    "icalendar/tests/calendars/pacific_fiji.ics": _REFUSED,
}


@pytest.fixture(scope="module")
def calendars() -> list[tuple[str, Path]]:
    """(short name, path) of every test calendar of both projects."""
    found = []
    for distribution in ("icalendar", "recurring-ical-events"):
        root = sdist(distribution)
        for path in sorted(root.rglob("*.ics")):
            name = path.relative_to(root).as_posix()
            name = name.replace("src/icalendar/", "").replace("recurring_ical_events/", "")
            found.append((f"{distribution}/{name}", path))
    return found


@contextmanager
def _no_hang(name: str, seconds: int = 120) -> Iterator[None]:
    def stop(*_: object) -> None:
        raise AssertionError(f"{name}: still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _key(uid: str, start: date) -> Key:
    """An occurrence as both sides can state it: its UID, and its start in UTC (a day
    for all-day events; recurring-ical-events gives a UID-less event ``""``)."""
    uid = "" if uid.startswith("#") else uid
    if isinstance(start, datetime):
        start = start.astimezone(UTC)
        if start.time() == time(0):
            return uid, start.date().isoformat()
        return uid, start.isoformat()
    return uid, start.isoformat()


def _ours(data: bytes) -> tuple[set[Key], list[str]]:
    found = read_calendar(data, "", Span(START, END), HOME, EVERY)
    keys = {_key(o.uid, o.first_day if o.all_day and o.first_day else o.start)
            for o in found.occurrences}  # fmt: skip
    return keys, found.problems


def _theirs(data: bytes) -> set[Key] | None:
    """recurring-ical-events' occurrences, or None when it refuses the calendar."""
    try:
        parsed = icalendar.Calendar.from_ical(data, multiple=True)
        loose = [c for c in parsed if c.name == "VEVENT"]
        if loose:  # bare VEVENTs (icalendar's event tests): one calendar, as we read them
            holder = icalendar.Calendar()
            for component in loose:
                holder.add_component(component)
            parsed.append(holder)
        keys = set()
        for calendar in parsed:
            if calendar.name != "VCALENDAR":
                continue
            floating: tzinfo = zone_named(str(calendar.get("X-WR-TIMEZONE") or "")) or HOME
            query = recurring_ical_events.of(calendar, skip_bad_series=True)
            for event in query.between(START, END):
                if str(event.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                start = event["DTSTART"].dt
                if isinstance(start, datetime) and start.tzinfo is None:
                    start = start.replace(tzinfo=floating)
                keys.add(_key(str(event.get("UID") or ""), start))
    except Exception:  # what the reference cannot read is compared as "nothing"
        return None
    return keys


def test_real_calendars_list_what_recurring_ical_events_lists(
    calendars: list[tuple[str, Path]],
) -> None:
    assert len(calendars) == 260
    ours_total = theirs_total = 0
    differing: dict[str, tuple[int, int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the libraries warn about the corpus' oddities
        for name, path in calendars:
            data = path.read_bytes()
            with _no_hang(name):
                ours, problems = _ours(data)
            assert all("Error" not in p and not p.startswith("None") for p in problems), (
                name,
                problems,
            )
            theirs = _theirs(data)
            ours_total += len(ours)
            if theirs is None:
                if ours:
                    differing[name] = (len(ours), 0)
                continue
            theirs_total += len(theirs)
            if ours != theirs:
                differing[name] = (len(ours - theirs), len(theirs - ours))
    assert sorted(differing) == sorted(EXPLAINED), {
        name: counts for name, counts in differing.items() if name not in EXPLAINED
    }
    assert (ours_total, theirs_total) == (60_150, 60_130)
