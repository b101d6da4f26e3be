"""The section-provider contract: everything a provider is, receives and may do.

A section provider is a class registered under the entry-point group
``newsletter.sections`` (the built-ins are registered in pyproject.toml exactly like
third-party plugins; see :mod:`newsletter.registry`)::

    [project.entry-points."newsletter.sections"]
    weather = "newsletter_weather:WeatherProvider"

The contract, in full:

* ``name`` — the value of ``provider =`` in a ``[[section]]`` table;
* ``description`` — one line, shown by ``newsletter providers``;
* ``repeats`` — what may come back once an issue has published an item
  (:data:`~newsletter.model.Repeats`): ``"once"`` (the default: blog posts,
  submissions, releases), ``"updated"`` (again when ``Item.updated`` is after the issue
  that featured it closed: threads), ``"upcoming"`` (again while ``Item.published``, its
  start, is after this issue closes: events), ``"always"`` (figures), ``"offer"`` (like
  once, but listed excluded for the editor). A section's ``repeats`` key overrides it;
* the options model — ``class WeatherProvider(SectionProvider[WeatherOptions])``, where
  ``WeatherOptions`` subclasses :class:`ProviderOptions`. The keys of the ``[[section]]``
  table other than ``id``, ``title``, ``provider``, ``intro``, ``preselect`` and
  ``repeats`` are validated against it (unknown keys are errors), and ``gather``
  receives the validated instance, typed;
* ``async def gather(self, options, ctx) -> list[Item]`` — find this section's items
  inside ``ctx.window``. Read sources only through ``ctx.fetch`` (it enforces the
  limits, caching and the workspace-relative paths) or, for a body too large to hold
  in memory (a list's whole mail archive), ``async with ctx.open(source) as stream``
  (a seekable binary file under the same rules, streamed, never cached), give every
  item a stable ``id`` and a ``score`` (higher is more notable), and report a source that fails with
  ``ctx.problem(source, why)`` and carry on with the others; say how many items each
  source gave with ``ctx.source_result(source, items)``, so a source that keeps coming
  back empty is noticed (one never reported is judged by its fetches and problems
  alone). Figures worth comparing week over week go to
  ``ctx.record_figure(name, value)``; earlier issues' figures are
  in ``ctx.history``, this issue's figures from other sections come from
  ``await ctx.figure(name)``. An exception escaping ``gather`` becomes a problem on the
  section; it never stops the run;
* identity — ``Item.keys`` (``list[str]``), what makes an item the same thing as an
  item an earlier issue published: a blog post's canonical URL (``url:…``), a thread's
  list and root Message-ID (``thread:<list>:<id>``), an event occurrence's UID and start
  (``event:<uid>@<start>``), a submission's file or Message-ID. Keys are compared only
  with the same provider's (the core scopes them by ``name``); an item without keys is
  never recognised as a repeat. ``ctx.featured(keys)`` says which earlier issue featured
  one and when it closed (e.g. to count a thread's messages since);
* ``def sources(self, options) -> list[str | Source]`` (optional) — every source the
  section reads: a URL or workspace path (read like ``ctx.fetch``), or a
  :class:`Source` saying it is a folder, a mailbox or a git repository. ``newsletter
  check`` probes each one, and each draft records how each one fared (ok, empty,
  failed) for ``newsletter check --history``. The default is none;
* partials (optional) — ``email.mjml.j2``, ``markdown.md.j2`` and ``text.txt.j2`` in a
  ``templates/`` folder of the provider's package (:meth:`SectionProvider.template_folder`),
  rendering ``section.included``; without them the generic partials are used. A
  workspace overrides them with ``templates/email/sections/<name>.mjml.j2`` (and the
  Markdown and text equivalents); other files of the folder are reachable as
  ``sections/<name>/<file>`` (e.g. macros).

The rules for reading untrusted sources (see the README, "Running unattended"):

* fetch only through ``ctx.fetch`` (or ``ctx.open``) — it holds the deadline, size
  cap, retries, revalidation cache, redirect and path rules;
* parse the fetched *bytes*, never a ``str`` a parser could take for a path or URL;
  XML goes through :func:`newsletter.defuse` first (no DOCTYPE entities, author-like
  fields capped before feedparser's quadratic regex); YAML loads with
  :func:`newsletter.safe_yaml` (no anchors, aliases or tags);
* cap every field (:data:`newsletter.MAX_FIELD`) before any regex, and bound every loop
  driven by the data (recurrences, thread depth, header counts);
* wrap the parsing of each source so any exception (``RecursionError`` included)
  becomes ``ctx.problem(source, why)`` for that source alone;
* HTML goes through :func:`newsletter.html_to_markdown`, titles and names through
  :func:`newsletter.plain_text`; templates escape them in every format, so text that
  looks like MJML or Jinja stays text. Markdown a provider writes itself escapes
  plain values with :func:`newsletter.markdown_escape`.

Whatever a provider returns, the core admits it in one place
(``newsletter.gather.run.admit``): control characters, bidi overrides and URL
credentials leave every string; rendering shows only links that are absolute
``http``/``https``/``mailto`` and images that are remote ``http(s)``.

Providers never print, never exit, never touch another section, and import only the
public API (``from newsletter import …``) and their own modules.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    BinaryIO,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    get_args,
    get_origin,
)

from pydantic import BaseModel, ConfigDict

from .featured import scoped
from .model import Item, Repeats, Window

if TYPE_CHECKING:
    from .state import Featured, History

TEMPLATES_FOLDER = "templates"


class ProviderOptions(BaseModel):
    """Base of every provider's options; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


