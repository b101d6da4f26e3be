"""The Fetcher's discipline: retries, revalidation, redirects, paths, per-host limits."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.errors import SourceError
from newsletter.gather.fetch import Fetched, Fetcher, Limits
from newsletter.urls import redact
from tests.h2server import H2Server
from tests.hostile import PUBLIC, Reroute
from tests.servers import FeedServer, Route


def fetch(
    workspace: Path, source: str, client: httpx.AsyncClient | None = None, **limits: Any
) -> Fetched:
    async def go() -> Fetched:
        async with Fetcher(
            workspace, Limits(**limits), client=client, cache_dir=workspace / "cache"
        ) as fetcher:
            return await fetcher.fetch(source)

    return asyncio.run(go())


def failure(workspace: Path, source: str, **kwargs: Any) -> str:
    with pytest.raises(SourceError) as caught:
        fetch(workspace, source, **kwargs)
    return caught.value.reason


def test_a_503_is_retried_after_the_servers_retry_after(server: FeedServer, tmp_path: Path) -> None:
    url = server.add(
        "/feed", Route(status=503, headers={"Retry-After": "0"}, then=Route(b"<rss/>"))
    )
    assert fetch(tmp_path, url).content == b"<rss/>"
    assert len(server.requests) == 2


def test_a_retry_after_beyond_the_budget_fails_at_once(server: FeedServer, tmp_path: Path) -> None:
    url = server.add(
        "/feed", Route(status=429, headers={"Retry-After": "120"}, then=Route(b"<rss/>"))
    )
    reason = failure(tmp_path, url, retry_wait=30)
    assert reason.startswith("HTTP 429")
    assert "retry in 120 s" in reason
    assert len(server.requests) == 1


def test_retries_are_bounded(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/feed", Route(status=502))
    assert failure(tmp_path, url, retries=2, backoff=0.01).startswith("HTTP 502")
    assert len(server.requests) == 3


def test_a_404_is_not_retried(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/feed", Route(status=404))
    assert failure(tmp_path, url, backoff=0.01).startswith("HTTP 404")
    assert len(server.requests) == 1


def test_an_unchanged_feed_costs_a_304(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/feed", Route(b"<rss>one</rss>", etag='"v1"'))
    first = fetch(tmp_path, url)
    second = fetch(tmp_path, url)
    assert (first.status, first.from_cache) == (200, False)
    assert (second.status, second.from_cache, second.content) == (304, True, b"<rss>one</rss>")
    assert server.requests[1][2].get("If-None-Match") == '"v1"'


def test_last_modified_is_sent_back(server: FeedServer, tmp_path: Path) -> None:
    stamp = "Wed, 18 Nov 2026 10:00:00 GMT"
    url = server.add("/feed", Route(b"<rss/>", headers={"Last-Modified": stamp}))
    fetch(tmp_path, url)
    fetch(tmp_path, url)
    assert server.requests[1][2].get("If-Modified-Since") == stamp


def test_a_corrupt_cache_entry_is_ignored(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/feed", Route(b"<rss>one</rss>", etag='"v1"'))
    fetch(tmp_path, url)
    for body in (tmp_path / "cache").glob("*.body"):
        body.write_bytes(b"half a bo")
    again = fetch(tmp_path, url)
    assert (again.status, again.content) == (200, b"<rss>one</rss>")
    assert "If-None-Match" not in server.requests[1][2]


def test_a_cache_that_cannot_be_written_costs_no_answer(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/feed", Route(b"<rss>one</rss>", etag='"v1"'))
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    assert fetch(tmp_path, url).content == b"<rss>one</rss>"
    assert fetch(tmp_path, url).status == 200  # nothing was kept, so nothing revalidates


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:{port}/secret", "http://169.254.169.254/latest/meta-data/",
     "http://10.0.0.7/admin", "http://localhost:{port}/secret"],
)  # fmt: skip
def test_a_public_host_cannot_redirect_to_a_private_address(
    server: FeedServer, tmp_path: Path, location: str
) -> None:
    port = server.server_address[1]
    server.add("/secret", b"intranet")
    server.add("/feed", Route(status=302, headers={"Location": location.format(port=port)}))

    async def go() -> str:
        async with httpx.AsyncClient(transport=Reroute(server)) as client:
            with pytest.raises(SourceError) as caught:
                async with Fetcher(tmp_path, client=client) as fetcher:
                    await fetcher.fetch(f"http://{PUBLIC}/feed")
            return caught.value.reason

    assert "to a private address refused" in asyncio.run(go())
    assert [path for _, path, _ in server.requests] == ["/feed"]


def test_a_name_answering_public_and_private_addresses_is_a_public_source(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a source all of whose addresses are private may use private addresses: a
    name that also answers a public one (a stranger's DNS) may not lead into them."""
    import socket

    resolve = socket.getaddrinfo

    def dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 80))
                    for address in (PUBLIC, "10.0.0.7")]  # fmt: skip
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    port = server.server_address[1]
    server.add("/secret", b"intranet")
    server.add("/feed", Route(status=302, headers={"Location": f"http://127.0.0.1:{port}/secret"}))

    async def go() -> str:
        async with httpx.AsyncClient(transport=Reroute(server, host="mixed.example")) as client:
            with pytest.raises(SourceError) as caught:
                async with Fetcher(tmp_path, client=client) as fetcher:
                    await fetcher.fetch("http://mixed.example/feed")
            return caught.value.reason

    assert "to a private address refused" in asyncio.run(go())
    assert [path for _, path, _ in server.requests] == ["/feed"]


