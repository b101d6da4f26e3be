from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import publish, site_dir
from ..console import make_console
from ..status import ExitStatus
from ..workspace import renderer_for
from ._choose import choose_draft, optional_config
from .publish_mark import run as mark_published

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
        return mark_published(options, draft_file)
    return ExitStatus.OK
