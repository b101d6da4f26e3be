"""An HTTP server on 127.0.0.1 that answers like a slow, distant blog host.

Every response waits its route's latency first (asyncio, so 200 waits overlap on one
thread). Each body carries an ETag and a Last-Modified; a request whose
If-None-Match or If-Modified-Since matches gets ``304 Not Modified``. The server
listens on several ports so the feeds look like they come from many hosts, as a
planet's feeds do (a client may rightly limit connections per host).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import formatdate

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


class LatencyServer:
    def __init__(self, hosts: int = 1) -> None:
        self.hosts = hosts
        self.pages: dict[str, Page] = {}
        self.counts = Counts()
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

    def reset_counts(self) -> None:
        self.counts = Counts()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
        page = self.pages.get(target.split("?")[0])
        self.counts.requests += 1
        if page is None:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return True
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
        common = f"ETag: {page.etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
        if fresh:
            self.counts.not_modified += 1
            writer.write(f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode())
        else:
            head = (
                f"HTTP/1.1 200 OK\r\n{common}Content-Type: application/rss+xml; charset=utf-8\r\n"
                f"Content-Length: {len(page.body)}\r\n\r\n"
            )
            writer.write(head.encode() + (page.body if method != "HEAD" else b""))
        await writer.drain()
        return headers.get("connection", "").lower() != "close"
