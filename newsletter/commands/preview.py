from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import make_console
from ..preview import PreviewServer
from ..status import ExitStatus
from ._choose import choose_draft

if TYPE_CHECKING:
    from ..cli import Globals


def run(options: Globals, draft_file: Path | None, port: int, open_browser: bool) -> ExitStatus:
    workspace = options.workspace
    path, _ = choose_draft(workspace, draft_file)  # fail now on a missing or broken draft
    server = PreviewServer(workspace, path, port)
    console = make_console(quiet=False)
    console.print(f"Previewing {path} at {server.url} — it reloads as you edit. Ctrl-C stops.")
    if open_browser and _has_display():
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        server.server_close()
    return ExitStatus.OK


def _has_display() -> bool:
    # A server or a cron job has no screen: there webbrowser would start a text browser.
    if sys.platform in {"darwin", "win32"}:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
