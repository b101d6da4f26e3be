"""A local preview of a draft: the email, the Markdown (as HTML) and the plain text,
served on 127.0.0.1 and rendered afresh on every request.

The page at ``/`` shows one of them in a frame whose width toggles between desktop
(600 px column in a wider window) and phone (375 px), and polls ``/fingerprint`` —
the size and modification time of the draft, ``newsletter.toml`` and the workspace's
templates — reloading the frame when it changes. A draft with a mistake shows the
error in the frame rather than stopping the server.

It answers only requests addressed to it, ``Host: 127.0.0.1:<port>`` or
``localhost:<port>``: a web page the editor has open elsewhere could otherwise point
its own host name at 127.0.0.1 (DNS rebinding) and read the unpublished draft. The
views are served with a Content-Security-Policy that runs no script.
"""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path

from ..draft.file import load_draft
from ..errors import NewsletterError
from ..render import renderer_for
from ..render.markdown import markdown_to_html
from ..workspace import CONFIG_NAME, open_config

VIEWS = ("email", "markdown", "text")
VIEW_POLICY = (
    "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
"""What a rendered view may do in the browser: show its styles and remote images."""


def fingerprint(workspace: Path, draft: Path) -> str:
    """Changes whenever the draft, the config or a workspace template changes."""
    paths = [draft, workspace / CONFIG_NAME]
    templates = workspace / "templates"
    if templates.is_dir():
        paths += sorted(p for p in templates.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\n".encode())
    return digest.hexdigest()[:16]


def render_view(workspace: Path, draft_path: Path, view: str) -> str:
    """One view of the draft as a full HTML page."""
    config = open_config(workspace) if (workspace / CONFIG_NAME).is_file() else None
    renderer = renderer_for(workspace, config)
    draft = load_draft(draft_path)
    if view == "email":
        return renderer.render(draft, "html")
    if view == "markdown":
        body = markdown_to_html(renderer.render(draft, "md"))
        return _page(draft.title, f'<article class="md">{body}</article>')
    return _page(draft.title, f"<pre>{html.escape(renderer.render(draft, 'txt'))}</pre>")


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;line-height:1.6;max-width:680px;"
        "margin:24px auto;padding:0 16px;color:#1f2933}pre{font-size:14px;"
        "white-space:pre;overflow-x:auto}</style></head>"
        f"<body>{body}</body></html>"
    )


def _error_page(error: Exception) -> str:
    text = str(error)
    if isinstance(error, NewsletterError) and getattr(error, "problems", None):
        text += "\n" + "\n".join(f"  • {p}" for p in error.problems)  # type: ignore[attr-defined]
    return _page("Error", f"<h1>Cannot render the draft</h1><pre>{html.escape(text)}</pre>")


class PreviewServer(ThreadingHTTPServer):
    """Serves the preview of ``draft`` from ``workspace`` until ``stop()``."""

    daemon_threads = True

    def __init__(self, workspace: Path, draft: Path, port: int = 0) -> None:
        self.workspace = workspace
        self.draft = draft
        super().__init__(("127.0.0.1", port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> PreviewServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def log_message(self, *args: object) -> None:  # the terminal is the editor's, not a log
        pass

    def do_GET(self) -> None:
        if not self._addressed_to_us():
            self.send_error(403, "Only http://127.0.0.1 or http://localhost is answered")
            return
        path = self.path.split("?", 1)[0]
        routes: dict[str, Callable[[], tuple[str, str]]] = {
            "/": lambda: ("text/html", _shell()),
            "/fingerprint": lambda: (
                "application/json",
                json.dumps({"fingerprint": fingerprint(self.server.workspace, self.server.draft)}),
            ),
        }
        for view in VIEWS:
            routes[f"/{view}.html"] = lambda view=view: ("text/html", self._view(view))  # type: ignore[misc]
        route = routes.get(path)
        if route is None:
            self.send_error(404)
            return
        content_type, body = route()
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if path.endswith(".html"):
            self.send_header("Content-Security-Policy", VIEW_POLICY)
        self.end_headers()
        self.wfile.write(data)

    def _addressed_to_us(self) -> bool:
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        return host in {f"127.0.0.1:{port}", f"localhost:{port}"}

    def _view(self, view: str) -> str:
        try:
            return render_view(self.server.workspace, self.server.draft, view)
        except (NewsletterError, OSError) as error:
            return _error_page(error)


def _shell() -> str:
    return (files("newsletter.templates") / "preview" / "index.html").read_text("utf-8")
