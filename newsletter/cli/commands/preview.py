from __future__ import annotations

import errno
import os
import sys
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UsageError
from ..exits import ExitStatus
from ..preview import PreviewServer
from ._choose import choose_draft

if TYPE_CHECKING:
    from ..environment import Environment


DEFAULT_PORT = 8025


def run(
    env: Environment, draft_file: Path | None, port: int | None, open_browser: bool
) -> ExitStatus:
    workspace = env.workspace
    # Fail now on a missing or broken draft.
    path, _ = choose_draft(workspace, draft_file, env.err.print)
    server = _serve(workspace, path, port, env)
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


def _serve(workspace: Path, draft: Path, port: int | None, env: Environment) -> PreviewServer:
    """The server on ``port``; without one, on 8025 or, when something else holds it (an
    earlier preview, aiosmtpd, whose default it is too), on any free port."""
    try:
        return PreviewServer(workspace, draft, DEFAULT_PORT if port is None else port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        if port is not None:
            raise UsageError(
                f"port {port} on 127.0.0.1 is in use; choose another with --port "
                "(or leave it out to get a free one)"
            ) from None
    server = PreviewServer(workspace, draft, 0)
    env.err.print(f"Port {DEFAULT_PORT} is in use; using {server.server_address[1]} instead.")
    return server
