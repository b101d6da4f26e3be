from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from ..exits import ExitStatus
from ..preview import PreviewServer
from ._choose import choose_draft

if TYPE_CHECKING:
    from ..environment import Environment


def run(env: Environment, draft_file: Path | None, port: int, open_browser: bool) -> ExitStatus:
    workspace = env.workspace
    path, _ = choose_draft(workspace, draft_file)  # fail now on a missing or broken draft
    server = PreviewServer(workspace, path, port)
    console = env.final
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