def test_a_public_host_may_redirect_to_a_public_one(server: FeedServer, tmp_path: Path) -> None:
    server.add("/new", b"<rss/>")
    server.add("/feed", Route(status=301, headers={"Location": f"http://{PUBLIC}/new"}))

    async def go() -> bytes:
        async with (
            httpx.AsyncClient(transport=Reroute(server)) as client,
            Fetcher(tmp_path, client=client) as fetcher,
        ):
            return (await fetcher.fetch(f"http://{PUBLIC}/feed")).content

    assert asyncio.run(go()) == b"<rss/>"


def test_a_private_host_may_redirect_within_private_addresses(
    server: FeedServer, tmp_path: Path
) -> None:
    server.add("/new", b"<rss/>")
    url = server.add("/feed", Route(status=301, headers={"Location": server.url("/new")}))
    assert fetch(tmp_path, url).content == b"<rss/>"


def test_redirects_are_limited(server: FeedServer, tmp_path: Path) -> None:
    url = server.add("/loop", Route(status=302, headers={"Location": "/loop"}))
    assert failure(tmp_path, url, max_redirects=3) == "more than 3 redirects"
    assert len(server.requests) == 4


@pytest.mark.parametrize("source", ["../outside.xml", "/etc/passwd", "feeds/../../outside.xml"])
def test_local_paths_stay_inside_the_workspace(tmp_path: Path, source: str) -> None:
    (tmp_path / "outside.xml").write_text("<rss/>")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert "outside the workspace refused" in failure(workspace, source)


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.xml").write_text("<rss/>")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "feed.xml").symlink_to(tmp_path / "outside.xml")
    assert "outside the workspace refused" in failure(workspace, "feed.xml")


def test_paths_outside_the_workspace_when_allowed(tmp_path: Path) -> None:
    (tmp_path / "outside.xml").write_text("<rss/>")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    fetched = fetch(workspace, "../outside.xml", paths_outside_workspace=True)
    assert fetched.content == b"<rss/>"


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    assert failure(tmp_path, "feeds") == "not a regular file"


def test_requests_to_one_host_are_limited(server: FeedServer, tmp_path: Path) -> None:
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def slow() -> Iterator[bytes]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        yield b"<rss/>"

    url = server.add("/slow", Route(slow))

    async def go() -> None:
        async with Fetcher(tmp_path, Limits(connections_per_host=2)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(f"{url}?{n}") for n in range(6)))

    asyncio.run(go())
    assert state["most"] == 2


def test_an_http2_host_gets_its_requests_at_once_over_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = H2Server(tmp_path, delay=0.3).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))  # trust its throwaway CA

    async def go() -> list[Fetched]:
        async with Fetcher(tmp_path, Limits(connections_per_host=2)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(server.url(f"/{n}")) for n in range(12)))

    try:
        fetched = asyncio.run(go())
    finally:
        server.stop()
    assert [f.content for f in fetched] == [b"<rss/>"] * 12
    assert set(server.protocols) == {"2"} and len(server.clients) == 1
    # Two at first (it might have been HTTP/1.1); once it answered over HTTP/2, the ten
    # others at once, as streams of the same connection.
    assert server.most_busy == 10


