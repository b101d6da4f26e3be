from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import make_console
from ..errors import NewsletterError
from ..status import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from ..cli import Globals


def run(options: Globals, draft_file: Path | None) -> ExitStatus:
    path = pick_draft(options.workspace, draft_file)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NewsletterError("curate needs a terminal; without one, use 'newsletter edit'")
    from ..curate import curate

    saved = curate(path)
    make_console(quiet=options.quiet).print(
        f"Saved {path.name}." if saved else f"{path.name} is unchanged."
    )
    return ExitStatus.OK
