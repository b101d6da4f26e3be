"""The blogs provider, driven through gather with feeds on a real local server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsletter.config import load_config
from newsletter.gather.run import gather
from newsletter.model import Item
from newsletter.registry import ProviderRegistry
from newsletter.sections.blogs.provider import BlogsProvider
from newsletter.state import StateStore
from newsletter.window import week_window
from tests.feeds import Post, atom, rss
from tests.servers import FeedServer

WEEK = "2026-W47"
DAY = datetime(2026, 11, 16, 9, tzinfo=UTC)


def _gather(ws: Path) -> tuple[list[Item], list[str]]:
    registry = ProviderRegistry([BlogsProvider])
    config = load_config(ws / "newsletter.toml", registry)
    window = week_window(WEEK, config.tz)
    with StateStore(ws / ".newsletter" / "state.db") as state:
        result = asyncio.run(gather(config, window, registry, state))
    section = result.draft.sections[0]
    return section.items, section.problems


def _blogs(make_workspace: Any, feeds: list[str], options: str = "", name: str = "ws") -> Path:
    listed = ", ".join(f'"{feed}"' for feed in feeds)
    return make_workspace(
        f'[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = [{listed}]\n{options}\n',
        name=name,
    )


def test_only_posts_inside_the_window_newest_first(server: FeedServer, make_workspace: Any) -> None:
    posts = [
        Post("Before", "https://a.example/before", DAY - timedelta(hours=10)),
        Post("Monday", "https://a.example/monday", DAY),
        Post("Sunday", "https://a.example/sunday", DAY + timedelta(days=6, hours=14)),
        Post("Next week", "https://a.example/next", DAY + timedelta(days=7)),
    ]
    ws = _blogs(make_workspace, [server.add("/f.rss", rss(posts))])
    items, problems = _gather(ws)
    assert [item.title for item in items] == ["Sunday", "Monday"]
    assert problems == []


def test_the_same_post_in_several_feeds_appears_once(
    server: FeedServer, make_workspace: Any
) -> None:
    first = rss([Post("Post", "http://www.a.example/post/", DAY, author="Ann")], title="Ann's")
    planet = rss(
        [Post("Post", "https://a.example/post?utm_source=planet&utm_medium=rss#comments", DAY)],
        title="Planet",
    )
    ws = _blogs(make_workspace, [server.add("/a.rss", first), server.add("/p.rss", planet)])
    items, _ = _gather(ws)
    assert len(items) == 1
    assert items[0].author == "Ann"  # the richer copy wins
    assert "utm_" not in items[0].url


def test_summaries_are_sanitized_cut_and_markdown(server: FeedServer, make_workspace: Any) -> None:
    hostile = (
        '<p>Hello <script>alert("x")</script><b onclick="steal()">bold</b> '
        '<a href="javascript:alert(1)">js</a> <a href="https://ok.example/">ok link</a>'
        '<iframe src="https://evil.example/"></iframe> one two three four five six</p>'
    )
    ws = _blogs(
        make_workspace,
        [server.add("/f.rss", rss([Post("T", "https://a.example/t", DAY, summary=hostile)]))],
        "summary_words = 8",
    )
    (item,), _ = _gather(ws)
    assert item.summary == "Hello **bold** js [ok link](https://ok.example/) one two three …"
    for bad in ("script", "alert", "onclick", "javascript", "iframe", "evil"):
        assert bad not in item.summary


def test_author_falls_back_to_the_feed_and_text_titles_stay_literal(
    server: FeedServer, make_workspace: Any
) -> None:
    posts = [Post("<script>x</script> & friends", "https://a.example/x", DAY)]
    ws = _blogs(make_workspace, [server.add("/f.atom", atom(posts, author="Feed Person"))])
    (item,), _ = _gather(ws)
    assert item.author == "Feed Person"
    assert item.title == "<script>x</script> & friends"  # text, escaped when rendered


def test_tag_and_title_filters_and_limit(server: FeedServer, make_workspace: Any) -> None:
    posts = [
        Post("Release 1.0", "https://a.example/1", DAY, tags=["release"]),
        Post("Sponsored: buy", "https://a.example/2", DAY + timedelta(hours=1), tags=["release"]),
        Post("Holiday", "https://a.example/3", DAY + timedelta(hours=2), tags=["personal"]),
        Post("Release 2.0", "https://a.example/4", DAY + timedelta(hours=3), tags=["Release"]),
        Post("Release 3.0", "https://a.example/5", DAY + timedelta(hours=4), tags=["release"]),
    ]
    options = 'include_tags = ["release"]\nexclude_title = "^sponsored"\nlimit = 2'
    ws = _blogs(make_workspace, [server.add("/f.rss", rss(posts))], options)
    items, _ = _gather(ws)
    assert [item.title for item in items] == ["Release 3.0", "Release 2.0"]
    ws2 = _blogs(
        make_workspace, [server.add("/g.rss", rss(posts))], 'exclude_tags = ["personal"]', "ws2"
    )
    assert "Holiday" not in [item.title for item in _gather(ws2)[0]]


def test_item_ids_are_stable_across_runs(server: FeedServer, make_workspace: Any) -> None:
    ws = _blogs(
        make_workspace,
        [server.add("/f.rss", rss([Post("T", "https://a.example/t", DAY)]))],
    )
    first, _ = _gather(ws)
    second, _ = _gather(ws)
    assert [i.id for i in first] == [i.id for i in second]
    assert first[0].id.startswith("post-")


def test_an_html_page_instead_of_a_feed_is_a_problem(
    server: FeedServer, make_workspace: Any
) -> None:
    page = server.add(
        "/blog/",
        b"<!doctype html><html><head><title>My blog</title></head><body><p>Hi</p></body></html>",
    )
    empty = server.add("/empty.rss", rss([]))
    items, problems = _gather(_blogs(make_workspace, [page, empty]))
    assert items == []
    assert problems == [
        f"{page}: not an RSS or Atom feed (is this the blog's page rather than its feed?)"
    ]
