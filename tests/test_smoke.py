from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.feeds import Post, rss
from tests.servers import FeedServer


def test_draft_then_render_from_a_served_feed(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    url = server.add(
        "/feed.xml",
        rss([Post("Hello", "https://blog.example.org/hello", datetime(2026, 11, 18, tzinfo=UTC))]),
    )
    ws: Path = make_workspace(
        f"""
        [[section]]
        id = "blogs"
        title = "From the blogs"
        provider = "blogs"
        feeds = ["{url}"]
        """
    )
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    assert "Hello" in (ws / "drafts" / "2026-W47.yaml").read_text()
    result = cli("-C", ws, "render", "--format", "txt", "--out", "-")
    assert result.exit_code == 0, result.output
    assert "* Hello [1]" in result.stdout
