"""The blogs provider, driven through gather with feeds on a real local server."""

from __future__ import annotations

import asyncio
import json
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
from tests.servers import FeedServer, Route

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


def _rss_items(*items: str, channel: str = "", encoding: str = "utf-8") -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        f"<channel><title>Blog</title>{channel}{''.join(items)}</channel></rss>"
    ).encode(encoding)


def test_dates_the_fast_parser_cannot_read_still_date_their_posts(
    server: FeedServer, make_workspace: Any
) -> None:
    written = {
        "no time": "<pubDate>Wed, 18 Nov 2026</pubDate>",
        "long month": "<pubDate>18 November 2026</pubDate>",
        "swapped": "<pubDate>Wed Nov 18 2026 10:00:00 +0200</pubDate>",
        "comma": "<pubDate>18 Nov, 2026</pubDate>",
        "dcterms": "<dcterms:issued>2026-11-18T10:00:00Z</dcterms:issued>",
        "dcterms modified": "<dcterms:modified>2026-11-18T11:00:00Z</dcterms:modified>",
        "offset": "<pubDate>2026-11-18 10:00:00 +02:00</pubDate>",
    }
    feed = _rss_items(
        *(
            f"<item><title>{name}</title><link>https://a.example/{index}</link>{date}</item>"
            for index, (name, date) in enumerate(written.items())
        )
    )
    items, problems = _gather(_blogs(make_workspace, [server.add("/f.rss", feed)]))
    assert problems == []
    dates = {item.title: item.published for item in items}
    assert sorted(dates) == sorted(written)
    assert dates["swapped"] == dates["offset"] == datetime(2026, 11, 18, 8, tzinfo=UTC)
    assert dates["no time"] == datetime(2026, 11, 18, tzinfo=UTC)


def test_a_feed_in_another_language_keeps_its_posts(
    server: FeedServer, make_workspace: Any
) -> None:
    french = _rss_items(
        *(
            f"<item><title>Billet {day}</title><link>https://fr.example/{day}</link>"
            f"<pubDate>{weekday}, {day} nov. 2026 10:00:00 +0100</pubDate></item>"
            for weekday, day in (("lun.", 16), ("mar.", 17), ("mer.", 18), ("mer.", 11))
        )
    )
    items, problems = _gather(_blogs(make_workspace, [server.add("/fr.rss", french)]))
    assert [item.title for item in items] == ["Billet 18", "Billet 17", "Billet 16"]
    assert items[-1].published == datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert problems == []


def test_a_feed_whose_dates_are_all_unreadable_is_a_problem_not_silence(
    server: FeedServer, make_workspace: Any
) -> None:
    feed = _rss_items(
        *(
            f"<item><title>{n}</title><link>https://a.example/{n}</link>"
            f"<pubDate>le {n}e jour de la lune</pubDate></item>"
            for n in range(40)
        )
    )
    partly = _rss_items(
        "<item><title>dated</title><link>https://b.example/1</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate></item>",
        "<item><title>undated</title><link>https://b.example/2</link></item>",
        "<item><title>linkless</title><pubDate>Wed, 18 Nov 2026 11:00:00 GMT</pubDate></item>",
    )
    lost, partial = server.add("/lune.rss", feed), server.add("/partly.rss", partly)
    items, problems = _gather(_blogs(make_workspace, [lost, partial]))
    assert [item.title for item in items] == ["dated"]
    assert sorted(problems) == [
        f"{lost}: none of its 40 posts has a date we can read (e.g. 'le 0e jour de la lune'): "
        "those posts are left out",
        f"{partial}: 1 of its 3 posts has no date; 1 of its 3 posts has no link: "
        "those posts are left out",
    ]


def test_the_http_charset_is_honoured(server: FeedServer, make_workspace: Any) -> None:
    # No XML declaration: the bytes are windows-1252 only because the server says so.
    body = (
        "<rss version='2.0'><channel><title>Caf\u00e9</title><item><title>Caf\u00e9 "
        "\u201cquoted\u201d</title><link>https://a.example/c</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate><description>Don\u2019t "
        "panic</description></item></channel></rss>"
    ).encode("windows-1252")
    declared = {"Content-Type": "text/xml; charset=windows-1252"}
    url = server.add("/c.rss", Route(body, headers=declared))
    (item,), problems = _gather(_blogs(make_workspace, [url]))
    assert problems == []
    assert item.title == "Caf\u00e9 \u201cquoted\u201d"
    assert item.summary == "Don\u2019t panic"
    assert item.source == "Caf\u00e9"


def test_c1_smart_quotes_are_read_as_windows_1252(server: FeedServer, make_workspace: Any) -> None:
    # An ISO-8859-1 feed whose CMS wrote windows-1252 quotes: U+0092 is really "’".
    feed = _rss_items(
        "<item><title>Don\x92t stop</title><link>https://a.example/q</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<description>\x93Quoted\x94 \x96 dash</description></item>",
        encoding="iso-8859-1",
    )
    (item,), _ = _gather(_blogs(make_workspace, [server.add("/q.rss", feed)]))
    assert item.title == "Don\u2019t stop"
    assert item.summary == "\u201cQuoted\u201d \u2013 dash"


