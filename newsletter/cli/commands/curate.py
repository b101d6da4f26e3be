from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UsageError
from ..exits import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from ..environment import Environment


def run(env: Environment, draft_file: Path | None) -> ExitStatus:
    path = pick_draft(env.workspace, draft_file, env.err.print)
    if not env.interactive:
        raise UsageError("curate needs a terminal; without one, use 'newsletter edit'")
    from ..curate import curate

    saved = curate(path, env.workspace)
    env.final.print(f"Saved {path.name}." if saved else f"{path.name} is unchanged.")
    return ExitStatus.OK
