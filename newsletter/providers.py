"""The section-provider contract and the registry that finds providers.

A section provider is a class registered under the entry-point group
``newsletter.sections`` (the built-ins are registered in pyproject.toml exactly like
third-party plugins)::

    [project.entry-points."newsletter.sections"]
    blogs = "newsletter.sections.blogs:BlogsProvider"

The contract, in full:

* ``name`` — the value of ``provider =`` in a ``[[section]]`` table;
* ``description`` — one line, shown by ``newsletter providers``;
* ``Options`` — a :class:`ProviderOptions` subclass. The keys of the ``[[section]]``
  table other than ``id``, ``title``, ``provider``, ``intro``, ``preselect`` and ``repeats`` are
  validated against it; unknown keys are errors;
* ``async def gather(self, options, ctx) -> list[Item]`` — find this section's items
  inside ``ctx.window``. Read sources only through ``ctx.fetch`` (it enforces the
  limits, caching and the workspace-relative paths), give every item a stable ``id``
  and a ``score`` (higher is more notable), and report a source that fails with
  ``ctx.problem(source, why)`` and carry on with the others. Figures worth comparing
  week over week go to ``ctx.record_figure(name, value)``; earlier issues' figures and
  featured items are in ``ctx.history``. An exception escaping
  ``gather`` becomes a problem on the section; it never stops the run;
* ``def sources(self, options) -> list[str]`` (optional) — the URLs and paths the
  section reads, probed by ``newsletter check``. The default is none.

The rules for reading untrusted sources (see the README, "Running unattended"):

* fetch only through ``ctx.fetch`` — it holds the deadline, size cap, retries,
  revalidation cache, redirect and path rules (:mod:`newsletter.http`);
* parse the fetched *bytes*, never a ``str`` a parser could take for a path or URL;
  XML goes through :func:`newsletter.xmlsafe.defuse` first (no DOCTYPE entities,
  author-like fields capped before feedparser's quadratic regex);
* cap every field (:data:`newsletter.sanitize.MAX_FIELD`) before any regex, and bound
  every loop driven by the data (recurrences, thread depth, header counts);
* wrap the parsing of each source so any exception (``RecursionError`` included)
  becomes ``ctx.problem(source, why)`` for that source alone;
* HTML goes through :func:`newsletter.sanitize.html_to_markdown`, titles and names
  through :func:`newsletter.sanitize.plain_text`; templates escape them in every
  format, so text that looks like MJML or Jinja stays text.

Providers never print, never exit and never touch another section.
"""

from __future__ import annotations

import importlib.metadata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .model import Item, Window

if TYPE_CHECKING:
    from .http import Fetched, Fetcher
    from .state import History

ENTRY_POINT_GROUP = "newsletter.sections"


class ProviderOptions(BaseModel):
    """Base of every provider's options; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class GatherContext:
    """What a provider may use while gathering one section."""

    window: Window
    workspace: Path
    fetcher: Fetcher
    history: History
    section_id: str
    timezone: str = "UTC"
    problems: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    on_problem: Callable[[str, str, str], None] | None = None

    async def fetch(self, source: str, headers: Mapping[str, str] | None = None) -> Fetched:
        """Read ``source`` (an http(s) URL, or a path relative to the workspace).

        Raises :class:`~newsletter.errors.SourceError` (with ``status`` and ``headers``
        when the server answered with an error)."""
        return await self.fetcher.fetch(source, section=self.section_id, headers=headers)

    def problem(self, source: str, message: str) -> None:
        """Record that ``source`` failed; the section still builds from the rest."""
        self.problems.append((source, message))
        if self.on_problem is not None:
            self.on_problem(self.section_id, source, message)

    def record_figure(self, name: str, value: float) -> None:
        """Store a figure for this issue (e.g. ``lists/dev/messages``) in the history."""
        self.figures[name] = value


class SectionProvider(ABC):
    """Base class of section providers; see the module docstring for the contract."""

    name: ClassVar[str]
    description: ClassVar[str]
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions

    @abstractmethod
    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        """Return this section's items for ``ctx.window``."""

    def sources(self, options: Any) -> list[str]:
        """The URLs and workspace paths this section reads, for ``newsletter check``."""
        return []


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that failed to load, named so the user can remove it."""

    name: str
    distribution: str
    error: str


class ProviderRegistry:
    """Maps provider names to classes. Built from entry points, or by hand in tests."""

    def __init__(self, providers: Iterable[type[SectionProvider]] = ()) -> None:
        self._providers: dict[str, type[SectionProvider]] = {}
        self.broken: list[BrokenPlugin] = []
        for provider in providers:
            self.register(provider)

    def register(self, provider: type[SectionProvider]) -> None:
        self._providers[provider.name] = provider

    def get(self, name: str) -> type[SectionProvider] | None:
        return self._providers.get(name)

    def names(self) -> list[str]:
        return sorted(self._providers)

    def __iter__(self) -> Iterator[type[SectionProvider]]:
        return iter(self._providers[name] for name in self.names())

    @classmethod
    def from_entry_points(cls) -> ProviderRegistry:
        registry = cls()
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                provider = entry.load()
                if not (isinstance(provider, type) and issubclass(provider, SectionProvider)):
                    raise TypeError(f"{entry.value} is not a SectionProvider subclass")
            except Exception as error:  # a broken plugin must not break the tool
                dist = entry.dist.name if entry.dist else "unknown distribution"
                registry.broken.append(BrokenPlugin(entry.name, dist, f"{error}"))
                continue
            registry.register(provider)
        return registry
