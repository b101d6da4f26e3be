"""Run every configured section's provider concurrently and collect a Draft.

A provider that raises, or a source that fails, becomes a problem on its section; the
other sections are built regardless. A provider that reads this issue's figures of
other sections (``await ctx.figure(name)``) waits until every other section has finished
or is itself waiting, so the first draft of a week is complete.

After a provider returns, for its section:

1. its items' identity keys are scoped by the provider's name, and each item an
   earlier issue featured is judged by the section's repeat policy
   (``newsletter.featured``): left out, listed again, or offered with ``include: false``
   — both marked with ``details.seen_in`` naming that issue (unless the policy is
   ``always``, where being seen before is no news);
2. ``preselect`` includes the best-scored of the rest (the offered ones are listed last).

Then routing, the one thing that crosses sections: a provider gathering for others (the
``inbox`` of community submissions) marks an item with ``details.target_section``; the
item moves, as offered, to the end of that section. A target that names no configured
section leaves the item where it is, with a problem on its section naming the item by
its title and where it came from (``details.file`` or ``details.mailbox``, when set).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..config import Config, SectionConfig
from ..featured import judge, scope_keys
from ..model import Draft, Item, Repeats, Section, Window
from ..providers import GatherContext, SectionProvider, Source, as_source
from ..registry import ProviderRegistry
from ..sanitize import clean_data, clean_text
from ..state import STATE_DIR, History, SourceHealth, StateStore
from ..urls import redact
from ..window import issue_name
from .cache import CACHE_DIR
from .fetch import Fetcher, FetchListener, Limits
from .health import HealthLog, assess


class Reporter(Protocol):
    """Hears about progress; the CLI shows it, tests may record it."""

    def source_done(
        self, section: str, source: str, seconds: float, size: int, error: str | None
    ) -> None: ...

    def section_done(self, section: Section, seconds: float) -> None: ...


class SilentReporter:
    def source_done(
        self, section: str, source: str, seconds: float, size: int, error: str | None
    ) -> None:
        pass

    def section_done(self, section: Section, seconds: float) -> None:
        pass


@dataclass
class GatherResult:
    draft: Draft
    seconds: float
    figures: dict[str, float] = field(default_factory=dict)
    health: list[SourceHealth] = field(default_factory=list)
    """How each source fared (also recorded in state.db)."""

    @property
    def problems(self) -> list[tuple[str, str]]:
        return [(s.id, p) for s in self.draft.sections for p in s.problems]


def limits_for(config: Config) -> Limits:
    http = config.http
    return Limits(
        read_timeout=http.timeout,
        deadline=http.deadline,
        max_bytes=int(http.max_mb * 1024 * 1024),
        max_stream_bytes=int(http.max_stream_mb * 1024 * 1024),
        max_redirects=http.max_redirects,
        connections=http.connections,
        connections_per_host=http.connections_per_host,
        retries=http.retries,
        retry_wait=http.retry_wait,
        paths_outside_workspace=http.paths_outside_workspace,
    )


def fetcher_for(config: Config, listener: FetchListener | None = None) -> Fetcher:
    """The workspace's Fetcher: its [http] limits and its validator cache."""
    cache = config.workspace / STATE_DIR / CACHE_DIR if config.http.cache else None
    return Fetcher(config.workspace, limits_for(config), listener=listener, cache_dir=cache)


async def gather(
    config: Config,
    window: Window,
    registry: ProviderRegistry,
    state: StateStore,
    reporter: Reporter | None = None,
    fetcher: Fetcher | None = None,
) -> GatherResult:
    reporter = reporter or SilentReporter()
    issue = issue_name(window)
    started = time.perf_counter()
    fetcher = fetcher or fetcher_for(config)
    # Every fetch is heard for the sources' health, then shown by the reporter.
    log = HealthLog(forward=fetcher.listener or reporter.source_done)
    fetcher.listener = log
    board = FigureBoard([section.id for section in config.sections])
    async with fetcher:
        gathered = await asyncio.gather(
            *(
                _gather_section(section, config, window, fetcher, state, registry, reporter,
                                board, log)
                for section in config.sections
            )
        )  # fmt: skip
    sections = [section for section, _, _ in gathered]
    route(sections)
    figures = {name: value for _, found, _ in gathered for name, value in found.items()}
    if figures:
        state.record_figures(issue, figures)
    health = [row for _, _, rows in gathered for row in rows]
    state.record_health(issue, [section.id for section in config.sections], health)
    draft = Draft(issue=issue, title=config.newsletter.title, window=window, sections=sections)
    return GatherResult(draft, time.perf_counter() - started, figures, health)


