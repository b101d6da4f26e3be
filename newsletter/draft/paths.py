"""Where drafts live: ``drafts/<issue>.yaml`` in the workspace (no YAML needed here)."""

from __future__ import annotations

import re
from pathlib import Path

from ..state import STATE_DIR

DRAFTS_DIR = "drafts"
_WEEK_NAME = re.compile(r"^\d{4}-W\d{2}$")


def draft_path(workspace: Path, issue: str) -> Path:
    return workspace / DRAFTS_DIR / f"{issue}.yaml"


def snapshot_path(workspace: Path, issue: str) -> Path:
    return workspace / STATE_DIR / "gathered" / f"{issue}.json"


def newest_draft(workspace: Path, latest: str | None = None) -> Path | None:
    """The newest draft by issue name; with ``latest`` (an issue like ``2026-W47``), the
    newest not after it, so a week drafted ahead of time (``draft --force``) is not
    picked before the week that has just ended."""
    drafts = sorted((workspace / DRAFTS_DIR).glob("*.yaml"))
    if latest is not None:
        drafts = [path for path in drafts if not _WEEK_NAME.match(path.stem) or path.stem <= latest]
    return drafts[-1] if drafts else None


def later_drafts(workspace: Path, latest: str) -> list[Path]:
    """The drafts of issues after ``latest``, oldest first."""
    drafts = sorted((workspace / DRAFTS_DIR).glob("*.yaml"))
    return [path for path in drafts if _WEEK_NAME.match(path.stem) and path.stem > latest]
