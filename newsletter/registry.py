"""Finding the installed section providers: the ``newsletter.sections`` entry points.

Built-ins and plugins are found the same way, and each is imported only when it is
first asked for (:meth:`ProviderRegistry.get`): a run imports the providers its
config names, rendering those whose partials a draft needs, never the others. A
plugin that fails to load never breaks the tool: it is kept as a
:class:`BrokenPlugin`, named with its distribution and error wherever it is used
(``newsletter providers``, a config that names it).

:func:`listing` answers ``newsletter providers`` from a small cache when nothing was
installed, removed or edited since it was written, so listing them imports none.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .providers import SectionProvider

    Provider = type[SectionProvider[Any]]

ENTRY_POINT_GROUP = "newsletter.sections"


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that failed to load, named so the user can remove it."""

    name: str
    distribution: str
    error: str
    kind: str = "provider"

    def describe(self) -> str:
        return (
            f"{self.kind} {self.name!r} is installed (from {self.distribution}) but failed to "
            f"load: {self.error}; reinstall it, or remove it with: "
            f"pip uninstall {self.distribution}"
        )


class ProviderRegistry:
    """Maps provider names to classes. Built from entry points, or by hand in tests."""

    def __init__(self, providers: Iterable[Provider] = ()) -> None:
        self._providers: dict[str, Provider] = {}
        self._origins: dict[str, str] = {}
        self._entries: dict[str, EntryPoint] = {}
        self.broken: dict[str, BrokenPlugin] = {}
        """Plugins that failed to load, among those asked for so far (all, once iterated)."""
        for provider in providers:
            self.register(provider)

    def register(self, provider: Provider, origin: str = "") -> None:
        self._providers[provider.name] = provider
        self._origins[provider.name] = origin or provider.__module__

    def origin(self, name: str) -> str:
        """Where the provider comes from: its distribution and version, or its module."""
        return self._origins.get(name, "")

    def get(self, name: str) -> Provider | None:
        """The provider called ``name``, imported now if it was not yet; None if no
        such provider is installed or it failed to load (then see ``broken``)."""
        entry = self._entries.pop(name, None)
        if entry is not None:
            self._load(name, entry)
        return self._providers.get(name)

    def names(self) -> list[str]:
        """Every installed provider's name, imported or not."""
        return sorted(set(self._providers) | set(self._entries))

    def __iter__(self) -> Iterator[Provider]:
        """Every provider that loads (importing them all)."""
        for name in self.names():
            provider = self.get(name)
            if provider is not None:
                yield provider

    def template_folders(self) -> Mapping[str, Path]:
        """Each provider's folder of partials, by name; a provider is imported when its
        folder is first looked up (a draft's sections name few of them)."""
        return _TemplateFolders(self)

    def _load(self, name: str, entry: EntryPoint) -> None:
        from .providers import SectionProvider

        dist = entry.dist
        try:
            provider = entry.load()
            if not (isinstance(provider, type) and issubclass(provider, SectionProvider)):
                raise TypeError(f"{entry.value} is not a SectionProvider subclass")
        except Exception as error:  # a broken plugin must not break the tool
            reason = f"{type(error).__name__}: {error}" if str(error) else repr(error)
            distribution = dist.name if dist else "an unknown distribution"
            self.broken[name] = BrokenPlugin(name, distribution, reason)
            self._origins.pop(name, None)
            return
        self.register(provider, self._origins.get(name, ""))

    @classmethod
    def from_entry_points(cls) -> ProviderRegistry:
        """The installed providers, none of them imported yet."""
        import importlib.metadata

        registry = cls()
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            registry._entries[entry.name] = entry
            dist = entry.dist
            registry._origins[entry.name] = f"{dist.name} {dist.version}" if dist else ""
        return registry


class _TemplateFolders(Mapping[str, Path]):
    def __init__(self, registry: ProviderRegistry) -> None:
        self._registry = registry
        self._found: dict[str, Path | None] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._found:
            provider = self._registry.get(name)
            self._found[name] = provider.template_folder() if provider is not None else None
        folder = self._found[name]
        if folder is None:
            raise KeyError(name)
        return folder

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._registry.names() if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# ---------------------------------------------------------------- newsletter providers


@dataclass(frozen=True)
class Listed:
    """One line of ``newsletter providers``."""

    name: str
    description: str
    origin: str


LISTING_VERSION = 1


def listing(cache: Path | None = None) -> tuple[list[Listed], list[BrokenPlugin]]:
    """The installed providers and the plugins that fail to load, for people.

    With a ``cache`` file, the answer is kept there with a fingerprint of what it
    depends on: the interpreter, the modification times of every ``sys.path`` folder
    (installing or removing a distribution changes its folder's) and of each
    provider's module files (an edited provider in a development install). While they
    match, nothing is imported. A broken plugin is never cached: it is retried each
    time, so a fix shows at once.
    """
    if cache is not None:
        cached = _cached_listing(cache)
        if cached is not None:
            return cached, []
    registry = ProviderRegistry.from_entry_points()
    listed = [Listed(p.name, p.description, registry.origin(p.name)) for p in registry]
    broken = list(registry.broken.values())
    if cache is not None and not broken:
        files = sorted({path for p in registry for path in _module_files(p)})
        _store_listing(cache, listed, files)
    return listed, broken


def _fingerprint(files: Iterable[str]) -> list[Any]:
    def mtime(path: str) -> int | None:
        try:
            return os.stat(path).st_mtime_ns
        except OSError:
            return None

    folders = [(entry, mtime(entry or ".")) for entry in sys.path]
    return [LISTING_VERSION, sys.executable, folders, [(f, mtime(f)) for f in files]]


def _module_files(provider: Provider) -> list[str]:
    """The provider's module file and its package's ``__init__``, where it is defined."""
    module = sys.modules.get(provider.__module__)
    found = [str(getattr(module, "__file__", "") or "")]
    package = sys.modules.get(provider.__module__.rpartition(".")[0])
    found.append(str(getattr(package, "__file__", "") or ""))
    return [path for path in found if path]


def _cached_listing(cache: Path) -> list[Listed] | None:
    try:
        saved = json.loads(cache.read_text("utf-8"))
        files = [str(path) for path in saved["files"]]
        if saved["fingerprint"] != json.loads(json.dumps(_fingerprint(files))):
            return None
        return [Listed(**entry) for entry in saved["providers"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_listing(cache: Path, listed: list[Listed], files: list[str]) -> None:
    record = {
        "fingerprint": _fingerprint(files),
        "files": files,
        "providers": [asdict(entry) for entry in listed],
    }
    from .fileio import write_cache  # only on a miss: `providers` answers from the cache

    with contextlib.suppress(OSError):  # an unwritable cache only costs the next listing its speed
        write_cache(cache, json.dumps(record).encode("utf-8"))