OptionsT = TypeVar("OptionsT", bound=ProviderOptions)


@dataclass(frozen=True)
class Fetched:
    """The body of a source and where it finally came from."""

    source: str
    url: str
    """The final URL after redirects (a ``file:`` URL for a workspace path): the base
    against which the source's relative links resolve."""
    content: bytes
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0
    status: int = 200
    """The final HTTP status (304 when revalidated from the cache); 0 for a file."""
    from_cache: bool = False


@dataclass(frozen=True)
class Source:
    """One source a section reads, as ``newsletter check`` probes it and the
    source-health history names it. A plain string in ``sources()`` is a ``document``.
    """

    location: str
    """An http(s) URL or a path relative to the workspace (or a clone URL)."""
    kind: Literal["document", "folder", "mailbox", "repository"] = "document"
    """``document``: read as ``ctx.fetch`` reads it; ``folder``: a workspace folder;
    ``mailbox``: an mbox file or a Maildir folder; ``repository``: a git repository, a
    workspace path or a clone URL."""
    label: str = ""
    """The name the provider's problems use for it, when not its location (a list's
    name), so they are counted against it."""
    method: Literal["GET", "POST"] = "GET"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Sent with the probe (an API token read from the environment): never shown."""


def as_source(source: str | Source) -> Source:
    return source if isinstance(source, Source) else Source(source)


class Sources(Protocol):
    """How the core reads sources for a provider (the fetcher implements it)."""

    async def fetch(
        self,
        source: str,
        *,
        section: str = "",
        headers: Mapping[str, str] | None = None,
        method: Literal["GET", "POST"] = "GET",
    ) -> Fetched: ...

    def local_path(self, source: str) -> Path: ...

    def open(
        self, source: str, *, section: str = "", method: Literal["GET", "POST"] = "GET"
    ) -> AbstractAsyncContextManager[BinaryIO]: ...


class GatherContext:
    """What a provider may use while gathering one section — and nothing else.

    The core builds one per section; a provider reads from it and reports through it.
    """

    def __init__(
        self,
        *,
        section_id: str,
        window: Window,
        timezone: str,
        history: History,
        sources: Sources,
        state_folder: Path,
        on_problem: Callable[[str, str], None],
        on_figure: Callable[[str, float], None],
        provider: str = "",
        read_figure: Callable[[str], Awaitable[float | None]] | None = None,
        on_result: Callable[[str, int], None] | None = None,
    ) -> None:
        self._section_id = section_id
        self._provider = provider
        self._read_figure = read_figure
        self._window = window
        self._timezone = timezone
        self._history = history
        self._sources = sources
        self._state_folder = state_folder
        self._on_problem = on_problem
        self._on_figure = on_figure
        self._on_result = on_result

    @property
    def section_id(self) -> str:
        """The ``id`` of the section being gathered."""
        return self._section_id

    @property
    def window(self) -> Window:
        """The span the issue covers."""
        return self._window

    @property
    def timezone(self) -> str:
        """The newsletter's IANA timezone, in which weeks and dates are shown."""
        return self._timezone

    @property
    def history(self) -> History:
        """Earlier issues' figures (read-only)."""
        return self._history

    def featured(self, keys: Iterable[str]) -> Featured | None:
        """The latest earlier issue that published an item of this provider with one of
        ``keys`` (as the provider sets them in ``Item.keys``), and when it closed; None
        when no earlier issue did."""
        return self._history.last_featured(scoped(self._provider, key) for key in keys)

    async def figure(self, name: str) -> float | None:
        """This issue's ``name`` as another section records it in this run (e.g.
        ``lists/dev/messages``); None when no section did. Waits until every other
        section has finished gathering or is itself waiting for figures."""
        if self._read_figure is None:
            return None
        return await self._read_figure(name)

    async def fetch(
        self,
        source: str,
        headers: Mapping[str, str] | None = None,
        method: Literal["GET", "POST"] = "GET",
    ) -> Fetched:
        """Read ``source`` (an http(s) URL, or a path relative to the workspace).

        ``method="POST"`` sends an empty POST, for exports a server gives only to a
        POST (public-inbox's search as mbox.gz); such answers are not cached. Raises
        :class:`~newsletter.errors.SourceError` (with ``status`` and ``headers`` when
        the server answered with an error)."""
        return await self._sources.fetch(
            source, section=self._section_id, headers=headers, method=method
        )

    def open(
        self, source: str, method: Literal["GET", "POST"] = "GET"
    ) -> AbstractAsyncContextManager[BinaryIO]:
        """``source`` as a seekable binary file, for a body too large to hold in memory
        (a list's whole mail archive): ``async with ctx.open(source) as stream``.

        A workspace file is opened where it is; an http(s) body is streamed to a
        temporary file, deleted when the block ends. The rules of ``fetch`` hold
        (workspace paths, deadline, redirects, private addresses, retries), the size
        cap is ``[http] max_stream_mb``, on disk, and nothing is cached. Raises
        :class:`~newsletter.errors.SourceError` on entering the block."""
        return self._sources.open(source, section=self._section_id, method=method)

    def local_path(self, source: str) -> Path:
        """A workspace path the provider reads by itself (a folder to list, a git
        repository), checked by the same rules as ``fetch``: it must stay inside the
        workspace unless ``[http] paths_outside_workspace``. Raises ``SourceError``."""
        return self._sources.local_path(source)

    def state_folder(self) -> Path:
        """A folder of this section's own that lasts between runs, for caches such as
        git mirrors (``.newsletter/sections/<section id>/``); made on first use."""
        self._state_folder.mkdir(parents=True, exist_ok=True)
        return self._state_folder

    def problem(self, source: str, message: str) -> None:
        """Record that ``source`` failed; the section still builds from the rest."""
        self._on_problem(source, message)

    def source_result(self, source: str, items: int) -> None:
        """Say how many items ``source`` (as listed by ``sources()``) gave this issue —
        0 for a source that answered with nothing. Recorded in the workspace's history,
        where a source empty or failing week after week shows in ``check --history``."""
        if self._on_result is not None:
            self._on_result(source, items)

    def record_figure(self, name: str, value: float) -> None:
        """Store a figure for this issue (e.g. ``lists/dev/messages``) in the history."""
        self._on_figure(name, value)


