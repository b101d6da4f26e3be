"""Feeds like the ones a planet reads: HTML summaries with relative links, an image,
the odd script or event handler to sanitize, categories and an author per post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

WEEK = "2026-W10"
WEEK_START = datetime(2026, 3, 2, tzinfo=UTC)  # Monday of 2026-W10


def summary(blog: int, post: int) -> str:
    return (
        f"<p>Post {post} of blog {blog}: we <em>released</em> version 1.{post} "
        f'with <a href="/notes/{post}.html">release notes</a> and '
        f'<a href="https://docs.example.org/v1.{post}/" onclick="steal()">docs</a>.</p>'
        f'<img src="/img/{post}.png" alt="chart"><script>alert("x")</script>'
        "<ul><li>faster &amp; smaller</li><li>fixed <code>--help</code></li></ul>"
        "<p>" + " ".join(f"word{n}" for n in range(60)) + "</p>"
    )


def rss(blog: int, entries: int, weeks: int = 1) -> bytes:
    """An RSS 2.0 feed whose posts are spread evenly over the ``weeks`` weeks that end
    with 2026-W10, newest first (a blog's feed keeps its last posts, weeks old)."""
    step = timedelta(days=7 * weeks) / max(entries, 1)
    end = WEEK_START + timedelta(days=7)
    items = []
    for post in range(entries):
        published = end - step * (post + 1) + timedelta(minutes=blog % 60)
        items.append(
            "<item>"
            f"<title>Blog {blog} &amp; friends: post {post}</title>"
            f"<link>https://blog{blog}.example.org/{post}.html?utm_source=rss</link>"
            f'<guid isPermaLink="false">blog{blog}-{post}</guid>'
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<dc:creator>Author {blog}</dc:creator>"
            f"<category>release</category><category>topic{post % 5}</category>"
            f"<description>{escape(summary(blog, post))}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Blog {blog}</title><link>https://blog{blog}.example.org/</link>"
        f"<description>Blog number {blog}</description>{''.join(items)}</channel></rss>"
    ).encode()
