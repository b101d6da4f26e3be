"""Which draft a command works on: the one named (relative to the workspace or the
current directory), else the newest in drafts/."""

from __future__ import annotations

from pathlib import Path

from ...config import CONFIG_NAME, Config
from ...draft.file import DRAFTS_DIR, load_draft, newest_draft
from ...errors import DraftError
from ...model import Draft
from ...workspace import open_config


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


def choose_draft(workspace: Path, draft_file: Path | None) -> tuple[Path, Draft]:
    """The draft's path and its validated content."""
    path = pick_draft(workspace, draft_file)
    return path, load_draft(path)


def optional_config(workspace: Path) -> Config | None:
    return open_config(workspace) if (workspace / CONFIG_NAME).is_file() else None
