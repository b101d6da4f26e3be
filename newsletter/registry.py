"""Finding the installed section providers: the ``newsletter.sections`` entry points.

Built-ins and plugins are found the same way. A plugin that fails to load never breaks
the tool: it is kept as a :class:`BrokenPlugin`, named with its distribution and error
wherever it is used (``newsletter providers``, a config that names it).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .providers import SectionProvider

ENTRY_POINT_GROUP = "newsletter.sections"

Provider = type[SectionProvider[Any]]


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that failed to load, named so the user can remove it."""

    name: str
    distribution: str
    error: str

    def describe(self) -> str:
        return (
            f"provider {self.name!r} is installed (from {self.distribution}) but failed to "
            f"load: {self.error}; reinstall it, or remove it with: "
            f"pip uninstall {self.distribution}"
        )


class ProviderRegistry:
    """Maps provider names to classes. Built from entry points, or by hand in tests."""

    def __init__(self, providers: Iterable[Provider] = ()) -> None:
        self._providers: dict[str, Provider] = {}
        self._origins: dict[str, str] = {}
        self.broken: dict[str, BrokenPlugin] = {}
        for provider in providers:
            self.register(provider)

    def register(self, provider: Provider, origin: str = "") -> None:
        self._providers[provider.name] = provider
        self._origins[provider.name] = origin or provider.__module__

    def origin(self, name: str) -> str:
        """Where the provider comes from: its distribution and version, or its module."""
        return self._origins.get(name, "")

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    def names(self) -> list[str]:
        return sorted(self._providers)

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._providers[name] for name in self.names())

    def template_folders(self) -> dict[str, Path]:
        """Each provider's folder of partials, for those that have one."""
        folders = {}
        for provider in self:
            folder = provider.template_folder()
            if folder is not None:
                folders[provider.name] = folder
        return folders

    @classmethod
    def from_entry_points(cls) -> ProviderRegistry:
        registry = cls()
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                provider = entry.load()
                if not (isinstance(provider, type) and issubclass(provider, SectionProvider)):
                    raise TypeError(f"{entry.value} is not a SectionProvider subclass")
            except Exception as error:  # a broken plugin must not break the tool
                dist = entry.dist.name if entry.dist else "an unknown distribution"
                reason = f"{type(error).__name__}: {error}" if str(error) else repr(error)
                registry.broken[entry.name] = BrokenPlugin(entry.name, dist, reason)
                continue
            origin = f"{entry.dist.name} {entry.dist.version}" if entry.dist else ""
            registry.register(provider, origin)
        return registry
