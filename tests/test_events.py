"""The events provider: calendars over HTTP and from files, recurrence, time zones,
cleanup, bad input, the hand-kept file, templates and the window property."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.gather.fetch import Fetcher, Limits
from newsletter.model import Item, Window
from newsletter.providers import GatherContext
from newsletter.sections.events.provider import (
    EventsOptions,
    EventsProvider,
    listing_span,
    read_calendar,
    read_events_file,
)
from tests.servers import FeedServer

CHICAGO = ZoneInfo("America/Chicago")
# Issue 2026-W10 closing on Sunday: Mar 2–8, 2026. US clocks change on Mar 8,
# European ones on Mar 29.
WINDOW = Window(
    start=datetime(2026, 3, 2, tzinfo=CHICAGO), end=datetime(2026, 3, 9, tzinfo=CHICAGO)
)


def ics(*events: str, name: str = "Community", extra: str = "") -> bytes:
    body = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-WR-CALNAME:{name}\n{extra}"
    for event in events:
        body += "BEGIN:VEVENT\n" + event.strip() + "\nEND:VEVENT\n"
    return (body + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def event(uid: str, start: str, summary: str, *lines: str) -> str:
    return "\n".join([f"UID:{uid}", f"DTSTART{start}", f"SUMMARY:{summary}", *lines])


def gather(
    tmp_path: Path, timezone: str = "America/Chicago", window: Window = WINDOW, **options: Any
) -> tuple[list[Item], list[tuple[str, str]]]:
    async def run() -> tuple[list[Item], list[tuple[str, str]]]:
        async with Fetcher(tmp_path, Limits()) as fetcher:
            problems: list[tuple[str, str]] = []
            ctx = GatherContext(
                section_id="events",
                window=window,
                timezone=timezone,
                history=None,  # type: ignore[arg-type]
                sources=fetcher,
                state_folder=tmp_path / "state",
                on_problem=lambda source, why: problems.append((source, why)),
                on_figure=lambda name, value: None,
            )
            items = await EventsProvider().gather(EventsOptions(**options), ctx)
            return items, problems

    return asyncio.run(run())


def write(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return name


def titles(items: list[Item]) -> list[str]:
    return [item.title for item in items]


def test_served_and_file_calendars_are_merged_and_sorted(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.add(
        "/meetup.ics",
        ics(event("b@x", ":20260320T180000Z", "Later"), name="Meetup"),
    )
    local = write(tmp_path, "cal/local.ics", ics(event("a@x", ":20260312T180000Z", "Sooner")))
    items, problems = gather(tmp_path, calendars=[url, local])
    assert problems == []
    assert titles(items) == ["Sooner", "Later"]
    assert [item.source for item in items] == ["Community", "Meetup"]
    assert items[0].score > items[1].score  # preselect keeps the soonest
    assert items[0].details["start"] == "2026-03-12T18:00:00+00:00"
    assert items[0].details["local_start"] == "2026-03-12T13:00:00-05:00"


def test_weekly_series_keeps_local_time_across_dst_change(tmp_path: Path) -> None:
    cal = ics(
        event(
            "weekly@x",
            ";TZID=America/Chicago:20260224T150000",
            "Weekly call",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
            "EXDATE;TZID=America/Chicago:20260317T150000",
        ),
        event(
            "weekly@x",
            ";TZID=America/Chicago:20260325T090000",
            "Weekly call (moved)",
            "RECURRENCE-ID;TZID=America/Chicago:20260324T150000",
        ),
    )
    items, problems = gather(
        tmp_path, calendars=[write(tmp_path, "w.ics", cal)], collapse_recurring=False
    )
    assert problems == []
    starts = [item.details["start"] for item in items]
    # The series began in CST (Feb 24, Mar 3: before the issue closed, not listed).
    assert starts == [
        "2026-03-10T15:00:00-05:00",  # CDT: same wall clock, new offset
        "2026-03-25T09:00:00-05:00",  # the overridden instance, moved
        "2026-03-31T15:00:00-05:00",
        "2026-04-07T15:00:00-05:00",
    ]
    assert items[0].details["when"] == "Tue Mar 10, 3:00 PM CDT"


def test_collapsed_series_reads_every_tuesday(tmp_path: Path) -> None:
    cal = ics(
        event(
            "weekly@x",
            ";TZID=America/Chicago:20260224T150000",
            "Weekly call",
            "RRULE:FREQ=WEEKLY;BYDAY=TU",
        )
    )
    path = write(tmp_path, "w.ics", cal)
    items, _ = gather(tmp_path, calendars=[path])  # collapsed by default
    assert len(items) == 1
    assert items[0].details["recurrence"] == "every Tuesday"
    assert items[0].details["occurrences"] == 5  # Mar 10 to Apr 7
    assert items[0].details["when"] == "Every Tuesday, 3:00 PM CDT — next: Tue Mar 10"
    assert items[0].keys == ["event:weekly@x@2026-03-10T20:00:00+00:00"]
    later = Window(start=WINDOW.start + timedelta(days=7), end=WINDOW.end + timedelta(days=7))
    again, _ = gather(tmp_path, calendars=[path], window=later)
    assert again[0].id == items[0].id  # a series keeps its id as weeks go by
    assert again[0].details["when"].endswith("— next: Tue Mar 17")
    assert again[0].keys == ["event:weekly@x@2026-03-17T20:00:00+00:00"]


def test_a_series_in_another_zone_reads_in_both(tmp_path: Path) -> None:
    cal = ics(
        event("utc@x", ":20260303T210000Z", "Team meeting", "RRULE:FREQ=WEEKLY;BYDAY=TU"),
        # 02:00 UTC on Wednesdays is Tuesday evening in Chicago: the rule's day is UTC's.
        event("late@x", ":20260304T020000Z", "Late call", "RRULE:FREQ=WEEKLY;BYDAY=WE"),
        event("days@x", ";VALUE=DATE:20260302", "Office day", "RRULE:FREQ=WEEKLY;BYDAY=MO"),
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "z.ics", cal)])
    when = {item.title: item.details["when"] for item in items}
    assert when["Team meeting"] == "Every Tuesday, 4:00 PM CDT (9:00 PM UTC) — next: Tue Mar 10"
    assert when["Late call"] == "Every Wednesday, 2:00 AM UTC (Tue 9:00 PM CDT) — next: Wed Mar 11"
    assert when["Office day"] == "Every Monday — next: Mon Mar 9"


def test_paris_event_listed_in_chicago_with_its_own_time(tmp_path: Path) -> None:
    cal = ics(
        event(
            "summit@x",
            ";TZID=Europe/Paris:20260318T200000",
            "Paris summit",
            "DTEND;TZID=Europe/Paris:20260318T220000",
            "LOCATION:Paris",
        )
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "p.ics", cal)])
    (item,) = items
    # Chicago is on CDT since Mar 8, Paris on CET until Mar 29: six hours apart.
    assert item.details["when"] == "Wed Mar 18, 2:00 PM CDT (8:00 PM Paris)"
    assert item.details["timezone"] == "Europe/Paris"
    assert item.details["local_start"] == "2026-03-18T14:00:00-05:00"
    assert item.details["online"] is False


def test_all_day_and_multi_day_events(tmp_path: Path) -> None:
    cal = ics(
        event("conf@x", ";VALUE=DATE:20260405", "Conference", "DTEND;VALUE=DATE:20260408"),
        event("day@x", ";VALUE=DATE:20260312", "Deadline"),
        event("span@x", ";VALUE=DATE:20260330", "Sprint", "DTEND;VALUE=DATE:20260403"),
        # Started before the issue closed and still running: listed once.
        event("long@x", ";VALUE=DATE:20260220", "Hackathon", "DTEND;VALUE=DATE:20260311"),
        # Over before the issue closed (Mar 9): never listed.
        event("gone@x", ";VALUE=DATE:20260220", "Past fair", "DTEND;VALUE=DATE:20260309"),
        event("week@x", ":20260306T180000Z", "Last Friday's talk"),
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "d.ics", cal)])
    by_title = {item.title: item.details for item in items}
    assert titles(items) == ["Hackathon", "Deadline", "Sprint", "Conference"]
    assert by_title["Hackathon"]["when"] == "Feb 20 – Mar 10"
    assert by_title["Conference"]["when"] == "Apr 5–7"
    assert by_title["Conference"]["all_day"] is True
    assert (by_title["Conference"]["start"], by_title["Conference"]["end"]) == (
        "2026-04-05",
        "2026-04-07",
    )
    assert by_title["Deadline"]["when"] == "Thu Mar 12"
    assert by_title["Sprint"]["when"] == "Mar 30 – Apr 2"
    assert [item.details["group"] for item in items] == [
        "February 2026",
        "March 2026",
        "March 2026",
        "April 2026",
    ]
    items, _ = gather(tmp_path, calendars=["d.ics"], group_by="week")
    assert items[1].details["group"] == "Week of Mar 9, 2026"


def test_cancelled_events_and_instances_are_left_out(tmp_path: Path) -> None:
    cal = ics(
        event("gone@x", ":20260312T180000Z", "Called off", "STATUS:CANCELLED"),
        event("s@x", ":20260310T180000Z", "Series", "RRULE:FREQ=WEEKLY;COUNT=3"),
        event(
            "s@x",
            ":20260317T180000Z",
            "Series",
            "RECURRENCE-ID:20260317T180000Z",
            "STATUS:CANCELLED",
        ),
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "c.ics", cal)], collapse_recurring=False)
    assert [item.details["start"][:10] for item in items] == ["2026-03-10", "2026-03-24"]


def test_duplicates_across_calendars_are_listed_once(tmp_path: Path) -> None:
    first = ics(event("same@x", ":20260312T180000Z", "Release party"))
    second = ics(
        event("same@x", ":20260312T180000Z", "Release party!", "LOCATION:Berlin"),
        event("other@y", ":20260320T180000Z", "  release   PARTY ", "URL:https://x.org/p"),
        event("other2@y", ":20260320T180000Z", "Release party"),
        name="Mirror",
    )
    items, _ = gather(
        tmp_path,
        calendars=[write(tmp_path, "a.ics", first), write(tmp_path, "b.ics", second)],
    )
    assert titles(items) == ["Release party", "release PARTY"]
    assert items[0].source == "Community"
    assert items[0].details["location"] == "Berlin"  # filled in from the duplicate


def test_malformed_calendars_leave_problems_and_the_good_events(tmp_path: Path) -> None:
    good = event("good@x", ":20260312T180000Z", "Good")
    broken = ics(
        good,
        event("bad-date@x", ":2026-13-45", "Bad date"),
        "UID:no-start@x\nSUMMARY:No start",
        event("backwards@x", ":20260312T180000Z", "Backwards", "DTEND:20260311T180000Z"),
        event("bad-rule@x", ":20260312T180000Z", "Bad rule", "RRULE:FREQ=SOMETIMES"),
    )
    write(tmp_path, "broken.ics", broken)
    write(tmp_path, "page.ics", "<html><body>Not found</body></html>")
    write(tmp_path, "empty.ics", "")
    items, problems = gather(
        tmp_path, calendars=["broken.ics", "page.ics", "empty.ics", "missing.ics"]
    )
    # A bad end or rule costs the end or the rule, not the event.
    assert titles(items) == ["Backwards", "Bad rule", "Good"]
    assert [item.details["end"] for item in items[:1]] == ["2026-03-12T18:00:00+00:00"]
    assert sorted(f"{source}: {why}" for source, why in problems if source == "broken.ics") == [
        "broken.ics: event 'backwards@x' (line 19): its end (DTEND 20260311T180000Z) is "
        "before its start; listed without one",
        "broken.ics: event 'bad-date@x' (line 10): its start (DTSTART) is not a date "
        "('2026-13-45'); left out",
        "broken.ics: event 'bad-rule@x' (line 25): its RRULE ('FREQ=SOMETIMES') cannot be "
        "read; listed as a single event",
        "broken.ics: event 'no-start@x' (line 15): it has no start (DTSTART); left out",
    ]
    text = "\n".join(f"{source}: {why}" for source, why in problems)
    assert "page.ics: not an iCalendar file" in text
    assert "empty.ics: not an iCalendar file" in text
    assert "missing.ics:" in text
    assert len(problems) == 7


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY;COUNT=1000000000",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=YEARLY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11;BYMINUTE=0,5,10,15,20,25,30,35,40,45",
    ],
)
def test_runaway_rules_are_refused_not_expanded(tmp_path: Path, rule: str) -> None:
    cal = ics(
        event("runaway@x", ":19900101T000000Z", "Runaway", f"RRULE:{rule}"),
        event("good@x", ":20260312T180000Z", "Good"),
    )
    items, problems = gather(tmp_path, calendars=[write(tmp_path, "r.ics", cal)])
    assert titles(items) == ["Good"]
    assert len(problems) == 1 and "runaway@x" in problems[0][1]


def test_occurrences_are_capped_per_series(tmp_path: Path) -> None:
    cal = ics(event("hourly@x", ":20260302T000000Z", "Hourly", "RRULE:FREQ=HOURLY"))
    items, problems = gather(
        tmp_path,
        calendars=[write(tmp_path, "h.ics", cal)],
        max_occurrences=50,
        collapse_recurring=False,
    )
    assert len(items) == 50
    assert "a dense series; listing 50 occurrences" in problems[0][1]


def test_floating_times_use_the_calendars_zone(tmp_path: Path) -> None:
    cal = ics(
        event("float@x", ":20260312T190000", "Floating"),
        extra="X-WR-TIMEZONE:Europe/Berlin\n",
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "f.ics", cal)])
    assert items[0].details["start"] == "2026-03-12T19:00:00+01:00"


def test_description_is_sanitized_and_cut(tmp_path: Path) -> None:
    cal = ics(
        event(
            "d@x",
            ":20260312T180000Z",
            "<b>Talk</b>",
            'DESCRIPTION:<p>Hello <script>alert(1)</script><a href="javascript:x">link</a>'
            " one two three four five six</p>",
            "LOCATION:https://meet.example.org/room",
        )
    )
    items, _ = gather(tmp_path, calendars=[write(tmp_path, "s.ics", cal)], summary_words=4)
    (item,) = items
    assert item.title == "<b>Talk</b>"  # text, escaped on output
    assert "script" not in item.summary and "javascript" not in item.summary
    assert item.summary.endswith("…")
    assert item.details["online"] is True


EVENTS_YAML = """\
- title: Sprint deadline
  start: 2026-03-20
  all_day: true
