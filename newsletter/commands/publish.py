from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import publish, site_dir
from ..console import make_console
from ..featured import record_published
from ..lock import workspace_lock
from ..model import Draft
from ..state import StateStore, state_path
from ..status import ExitStatus
from ..workspace import renderer_for
from ._choose import choose_draft, optional_config

if TYPE_CHECKING:
    from ..cli import Globals


def run(
    options: Globals, draft_file: Path | None, site: Path | None, mark: bool = False
) -> ExitStatus:
    workspace = options.workspace
    _, draft = choose_draft(workspace, draft_file)
    config = optional_config(workspace)
    renderer = renderer_for(workspace, config)
    target = site or site_dir(workspace)
    title = config.newsletter.title if config else draft.title
    console = make_console(quiet=options.quiet)
    for path in publish(renderer, draft, target, title):
        console.print(f"Wrote {path}")
    if not renderer.settings.archive_url:
        console.print(
            "Note: [newsletter] url is not set, so the feed's links are relative and the "
            "emails have no 'view in browser' link."
        )
    if mark:
        _mark_published(options, draft)
    return ExitStatus.OK


def _mark_published(options: Globals, draft: Draft) -> None:
    """Remember what the issue published, so later drafts leave it out."""
    with (
        workspace_lock(options.workspace, "publish --mark"),
        StateStore(state_path(options.workspace)) as state,
    ):
        keys = record_published(state, draft)
    items = sum(len(section.included) for section in draft.sections)
    make_console(quiet=options.quiet).print(
        f"Marked {draft.issue} published: {items} item(s), {keys} key(s) remembered; "
        "later drafts will leave them out."
    )