class SectionProvider(ABC, Generic[OptionsT]):
    """Base class of section providers; see the module docstring for the contract."""

    name: ClassVar[str]
    description: ClassVar[str]
    repeats: ClassVar[Repeats] = "once"
    """What may come back in a later issue; a section's ``repeats`` key overrides it."""
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    """The options model, taken from the type argument: ``SectionProvider[MyOptions]``."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if get_origin(base) is SectionProvider:
                (argument,) = get_args(base)
                if isinstance(argument, type) and issubclass(argument, ProviderOptions):
                    cls.Options = argument

    @abstractmethod
    async def gather(self, options: OptionsT, ctx: GatherContext) -> list[Item]:
        """Return this section's items for ``ctx.window``."""

    def sources(self, options: OptionsT) -> Sequence[str | Source]:
        """Every source this section reads (URLs and workspace paths, or
        :class:`Source`), for ``newsletter check`` and the source-health history."""
        return []

    @classmethod
    def template_folder(cls) -> Path | None:
        """The folder of this provider's partials: ``templates/`` in the package that
        holds its module, when there is one. Override to put them elsewhere."""
        module = sys.modules.get(cls.__module__)
        spec = getattr(module, "__spec__", None)
        package = spec.parent if spec is not None else ""
        if not package:  # a top-level module has no folder of its own
            return None
        folder = files(package) / TEMPLATES_FOLDER
        return Path(str(folder)) if folder.is_dir() else None
