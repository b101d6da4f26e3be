from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ...registry import listing
from ..exits import ExitStatus

if TYPE_CHECKING:
    from ..environment import Environment


def cache_file() -> Path:
    """Where the listing is cached: the user's cache folder, one file per environment."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    environment = f"{zlib.crc32(sys.prefix.encode()):08x}"  # zlib: hashlib costs ~3 ms
    return Path(root) / "newsletter" / f"providers-{environment}.json"


def run(env: Environment) -> ExitStatus:
    listed, broken = listing(cache_file())
    table = Table("provider", "description", "from", title="Installed section providers")
    for provider in listed:
        table.add_row(provider.name, provider.description, provider.origin)
    env.out.print(table)
    for plugin in broken:
        env.final.print(Text.assemble(("Warning:", "yellow"), " ", plugin.describe()))
    return ExitStatus.OK
