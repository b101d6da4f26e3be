from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from rich.markup import escape

from ...draft.merge import write_draft
from ...errors import UsageError
from ...gather.run import gather
from ...lock import workspace_lock
from ...registry import ProviderRegistry
from ...state import StateStore, state_path
from ...window import dates_window, describe, last_complete_week, week_window
from ...workspace import open_config
from ..exits import ExitStatus
from ..progress import CliReporter, summary_table

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment,
    week: str | None,
    since: date | None,
    until: date | None,
    strict: bool,
    registry: ProviderRegistry | None = None,
    now: datetime | None = None,
) -> ExitStatus:
    console = env.err
    registry = registry or ProviderRegistry.from_entry_points()
    config = open_config(env.workspace, registry)
    tz, closes_on = config.tz, config.newsletter.closes_on
    try:
        if since or until:
            if week or not (since and until):
                raise ValueError("give both --since and --until, or --week, not a mix")
            window = dates_window(since, until, tz)
        else:
            window = week_window(week or last_complete_week(now or datetime.now(UTC), tz,
                                                            closes_on), tz, closes_on)  # fmt: skip
    except ValueError as error:
        raise UsageError(str(error)) from None

    console.print(f"Gathering {config.newsletter.title}: {describe(window)}")
    with (
        workspace_lock(config.workspace, "draft"),
        StateStore(state_path(config.workspace)) as state,
    ):
        reporter = CliReporter(console)
        if console.is_terminal:
            with console.status("Gathering…"):
                result = asyncio.run(gather(config, window, registry, state, reporter))
        else:
            result = asyncio.run(gather(config, window, registry, state, reporter))
        path, action = write_draft(config.workspace, result.draft)

    console.print(summary_table(result.draft.sections))
    for section_id, problem in result.problems:
        console.print(f"[yellow]Problem[/] in {escape(section_id)}: {escape(problem)}")
    relative = path.relative_to(config.workspace) if path.is_relative_to(config.workspace) else path
    env.final.print(
        f"Draft {action}: {relative} ({result.seconds:.1f}s, {len(result.problems)} problem(s))"
    )
    if strict and result.problems:
        return ExitStatus.PROBLEMS
    return ExitStatus.OK
