"""The one place where sources are read: http(s) URLs and workspace-relative paths.

The rules every provider gets by reading through ``ctx.fetch`` (and must not work
around with its own client):

* **Deadline.** httpx has inactivity timeouts but no total deadline, so each source
  gets ``deadline`` seconds for everything: redirects, retries, waiting and the body.
* **Size.** The body is streamed and cut at ``max_bytes`` of *decoded* data, so a
  gzip bomb stops at the cap, not at the end of the bomb.
* **Redirects** are followed by hand so each hop is checked: only http/https, never
  from https down to http, at most ``max_redirects``, and never from a public host to
  a private, loopback or link-local address (a feed on the internet must not make us
  read the intranet or a cloud metadata service). A source configured on a private
  address (every address its name resolves to) may redirect within private addresses
  (the tests serve from 127.0.0.1). The address
  actually connected to is checked too, before any body is read: a name may resolve
  to a public address for our check and to a private one for the connection (DNS
  rebinding). Through a proxy from the environment the proxy connects, so only the
  names are checked. Once a redirect
  leaves the source's origin (scheme, host and port), the provider's credentials stay
  behind, as requests and httpx do: ``Authorization``, ``Cookie`` and any header named
  like a token, key or secret (GitLab's ``PRIVATE-TOKEN``).
* **Retries.** 429, 502, 503 and 504 are retried ``retries`` times with exponential
  backoff, honouring ``Retry-After``; the waits together never exceed ``retry_wait``
  seconds nor the deadline — a server asking for longer is a problem, not a hang.
* **Revalidation.** With a cache directory, the ``ETag``/``Last-Modified`` of the last
  answer are sent back and a 304 returns the stored body (``Fetched.from_cache``).
* **Per-host concurrency** is at most ``connections_per_host`` requests at a time over
  HTTP/1.1. A host that answers over HTTP/2 (negotiated by TLS ALPN) carries them all
  as streams of one connection, so once it has, its limit is the global one: a planet
  of 100 feeds on one platform costs two round trips, not seventeen.
* **Streams.** :meth:`Fetcher.open` gives a source too large for memory (a list's whole
  archive) as a seekable file: a workspace file as it is, or the body streamed to a
  temporary file, capped at ``max_stream_bytes``, under the same rules; not cached.
* **Local paths** are relative to the workspace and must stay inside it (``..``,
  absolute paths and symlinks out are refused) unless ``paths_outside_workspace``;
  only regular files are read, never devices or pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import os
import socket
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies

import httpx

from .. import __version__
from ..errors import SourceError
from ..providers import Fetched
from ..urls import SECRET_NAME, redact, split_url
from .cache import CachedResponse, ValidatorCache

USER_AGENT = f"newsletter/{__version__} (+https://pypi.org/project/newsletter/)"


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one source."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    max_stream_bytes: int = 1024 * 1024 * 1024
    """Largest body of a source read as a stream (:meth:`Fetcher.open`): it goes to a
    temporary file, never into memory."""
    max_redirects: int = 5
    connections: int = 100
    connections_per_host: int = 6
    retries: int = 2
    retry_wait: float = 30.0
    """Most seconds spent waiting between retries of one source."""
    backoff: float = 1.0
    """First wait when the server gives no Retry-After; doubles on each retry."""
    paths_outside_workspace: bool = False


RETRY_STATUSES = frozenset({429, 502, 503, 504})


Method = Literal["GET", "POST"]

FetchListener = Callable[[str, str, float, int, str | None], None]
"""Called after each fetch with (section, source, seconds, bytes, error or None)."""


def is_url(source: str) -> bool:
    try:
        return urlsplit(source).scheme in {"http", "https"}
    except ValueError:  # "http://[broken": a URL still, a malformed one (see _usable)
        return source.lower().startswith(("http:", "https:"))


def _usable(source: str, url: str) -> str:
    """``url`` (``source`` or a hop of its redirects) if it can be requested, else a
    SourceError naming it: urllib and httpx raise ValueError, or fail deep in the
    socket layer, on an unclosed bracket or a port past 65535."""
    try:
        split_url(url)
    except ValueError as error:
        raise SourceError(source, f"malformed URL {redact(url)!r}: {error}") from None
    return url


@dataclass
class _Outcome:
    """How reading one source went, for the listener."""

    started: float
    size: int = 0
    error: str | None = None


class Fetcher:
    """Reads sources for every section over one shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        workspace: Path,
        limits: Limits | None = None,
        client: httpx.AsyncClient | None = None,
        listener: FetchListener | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.workspace = workspace.resolve()
        self.limits = limits or Limits()
        self.listener = listener
        self.cache = ValidatorCache(cache_dir) if cache_dir is not None else None
        self._client = client
        self._own_client = client is None
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._multiplexed: set[str] = set()
        self._private: dict[str, tuple[bool, bool]] = {}
        # Through a proxy, the peer is the proxy: where it connects is not ours to see.
        self._peers_checked = client is not None or not getproxies()
        # Requests wait here, not in httpcore's pool, whose queue handling costs time
        # proportional to the waiting requests on every hand-off (bench/bench_gather.py).
        self._slots = asyncio.Semaphore(self.limits.connections)

    async def __aenter__(self) -> Fetcher:
        if self._client is None:
            limits = self.limits
            pool = httpx.Limits(max_connections=limits.connections)
            self._client = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                timeout=httpx.Timeout(
                    limits.read_timeout, connect=limits.connect_timeout, pool=limits.deadline
                ),
                limits=pool,
                follow_redirects=False,
                http2=True,
                # A proxy from the environment needs httpx's own transport to be used.
                transport=None if getproxies() else _HostPools(limits.connections_per_host),
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        source: str,
        *,
        section: str = "",
        headers: Mapping[str, str] | None = None,
        method: Method = "GET",
    ) -> Fetched:
        """Read ``source``; ``headers`` are sent with an http(s) request (e.g. a token).

        ``method="POST"`` (an empty body) is for the exports servers answer only to a
        POST, so crawlers leave them alone (public-inbox's mbox.gz of a search); its
        answers are never cached."""
        with self._reporting(section, source) as outcome:
            if is_url(source):
                fetched = await self._fetch_url(source, outcome.started, headers or {}, method)
            else:
                fetched = await asyncio.to_thread(self._read_path, source, outcome.started)
            outcome.size = len(fetched.content)
            return fetched

    @contextlib.asynccontextmanager
    async def open(
        self, source: str, *, section: str = "", method: Method = "GET"
    ) -> AsyncIterator[BinaryIO]:
        """``source`` as a seekable binary file, for a body too large to hold in memory
        (a list's whole mail archive): a workspace file opened where it is, or an
        http(s) body streamed to a temporary file, deleted when the block ends. The
        rules of :meth:`fetch` hold (paths, deadline, redirects, private addresses,
        retries); the size cap is ``max_stream_bytes``. Nothing is cached."""
        with self._reporting(section, source) as outcome:
            if is_url(source):
                handle = await self._stream_url(source, outcome.started, method)
            else:
                handle = await asyncio.to_thread(self._open_path, source)
            outcome.size = os.fstat(handle.fileno()).st_size
        with handle:
            yield handle

    @contextlib.contextmanager
    def _reporting(self, section: str, source: str) -> Iterator[_Outcome]:
        """Tell the listener how reading ``source`` went, however it ends."""
        outcome = _Outcome(time.perf_counter())
        try:
            yield outcome
        except SourceError as failure:
            outcome.error = failure.reason
            raise
        except Exception as failure:
            outcome.error = f"{type(failure).__name__}: {failure}"
            raise
        finally:
            if self.listener is not None:  # it shows them: never a URL's credentials
                self.listener(
                    section,
                    redact(source),
                    time.perf_counter() - outcome.started,
                    outcome.size,
                    redact(outcome.error) if outcome.error else None,
                )

    def _open_path(self, source: str) -> BinaryIO:
        path = self.local_path(source)
        if path.exists() and not path.is_file():
            raise SourceError(source, "not a regular file")
        try:
            return path.open("rb")
        except OSError as error:
            raise SourceError(source, error.strerror or str(error)) from None

    async def _stream_url(self, source: str, started: float, method: Method) -> BinaryIO:
        sink = tempfile.TemporaryFile()  # noqa: SIM115 - open() closes it
        try:
            await self._fetch_url(source, started, {}, method, sink)
            sink.seek(0)
        except BaseException:
            sink.close()
            raise
        return sink

    async def check(self, url: str, private: bool = False) -> str | None:
        """Why the link ``url`` is broken, or None when it answers.

        HEAD first, then GET when HEAD is refused (many servers mishandle HEAD), reading
        no body; the same deadline, redirect and private-address rules as ``fetch``.
        Nothing is cached. A link comes from a stranger's feed, not from the editor's
        configuration: one to a private, loopback or link-local address is not
        requested at all unless ``private`` (a feed must not make us probe the
        intranet or a cloud metadata service)."""
        try:
            if not private and is_url(url) and await self._is_private(_usable(url, url)):
                return (
                    "a private, loopback or link-local address: not requested "
                    "(subscribers cannot reach it either; [http] private_links = true "
                    "checks such links)"
                )
            async with asyncio.timeout(self.limits.deadline):
                status, reason = await self._answer(url, "HEAD")
                if status >= 400:
                    status, reason = await self._answer(url, "GET")
        except TimeoutError:
            return f"no complete answer within {self.limits.deadline:g} s"
        except SourceError as error:
            return error.reason
        except httpx.TimeoutException:
            return "timed out"
        except httpx.HTTPError as error:
            return _describe_http_error(error)
        return None if status < 400 else f"HTTP {status} {reason}".strip()

    async def _answer(self, source: str, method: str) -> tuple[int, str]:
        """The status and reason of ``method source`` after its redirects."""
        if not is_url(source):
            raise SourceError(source, "not an http(s) URL")
        url = _usable(source, source)
        public = self._peers_checked and not await self._is_private(source, every=True)
        for _ in range(self.limits.max_redirects + 1):
            async with self._request(source, method, url, public) as response:
                if not response.is_redirect:
                    return response.status_code, response.reason_phrase or ""
                location = response.headers.get("location", "")
            url = await self._next_hop(source, url, location)
        raise SourceError(source, f"more than {self.limits.max_redirects} redirects")

    def local_path(self, source: str) -> Path:
        """``source`` as a path inside the workspace, or a :class:`SourceError`."""
        if "://" in source:
            scheme = source.split("://", 1)[0]
            raise SourceError(source, f"unsupported scheme {scheme!r}: use http(s) or a path")
        path = (self.workspace / source).resolve()
        if not (self.limits.paths_outside_workspace or path.is_relative_to(self.workspace)):
            raise SourceError(
                source,
                "path outside the workspace refused "
                "(set [http] paths_outside_workspace = true to allow it)",
            )
        return path

    def _read_path(self, source: str, started: float) -> Fetched:
        try:
            with self._open_path(source) as handle:
                content = handle.read(self.limits.max_bytes + 1)
        except OSError as error:
            raise SourceError(source, error.strerror or str(error)) from None
        if len(content) > self.limits.max_bytes:
            raise SourceError(source, f"larger than the {_mib(self.limits.max_bytes)} cap")
        elapsed = time.perf_counter() - started
        # The handle's name is the resolved workspace path local_path gave.
        return Fetched(source, Path(handle.name).as_uri(), content, elapsed=elapsed, status=0)

    async def _fetch_url(
        self,
        source: str,
        started: float,
        headers: Mapping[str, str],
        method: Method,
        sink: BinaryIO | None = None,
    ) -> Fetched:
        try:
            async with asyncio.timeout(self.limits.deadline):
                return await self._follow(source, started, headers, method, sink)
        except TimeoutError:
            raise SourceError(
                source, f"no complete answer within {self.limits.deadline:g} s"
            ) from None
        except httpx.TimeoutException:
            raise SourceError(source, "timed out waiting for the server") from None
        except httpx.HTTPError as error:
            raise SourceError(source, _describe_http_error(error)) from None

    @contextlib.asynccontextmanager
    async def _request(
        self,
        source: str,
        method: str,
        url: str,
        public: bool,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """The streamed answer to ``method url`` (``source`` or a hop of its redirects),
        in its host's slot and a global one; its peer refused if private and ``public``."""
        assert self._client is not None, "use Fetcher as an async context manager"
        async with (
            self._host_slot(url),  # first: a request waiting for its host holds
            self._slots,  # no global slot that another host's request could use
            self._client.stream(method, url, headers=headers) as response,
        ):
            self._note_protocol(url, response)
            if public:
                self._refuse_private_peer(source, url, response)
            yield response

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.limits.connections_per_host)
        return self._hosts[host]

    def _note_protocol(self, url: str, response: httpx.Response) -> None:
        """Lift an HTTP/2 host's limit to the global one (its requests share one
        connection); the requests waiting for it go at once."""
        host = urlsplit(url).netloc.lower()
        if response.http_version != "HTTP/2" or host in self._multiplexed:
            return
        self._multiplexed.add(host)
        slot = self._host_slot(url)
        for _ in range(max(self.limits.connections - self.limits.connections_per_host, 0)):
            slot.release()

    async def _follow(
        self,
        source: str,
        started: float,
        headers: Mapping[str, str],
        method: Method,
        sink: BinaryIO | None = None,
    ) -> Fetched:
        """Follow ``source`` to its body: in ``Fetched.content``, or written to ``sink``
        (then not cached, and the content is empty)."""
        # The cache's file work runs in a thread: the event loop keeps every other
        # source's download going meanwhile.
        cache = self.cache if method == "GET" and sink is None else None
        cached = await asyncio.to_thread(cache.lookup, source, headers) if cache else None
        url, hops, attempt, waited = _usable(source, source), 0, 0, 0.0
        origin = _origin(source)
        public = self._peers_checked and not await self._is_private(source, every=True)
        while True:
            if _origin(url) != origin:
                headers = _without_credentials(headers)
            wait = 0.0
            request_headers = {**(cached.conditional_headers() if cached else {}), **headers}
            async with self._request(source, method, url, public, request_headers) as response:
                if response.status_code == 304 and cached is not None:
                    await response.aread()  # (nothing) read: the connection serves again
                    return self._from_cache(source, cached, started)
                if response.is_redirect:
                    hops += 1
                    if hops > self.limits.max_redirects:
                        break
                    url = await self._next_hop(source, url, response.headers.get("location", ""))
                    if response.status_code in {301, 302, 303}:
                        method = "GET"  # as browsers do; 307 and 308 keep the method
                    continue
                if response.status_code in RETRY_STATUSES and attempt < self.limits.retries:
                    wait = self._retry_wait(source, response, attempt, waited, started)
                elif response.status_code >= 400:
                    raise _status_error(source, response)
                else:
                    content = await self._read_capped(source, response, sink)
                    # The base of the source's relative links, stored in the cache and
                    # in what providers keep: never the credentials of a user:token@ URL.
                    final = redact(str(response.url))
                    if cache is not None:
                        await asyncio.to_thread(
                            cache.store, source, headers, final, response.headers, content
                        )
                    return Fetched(
                        source,
                        final,
                        content,
                        response.headers.get("content-type", ""),
                        dict(response.headers),
                        time.perf_counter() - started,
                        response.status_code,
                    )
            # Wait outside the host slot so other sources on that host go on meanwhile.
            await asyncio.sleep(wait)
            waited += wait
            attempt += 1
        raise SourceError(source, f"more than {self.limits.max_redirects} redirects")

    def _from_cache(self, source: str, cached: CachedResponse, started: float) -> Fetched:
        return Fetched(
            source,
            cached.url,
            cached.content,
            cached.content_type,
            dict(cached.headers),
            time.perf_counter() - started,
            304,
            from_cache=True,
        )

    def _retry_wait(
        self, source: str, response: httpx.Response, attempt: int, waited: float, started: float
    ) -> float:
        """Seconds to wait before retrying, or a SourceError if that is too long."""
        asked = _retry_after(response.headers.get("retry-after", ""))
        wait = asked if asked is not None else self.limits.backoff * 2**attempt
        left = min(
            self.limits.retry_wait - waited,
            self.limits.deadline - (time.perf_counter() - started) - 0.1,
        )
        if wait > left:
            raise _status_error(
                source, response, f" (asked to retry in {wait:g} s: beyond the retry budget)"
            )
        return wait

    async def _next_hop(self, source: str, current: str, location: str) -> str:
        if not location:
            raise SourceError(source, "redirect without a Location header")
        try:
            target = _usable(source, urljoin(current, location))
        except ValueError:  # urljoin's own parse: "http://[broken"
            raise SourceError(source, f"malformed redirect {redact(location)!r}") from None
        scheme = urlsplit(target).scheme
        if scheme not in {"http", "https"}:
            raise SourceError(source, f"redirect to a {scheme!r} URL refused")
        if urlsplit(current).scheme == "https" and scheme == "http":
            raise SourceError(source, f"redirect from https down to http refused ({target})")
        if not await self._is_private(source, every=True) and await self._is_private(target):
            raise SourceError(
                source, f"redirect from a public host to a private address refused ({target})"
            )
        return target

    def _refuse_private_peer(self, source: str, url: str, response: httpx.Response) -> None:
        """A SourceError if ``response`` came from a non-global address although
        ``source`` is public: its name resolved otherwise when we checked it."""
        stream = response.extensions.get("network_stream")  # httpcore's, HTTP/1.1 and 2
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and _non_global(str(peer[0])):
            raise SourceError(
                source,
                f"{urlsplit(url).hostname} answered from the private address {peer[0]} "
                "although it resolved to a public one: refused (DNS rebinding)",
            )

    async def _is_private(self, url: str, every: bool = False) -> bool:
        """Whether ``url``'s host is (or resolves to) a non-global address; with
        ``every``, whether all its addresses are. A target is refused if any address
        is private; a source is "on a private address", and may use private addresses,
        only if every one is (a name answering both is a public source).

        A name that does not resolve counts as public: connecting to it fails anyway."""
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._private:
            self._private[host] = await _resolves_private(host)
        return self._private[host][1 if every else 0]

    async def _read_capped(
        self, source: str, response: httpx.Response, sink: BinaryIO | None = None
    ) -> bytes:
        """The body, decoded, cut at the cap (``max_stream_bytes`` when it goes to
        ``sink``: then nothing is returned)."""
        cap = self.limits.max_bytes if sink is None else self.limits.max_stream_bytes
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
            if sink is None:
                chunks.append(chunk)
            else:
                sink.write(chunk)
        return b"".join(chunks)