async def _gather_section(
    config: SectionConfig,
    workspace_config: Config,
    window: Window,
    fetcher: Fetcher,
    state: StateStore,
    registry: ProviderRegistry,
    reporter: Reporter,
    board: FigureBoard,
    log: HealthLog,
) -> tuple[Section, dict[str, float], list[SourceHealth]]:
    """One section, the figures its provider recorded, and how its sources fared."""
    started = time.perf_counter()
    history = state.history(issue_name(window))
    problems: list[str] = []
    said: list[tuple[str, str]] = []
    figures: dict[str, float] = {}

    def record(name: str, value: float) -> None:
        figures[name] = value
        board.values[name] = value

    results: dict[str, int] = {}

    def problem(source: str, message: str) -> None:
        problems.append(_text(f"{source}: {message}"))  # shown and stored: no credentials
        said.append((source, message))

    ctx = GatherContext(
        section_id=config.id,
        window=window,
        timezone=workspace_config.newsletter.timezone,
        history=history,
        sources=fetcher,
        state_folder=workspace_config.workspace / STATE_DIR / "sections" / config.id,
        on_problem=problem,
        on_figure=record,
        provider=config.provider,
        read_figure=lambda name: board.read(config.id, name),
        on_result=lambda source, items: results.__setitem__(source, results.get(source, 0) + items),
    )
    provider_class = registry.get(config.provider)
    items: list[Item] = []
    policy: Repeats = config.repeats or "once"
    try:
        if provider_class is None:
            ctx.problem(config.provider, "provider is not installed")
        else:
            policy = config.repeats or provider_class.repeats
            try:
                items = admit(await provider_class().gather(config.options, ctx))
            except Exception as error:  # one section's bug must not sink the issue
                ctx.problem(config.provider, f"provider failed: {type(error).__name__}: {error}")
            items = _unique_ids(items, config.provider, ctx)
    finally:
        board.done(config.id)
    scope_keys(config.provider, items)
    section = Section(
        id=config.id,
        title=config.title,
        provider=config.provider,
        intro=config.intro,
        problems=problems,
        items=_without_repeats(items, history, policy, window, config.preselect),
    )
    reporter.section_done(section, time.perf_counter() - started)
    sources = _sources(provider_class, config)
    health = assess(config.id, sources, log.fetches[config.id], said, results, config.provider)
    return section, figures, health


def _sources(
    provider_class: type[SectionProvider[Any]] | None, config: SectionConfig
) -> list[Source]:
    """The section's sources, as its provider lists them (none if that fails)."""
    if provider_class is None:
        return []
    try:
        return [as_source(source) for source in provider_class().sources(config.options)]
    except Exception:  # a plugin's bug in sources() must not cost the draft
        return []


class FigureBoard:
    """This run's figures, and where sections that read other sections' figures wait.

    A reader waits until every section is either finished or waiting too: then every
    figure a non-reading section records is on the board. Sections that wait for each
    other are released together rather than deadlocked."""

    def __init__(self, sections: list[str]) -> None:
        self.values: dict[str, float] = {}
        self._pending = set(sections)
        self._waiting: set[str] = set()
        self._ready = asyncio.Event()
        self._check()

    def done(self, section: str) -> None:
        self._pending.discard(section)
        self._check()

    async def read(self, section: str, name: str) -> float | None:
        if not self._ready.is_set():
            self._waiting.add(section)
            self._check()
            await self._ready.wait()
        return self.values.get(name)

    def _check(self) -> None:
        if self._pending <= self._waiting:
            self._ready.set()


