"""Blog roundups, planet-style: recent posts from a list of RSS/Atom feeds.

A post is known by its canonical URL (``url:…``, the same post from a planet under a
tracking link is one post) and is featured once (``repeats = "once"``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsletter import (
    MAX_FIELD,
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    SourceError,
    UnsafeXML,
    Window,
    canonical_url,
    clean_url,
    defuse,
    html_to_markdown,
    plain_text,
)

if TYPE_CHECKING:
    from newsletter import Fetched


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="http(s) URL or a path relative to the workspace")
    name: str = Field("", description="shown as the source; defaults to the feed's title")


class BlogsOptions(ProviderOptions):
    feeds: list[str | Feed] = Field(min_length=1)
    summary_words: int = Field(60, ge=1, description="cut summaries at this many words")
    limit: int | None = Field(None, ge=1, description="keep at most this many posts")
    include_tags: list[str] = Field(default_factory=list, description="keep posts with any")
    exclude_tags: list[str] = Field(default_factory=list, description="drop posts with any")
    include_title: str | None = Field(None, description="regex a title must match")
    exclude_title: str | None = Field(None, description="regex a title must not match")

    @field_validator("include_title", "exclude_title")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return value

    def feed_list(self) -> list[Feed]:
        return [Feed(url=feed) if isinstance(feed, str) else feed for feed in self.feeds]


class BlogsProvider(SectionProvider[BlogsOptions]):
    name = "blogs"
    description = "Blog roundup: posts published in the week from RSS/Atom feeds."
    repeats = "once"

    async def gather(self, options: BlogsOptions, ctx: GatherContext) -> list[Item]:
        import asyncio  # here, not at the top: `newsletter providers` never needs it

        feeds = options.feed_list()
        results = await asyncio.gather(*(self._read_feed(feed, options, ctx) for feed in feeds))
        seen: dict[str, Item] = {}
        for items in results:
            for item in items:
                key = item.details["canonical_url"]
                earlier = seen.get(key)
                if earlier is None or _richer(item, earlier):
                    seen[key] = item
        newest_first = sorted(
            seen.values(),
            key=lambda item: item.published or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
        return newest_first[: options.limit] if options.limit else newest_first

    def sources(self, options: BlogsOptions) -> list[str]:
        return [feed.url for feed in options.feed_list()]

    async def _read_feed(self, feed: Feed, options: BlogsOptions, ctx: GatherContext) -> list[Item]:
        import asyncio

        try:
            fetched = await ctx.fetch(feed.url)
        except SourceError as error:
            ctx.problem(feed.url, error.reason)
            return []
        # Parsing and converting summaries is CPU work: off the event loop, so the other
        # feeds' downloads keep going meanwhile.
        try:
            items, problem = await asyncio.to_thread(
                self._items, fetched, feed, options, ctx.window
            )
        except UnsafeXML as error:
            ctx.problem(feed.url, str(error))
            return []
        except Exception as error:  # RecursionError included: this feed only
            ctx.problem(feed.url, f"could not parse the feed: {type(error).__name__}: {error}")
            return []
        if problem:
            ctx.problem(feed.url, problem)
        return items

    def _items(
        self, fetched: Fetched, feed: Feed, options: BlogsOptions, window: Window
    ) -> tuple[list[Item], str]:
        parsed = parse_feed(defuse(fetched.content), fetched.url, fetched.content_type)
        if parsed.get("bozo") and not parsed.entries:
            reason = parsed.get("bozo_exception") or "not an RSS or Atom feed"
            return [], f"could not parse the feed: {reason}"
        if not parsed.entries and not parsed.get("version") and not parsed.feed.get("title"):
            # An HTML page (a blog's front page, a login wall) parses "cleanly" into nothing.
            return [], "not an RSS or Atom feed (is this the blog's page rather than its feed?)"
        feed_title = plain_text(parsed.feed.get("title", "")) or feed.url
        source = feed.name or feed_title
        feed_author = _author(parsed.feed)
        items = []
        for entry in parsed.entries:
            # Most of a feed is older than the week: skip it before the costly
            # sanitize-and-convert of its summary (markdownify, ~2.5 ms an entry).
            if _published(entry) not in window:
                continue
            item = _item(entry, source, feed_author, options, fetched.url)
            if item is not None and item.published in window and _wanted(entry, item, options):
                items.append(item)
        return items, ""


# feedparser-rs takes every RSS title as HTML and sanitizes it ("Why <blink> died" comes
# out "Why died"); feedparser keeps such a title as text. Feeds whose titles hold an
# escaped or CDATA "<" are rare: they go to feedparser.
_MARKUP_IN_TITLE = re.compile(
    rb"<title[^>]*>(?:[^<]*&(?:lt|#60|#x3c);|\s*<!\[CDATA\[[^\]]*<)", re.I
)


def parse_feed(content: bytes, url: str, content_type: str = "") -> Any:
    """Parse a feed with feedparser-rs, or feedparser when feedparser-rs cannot read it
    or would read a title differently.

    feedparser-rs has feedparser's API, dates and sanitizing at ~20× the speed (bench/
    bench_parse.py); it does not resolve relative links, which ``_item`` does. Both are
    imported here, not at module level, so listing providers stays fast.
    """
    import feedparser_rs

    parsed = None
    if not _MARKUP_IN_TITLE.search(content):
        try:
            parsed = feedparser_rs.parse(content)
        except Exception:  # a crash in the fast parser must only cost speed
            parsed = None
    if parsed is not None and (parsed.entries or not parsed.bozo):
        return parsed
    import feedparser

    # Bytes, never a str: feedparser would treat a string as a path or URL to open.
    return feedparser.parse(
        content,
        response_headers={
            "content-location": url,
            "content-type": content_type or "application/xml",
        },
    )


def _item(
    entry: Any, source: str, feed_author: str, options: BlogsOptions, feed_url: str = ""
) -> Item | None:
    link = clean_url(str(entry.get("link", ""))[:MAX_FIELD])
    published = _published(entry)
    if not link or published is None:
        return None
    author = _author(entry) or feed_author
    title = _text_field(entry, "title") or link
    # Planets prefix the author to the title ("Jane Doe: My post").
    if author and title.startswith(f"{author}: "):
        title = title[len(author) + 2 :]
    content = entry.get("content") or []
    body = str(entry.get("summary") or (content[0].get("value") if content else "") or "")
    # Relative links are relative to the entry's xml:base, else to the feed's own URL.
    detail = entry.get("summary_detail") or (content[0] if content else None)
    declared = str((detail.get("base") if detail is not None else "") or "")
    base = urljoin(feed_url, declared) if declared else feed_url
    canonical = canonical_url(link)
    return Item(
        id="post-" + hashlib.sha1(canonical.encode()).hexdigest()[:10],
        keys=[f"url:{canonical}"],
        title=title,
        url=link,
        summary=html_to_markdown(body, options.summary_words, base),
        author=author,
        published=published,
        source=source,
        details={
            "canonical_url": canonical,
            "tags": sorted(
                {str(t.get("term", "")) for t in entry.get("tags", []) if t.get("term")}
            ),
        },
        score=published.timestamp(),
    )


def _text_field(entry: Any, name: str) -> str:
    value = str(entry.get(name, ""))[:MAX_FIELD]
    detail = entry.get(f"{name}_detail") or {}
    # feedparser sanitizes only HTML fields: a text/plain title is literal text,
    # to be escaped on output, not parsed as markup.
    if detail.get("type") == "text/plain":
        return " ".join(value.split())
    return plain_text(value)


def _author(entry: Any) -> str:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or ""
    return plain_text(str(name))


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = entry.get(key)
        if moment:
            year, month, day, hour, minute, second = moment[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def _wanted(entry: Any, item: Item, options: BlogsOptions) -> bool:
    tags = {tag.lower() for tag in item.details["tags"]}
    if options.include_tags and not tags & {t.lower() for t in options.include_tags}:
        return False
    if tags & {t.lower() for t in options.exclude_tags}:
        return False
    if options.include_title and not re.search(options.include_title, item.title, re.I):
        return False
    return not (options.exclude_title and re.search(options.exclude_title, item.title, re.I))


def _richer(item: Item, other: Item) -> bool:
    """Of two copies of a post, prefer the one with a named author and longer summary."""
    return (bool(item.author), len(item.summary)) > (bool(other.author), len(other.summary))
