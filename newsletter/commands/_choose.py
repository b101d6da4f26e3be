"""Which draft a command works on: the one named (relative to the workspace or the
current directory), else the newest in drafts/."""

from __future__ import annotations

from pathlib import Path

from ..config import CONFIG_NAME, Config
from ..draft import load_draft, newest_draft
from ..errors import DraftError
from ..model import Draft
from ..workspace import open_config


def choose_draft(workspace: Path, draft_file: Path | None) -> tuple[Path, Draft]:
    path = draft_file or newest_draft(workspace)
    if path is None:
        raise DraftError(str(workspace / "drafts"), ["no drafts yet; run 'newsletter draft'"])
    if draft_file is not None and not path.is_absolute() and not path.exists():
        path = workspace / path
    return path, load_draft(path)


def optional_config(workspace: Path) -> Config | None:
    return open_config(workspace) if (workspace / CONFIG_NAME).is_file() else None
