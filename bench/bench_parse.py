"""Feed parsing: entries/s on a 2,000-entry RSS feed, ours against the parsers a user
would pick (feedparser, feedparser-rs, fastfeedparser).

"ours" is what the blogs provider does with a fetched feed: parse (feedparser-rs,
feedparser as fallback), then for every post in the week nh3-sanitize its summary,
resolve relative links, cut it and turn it into Markdown. Here all 2,000 posts are in
the week, the worst case; a real feed has most of its posts outside it, skipped
before conversion.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from common import median_seconds, note, options, ratio, seconds, table
from sample_feeds import WEEK, rss

URL = "https://blog1.example.org/feed.xml"


def pipeline(parse: Callable[[bytes], Any]) -> Callable[[bytes], int]:
    """The provider's per-feed work, with ``parse`` as the parser."""
    from zoneinfo import ZoneInfo

    from newsletter.sections.blogs.entries import Feed, entries
    from newsletter.sections.blogs.provider import BlogsOptions, _item
    from newsletter.window import week_window

    window = week_window(WEEK, ZoneInfo("UTC"))
    opts = BlogsOptions(feeds=[URL], summary_words=60)

    def run(document: bytes) -> int:
        parsed = parse(document)
        found = parsed.entries if isinstance(parsed, Feed) else entries(parsed, URL)
        items = [_item(entry, "Blog", opts) for entry in found if entry.published in window]
        return len(items)

    return run


def main() -> None:
    args = options(__doc__.splitlines()[0])
    entries, repeat = (100, 1) if args.quick else (2000, 3)
    document = rss(1, entries)

    import feedparser

    from newsletter.sections.blogs.entries import read_feed

    def by_feedparser(data: bytes) -> Any:
        return feedparser.parse(data, response_headers={"content-location": URL})

    candidates: list[tuple[str, Callable[[bytes], object], str, str]] = [
        ("feedparser 6 (what most scripts use)", by_feedparser, "yes", "yes"),
    ]
    if importlib.util.find_spec("feedparser_rs"):
        import feedparser_rs

        candidates.append(("feedparser-rs", feedparser_rs.parse, "yes", "no"))
        candidates.append(
            (
                "  read_feed: feedparser-rs, its checks, every entry read",
                lambda data: read_feed(data, URL),
                "yes",
                "yes",
            )
        )
    if importlib.util.find_spec("fastfeedparser"):
        import fastfeedparser

        candidates.append(("fastfeedparser", fastfeedparser.parse, "no", "no"))
    else:
        note("fastfeedparser is not installed (pip install -e '.[bench]'): skipped.")
    from newsletter.sanitize import html_to_markdown

    summaries = [entry.summary_html for entry in read_feed(document, URL).entries]
    candidates += [
        (
            "  nh3 + Markdown of the summaries alone",
            lambda _: [html_to_markdown(summary, 60, URL) for summary in summaries],
            "nh3",
            "yes",
        ),
        ("ours with feedparser (before)", pipeline(by_feedparser), "yes + nh3", "yes"),
        (
            "ours: blogs provider (parse + nh3 + Markdown)",
            pipeline(lambda data: read_feed(data, URL)),
            "yes + nh3",
            "yes",
        ),
    ]
    times = {
        name: median_seconds(lambda run=run: run(document), repeat, warmup=0)
        for name, run, _, _ in candidates
    }
    baseline = times[candidates[0][0]]
    rows = []
    for name, _, sanitizes, resolves in candidates:
        took = times[name]
        rows.append(
            [name, seconds(took), f"{entries / took:,.0f}", sanitizes, resolves,
             ratio(took, baseline)]
        )  # fmt: skip
    table(
        f"Parsing a {entries:,}-entry RSS feed ({len(document) / 1e6:.1f} MB), median of {repeat}",
        ["parser", "time", "entries/s", "sanitizes", "resolves relative links", "vs feedparser"],
        rows,
    )
    note(
        "fastfeedparser does no sanitizing, does not say whether a title is text or HTML "
        "and ignores xml:base, so the provider uses feedparser-rs (same dates and "
        "sanitizing as feedparser) and keeps feedparser as the fallback."
    )


if __name__ == "__main__":
    main()
