from __future__ import annotations

import asyncio
from itertools import takewhile
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from ...config import Config
from ...gather.probe import configured_sources, probe_all
from ...registry import ProviderRegistry
from ...state import SourceHealth, StateStore, state_path
from ...urls import redact
from ...workspace import open_config
from ..exits import ExitStatus
from ..progress import human_size

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment,
    registry: ProviderRegistry | None = None,
    history: bool = False,
    weeks: int = 3,
) -> ExitStatus:
    """Validate the config (a ConfigError exits 3), then probe every source once; or,
    with ``history``, list the sources that failed or came back empty in each of the
    last ``weeks`` drafts."""
    registry = registry or ProviderRegistry.from_entry_points()
    config = open_config(env.workspace, registry)
    if history:
        return _history(env, config, registry, weeks)
    probes = asyncio.run(probe_all(config, registry))
    table = Table(title=f"{config.newsletter.title}: {len(probes)} source(s)")
    for column in ("section", "source", "status", "time", "size", "last modified"):
        # A cut URL or reason is useless: long ones wrap instead.
        table.add_column(column, justify="right" if column in {"time", "size"} else "left",
                         overflow="fold")  # fmt: skip
    for probe in probes:
        # Shown: never a URL's credentials (git's answer may repeat the clone URL).
        status = Text(redact(probe.status), "" if probe.ok else "red")
        table.add_row(probe.section, redact(probe.source), status,
                      f"{probe.seconds:.2f}s", human_size(probe.size) if probe.ok else "",
                      probe.modified)  # fmt: skip
    env.out.print(table)
    failed = [probe for probe in probes if not probe.ok]
    env.final.print(f"Config OK; {len(probes) - len(failed)} of {len(probes)} source(s) answered")
    return ExitStatus.PROBLEMS if failed else ExitStatus.OK


def _history(
    env: Environment, config: Config, registry: ProviderRegistry, weeks: int
) -> ExitStatus:
    """The configured sources whose last ``weeks`` recorded drafts all failed or came
    back empty, with how long that has lasted and the latest reason."""
    sources = configured_sources(config, registry)
    path = state_path(config.workspace)
    streaks: list[list[SourceHealth]] = []
    if path.exists():
        with StateStore(path) as state:
            for section, source in sources:
                recent = state.source_health(section, redact(source.location), _LONGEST)
                streak = list(takewhile(lambda row: row.outcome != "ok", recent))
                if len(streak) >= weeks:
                    streaks.append(streak)
    table = Table(title=f"Sources failing or empty in each of the last {weeks} drafts or more")
    for column in ("section", "source", "outcome", "drafts", "since", "last reason"):
        table.add_column(column, justify="right" if column == "drafts" else "left",
                         overflow="fold")  # fmt: skip
    for streak in streaks:
        latest, first = streak[0], streak[-1]
        outcomes = "/".join(sorted({row.outcome for row in streak}))
        table.add_row(latest.section, redact(latest.source), outcomes,
                      str(len(streak)), first.issue, redact(latest.detail))  # fmt: skip
    if streaks:
        env.out.print(table)
    env.final.print(
        f"{len(streaks)} of {len(sources)} source(s) failed or came back empty in each of "
        f"the last {weeks} drafts"
    )
    return ExitStatus.PROBLEMS if streaks else ExitStatus.OK


_LONGEST = 520
"""Recorded drafts looked at per source: ten years of weekly issues."""
