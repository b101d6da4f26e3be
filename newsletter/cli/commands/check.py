from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from ...config import Config
from ...errors import SourceError
from ...gather.fetch import Fetcher
from ...gather.run import fetcher_for
from ...registry import ProviderRegistry
from ...workspace import open_config
from ..exits import ExitStatus
from ..progress import human_size

if TYPE_CHECKING:
    from ..environment import Environment


@dataclass
class Probe:
    section: str
    source: str
    status: str
    seconds: float
    size: int
    modified: str
    ok: bool


def run(env: Environment, registry: ProviderRegistry | None = None) -> ExitStatus:
    """Validate the config (a ConfigError exits 3), then probe every source once."""
    registry = registry or ProviderRegistry.from_entry_points()
    config = open_config(env.workspace, registry)
    probes = asyncio.run(probe_all(config, registry))
    console = env.out
    table = Table(title=f"{config.newsletter.title}: {len(probes)} source(s)")
    for column in ("section", "source", "status", "time", "size", "last modified"):
        table.add_column(column, justify="right" if column in {"time", "size"} else "left")
    for probe in probes:
        status = probe.status if probe.ok else f"[red]{escape(probe.status)}[/]"
        table.add_row(probe.section, escape(probe.source), status, f"{probe.seconds:.2f}s",
                      human_size(probe.size) if probe.ok else "", probe.modified)  # fmt: skip
    console.print(table)
    failed = [probe for probe in probes if not probe.ok]
    env.final.print(f"Config OK; {len(probes) - len(failed)} of {len(probes)} source(s) answered")
    return ExitStatus.PROBLEMS if failed else ExitStatus.OK


async def probe_all(config: Config, registry: ProviderRegistry) -> list[Probe]:
    wanted = []
    for section in config.sections:
        provider = registry.get(section.provider)
        if provider is not None:
            wanted += [(section.id, source) for source in provider().sources(section.options)]
    async with fetcher_for(config) as fetcher:
        return list(await asyncio.gather(*(_probe(fetcher, s, src) for s, src in wanted)))


async def _probe(fetcher: Fetcher, section: str, source: str) -> Probe:
    started = time.perf_counter()
    try:
        fetched = await fetcher.fetch(source, section=section)
    except SourceError as error:
        return Probe(section, source, error.reason, time.perf_counter() - started, 0, "", False)
    if fetched.status == 0:
        status = "file"
    elif fetched.from_cache:
        status = "304 unchanged"
    else:
        status = str(fetched.status)
    modified = fetched.headers.get("last-modified", "")
    return Probe(section, source, status, fetched.elapsed, len(fetched.content), modified, True)
