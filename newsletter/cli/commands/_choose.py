"""Which draft a command works on: the one named (relative to the current directory or
the workspace), else the newest in drafts/ of a week that has ended."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ...draft.paths import DRAFTS_DIR, later_drafts, newest_draft
from ...errors import DraftError
from ...window import WEEKDAYS, last_complete_week
from ...workspace import CONFIG_NAME

if TYPE_CHECKING:
    from ...config import Config
    from ...model import Draft

Note = Callable[[str], Any]


def pick_draft(
    workspace: Path,
    draft_file: Path | None,
    note: Note | None = None,
    now: datetime | None = None,
) -> Path:
    """``draft_file`` (relative to the current directory or the workspace), or the newest
    draft of a week that has ended; ``note`` hears about later drafts left aside."""
    if draft_file is not None:
        if not draft_file.is_absolute() and not draft_file.exists():
            return workspace / draft_file
        return draft_file
    latest = last_complete_week(now or datetime.now(UTC), *_week_settings(workspace))
    newest = newest_draft(workspace, latest)
    later = later_drafts(workspace, latest)
    if newest is None and later:
        return later[0]
    if newest is None:
        raise DraftError(str(workspace / DRAFTS_DIR), ["no drafts yet; run 'newsletter draft'"])
    if later and note is not None:
        names = ", ".join(path.name for path in later)
        note(
            f"Note: using {newest.name}, the newest draft of a week that has ended; "
            f"{names} {'is' if len(later) == 1 else 'are'} for a week still to come "
            "(name it to use it)."
        )
    return newest


def choose_draft(
    workspace: Path, draft_file: Path | None, note: Note | None = None
) -> tuple[Path, Draft]:
    """The draft's path and its validated content."""
    from ...draft.file import load_draft

    path = pick_draft(workspace, draft_file, note)
    return path, load_draft(path, workspace)


def optional_config(workspace: Path) -> Config | None:
    from ...workspace import open_config

    return open_config(workspace) if (workspace / CONFIG_NAME).is_file() else None


def newsletter_settings(workspace: Path) -> dict[str, Any]:
    """The ``[newsletter]`` table of the workspace's config, read without validating the
    whole file (which would load every provider), so a command that only reads a draft
    stays quick; empty when there is none or it cannot be read (the commands that need
    the config report why)."""
    try:
        raw = tomllib.loads((workspace / CONFIG_NAME).read_text("utf-8")).get("newsletter")
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _week_settings(workspace: Path) -> tuple[ZoneInfo, str]:
    settings = newsletter_settings(workspace)
    closes_on = str(settings.get("closes_on", "sunday"))
    try:
        tz = ZoneInfo(str(settings.get("timezone", "UTC")))
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return tz, closes_on if closes_on in WEEKDAYS else "sunday"
