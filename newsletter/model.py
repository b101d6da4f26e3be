"""The core objects: a Window of time, the Items a provider finds, Sections and the Draft.

These are pydantic models that forbid unknown keys, so the same classes validate a
hand-edited draft and carry data through gather and render.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2026-11-16T00:00:00+00:00")
    return value


class Window(_Strict):
    """The span an issue covers: ``start`` inclusive, ``end`` exclusive, both tz-aware."""

    start: datetime
    end: datetime

    _check_start = field_validator("start")(_aware)
    _check_end = field_validator("end")(_aware)

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


Repeats = Literal["once", "offer", "updated", "upcoming", "always"]
"""What may come back in a later issue once an issue has published an item
(:mod:`newsletter.featured` applies it):

``once``      never again;
``offer``     never included again, but listed with ``include: false`` for the editor;
``updated``   again when it changed (``Item.updated``) after that issue closed;
``upcoming``  again while it has not begun (``Item.published``) when this issue closes;
``always``    every issue that finds it."""
REPEATS: tuple[Repeats, ...] = ("once", "offer", "updated", "upcoming", "always")


class Item(_Strict):
    """One thing in a section. ``id`` is stable across runs so re-drafting can merge;
    ``keys`` say what it is across issues (its identity, see :mod:`newsletter.featured`)."""

    id: str
    title: str = ""
    url: str = ""
    summary: str = Field("", description="sanitized Markdown")
    author: str = ""
    published: datetime | None = Field(
        None, description="when it appeared; for an event, when it begins"
    )
    updated: datetime | None = Field(
        None, description="when it last changed, e.g. a thread's latest message"
    )
    source: str = ""
    include: bool = True
    note: str = Field("", description="the editor's Markdown, shown with the item")
    details: dict[str, Any] = Field(default_factory=dict)
    keys: list[str] = Field(
        default_factory=list,
        description="identity keys: an earlier issue's item of the same provider with one of "
        "these keys is the same thing",
    )
    score: float = Field(0.0, exclude=True, description="for ordering and preselection")

    @field_validator("include", mode="before")
    @classmethod
    def _true_or_false(cls, value: Any) -> Any:
        # pydantic would read the strings "no", "off" or "0" as False; in a hand-edited
        # draft (YAML 1.2 reads `include: no` as a string) that is a guess, not an answer.
        if not isinstance(value, bool):
            raise ValueError(f"write true or false, not {value!r}")
        return value

    @field_validator("published", "updated", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # draft.py writes a missing date as '' so the editor sees the key; read it back.
        return None if value == "" else value

    @field_validator("keys")
    @classmethod
    def _keys_not_blank(cls, value: list[str]) -> list[str]:
        if any(not key.strip() for key in value):
            raise ValueError("an identity key must not be empty")
        return value

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class Section(_Strict):
    id: str
    title: str = ""
    provider: str = ""
    intro: str = ""
    problems: list[str] = Field(
        default_factory=list, description="'source: why' for each source that failed"
    )
    items: list[Item] = Field(default_factory=list)

    @property
    def included(self) -> list[Item]:
        return [item for item in self.items if item.include]


class Approval(_Strict):
    """Who approved the draft, when, and the digest of the content they approved."""

    by: str
    at: datetime
    digest: str


_ISSUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Draft(_Strict):
    issue: str = Field(description="e.g. 2026-W47; names files (out/, site/), so a name")
    title: str
    window: Window
    intro: str = ""
    sections: list[Section] = Field(default_factory=list)
    approved: Approval | None = Field(None, description="see newsletter.approval")

    @field_validator("issue")
    @classmethod
    def _issue_is_a_name(cls, value: str) -> str:
        # It names out/<issue>.html and site/<issue>/: a hand-edited "../../x" must not.
        if not _ISSUE.match(value):
            raise ValueError(f"{value!r} is not an issue name like 2026-W47")
        return value
