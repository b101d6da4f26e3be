"""Opening a workspace: its config, validated against the installed providers."""

from __future__ import annotations

from pathlib import Path

from .config import Config, find_config, load_config
from .registry import ProviderRegistry


def open_config(workspace: Path, registry: ProviderRegistry | None = None) -> Config:
    registry = registry or ProviderRegistry.from_entry_points()
    return load_config(find_config(workspace), registry)
