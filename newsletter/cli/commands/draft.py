from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from ...draft.approval import is_approved
from ...draft.file import load_draft
from ...draft.merge import write_draft
from ...draft.paths import draft_path
from ...errors import ConfigError, DraftError, UsageError
from ...gather.run import gather
from ...lock import workspace_lock
from ...model import Draft
from ...registry import ProviderRegistry
from ...send.journal import Journal
from ...send.records import recorded_send
from ...state import StateStore, state_path
from ...window import dates_window, describe, issue_name, last_complete_week, week_window
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
    force: bool = False,
    registry: ProviderRegistry | None = None,
    now: datetime | None = None,
) -> ExitStatus:
    console = env.err
    registry = registry or ProviderRegistry.from_entry_points()
    config = open_config(env.workspace, registry)
    if not config.sections:
        raise ConfigError(
            str(config.path),
            ["no [[section]] yet: uncomment an example (blogs, events, …) and fill in its sources"],
        )
    tz, closes_on = config.tz, config.newsletter.closes_on
    now = now or datetime.now(UTC)
    try:
        if since or until:
            if week or not (since and until):
                raise ValueError("give both --since and --until, or --week, not a mix")
            window = dates_window(since, until, tz)
        else:
            window = week_window(week or last_complete_week(now, tz, closes_on), tz, closes_on)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if window.end > now and not force:
        raise UsageError(
            f"{issue_name(window)} ({describe(window)}) has not ended yet: a draft now "
            "would miss what happens until then, and would become the newest draft. "
            "Pass --force to draft it anyway."
        )

    with (
        workspace_lock(config.workspace, "draft"),
        StateStore(state_path(config.workspace)) as state,
    ):
        issue = issue_name(window)
        gone = went_out(state, issue, config.workspace)
        if gone and not force:
            raise UsageError(
                f"{gone}. Its draft stays as it went out: pass --force to gather it again "
                "(the approval then holds only if nothing changes)"
            )
        before = _approved(draft_path(config.workspace, issue), config.workspace)
        console.print(f"Gathering {config.newsletter.title}: {describe(window)}")
        reporter = CliReporter(console)
        if console.is_terminal:
            with console.status("Gathering…"):
                result = asyncio.run(gather(config, window, registry, state, reporter))
        else:
            result = asyncio.run(gather(config, window, registry, state, reporter))
        path, action = write_draft(config.workspace, result.draft, console.print)
        # What the editor will see: the gathered items merged with their edits.
        merged = load_draft(path, config.workspace)  # known by its record: no YAML parse

    console.print(summary_table(merged.sections))
    for section_id, problem in result.problems:
        console.print(Text.assemble(("Problem", "yellow"), f" in {section_id}: {problem}"))
    if before is not None and before.approved is not None and not is_approved(merged):
        env.final.print(
            Text.assemble(
                ("Approval withdrawn:", "yellow"),
                f" the draft changed since {before.approved.by} approved it "
                f"({before.approved.at.isoformat(timespec='minutes')}); review it "
                "and run 'newsletter approve' again.",
            )
        )
    relative = path.relative_to(config.workspace) if path.is_relative_to(config.workspace) else path
    env.final.print(
        f"Draft {action}: {relative} ({result.seconds:.1f}s, {len(result.problems)} problem(s))"
    )
    if strict and result.problems:
        return ExitStatus.PROBLEMS
    return ExitStatus.OK


def went_out(state: StateStore, issue: str, workspace: Path) -> str:
    """How ``issue`` was sent or published, in words; ``""`` if it was not. A send the
    journal lost (a fresh clone) still shows in the records beside the issue's outputs."""
    latest = Journal(state).latest(issue)
    if latest is not None and latest.completed_at is None:
        return (
            f"a send of {issue} began at {latest.started_at} and is not finished "
            "('newsletter send' resumes it)"
        )
    if latest is not None:
        return (
            f"{issue} was sent at {latest.completed_at} to {len(latest.recipients)} "
            f"recipient(s) ('newsletter log {issue}' shows to whom)"
        )
    published = state.published(issue)
    if published is not None:
        return f"{issue} was marked published at {published.at} (with '{published.via}')"
    return recorded_send(workspace, issue)


def _approved(path: Path, workspace: Path) -> Draft | None:
    """The draft at ``path`` if it exists and carries a valid approval."""
    if not path.exists():
        return None
    try:
        draft = load_draft(path, workspace)
    except DraftError:
        return None  # write_draft reports it
    return draft if is_approved(draft) else None
