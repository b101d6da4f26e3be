"""What the events section finds: occurrences in a span, and their cleanup.

Occurrences come from iCalendar feeds (:mod:`.ical`) and the hand-kept file
(:mod:`.handkept`); the same event met in two sources is listed once, and a series
can be collapsed to its first date.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsletter import MAX_FIELD

_ONLINE = re.compile(r"\b(online|virtual|webinar|zoom|jitsi|teams|web ?conference)\b", re.I)
_HTML_HINT = re.compile(r"<(p|br|a|div|span|b|i|em|strong|ul|ol|li)\b", re.I)
_TITLE_NOISE = re.compile(r"[\W_]+")


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


def deduplicate(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """One of each event: same UID and start, or same title and start, are one event.

    The first seen is kept (calendars in their configured order, then the events
    file), filling in a location, link or description it lacks from the others."""
    kept: list[Occurrence] = []
    index: dict[tuple[str, str], Occurrence] = {}
    for occurrence in occurrences:
        moment = moment_key(occurrence)
        keys = [
            ("uid", occurrence.uid + "|" + moment),
            ("title", normal_title(occurrence.title) + "|" + moment),
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


def moment_key(occurrence: Occurrence) -> str:
    if occurrence.all_day and occurrence.first_day is not None:
        return occurrence.first_day.isoformat()
    return occurrence.start.astimezone(UTC).isoformat()


def normal_title(title: str) -> str:
    return _TITLE_NOISE.sub(" ", title.casefold()).strip()


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


def one_line(value: str) -> str:
    """A plain-text field (iCalendar's SUMMARY and LOCATION are text, not HTML): kept
    as written, whitespace folded, and escaped by the templates on output."""
    return " ".join(value[:2000].split())


def zone_named(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_key(zone: tzinfo, tzid: str | None = None) -> str:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    if zone is UTC:
        return "UTC"
    return str(tzid or "")


def comparable(moment: date | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(moment, time(0), tzinfo=UTC)


def http_url(url: str) -> str:
    url = url.strip()[:2000]
    return url if url.lower().startswith(("http://", "https://")) else ""