def test_open_gives_a_seekable_file_under_the_same_rules(
    server: FeedServer, tmp_path: Path
) -> None:
    (tmp_path / "a.mbox").write_bytes(b"local bytes")
    (tmp_path.parent / "outside.mbox").write_bytes(b"secret")
    url = server.add("/big", Route(b"x" * 5000))

    async def go(source: str, **limits: Any) -> bytes:
        async with (
            Fetcher(tmp_path, Limits(**limits)) as fetcher,
            fetcher.open(source) as stream,
        ):
            stream.seek(4)
            return stream.read(3)

    assert asyncio.run(go("a.mbox")) == b"l b"
    assert asyncio.run(go(url, max_bytes=100)) == b"xxx"  # streamed: max_bytes is for memory
    for source, limits, why in [
        ("../outside.mbox", {}, "path outside the workspace refused"),
        (".", {}, "not a regular file"),
        (url, {"max_stream_bytes": 1000}, "larger than the"),
        (server.url("/missing"), {}, "HTTP 404"),
    ]:
        with pytest.raises(SourceError) as caught:
            asyncio.run(go(source, **limits))
        assert why in caught.value.reason, source


@pytest.mark.parametrize("location", ["http://127.0.0.1:99999/feed", "http://:70000/"])
def test_a_redirect_to_a_malformed_url_is_a_source_error(
    server: FeedServer, tmp_path: Path, location: str
) -> None:
    url = server.add("/feed", Route(status=302, headers={"Location": location}))
    assert failure(tmp_path, url).startswith(f"malformed URL {location!r}")

    async def check() -> str | None:
        async with Fetcher(tmp_path) as fetcher:
            return await fetcher.check(url, private=True)  # the server is local

    assert (asyncio.run(check()) or "").startswith(f"malformed URL {location!r}")


@pytest.mark.parametrize("source", ["http://[::1/feed", "https://a.example:99999/feed"])
def test_a_malformed_source_url_is_a_source_error(tmp_path: Path, source: str) -> None:
    assert failure(tmp_path, source).startswith(f"malformed URL {source!r}")


def test_the_final_url_and_the_cache_hold_no_credentials(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.add("/feed", Route(b"<rss/>", etag='"v1"')).replace("://", "://ann:s3cret@")
    fetched = fetch(tmp_path, url)
    assert server.requests[0][2].get("Authorization", "").startswith("Basic ")  # still sent
    assert fetched.url == redact(url) and "s3cret" not in fetched.url
    assert "s3cret" not in fetch(tmp_path, url).url  # revalidated from the cache
    for stored in (tmp_path / "cache").iterdir():
        assert b"s3cret" not in stored.read_bytes()


@pytest.mark.parametrize(
    "host",
    ["[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]",
     "[64:ff9b:1::a00:7]", "[2002:7f00:1::1]", "[2002:a9fe:a9fe::]", "[2002:a00:7::1]"],
)  # fmt: skip
def test_an_ipv6_address_carrying_a_private_ipv4_one_is_private(tmp_path: Path, host: str) -> None:
    """Mapped, IPv4-compatible, NAT64 and 6to4 addresses reach the IPv4 address inside:
    loopback, the metadata service, the intranet."""

    async def go() -> str | None:
        async with Fetcher(tmp_path, Limits(connect_timeout=1, deadline=2)) as fetcher:
            return await fetcher.check(f"http://{host}/latest/meta-data/")

    assert "a private, loopback or link-local address: not requested" in (asyncio.run(go()) or "")


def test_an_ipv6_address_carrying_a_public_ipv4_one_stays_public() -> None:
    from newsletter.gather.fetch import _non_global

    for address in ("::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1"):
        assert not _non_global(address), address
    assert _non_global("fe80::1%eth0")


def test_a_public_name_answering_from_a_private_address_is_refused(
    server: FeedServer, tmp_path: Path
) -> None:
    """DNS rebinding: the name resolved to a public address when the fetcher checked it
    and to 127.0.0.1 when httpx connected. The address connected to is what counts."""
    server.add("/secret", b"intranet")
    server.add("/feed", Route(status=302, headers={"Location": "/secret"}))

    async def go(source: str, rebinding: bool) -> tuple[str, str | None]:
        async with (
            httpx.AsyncClient(transport=Reroute(server, rebinding=rebinding)) as client,
            Fetcher(tmp_path, client=client) as fetcher,
        ):
            try:
                content = (await fetcher.fetch(source)).content.decode()
            except SourceError as error:
                content = error.reason
            return content, await fetcher.check(source)

    refused = f"{PUBLIC} answered from the private address 127.0.0.1"
    for source in (f"http://{PUBLIC}/secret", f"http://{PUBLIC}/feed"):
        fetched, checked = asyncio.run(go(source, rebinding=True))
        assert refused in fetched and "DNS rebinding" in fetched
        assert refused in (checked or "")
        assert asyncio.run(go(source, rebinding=False)) == ("intranet", None)  # a real route
    # The redirect from the private peer was not followed.
    assert [path for _, path, _ in server.requests][4:6] == ["/feed", "/feed"]
