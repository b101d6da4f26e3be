"""HTML → Markdown: a post's summary as the draft gets it (sanitized, cut at 60 words,
converted), ours against the pipeline it replaced (goal ≥ 5× on big posts, same bytes).

"before" is tests/reference_markdown.py: nh3 resolving links in a Python callback,
HTMLParser cutting the whole sanitized body, markdownify over BeautifulSoup. "ours"
is newsletter.sanitize.html_to_markdown: nh3 alone, a cut that stops at the limit,
links resolved in the part kept, markdownify-rs. Every output is checked equal.
"""

from __future__ import annotations

import sys
import warnings

from common import ROOT, median_seconds, options, seconds, table
from sample_feeds import summary

sys.path.insert(0, str(ROOT))  # tests.reference_markdown

GOAL = 5.0
BASE = "https://blog.example.org/2026/03/post.html"


def post(kib: int) -> str:
    """A long post as blogs publish them: paragraphs, links, lists, code."""
    block = (
        '<p>We <em>released</em> version 1.2 with <a href="/notes.html">notes</a> &amp; '
        "<code>fixes</code> for <strong>everyone</strong>; see the &lt;docs&gt;.</p>"
        '<ul><li>faster</li><li><a href="https://docs.example.org/">smaller</a></li></ul>'
        "<pre><code>x = 1 &lt; 2\n</code></pre>"
    )
    return "<div>" + block * (kib * 1024 // len(block) + 1) + "</div>"


def main() -> None:
    args = options(__doc__.splitlines()[0])
    sizes, repeat = ([1, 20], 3) if args.quick else ([1, 20, 100, 200], 15)
    from newsletter.sanitize import html_to_markdown
    from tests.reference_markdown import html_to_markdown as before

    warnings.simplefilter("ignore")  # BeautifulSoup's notes about URL-like text
    cases = [("a feed's summary", summary(1, 1))]
    cases += [(f"a {kib} KiB post", post(kib)) for kib in sizes if kib > 1]
    rows = []
    for name, html in cases:
        assert html_to_markdown(html, 60, BASE) == before(html, 60, BASE), name
        assert html_to_markdown(html, None, BASE) == before(html, None, BASE), name
        old = median_seconds(lambda html=html: before(html, 60, BASE), repeat)
        new = median_seconds(lambda html=html: html_to_markdown(html, 60, BASE), repeat)
        speedup = old / new
        big = len(html) > 16 * 1024
        verdict = (f"≥ {GOAL:.0f}×: {'met' if speedup >= GOAL else '**missed**'}"
                   if big else "")  # fmt: skip
        rows.append([name, f"{len(html) / 1024:.0f} KiB", seconds(old), seconds(new),
                     f"{speedup:.1f}×", "yes", verdict])  # fmt: skip
    table(
        f"HTML → Markdown, cut at 60 words, median of {repeat}",
        ["input", "size", "before", "ours", "faster", "same bytes", "goal"],
        rows,
    )


if __name__ == "__main__":
    main()
