"""The one place where sources are read: http(s) URLs and workspace-relative paths.

httpx has inactivity timeouts but no total deadline and no cap on the body, so the
response is streamed and both are enforced here, on the *decoded* size (a gzip bomb
stops at the cap). Redirects are followed by hand so each hop can be checked: only
http/https, never from https down to http, at most ``max_redirects``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__
from .errors import SourceError

USER_AGENT = f"newsletter/{__version__} (+https://pypi.org/project/newsletter/)"


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one source."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    connections: int = 20
    connections_per_host: int = 6


@dataclass(frozen=True)
class Fetched:
    """The body of a source and where it finally came from."""

    source: str
    url: str
    content: bytes
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    elapsed: float = 0.0


FetchListener = Callable[[str, str, float, int, str | None], None]
"""Called after each fetch with (section, source, seconds, bytes, error or None)."""


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in {"http", "https"}


class Fetcher:
    """Reads sources for every section over one shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        workspace: Path,
        limits: Limits | None = None,
        client: httpx.AsyncClient | None = None,
        listener: FetchListener | None = None,
    ) -> None:
        self.workspace = workspace.resolve()
        self.limits = limits or Limits()
        self.listener = listener
        self._client = client
        self._own_client = client is None
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # Requests wait here, not in httpcore's pool, whose queue handling costs time
        # proportional to the waiting requests on every hand-off (bench/bench_gather.py).
        self._slots = asyncio.Semaphore(self.limits.connections)

    async def __aenter__(self) -> Fetcher:
        if self._client is None:
            limits = self.limits
            self._client = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                timeout=httpx.Timeout(
                    limits.read_timeout, connect=limits.connect_timeout, pool=limits.deadline
                ),
                limits=httpx.Limits(max_connections=limits.connections),
                follow_redirects=False,
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self, source: str, *, section: str = "", headers: Mapping[str, str] | None = None
    ) -> Fetched:
        """Read ``source``; ``headers`` are sent with an http(s) request (e.g. a token)."""
        started = time.perf_counter()
        error: str | None = None
        size = 0
        try:
            if is_url(source):
                fetched = await self._fetch_url(source, started, headers or {})
            else:
                fetched = await asyncio.to_thread(self._read_path, source, started)
            size = len(fetched.content)
            return fetched
        except SourceError as failure:
            error = failure.reason
            raise
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            raise
        finally:
            if self.listener is not None:
                self.listener(section, source, time.perf_counter() - started, size, error)

    def _read_path(self, source: str, started: float) -> Fetched:
        if "://" in source:
            scheme = source.split("://", 1)[0]
            raise SourceError(source, f"unsupported scheme {scheme!r}: use http(s) or a path")
        path = (self.workspace / source).expanduser()
        try:
            with path.open("rb") as handle:
                content = handle.read(self.limits.max_bytes + 1)
        except OSError as error:
            raise SourceError(source, error.strerror or str(error)) from None
        if len(content) > self.limits.max_bytes:
            raise SourceError(source, f"larger than the {_mib(self.limits.max_bytes)} cap")
        return Fetched(source, path.as_uri(), content, elapsed=time.perf_counter() - started)

    async def _fetch_url(self, source: str, started: float, headers: Mapping[str, str]) -> Fetched:
        try:
            async with asyncio.timeout(self.limits.deadline):
                return await self._follow(source, started, headers)
        except TimeoutError:
            raise SourceError(
                source, f"no complete answer within {self.limits.deadline:g} s"
            ) from None
        except httpx.TimeoutException:
            raise SourceError(source, "timed out waiting for the server") from None
        except httpx.HTTPError as error:
            raise SourceError(source, _describe_http_error(error)) from None

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.limits.connections_per_host)
        return self._hosts[host]

    async def _follow(self, source: str, started: float, headers: Mapping[str, str]) -> Fetched:
        assert self._client is not None, "use Fetcher as an async context manager"
        url = source
        for _hop in range(self.limits.max_redirects + 1):
            async with (
                self._slots,
                self._host_slot(url),
                self._client.stream("GET", url, headers=dict(headers)) as response,
            ):
                if response.is_redirect:
                    url = self._next_hop(source, url, response.headers.get("location", ""))
                    continue
                if response.status_code >= 400:
                    reason = response.reason_phrase or ""
                    raise SourceError(
                        source,
                        f"HTTP {response.status_code} {reason}".strip(),
                        status=response.status_code,
                        headers=dict(response.headers),
                    )
                content = await self._read_capped(source, response)
                return Fetched(
                    source,
                    str(response.url),
                    content,
                    response.headers.get("content-type", ""),
                    dict(response.headers),
                    time.perf_counter() - started,
                )
        raise SourceError(source, f"more than {self.limits.max_redirects} redirects")

    def _next_hop(self, source: str, current: str, location: str) -> str:
        if not location:
            raise SourceError(source, "redirect without a Location header")
        target = urljoin(current, location)
        scheme = urlsplit(target).scheme
        if scheme not in {"http", "https"}:
            raise SourceError(source, f"redirect to a {scheme!r} URL refused")
        if urlsplit(current).scheme == "https" and scheme == "http":
            raise SourceError(source, f"redirect from https down to http refused ({target})")
        return target

    async def _read_capped(self, source: str, response: httpx.Response) -> bytes:
        cap = self.limits.max_bytes
        declared = response.headers.get("content-length", "")
        if (
            declared.isdigit()
            and int(declared) > cap
            and "content-encoding" not in response.headers
        ):
            raise SourceError(source, f"larger than the {_mib(cap)} cap ({declared} bytes)")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise SourceError(source, f"larger than the {_mib(cap)} cap")
            chunks.append(chunk)
        return b"".join(chunks)


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB"


def _describe_http_error(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"could not connect ({error or 'connection refused'})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the server broke the protocol ({error})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
