"""``newsletter publish --mark``: remember what an issue published, so it never repeats."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..console import make_console
from ..draft import load_draft
from ..featured import record_published
from ..lock import workspace_lock
from ..state import StateStore, state_path
from ..status import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from ..cli import Globals


def run(options: Globals, draft_file: Path | None) -> ExitStatus:
    path = pick_draft(options.workspace, draft_file)
    draft = load_draft(path)
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
    return ExitStatus.OK
