"""Finding and opening a workspace: the folder holding ``newsletter.toml``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .registry import ProviderRegistry

if TYPE_CHECKING:
    from .config import Config

CONFIG_NAME = "newsletter.toml"
"""The file that makes a folder a workspace. Finding one loads neither the config nor
pydantic: every command finds its workspace, few read the config."""


def find_workspace(start: Path) -> Path:
    """The workspace a command started in ``start`` works on: ``start`` itself when it
    holds ``newsletter.toml``, else the nearest parent folder that does (as git finds
    ``.git``), else ``start`` (a command that needs the config then says it is missing).

    A parent's ``newsletter.toml`` is adopted only when it belongs to the user running
    the command (or to root): a file someone else could plant above you (in ``/tmp``, a
    shared home) must not choose your sources and templates — git's "dubious ownership"
    rule. The path stays relative when ``start`` is (``..`` from ``drafts/``), so what
    the commands print reads like what the user typed.
    """
    if (start / CONFIG_NAME).is_file():
        return start
    here = start.resolve()
    for parent in here.parents:
        candidate = parent / CONFIG_NAME
        try:
            owner = candidate.stat().st_uid
        except OSError:
            continue
        if not candidate.is_file():
            continue
        if owner not in {os.getuid(), 0}:
            return start
        if start.is_absolute():
            return parent
        return Path(os.path.relpath(parent, Path.cwd()))
    return start


def open_config(workspace: Path, registry: ProviderRegistry | None = None) -> Config:
    from .config import find_config, load_config

    registry = registry or ProviderRegistry.from_entry_points()
    return load_config(find_config(workspace), registry)
