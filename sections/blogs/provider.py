"""Blog roundups, planet-style: recent posts from a list of RSS/Atom feeds.

A post is known by its canonical URL (``url:…``, the same post from a planet under a
tracking link is one post) and is featured once (``repeats = "once"``).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsletter import (
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    SourceError,
    UnsafeXML,
    Window,
    canonical_url,
    defuse,
    html_to_markdown,
)

from .entries import Entry, read_feed
from .entries import Feed as ParsedFeed
from .memo import MEMO_FILE, FeedMemo, fingerprint

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
        memo = await asyncio.to_thread(FeedMemo.load, ctx.state_folder() / MEMO_FILE)
        results = await asyncio.gather(
            *(self._read_feed(feed, options, ctx, memo) for feed in feeds)
        )
        await asyncio.to_thread(memo.save)
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

    async def _read_feed(
        self, feed: Feed, options: BlogsOptions, ctx: GatherContext, memo: FeedMemo
    ) -> list[Item]:
        import asyncio

        try:
            fetched = await ctx.fetch(feed.url)
        except SourceError as error:
            ctx.problem(feed.url, error.reason)
            return []
        key = fingerprint(fetched, feed, options, ctx.window)
        remembered = memo.recall(feed.url, key)
        if remembered is None:
            # Parsing and converting summaries is CPU work: off the event loop, so the
            # other feeds' downloads keep going meanwhile.
            remembered = await asyncio.to_thread(self._read, fetched, feed, options, ctx.window)
            memo.keep(feed.url, key, *remembered)
        items, problem = remembered
        if problem:
            ctx.problem(feed.url, problem)
        ctx.source_result(feed.url, len(items))
        return items

    def _read(
        self, fetched: Fetched, feed: Feed, options: BlogsOptions, window: Window
    ) -> tuple[list[Item], str]:
        """The feed's posts in the window, or a problem (never an exception)."""
        try:
            return self._items(fetched, feed, options, window)
        except UnsafeXML as error:
            return [], str(error)
        except Exception as error:  # RecursionError included: this feed only
            return [], f"could not parse the feed: {type(error).__name__}: {error}"

    def _items(
        self, fetched: Fetched, feed: Feed, options: BlogsOptions, window: Window
    ) -> tuple[list[Item], str]:
        # Most of a feed is older than the week: only its posts are cleaned and their
        # summaries converted (markdownify, ~2.5 ms an entry).
        parsed = read_feed(
            defuse(fetched.content), fetched.url, fetched.content_type, window.__contains__
        )
        if parsed.error:
            return [], f"could not parse the feed: {parsed.error}"
        if not parsed.is_feed:
            # An HTML page (a blog's front page, a login wall) parses "cleanly" into nothing.
            return [], "not an RSS or Atom feed (is this the blog's page rather than its feed?)"
        source = feed.name or parsed.title or feed.url
        items = [_item(entry, source, options) for entry in parsed.entries if entry.link]
        return [item for item in items if _wanted(item, options)], unusable(parsed)


def unusable(feed: ParsedFeed) -> str:
    """What leaves some of a feed's posts out (no readable date, no link); or ``""``.

    Said once per feed, so a feed whose dates are all unreadable never vanishes
    silently."""
    reasons = []
    if feed.undated:
        written = next((text for text in feed.undated if text), "")
        if len(feed.undated) < feed.total:
            why = f"a date we cannot read (e.g. {written!r})" if written else "no date"
            reasons.append(f"{_of(len(feed.undated), feed.total)} {why}")
        else:
            why = f"a date we can read (e.g. {written!r})" if written else "a date"
            reasons.append(f"none of its {feed.total} posts has {why}")
    if feed.unlinked:
        reasons.append(f"{_of(feed.unlinked, feed.total)} no link")
    return "; ".join(reasons) + ": those posts are left out" if reasons else ""


def _of(some: int, total: int) -> str:
    return f"{some} of its {total} posts {'has' if some == 1 else 'have'}"


def _item(entry: Entry, source: str, options: BlogsOptions) -> Item:
    assert entry.published is not None, "read_feed(wanted=…) gives dated entries only"
    published = entry.published
    title = entry.title or entry.link
    # Planets prefix the author to the title ("Jane Doe: My post").
    if entry.author and title.startswith(f"{entry.author}: "):
        title = title[len(entry.author) + 2 :]
    canonical = canonical_url(entry.link)
    return Item(
        id="post-" + hashlib.sha1(canonical.encode()).hexdigest()[:10],
        keys=[f"url:{canonical}"],
        title=title,
        url=entry.link,
        summary=html_to_markdown(entry.summary_html, options.summary_words, entry.base),
        author=entry.author,
        published=published,
        source=source,
        details={"canonical_url": canonical, "tags": list(entry.tags)},
        score=published.timestamp(),
    )


def _wanted(item: Item, options: BlogsOptions) -> bool:
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
