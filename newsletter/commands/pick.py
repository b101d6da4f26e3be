"""Which draft a command works on: the one named, or the workspace's newest."""

from __future__ import annotations

from pathlib import Path

from ..draft import DRAFTS_DIR, newest_draft
from ..errors import DraftError


def pick_draft(workspace: Path, draft_file: Path | None) -> Path:
    """``draft_file`` (relative to the current directory or the workspace), or the newest."""
    if draft_file is None:
        newest = newest_draft(workspace)
        if newest is None:
            raise DraftError(str(workspace / DRAFTS_DIR), ["no drafts yet; run 'newsletter draft'"])
        return newest
    if not draft_file.is_absolute() and not draft_file.exists():
        return workspace / draft_file
    return draft_file
