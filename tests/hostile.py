"""A hostile web for tests and bench/hostile.py: one route per attack on a feed reader."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.feeds import Post, rss
from tests.servers import FeedServer, Route

PUBLIC = "93.184.216.34"  # a global address; Reroute sends it to the local server
MB = 1024 * 1024
LIMITS = """
[http]
deadline = 3
max_mb = 5
retries = 0
"""


class Reroute(httpx.AsyncBaseTransport):
    """Sends requests for the PUBLIC address to the local server, like a real route would:
    the answer says it came from PUBLIC. With ``rebinding``, the connection goes to the
    local server and says so, as when a name resolved to PUBLIC for the fetcher's check
    and to 127.0.0.1 for the connection."""

    def __init__(self, server: FeedServer, rebinding: bool = False, host: str = PUBLIC) -> None:
        self.server = server
        self.rebinding = rebinding
        self.host = host  # the name or address routed to the local server
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.host:
            return await self.inner.handle_async_request(request)
        host, port = self.server.server_address[:2]
        request.url = request.url.copy_with(host=str(host), port=int(port))
        response = await self.inner.handle_async_request(request)
        if not self.rebinding:
            stream = response.extensions["network_stream"]
            response.extensions = {**response.extensions, "network_stream": _Seen(stream)}
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Seen:
    """A network stream that reports the PUBLIC address as its peer."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def get_extra_info(self, info: str) -> Any:
        if info == "server_addr":
            return (PUBLIC, 80)
        return self.stream.get_extra_info(info)


def _huge() -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><description>'
    for _ in range(50):
        yield b"x" * MB


def _gzip_bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b"\0" * MB
    return b"".join(packer.compress(chunk) for _ in range(20)) + packer.flush()


def _drip() -> Iterator[bytes]:
    for byte in b'<?xml version="1.0"?><rss>'[:8]:
        yield bytes([byte])
        time.sleep(2)


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
        for n in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title>'
    b"<link>https://evil.example/x</link><pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
    b"</item></channel></rss>"
)


def redos_feed(length: int = 200_000) -> bytes:
    post = Post("Long author", "https://evil.example/redos", _in_week(), author="a" * length)
    return rss([post])


def _in_week() -> datetime:
    return datetime(2026, 11, 18, 10, tzinfo=UTC)


def good_feed() -> bytes:
    return rss([Post("Still here", "https://blog.example.org/still-here", _in_week())])


def add_routes(server: FeedServer) -> dict[str, tuple[str, str]]:
    """Serve every attack; returns {section id: (feed URL, words its problem must say)}."""
    server.add("/secret", b"intranet")
    bomb = _gzip_bomb()
    return {
        "huge": (server.add("/huge.xml", Route(_huge)), "larger than the 5 MiB cap"),
        "gzipbomb": (
            server.add("/bomb.xml", Route(bomb, headers={"Content-Encoding": "gzip"})),
            "larger than the 5 MiB cap",
        ),
        "drip": (server.add("/drip.xml", Route(_drip)), "no complete answer within 3 s"),
        "private": (
            (
                server.add(
                    "/redirect", Route(status=302, headers={"Location": server.url("/secret")})
                ),
                f"http://{PUBLIC}/redirect",
            )[1],
            "redirect from a public host to a private address refused",
        ),
        "laughs": (server.add("/laughs.xml", LAUGHS), "DOCTYPE declares entities"),
        "xxe": (server.add("/xxe.xml", XXE), "DOCTYPE declares entities"),
        "path": (server.add("/path.xml", b"/etc/passwd"), "could not parse the feed"),
    }


def sections_toml(routes: dict[str, tuple[str, str]], good: str) -> str:
    tables = [f'[[section]]\nid = "good"\nprovider = "blogs"\nfeeds = ["{good}"]\n']
    tables += [
        f'[[section]]\nid = "{name}"\nprovider = "blogs"\nfeeds = ["{url}"]\n'
        for name, (url, _) in routes.items()
    ]
    return LIMITS + "\n".join(tables)
