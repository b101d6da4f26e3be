"""A draft builds with every good item and a clear problem for each bad source."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsletter.draft.file import load_draft
from tests.feeds import Post, atom, rss
from tests.servers import FeedServer, Route

WEEK = "2026-W47"
IN_WEEK = datetime(2026, 11, 18, 12, tzinfo=UTC)
LIMITS = "[http]\ntimeout = 1\ndeadline = 3\nmax_mb = 5\nmax_redirects = 3\n"


def _fifty_megabytes() -> Iterator[bytes]:
    chunk = b"<!-- padding -->" * 4096
    for _ in range(50 * 1024 * 1024 // len(chunk)):
        yield chunk


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hostile(server: FeedServer) -> dict[str, str]:
    return {
        "rss": server.add("/good.rss", rss([Post("From RSS", "https://a.example/1", IN_WEEK)])),
        "atom": server.add("/good.atom", atom([Post("From Atom", "https://b.example/2", IN_WEEK)])),
        "error": server.add("/error", Route(b"oops", status=500)),
        "silent": server.add("/silent", Route(rss([]), delay=6)),
        "huge": server.add("/huge", Route(_fifty_megabytes)),
        "not_xml": server.add("/not-xml", Route(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)),
        "loop": server.add("/loop", Route(status=302, headers={"Location": "/loop"})),
        "closed": f"http://127.0.0.1:{_closed_port()}/feed.xml",
    }


def _workspace(make_workspace: Any, urls: list[str]) -> Path:
    feeds = ", ".join(f'"{url}"' for url in urls)
    return make_workspace(
        f'[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = [{feeds}]\n', extra=LIMITS
    )


def test_bad_sources_become_problems_and_good_items_stay(
    hostile: dict[str, str], make_workspace: Any, cli: Any
) -> None:
    ws = _workspace(make_workspace, list(hostile.values()))
    result = cli("-C", ws, "draft", "--week", WEEK)
    assert result.exit_code == 0, result.output

    section = load_draft(ws / "drafts" / f"{WEEK}.yaml").sections[0]
    assert sorted(item.title for item in section.items) == ["From Atom", "From RSS"]
    by_source = {
        url: [p for p in section.problems if p.startswith(url + ":")] for url in hostile.values()
    }
    assert by_source[hostile["rss"]] == [] and by_source[hostile["atom"]] == []
    assert "HTTP 500" in by_source[hostile["error"]][0]
    assert (
        "timed out" in by_source[hostile["silent"]][0]
        or "within" in by_source[hostile["silent"]][0]
    )
    assert "5 MiB cap" in by_source[hostile["huge"]][0]
    assert "could not parse the feed" in by_source[hostile["not_xml"]][0]
    assert "redirects" in by_source[hostile["loop"]][0]
    assert "could not connect" in by_source[hostile["closed"]][0]
    assert len(section.problems) == 6, section.problems
    # The end-of-run summary names each failing source too.
    assert "Problem in blogs" in result.output and hostile["closed"] in result.output


def test_a_closed_port_is_a_problem_and_exit_0_unless_strict(
    hostile: dict[str, str], make_workspace: Any, cli: Any
) -> None:
    ws = _workspace(make_workspace, [hostile["rss"], hostile["closed"]])
    assert cli("-C", ws, "draft", "--week", WEEK).exit_code == 0
    strict = cli("-C", ws, "draft", "--week", WEEK, "--strict")
    assert strict.exit_code == 4
    draft = load_draft(ws / "drafts" / f"{WEEK}.yaml")
    assert [item.title for item in draft.sections[0].items] == ["From RSS"]


def test_a_missing_local_feed_names_the_file(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, ["feeds/missing.xml"])
    assert cli("-C", ws, "draft", "--week", WEEK).exit_code == 0
    problems = load_draft(ws / "drafts" / f"{WEEK}.yaml").sections[0].problems
    assert problems == ["feeds/missing.xml: No such file or directory"]


def test_the_user_agent_names_the_tool(server: FeedServer, make_workspace: Any, cli: Any) -> None:
    url = server.add("/ua.rss", rss([]))
    ws = _workspace(make_workspace, [url])
    cli("-C", ws, "draft", "--week", WEEK)
    agents = [headers.get("User-Agent", "") for _, path, headers in server.requests]
    assert agents and agents[0].startswith("newsletter/")
