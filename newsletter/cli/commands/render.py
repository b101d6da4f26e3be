from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from ...errors import UsageError
from ...fileio import write_atomic
from ...render import Format, renderer_for
from ..exits import ExitStatus
from ._choose import choose_draft, optional_config

if TYPE_CHECKING:
    from ..environment import Environment

EXTENSIONS = {"html": "html", "md": "md", "txt": "txt"}


def run(
    env: Environment, draft_file: Path | None, formats: list[str], out: str | None
) -> ExitStatus:
    workspace = env.workspace
    _, draft = choose_draft(workspace, draft_file, env.err.print)
    renderer = renderer_for(workspace, optional_config(workspace))
    rendered = renderer.render_all(draft, [cast(Format, fmt) for fmt in formats])

    if out == "-":
        if len(rendered) != 1:
            raise UsageError("--out - writes one format; choose it with --format")
        env.stdout.write(next(iter(rendered.values())))
        return ExitStatus.OK

    console = env.final
    target = Path(out) if out else workspace / "out"
    for fmt, text in rendered.items():
        if len(rendered) == 1 and out and not target.is_dir():
            destination = target
        else:
            destination = target / f"{draft.issue}.{EXTENSIONS[fmt]}"
        write_atomic(destination, text)
        console.print(f"Wrote {destination} ({len(text.encode()) / 1024:.1f} KiB)")
    return ExitStatus.OK
