"""Builders of RSS and Atom documents for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass
class Post:
    title: str
    link: str
    published: datetime
    summary: str = "<p>A post.</p>"
    author: str = ""
    tags: list[str] = field(default_factory=list)


def rss(posts: list[Post], title: str = "A blog") -> bytes:
    items = "".join(
        "<item>"
        f"<title>{escape(p.title)}</title><link>{escape(p.link)}</link>"
        f"<pubDate>{format_datetime(p.published)}</pubDate>"
        + (f"<dc:creator>{escape(p.author)}</dc:creator>" if p.author else "")
        + "".join(f"<category>{escape(t)}</category>" for t in p.tags)
        + f"<description>{escape(p.summary)}</description></item>"
        for p in posts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>https://blog.example.org/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


def atom(posts: list[Post], title: str = "An Atom blog", author: str = "Feed Author") -> bytes:
    entries = "".join(
        "<entry>"
        f'<title type="text">{escape(p.title)}</title><link href="{escape(p.link)}"/>'
        f"<id>{escape(p.link)}</id><updated>{p.published.isoformat()}</updated>"
        f"<published>{p.published.isoformat()}</published>"
        + (f"<author><name>{escape(p.author)}</name></author>" if p.author else "")
        + "".join(f'<category term="{escape(t)}"/>' for t in p.tags)
        + f'<summary type="html">{escape(p.summary)}</summary></entry>'
        for p in posts
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-11-20T00:00:00Z</updated>"
        f"<author><name>{escape(author)}</name></author>{entries}</feed>"
    ).encode()
