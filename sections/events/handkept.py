"""The hand-kept events file (``events_file``): events that live in no calendar.

A YAML list of entries (``title``, ``start``, optional ``end``, ``timezone``,
``location``, ``url``, ``description``…); each bad entry is a problem naming its line
and field, the others are kept.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError

from newsletter import safe_yaml

from .occurrence import (
    Found,
    Occurrence,
    Span,
    as_html,
    http_url,
    is_online,
    normal_title,
    one_line,
    zone_key,
    zone_named,
)


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
        if value is not None and zone_named(value) is None:
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
        zone: tzinfo = zone_named(self.timezone or "") or home
        common: dict[str, Any] = {
            "uid": self.uid or f"{normal_title(self.title)}@{source}",
            "title": one_line(self.title),
            "source": source,
            "location": one_line(self.location),
            "url": http_url(self.url),
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
            start=start, end=end, zone=zone, zone_name=self.timezone or zone_key(zone), **common
        )


class _Constructor(RoundTripConstructor):
    """Keeps timestamps as written, so a UTC offset is parsed by us, never dropped."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def read_events_file(data: bytes, path: str, span: Span, home: ZoneInfo) -> Found:
    """The hand-kept events overlapping ``span``; each bad entry is a problem."""
    found = Found()
    yaml = safe_yaml("rt")
    yaml.Constructor = _Constructor
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