class _HostPools(httpx.AsyncBaseTransport):
    """A connection pool per host, sharing one TLS context.

    One pool for every host costs time in proportion to its open connections on each
    request (httpcore checks each one): a hundred hosts made that the biggest CPU cost
    of a 100-feed gather. Each host's pool holds at most ``per_host`` connections, or
    one HTTP/2 connection carrying them all."""

    def __init__(self, per_host: int) -> None:
        self._limits = httpx.Limits(max_connections=per_host)
        self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncHTTPTransport] = {}

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        return httpx.create_ssl_context()  # loads the CAs (~20-30 ms): once, if needed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            if url.scheme == "https":  # HTTP/2 is negotiated in the TLS handshake
                pool = httpx.AsyncHTTPTransport(verify=self._tls, http2=True, limits=self._limits)
            else:  # a plain-http pool never shakes hands: a context without CAs will do
                plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                pool = httpx.AsyncHTTPTransport(verify=plain, limits=self._limits)
            self._pools[key] = pool
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(scheme),
    )


def _without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` without those that may carry a credential, for another origin."""
    return {name: value for name, value in headers.items() if not SECRET_NAME.search(name)}


async def _resolves_private(host: str) -> tuple[bool, bool]:
    """Whether any, and whether every, address of ``host`` is non-global."""
    if host == "localhost" or host.endswith(".localhost"):
        return True, True
    try:
        private = _non_global(host)
        return private, private
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False, False
    found = [_non_global(str(info[4][0])) for info in infos]
    return any(found), bool(found) and all(found)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: never global


def _non_global(address: str) -> bool:
    """Whether the IP ``address`` is private, loopback, link-local or otherwise not
    global. An IPv6 address carrying an IPv4 one (``::ffff:10.0.0.7``, ``::127.0.0.1``,
    NAT64's ``64:ff9b::``, 6to4's ``2002::``) is judged by the IPv4 address it reaches:
    Python 3.11 calls ``64:ff9b::7f00:1`` global. ValueError if it is no IP address."""
    ip = ipaddress.ip_address(address.partition("%")[0])  # "fe80::1%eth0": no zone
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return True
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and (ip in _NAT64 or ip in _COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not embedded.is_global:
            return True
    return not ip.is_global


def _retry_after(value: str) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _status_error(source: str, response: httpx.Response, more: str = "") -> SourceError:
    reason = f"HTTP {response.status_code} {response.reason_phrase or ''}".strip() + more
    return SourceError(source, reason, status=response.status_code, headers=dict(response.headers))


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB"


def _describe_http_error(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"could not connect ({error or 'connection refused'})"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"the server broke the protocol ({error})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
