from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.window import (
    WEEKDAYS,
    dates_window,
    describe,
    issue_name,
    last_complete_week,
    week_window,
)

UTC_ZONE = ZoneInfo("UTC")
CHICAGO = ZoneInfo("America/Chicago")


def test_an_iso_week_closing_on_sunday_is_monday_to_sunday() -> None:
    window = week_window("2026-W47", UTC_ZONE)
    assert window.start == datetime(2026, 11, 16, tzinfo=UTC_ZONE)
    assert window.end == datetime(2026, 11, 23, tzinfo=UTC_ZONE)
    assert describe(window) == "November 16–22, 2026"


def test_the_2011_issue_closed_on_friday() -> None:
    window = week_window("2011-W26", CHICAGO, "friday")
    assert window.start == datetime(2011, 6, 25, tzinfo=CHICAGO)
    assert window.end == datetime(2011, 7, 2, tzinfo=CHICAGO)
    assert describe(window) == "June 25 – July 1, 2011"
    assert window.start.utcoffset() == window.end.utcoffset()  # both CDT
    assert issue_name(window) == "2011-W26"


def test_last_complete_week_never_includes_today() -> None:
    sunday_noon = datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert last_complete_week(sunday_noon, UTC_ZONE) == "2026-W46"
    monday = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)
    assert last_complete_week(monday, UTC_ZONE) == "2026-W47"
    # In Chicago it is still Sunday evening.
    assert last_complete_week(monday, CHICAGO) == "2026-W46"


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    st.sampled_from(WEEKDAYS),
)
def test_the_last_complete_week_has_ended_and_the_next_has_not(
    moment: datetime, closes_on: str
) -> None:
    now = moment.replace(tzinfo=UTC)
    window = week_window(last_complete_week(now, UTC_ZONE, closes_on), UTC_ZONE, closes_on)
    assert window.end <= now
    assert (now - window.end).days < 7
    assert window.end.weekday() == (WEEKDAYS.index(closes_on) + 1) % 7


def test_custom_dates_include_the_last_day() -> None:
    window = dates_window(date(2026, 11, 1), date(2026, 11, 7), UTC_ZONE)
    assert datetime(2026, 11, 7, 23, 59, tzinfo=UTC) in window
    assert datetime(2026, 11, 8, tzinfo=UTC) not in window
    with pytest.raises(ValueError, match="before"):
        dates_window(date(2026, 11, 7), date(2026, 11, 1), UTC_ZONE)


@pytest.mark.parametrize("week", ["2026-47", "2026-W54", "2025-W53", "W47"])
def test_bad_weeks_are_refused(week: str) -> None:
    with pytest.raises(ValueError):
        week_window(week, UTC_ZONE)
