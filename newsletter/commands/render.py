from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..config import CONFIG_NAME
from ..console import make_console
from ..draft import load_draft, newest_draft
from ..errors import DraftError, NewsletterError
from ..fileio import write_atomic
from ..render import Format
from ..status import ExitStatus
from ..workspace import open_config, renderer_for

if TYPE_CHECKING:
    from ..cli import Globals

EXTENSIONS = {"html": "html", "md": "md", "txt": "txt"}


def run(
    options: Globals, draft_file: Path | None, formats: list[str], out: str | None
) -> ExitStatus:
    workspace = options.workspace
    path = draft_file or newest_draft(workspace)
    if path is None:
        raise DraftError(str(workspace / "drafts"), ["no drafts yet; run 'newsletter draft'"])
    if draft_file is not None and not path.is_absolute() and not path.exists():
        path = workspace / path
    draft = load_draft(path)
    config = open_config(workspace) if (workspace / CONFIG_NAME).is_file() else None
    renderer = renderer_for(workspace, config)
    rendered = renderer.render_all(draft, [cast(Format, fmt) for fmt in formats])

    if out == "-":
        if len(rendered) != 1:
            raise NewsletterError("--out - writes one format; choose it with --format")
        sys.stdout.write(next(iter(rendered.values())))
        return ExitStatus.OK

    console = make_console(quiet=options.quiet)
    target = Path(out) if out else workspace / "out"
    for fmt, text in rendered.items():
        if len(rendered) == 1 and out and not target.is_dir():
            destination = target
        else:
            destination = target / f"{draft.issue}.{EXTENSIONS[fmt]}"
        write_atomic(destination, text)
        console.print(f"Wrote {destination} ({len(text.encode()) / 1024:.1f} KiB)")
    return ExitStatus.OK
