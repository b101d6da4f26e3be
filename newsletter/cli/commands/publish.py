from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...featured import record_published
from ...lock import workspace_lock
from ...model import Draft
from ...render import renderer_for
from ...render.archive import publish, site_dir
from ...state import StateStore, state_path
from ..exits import ExitStatus
from ._choose import choose_draft, optional_config

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment, draft_file: Path | None, site: Path | None, mark: bool = False
) -> ExitStatus:
    workspace = env.workspace
    _, draft = choose_draft(workspace, draft_file, env.err.print)
    config = optional_config(workspace)
    renderer = renderer_for(workspace, config)
    target = site or site_dir(workspace)
    title = config.newsletter.title if config else draft.title
    written = publish(renderer, draft, target, title)
    for path in written:
        env.err.print(f"Wrote {path}")
    env.final.print(f"Published {draft.issue} to {target} ({len(written)} file(s)).")
    if not renderer.settings.archive_url:
        env.err.print(
            "Note: [newsletter] url is not set, so the feed's links are relative and the "
            "emails have no 'view in browser' link."
        )
    if mark:
        _mark_published(env, draft)
    return ExitStatus.OK


def _mark_published(env: Environment, draft: Draft) -> None:
    """Remember what the issue published, so later drafts leave it out."""
    with (
        workspace_lock(env.workspace, "publish --mark"),
        StateStore(state_path(env.workspace)) as state,
    ):
        keys = record_published(state, draft, via="publish --mark")
    items = sum(len(section.included) for section in draft.sections)
    env.final.print(
        f"Marked {draft.issue} published: {items} item(s), {keys} key(s) remembered; "
        "later drafts repeat them only as each section's policy allows."
    )
