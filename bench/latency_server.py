"""HTTP servers on 127.0.0.1 that answer like slow, distant blog hosts.

Every response waits its route's latency first (asyncio, so the waits overlap on one
thread). Each body carries an ETag and a Last-Modified; a request whose
If-None-Match or If-Modified-Since matches gets ``304 Not Modified``.

* :class:`LatencyServer` speaks HTTP/1.1 and listens on several ports, so the feeds
  look like they come from many hosts, as a planet's feeds do (a client may rightly
  limit connections per host). asyncio sets TCP_NODELAY on its sockets and each
  answer is one write, so no delayed-ACK stall falsifies the figures.
* :class:`H2LatencyServer` is one host speaking HTTP/2 over TLS (hypercorn; ALPN
  offers h2 and http/1.1), with a throwaway CA whose file the client must trust
  (``SSL_CERT_FILE``).
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.h2server import TlsAsgiServer  # the repository root, just put on the path

LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)


@dataclass
class Page:
    body: bytes
    latency: float
    etag: str = ""

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Counts:
    requests: int = 0
    conditional: int = 0
    not_modified: int = 0
    validators: set[str] = field(default_factory=set)
    protocols: set[str] = field(default_factory=set)
    connections: set[tuple[str, int]] = field(default_factory=set)


Answer = tuple[int, list[tuple[str, str]], bytes]


class _Pages:
    """The routes and the answers, whatever the protocol."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.counts = Counts()

    def reset_counts(self) -> None:
        self.counts = Counts()

    async def answer(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        page = self.pages.get(target.split("?", maxsplit=1)[0])
        self.counts.requests += 1
        if page is None:
            return 404, [], b""
        await asyncio.sleep(page.latency)
        sent = {name for name in ("if-none-match", "if-modified-since") if name in headers}
        if sent:
            self.counts.conditional += 1
            self.counts.validators |= sent
        sent_tags = headers.get("if-none-match", "").split(",")
        tags = {tag.strip().removeprefix("W/") for tag in sent_tags}
        fresh = (
            page.etag in tags
            or "*" in tags
            or (
                "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
            )
        )
        common = [("ETag", page.etag), ("Last-Modified", LAST_MODIFIED)]
        if fresh:
            self.counts.not_modified += 1
            return 304, common, b""
        content = [("Content-Type", "application/rss+xml; charset=utf-8")]
        return 200, common + content, page.body if method != "HEAD" else b""


class LatencyServer(_Pages):
    def __init__(self, hosts: int = 1) -> None:
        super().__init__()
        self.hosts = hosts
        self.ports: list[int] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []

    def add(self, index: int, path: str, body: bytes, latency: float) -> str:
        """Serve ``body`` at ``path`` on host number ``index % hosts``; return its URL."""
        self.pages[path] = Page(body, latency)
        return f"http://127.0.0.1:{self.ports[index % self.hosts]}{path}"

    def start(self) -> LatencyServer:
        self._thread.start()
        for _ in range(self.hosts):
            server = asyncio.run_coroutine_threadsafe(
                asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=512), self._loop
            ).result()
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts.connections.add(writer.get_extra_info("peername"))
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                keep_alive = await self._answer(request, writer)
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _answer(self, request: bytes, writer: asyncio.StreamWriter) -> bool:
        lines = request.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        self.counts.protocols.add("HTTP/1.1")
        status, fields, body = await self.answer(method, target, headers)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
        if status != 304:
            head += f"Content-Length: {len(body)}\r\n"
        writer.write((head + "\r\n").encode() + body)  # one write: no delayed-ACK stall
        await writer.drain()
        return headers.get("connection", "").lower() != "close"


class H2LatencyServer(_Pages, TlsAsgiServer):
    """One host speaking HTTP/2 over TLS; ``ca_file`` is the CA to trust."""

    def __init__(self) -> None:
        _Pages.__init__(self)
        folder = Path(tempfile.mkdtemp(prefix="bench-h2-"))
        # A planet's 100 feeds at once: the queue and the streams allowed hold them all.
        TlsAsgiServer.__init__(self, folder, backlog=512, streams=200)

    def add(self, path: str, body: bytes, latency: float) -> str:
        self.pages[path] = Page(body, latency)
        return f"https://127.0.0.1:{self.port}{path}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.counts.protocols.add(f"HTTP/{scope['http_version']}")
        self.counts.connections.add(tuple(scope["client"]))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status, fields, body = await self.answer(scope["method"], scope["path"], headers)
        encoded = [(k.lower().encode(), v.encode()) for k, v in fields]
        await send({"type": "http.response.start", "status": status, "headers": encoded})
        await send({"type": "http.response.body", "body": body})