def admit(items: list[Item]) -> list[Item]:
    """A provider's items as the draft may store them: the one place where text from
    every provider, built-in or plugin, enters. Control characters and bidi overrides
    are removed from every string (details and keys too), and credentials from every
    URL in it (:func:`newsletter.urls.redact`: a source's token can reach an item's link);
    whatever else a field holds stays for the editor to see, and is made inert when
    rendered (:func:`newsletter.inert.inert_draft`)."""
    admitted = []
    for item in items:
        if not isinstance(item, Item):
            raise TypeError(f"gather returned {type(item).__name__}, not an Item")
        fields: dict[str, object] = {
            name: _text(getattr(item, name))
            for name in ("id", "title", "summary", "author", "source", "note")
        }
        fields["url"] = redact(clean_text(item.url)).strip()
        fields["details"] = clean_data(item.details, _text)
        fields["keys"] = [_text(key) for key in item.keys]  # a URL's, stored for years
        admitted.append(item.model_copy(update=fields))
    return admitted


def _text(value: str) -> str:
    return redact(clean_text(value))


def _unique_ids(items: list[Item], provider: str, ctx: GatherContext) -> list[Item]:
    """The items with ids unique in their section, as the merge with the editor's
    draft needs (it matches items by id: two alike would overwrite each other). An
    item whose id an earlier one took keeps its place under ``<id>-2``, ``<id>-3``…,
    and the provider's bug is a problem on the section."""
    taken = {item.id for item in items}
    seen: set[str] = set()
    renamed: list[str] = []
    unique = []
    for item in items:
        kept = item
        if item.id in seen:
            number = 2
            while f"{item.id}-{number}" in taken:
                number += 1
            renamed.append(item.id)
            kept = item.model_copy(update={"id": f"{item.id}-{number}"})
            taken.add(kept.id)
        seen.add(kept.id)
        unique.append(kept)
    if renamed:
        shown = ", ".join(repr(name) for name in dict.fromkeys(renamed[:3]))
        ctx.problem(
            provider,
            f"{len(renamed)} item(s) had the id of an earlier item ({shown}); numbered apart",
        )
    return unique


def _without_repeats(
    items: list[Item], history: History, policy: Repeats, window: Window, count: int | None
) -> list[Item]:
    """The section's items by its repeat policy: new and returning ones (preselected),
    then the offered ones."""
    listed: list[Item] = []
    offered: list[Item] = []
    for item in items:
        earlier = history.last_featured(item.keys)
        verdict = judge(item, earlier, policy, window.end)
        if verdict == "drop":
            continue
        if earlier is not None and policy != "always":  # news for the editor, not for figures
            item.details["seen_in"] = earlier.issue
        if verdict == "offer":
            item.include = False
            offered.append(item)
        else:
            listed.append(item)
    return preselect(listed, count) + offered


def route(sections: list[Section]) -> None:
    """Move items whose ``details.target_section`` names another section there."""
    by_id = {section.id: section for section in sections}
    for section in sections:
        staying: list[Item] = []
        for item in section.items:
            target = str(item.details.get("target_section") or section.id)
            if target == section.id:
                staying.append(item)
            elif target in by_id:
                item.include = False
                by_id[target].items.append(item)
            else:
                staying.append(item)
                known = ", ".join(sorted(by_id))
                origin = item.details.get("file") or item.details.get("mailbox") or item.source
                where = f"{origin}: " if origin else ""
                section.problems.append(
                    f"{where}{item.title or item.id!r} names section {target!r}, which is not "
                    f"configured (sections: {known}); left here"
                )
        section.items[:] = staying


def preselect(items: list[Item], count: int | None) -> list[Item]:
    """Include the ``count`` best-scored items, offer the rest after them, excluded."""
    if count is None:
        return items
    ranked = sorted(items, key=lambda item: item.score, reverse=True)
    chosen = {id(item) for item in ranked[:count]}
    for item in items:
        item.include = id(item) in chosen
    return [i for i in items if i.include] + [i for i in items if not i.include]