- title: Paris meetup
  start: 2026-03-18 20:00
  end: 2026-03-18T22:00:00
  timezone: Europe/Paris
  location: Paris
  description: "Bring <b>laptops</b>"
- title: Typo
  start: 2026-03-21
  lcoation: Rome
- title: Bad zone
  start: 2026-03-21 10:00
  timezone: Mars/Olympus
- title: Backwards
  start: 2026-03-21
  end: 2026-03-19
- start: not a date
"""


def test_events_file_entries_and_their_errors(tmp_path: Path) -> None:
    write(tmp_path, "events.yaml", EVENTS_YAML)
    items, problems = gather(tmp_path, events_file="events.yaml")
    assert titles(items) == ["Paris meetup", "Sprint deadline"]
    assert items[0].details["when"] == "Wed Mar 18, 2:00 PM CDT (8:00 PM Paris)"
    assert items[1].details["when"] == "Fri Mar 20"
    messages = [why for _, why in problems]
    assert all(source == "events.yaml" for source, _ in problems)
    assert "line 12: entry 3, field 'lcoation': unknown field" in messages
    assert any(m.startswith("line 15: entry 4, field 'timezone'") for m in messages)
    assert any(m.startswith("line 18: entry 5, field 'end'") for m in messages)
    assert any("entry 6, field 'title'" in m for m in messages)
    assert any("entry 6, field 'start'" in m and "not a date" in m for m in messages)


@pytest.mark.parametrize(
    ("content", "expected"),
    [("title: [unclosed", "line 1"), ("just: a mapping\n", "expected a list of events")],
)
def test_events_file_that_is_not_a_list(content: str, expected: str) -> None:
    span = listing_span(WINDOW.end, EventsOptions())
    found = read_events_file(content.encode(), "events.yaml", span, CHICAGO)
    assert found.occurrences == []
    assert expected in found.problems[0]


def test_same_event_in_calendar_and_events_file_is_listed_once(tmp_path: Path) -> None:
    write(tmp_path, "c.ics", ics(event("w@x", ";TZID=America/Chicago:20260312T133000", "Webinar")))
    write(
        tmp_path,
        "e.yaml",
        "- {title: webinar, start: '2026-03-12 13:30', url: 'https://x.org/w'}\n",
    )
    items, _ = gather(tmp_path, calendars=["c.ics"], events_file="e.yaml")
    assert titles(items) == ["Webinar"]
    assert items[0].url == "https://x.org/w"


def test_draft_and_render_group_events(make_workspace: Any, cli: Any, server: FeedServer) -> None:
    url = server.add(
        "/c.ics",
        ics(
            event(
                "a@x",
                ";VALUE=DATE:20261202",
                "Winter <summit>",
                "DTEND;VALUE=DATE:20261205",
                "LOCATION:Oslo & Bergen",
            ),
            event("b@x", ":20261126T180000Z", "Meetup", "LOCATION:Online"),
        ),
    )
    ws: Path = make_workspace(
        f"""
        [[section]]
        id = "events"
        title = "Upcoming events"
        provider = "events"
        calendars = ["{url}"]
        """
    )
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    txt = cli("-C", ws, "render", "--format", "txt", "--out", "-").stdout
    assert txt.index("November 2026") < txt.index("Meetup") < txt.index("December 2026")
    assert "* Dec 2–4 — Winter <summit>" in txt
    md = cli("-C", ws, "render", "--format", "md", "--out", "-").stdout
    assert "### December 2026" in md and "**Dec 2–4**" in md
    html = cli("-C", ws, "render", "--format", "html", "--out", "-").stdout
    assert "Winter &lt;summit&gt;" in html and "Oslo &amp; Bergen" in html
    assert "<summit>" not in html


# ---------------------------------------------------------------- the window property

_RULES = st.sampled_from(
    ["", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=MONTHLY;BYDAY=1MO",
     "FREQ=HOURLY;INTERVAL=7", "FREQ=DAILY;COUNT=1000000000", "FREQ=YEARLY"]
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offset_hours=st.integers(-24 * 60, 24 * 120),
    minutes=st.integers(0, 60 * 24 * 9),
    all_day=st.booleans(),
    zone=st.sampled_from(["Europe/Paris", "America/Chicago", "Asia/Tokyo", "UTC"]),
    rule=_RULES,
    lookahead=st.integers(0, 60),
)
def test_no_occurrence_outside_the_window_is_listed(
    offset_hours: int, minutes: int, all_day: bool, zone: str, rule: str, lookahead: int
) -> None:
    start = WINDOW.start + timedelta(hours=offset_hours)
    if all_day:
        day = start.date()
        lines = [f"DTEND;VALUE=DATE:{(day + timedelta(days=1 + minutes // 1440)):%Y%m%d}"]
        dtstart = f";VALUE=DATE:{day:%Y%m%d}"
    else:
        local = start.astimezone(ZoneInfo(zone))
        end = local + timedelta(minutes=minutes)
        dtstart = f";TZID={zone}:{local:%Y%m%dT%H%M%S}"
        lines = [f"DTEND;TZID={zone}:{end:%Y%m%dT%H%M%S}"]
    if rule:
        lines.append(f"RRULE:{rule}")
    options = EventsOptions(lookahead_days=lookahead)
    span = listing_span(WINDOW.end, options)
    found = read_calendar(ics(event("p@x", dtstart, "P", *lines)), "", span, CHICAGO)
    for occurrence in found.occurrences:
        if occurrence.end > occurrence.start:
            assert occurrence.start < span.end and occurrence.end > span.start
        else:
            assert span.start <= occurrence.start < span.end
    assert found.problems == [] or "a dense series" in found.problems[0]


def test_span_runs_from_the_issues_close_through_the_lookahead() -> None:
    span = listing_span(WINDOW.end, EventsOptions(lookahead_days=10))
    assert (span.start, span.end) == (WINDOW.end, WINDOW.end + timedelta(days=10))
    assert span.start.date() == date(2026, 3, 9)
    assert not span.overlaps(WINDOW.end - timedelta(hours=2), WINDOW.end)  # ended at close
    assert span.overlaps(WINDOW.end - timedelta(hours=2), WINDOW.end + timedelta(hours=1))


def test_the_series_cap_counts_from_the_series_start(tmp_path: Path) -> None:
    # A daily series starting two weeks into the span (Mar 9 – Apr 8): its 16 days are
    # all listed. Counted from the span's start, the cap of 20 cut it at Apr 1.
    late = ics(
        event("daily@x", ":20260323T170000Z", "Daily standup", "RRULE:FREQ=DAILY"),
        event("mondays@x", ":20260302T170000Z", "Mondays", "RRULE:FREQ=DAILY;BYDAY=MO"),
    )
    items, problems = gather(
        tmp_path,
        calendars=[write(tmp_path, "late.ics", late)],
        max_occurrences=20,
        collapse_recurring=False,
    )
    assert problems == []
    daily = [item.details["start"][:10] for item in items if item.title == "Daily standup"]
    assert (len(daily), daily[0], daily[-1]) == (16, "2026-03-23", "2026-04-07")
    # A rule yielding less than one occurrence a period is not "dense" either.
    assert len([item for item in items if item.title == "Mondays"]) == 5  # Mar 9 – Apr 6


def test_an_empty_rrule_is_a_single_event_said_once_for_the_whole_export(
    tmp_path: Path,
) -> None:
    holidays = ics(
        *(
            event(f"h{day}@calendarlabs", f";VALUE=DATE:202603{day:02}", f"Holiday {day}", "RRULE:")
            for day in range(10, 27, 2)
        )
    )
    items, problems = gather(tmp_path, calendars=[write(tmp_path, "h.ics", holidays)])
    assert titles(items) == [f"Holiday {day}" for day in range(10, 27, 2)]
    assert problems == [
        ("h.ics", "9 events, the first event 'h10@calendarlabs' (line 5): an empty RRULE; "
                  "listed as a single event"),
    ]  # fmt: skip


def test_a_bad_property_costs_the_property_not_the_event(tmp_path: Path) -> None:
    cal = ics(
        event(
            "kept@x", ":20260312T180000Z", "Kept",
            "EXDATE:", "CREATED:00001231T000000Z", "X-APPLE-RADIUS=49.91307046514149",
            "DTSTART:20260313T180000Z", "DTEND:20260312T190000Z",
        ),
        event("time@x", ";VALUE=TIME:083000", "Only a time"),
    )  # fmt: skip
    items, problems = gather(tmp_path, calendars=[write(tmp_path, "p.ics", cal)])
    assert titles(items) == ["Kept"]
    assert items[0].details["start"] == "2026-03-12T18:00:00+00:00"  # the first DTSTART
    assert sorted(why for _, why in problems) == [
        "event 'kept@x' (line 5): a line that is not iCalendar was ignored "
        "('X-APPLE-RADIUS=49.91307046514149')",
        "event 'kept@x' (line 5): its CREATED ('00001231T000000Z') cannot be read; ignored",
        "event 'kept@x' (line 5): its EXDATE cannot be read; ignored",
        "event 'time@x' (line 15): its start (DTSTART) is not a date; left out",
    ]
    for _, why in problems:
        assert "Error" not in why and not why.startswith("None")


def test_events_sharing_a_uid_at_different_times_stay_distinct(tmp_path: Path) -> None:
    # A conference export giving every talk of a track the track's UID.
    talks = ics(
        *(
            event("track-1@conf", f":202603{day}T{hour}0000Z", f"Talk {day}/{hour}")
            for day in (10, 11)
            for hour in (14, 15, 16)
        ),
        # Revisions of one event: the highest SEQUENCE is the event.
        event("rev@x", ":20260312T090000Z", "Old time", "SEQUENCE:1"),
        event("rev@x", ":20260312T100000Z", "New time", "SEQUENCE:2"),
    )
    items, problems = gather(tmp_path, calendars=[write(tmp_path, "conf.ics", talks)])
    assert problems == []
    assert titles(items) == [
        "Talk 10/14", "Talk 10/15", "Talk 10/16", "Talk 11/14", "Talk 11/15", "Talk 11/16",
        "New time",
    ]  # fmt: skip
    assert len({item.id for item in items}) == 7


def test_a_calendar_whose_events_all_fail_says_so(tmp_path: Path) -> None:
    cal = ics(*(f"UID:n{n}@x\nSUMMARY:No start {n}" for n in range(5)))
    items, problems = gather(tmp_path, calendars=[write(tmp_path, "n.ics", cal)])
    assert items == []
    assert problems[-2:] == [
        ("n.ics", "5 events, the first event 'n0@x' (line 5): it has no start (DTSTART); "
                  "left out"),
        ("n.ics", "none of its 5 events could be read"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "BYMONTHDAY with BYMONTH"),
        ("FREQ=HOURLY;BYMONTH=4,6;BYMONTHDAY=-31", "BYMONTHDAY with BYMONTH"),
        ("FREQ=DAILY;BYYEARDAY=366;BYMONTH=1", "BYYEARDAY with BYMONTH"),
        ("FREQ=DAILY;BYDAY=MO;BYSETPOS=2", "BYSETPOS past the candidates of a period"),
        ("FREQ=HOURLY;BYMINUTE=0;BYSETPOS=2", "BYSETPOS past the candidates of a period"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "BYSETPOS past the candidates of a period"),
        ("FREQ=DAILY;INTERVAL=14;BYDAY=WE", "INTERVAL=14 days from a TU with BYDAY"),
        ("FREQ=HOURLY;INTERVAL=24;BYHOUR=5", "INTERVAL=24 from 17 never reaches BYHOUR"),
        ("FREQ=MINUTELY;INTERVAL=30;BYMINUTE=15", "INTERVAL=30 from 0 never reaches BYMINUTE"),
        (
            "FREQ=DAILY;BYWEEKNO=1;BYMONTH=6",
            "no day of any year meets its BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY",
        ),
        (
            "FREQ=HOURLY;BYYEARDAY=1;BYMONTHDAY=2",
            "no day of any year meets its BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYDAY",
        ),
    ],
)
def test_a_rule_that_can_never_match_is_a_single_event_not_a_walk_to_9999(
    rule: str, why: str
) -> None:
    # Each of these took dateutil seconds to minutes: it seeks a match until 9999.
    span = listing_span(WINDOW.end, EventsOptions())
    found = read_calendar(
        ics(event("never@x", ":20260310T170000Z", "Never", f"RRULE:{rule}")), "", span, CHICAGO
    )
    assert [o.start for o in found.occurrences] == [datetime(2026, 3, 10, 17, tzinfo=UTC)]
    assert found.problems == [
        f"event 'never@x' (line 5): its RRULE can never match ({why}); listed as a single event"
    ]


@pytest.mark.parametrize(
    ("rule", "first"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2028, 2, 29)),
        ("FREQ=YEARLY;BYYEARDAY=60;BYMONTH=2", date(2028, 2, 29)),
        ("FREQ=YEARLY;BYYEARDAY=-1;BYMONTH=12", date(2026, 12, 31)),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5", date(2026, 3, 30)),
        ("FREQ=MONTHLY;BYMONTHDAY=-31", date(2026, 5, 1)),
        ("FREQ=DAILY;BYHOUR=9,17;BYSETPOS=-1", date(2026, 3, 1)),
        ("FREQ=DAILY;INTERVAL=14;BYDAY=SU", date(2026, 3, 15)),
        ("FREQ=HOURLY;INTERVAL=9;BYHOUR=3", date(2026, 3, 2)),
        ("FREQ=DAILY;BYWEEKNO=53;BYDAY=TH", date(2026, 12, 31)),
    ],
)
def test_a_rule_that_matches_rarely_is_not_taken_for_one_that_never_does(
    rule: str, first: date
) -> None:
    span = listing_span(datetime(2026, 3, 1, tzinfo=UTC), EventsOptions(lookahead_days=1200))
    found = read_calendar(
        ics(event("rare@x", ":20260301T000000Z", "Rare", f"RRULE:{rule}")), "", span, UTC
    )
    assert found.problems == [] or "dense series" in found.problems[0]
    # DTSTART is the first occurrence whatever the rule says (RFC 5545); then the rule's.
    assert found.occurrences[1].start.date() == first


def test_a_calendar_whose_series_take_too_long_leaves_the_rest_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from newsletter.sections.events import ical

    monkeypatch.setattr(ical, "EXPANSION_SECONDS", 0.0)  # spent before the first series
    span = listing_span(WINDOW.end, EventsOptions())
    found = read_calendar(
        ics(
            event("a@x", ":20260310T170000Z", "A", "RRULE:FREQ=WEEKLY"),
            event("b@x", ":20260311T170000Z", "B", "RRULE:FREQ=WEEKLY"),
            event("c@x", ":20260312T170000Z", "C", "RRULE:FREQ=WEEKLY"),
            event("once@x", ":20260313T170000Z", "Once"),
        ),
        "",
        span,
        CHICAGO,
    )
    assert {o.title for o in found.occurrences} == {"Once"}
    assert found.problems == ["expanding its recurring events took over 0 s; 3 were left out"]
