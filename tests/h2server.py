"""A real HTTP/2 server on 127.0.0.1 (hypercorn, TLS with ALPN, a throwaway CA).

TlsAsgiServer runs one (bench/latency_server.py's HTTP/2 host is one too); H2Server
answers every path with ``body`` after ``delay`` seconds and records what the
fetcher's behaviour depends on: the protocol of each request, the client connections
(their ports) and the most requests it was answering at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Self

import trustme
from hypercorn.asyncio import serve
from hypercorn.config import Config

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class TlsAsgiServer:
    """The subclass's ``__call__`` (an ASGI app) served by hypercorn on 127.0.0.1 over
    TLS, ALPN offering h2 and http/1.1, from a loop in a thread of its own. The
    certificate comes from a throwaway CA whose file, ``ca_file``, the client trusts."""

    def __init__(self, folder: Path, backlog: int | None = None, streams: int = 100) -> None:
        ca = trustme.CA()
        self.ca_file = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert, key = folder / "cert.pem", folder / "key.pem"
        issued = ca.issue_cert("127.0.0.1")
        issued.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=backlog)
        self.port = self._socket.getsockname()[1]
        config = Config()
        config.bind = [f"fd://{os.dup(self._socket.fileno())}"]  # hypercorn closes its copy
        config.certfile, config.keyfile = str(cert), str(key)
        config.alpn_protocols = ["h2", "http/1.1"]
        config.accesslog = config.errorlog = None
        config.h2_max_concurrent_streams = streams
        self._config = config
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()

        async def run() -> None:
            self._stop = asyncio.Event()
            await serve(self, self._config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

        self._serving = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._serving.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._socket.close()


class H2Server(TlsAsgiServer):
    def __init__(self, folder: Path, body: bytes = b"<rss/>", delay: float = 0.0) -> None:
        super().__init__(folder)
        self.body, self.delay = body, delay
        self.protocols: list[str] = []
        self.clients: set[int] = set()
        self.busy = self.most_busy = 0

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.protocols.append(scope["http_version"])
        self.clients.add(scope["client"][1])
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.busy -= 1
        headers = [(b"content-type", b"application/rss+xml")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})
