"""How each source fared in a draft: ok, empty or failed, with its items, bytes and time.

Planet maintainers' first complaint is the feed that dies silently: it still answers,
or it fails quietly, and nobody notices for months. Each draft therefore records, for
every source a section lists (:meth:`SectionProvider.sources`), its outcome in
``state.db``; ``newsletter check --history`` lists those failing or empty week after
week. The outcome is put together from three things the core sees:

* the fetches (the fetcher's listener): a fetched URL counts for the configured source
  it lies under (a pipermail month under its index, an API call under its project);
* the problems the provider reported: one whose source names the configured location
  (or the label the provider gives it, such as a list's name) counts against it;
* the items the provider says the source gave (``ctx.source_result``, by location or
  label).

A source with items is ``ok``; one that answered without items is ``empty``; one with
no items and an error or a problem is ``failed``. A source the provider says nothing
about is ``failed`` if something went wrong with it, else ``ok``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from ..providers import Source
from ..state import SourceHealth
from ..urls import redact
from .fetch import FetchListener


@dataclass
class _Fetch:
    location: str
    seconds: float
    size: int
    error: str | None


@dataclass
class HealthLog:
    """Hears every fetch (and passes it on to ``forward``), per section."""

    forward: FetchListener | None = None
    fetches: dict[str, list[_Fetch]] = field(default_factory=lambda: defaultdict(list))

    def __call__(
        self, section: str, source: str, seconds: float, size: int, error: str | None
    ) -> None:
        self.fetches[section].append(_Fetch(source, seconds, size, error))
        if self.forward is not None:
            self.forward(section, source, seconds, size, error)


def assess(
    section: str,
    sources: list[Source],
    fetches: list[_Fetch],
    problems: list[tuple[str, str]],
    results: dict[str, int],
    provider: str = "",
) -> list[SourceHealth]:
    """One :class:`SourceHealth` per configured source of ``section``."""
    rows = []
    for source in sources:
        # The fetcher reports, and the state keeps, locations without credentials.
        location = redact(source.location)
        mine = [f for f in fetches if _under(f.location, location)]
        said = [
            why
            for where, why in problems
            if _names(where, source) or (provider and where == provider)
        ]
        errors = [f.error for f in mine if f.error]
        items = results.get(source.location, results.get(source.label) if source.label else None)
        wrong = [*errors, *said]
        outcome: Literal["ok", "empty", "failed"]
        if items:
            outcome = "ok"
        elif wrong:
            outcome = "failed"
        elif items == 0:
            outcome = "empty"
        else:
            outcome = "ok"
        rows.append(
            SourceHealth(
                section=section,
                source=location,
                outcome=outcome,
                items=items,
                bytes=sum(f.size for f in mine),
                seconds=round(sum(f.seconds for f in mine), 3),
                detail=redact(wrong[0][:500]) if wrong else "",
            )
        )
    return rows


def _under(fetched: str, location: str) -> bool:
    """Whether ``fetched`` is ``location`` or lies under it (a path or query below)."""
    if fetched == location:
        return True
    if not fetched.startswith(location):
        return False
    return location.endswith(("/", "?", "&")) or fetched[len(location)] in "/?#&"


def _names(where: str, source: Source) -> bool:
    """Whether a problem's source string names ``source``: its location (or a URL under
    it), its label, or ``label (location)`` as the mailing lists write them."""
    label, _, inner = where.partition(" (")
    inner = inner.removesuffix(")")
    if source.label and label == source.label:
        return True
    return any(_under(candidate, source.location) for candidate in (where, inner) if candidate)