def test_relative_links_resolve_against_the_final_url_after_redirects(
    server: FeedServer, make_workspace: Any
) -> None:
    atom_feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>a</title>'
        b'<link href="/2026/11/post.html"/><updated>2026-11-18T10:00:00Z</updated>'
        b'<content type="html">&lt;a href="img/x.png"&gt;x&lt;/a&gt;</content></entry></feed>'
    )
    server.add("/blog/atom.xml", atom_feed)
    moved = server.add("/old.xml", Route(status=301, headers={"Location": "/blog/atom.xml"}))
    relative_channel = _rss_items(
        "<item><title>r</title><link>posts/r.html</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate></item>",
        channel="<link>/site/</link>",
    )
    rss_url = server.add("/feeds/r.rss", relative_channel)
    items, problems = _gather(_blogs(make_workspace, [moved, rss_url]))
    assert problems == []
    by_title = {item.title: item for item in items}
    assert by_title["a"].url == server.url("/2026/11/post.html")
    assert by_title["a"].summary == f"[x]({server.url('/blog/img/x.png')})"
    assert by_title["r"].url == server.url("/site/posts/r.html")


def test_encoded_and_rss_body_content_is_decoded(server: FeedServer, make_workspace: Any) -> None:
    base64_atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>b64</title>'
        b'<link href="https://a.example/b"/><updated>2026-11-18T10:00:00Z</updated>'
        b'<content type="text/html" mode="base64">PHA+SGVsbG8gPGI+d29ybGQ8L2I+PC9wPg==</content>'
        b"</entry></feed>"
    )
    bodies = _rss_items(
        "<item><title>xhtml</title><link>https://a.example/x</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<xhtml:body><xhtml:p>From <xhtml:em>xhtml:body</xhtml:em></xhtml:p></xhtml:body></item>",
        "<item><title>fullitem</title><link>https://a.example/f</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<fullitem>&lt;p&gt;From fullitem&lt;/p&gt;</fullitem></item>",
    )
    items, problems = _gather(
        _blogs(make_workspace, [server.add("/b.atom", base64_atom), server.add("/x.rss", bodies)])
    )
    assert problems == []
    assert {item.title: item.summary for item in items} == {
        "b64": "Hello **world**",
        "xhtml": "From *xhtml:body*",
        "fullitem": "From fullitem",
    }


def test_author_addresses_are_never_published(server: FeedServer, make_workspace: Any) -> None:
    atom_feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<author><name>Feed Owner</name><email>owner@example.org</email></author>"
        b'<entry><title>feed author</title><link href="https://a.example/1"/>'
        b"<updated>2026-11-18T10:00:00Z</updated></entry></feed>"
    )
    rss_feed = _rss_items(
        "<item><title>creator</title><link>https://a.example/2</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<dc:creator>Jane Roe (jane@example.org)</dc:creator></item>",
        "<item><title>author</title><link>https://a.example/3</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<author>jim@example.org (Jim Poe)</author></item>",
        "<item><title>address only</title><link>https://a.example/4</link>"
        "<pubDate>Wed, 18 Nov 2026 10:00:00 GMT</pubDate>"
        "<author>nobody@example.org</author></item>",
    )
    items, _ = _gather(
        _blogs(make_workspace, [server.add("/a.atom", atom_feed), server.add("/r.rss", rss_feed)])
    )
    assert {item.title: item.author for item in items} == {
        "feed author": "Feed Owner",
        "creator": "Jane Roe",
        "author": "Jim Poe",
        "address only": "",
    }


def test_an_unchanged_feed_is_not_parsed_again(server: FeedServer, make_workspace: Any) -> None:
    posts = [Post("Original", "https://a.example/1", DAY, summary="<p>one two three</p>")]
    url = server.add("/f.rss", Route(rss(posts), etag='"v1"'))
    ws = _blogs(make_workspace, [url, server.add("/gone.rss", Route(b"", status=404))])
    items, problems = _gather(ws)
    assert [i.title for i in items] == ["Original"] and len(problems) == 1
    # What the feed gave is remembered; to see that a 304 reuses it, change the memory.
    memo = ws / ".newsletter" / "sections" / "blogs" / "feeds.json"
    kept = json.loads(memo.read_text())
    assert list(kept) == [url]  # a failed fetch gave nothing to remember
    kept[url]["items"][0]["title"] = "Remembered"
    memo.write_text(json.dumps(kept))

    items, _ = _gather(ws)  # 304: the same body
    assert [(i.title, i.score) for i in items] == [("Remembered", DAY.timestamp())]

    summary_words = ws / "newsletter.toml"  # other options: parsed again
    summary_words.write_text(summary_words.read_text() + "summary_words = 2\n")
    items, _ = _gather(ws)
    assert [(i.title, i.summary) for i in items] == [("Original", "one two …")]

    posts[0].title = "Edited"  # a new body: parsed again
    server.add("/f.rss", Route(rss(posts), etag='"v2"'))
    items, _ = _gather(ws)
    assert [i.title for i in items] == ["Edited"]


def test_a_post_whose_link_has_an_impossible_port_costs_only_that_post(
    server: FeedServer, make_workspace: Any
) -> None:
    posts = [
        Post("Good", "https://a.example/good", DAY),
        Post("Bad port", "https://a.example:99999/bad", DAY + timedelta(hours=1)),
    ]
    ws = _blogs(make_workspace, [server.add("/f.rss", rss(posts))])
    items, problems = _gather(ws)
    assert [item.title for item in items] == ["Good"]
    assert problems and "no link" in problems[0]


def test_a_malformed_link_in_a_summary_costs_only_that_link(
    server: FeedServer, make_workspace: Any
) -> None:
    summary = '<p>Read <a href="//[::1/x">this</a> and <a href="/ok">that</a>.</p>'
    posts = [Post("Post", "https://a.example/post", DAY, summary=summary)]
    ws = _blogs(make_workspace, [server.add("/f.rss", rss(posts))])
    items, problems = _gather(ws)
    assert problems == []
    assert [item.title for item in items] == ["Post"]
    assert "[that](" in items[0].summary and "//[::1" not in items[0].summary
