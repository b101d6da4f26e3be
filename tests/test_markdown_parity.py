"""HTML → Markdown through markdownify-rs and the fast word cut gives the very bytes the
former pipeline (HTMLParser cut, Python markdownify) gave: on every feed in the repo,
on hostile text, and on generated HTML."""

from __future__ import annotations

import warnings
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.sanitize import html_to_markdown
from tests import reference_markdown

ROOT = Path(__file__).resolve().parent.parent
WORDS = [None, 1, 5, 60]


def _same(fragment: str, words: int | None, base: str = "") -> None:
    with warnings.catch_warnings():  # BeautifulSoup's "looks like a URL" note
        warnings.simplefilter("ignore")
        expected = reference_markdown.html_to_markdown(fragment, words, base)
    assert html_to_markdown(fragment, words, base) == expected


def _summaries() -> list[str]:
    found = []
    for feed in sorted((ROOT / "examples" / "openstack" / "feeds").iterdir()):
        for entry in feedparser.parse(feed.read_bytes()).entries:
            found += [str(entry.get("summary", ""))]
            found += [str(c.get("value", "")) for c in entry.get("content", [])]
    return found


@pytest.mark.parametrize("words", WORDS)
def test_the_examples_feeds_convert_the_same(words: int | None) -> None:
    summaries = _summaries()
    assert len(summaries) > 10
    for summary in summaries:
        _same(summary, words, "https://blog.example.org/post/")


HOSTILE = [
    '<p>&lt;mj-include path="/etc/passwd"/&gt; {{ 7*7 }} <b onclick="x()">b</b></p>',
    "<pre><code>if a &lt; b &amp;&amp; c &gt; d: pass</code></pre><p>a &lt; b</p>",
    "<p>AT&amp;T and&nbsp;more &#60;x&#62; &#x3c;y</p><code>&lt;</code>",
    "<b>1<p>2</b>3</p><table><tr><td>x</td></tr>stray</table>",
    "<ul><li>one<li>two <a href='/x?a=1&b=2'>link &lt;3</a></ul><h1>#1</h1>",
    "<!-- c --><script>alert(1)</script><style>p{}</style>text \ufdd0 \x07 ok",
    "<p>" + "word " * 500 + "</p>",
    "<blockquote><p>q<br>line</p></blockquote>1. not a list\n- nor this",
]


@pytest.mark.parametrize("fragment", HOSTILE)
@pytest.mark.parametrize("words", WORDS)
def test_hostile_fragments_convert_the_same(fragment: str, words: int | None) -> None:
    _same(fragment, words)


TAGS = ["a", "p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li",
        "blockquote", "h1", "h3", "span", "div", "table", "td", "img", "script", "kbd"]  # fmt: skip
TEXT = ["word", "a*b", "_x_", "[l]", "&lt;x&gt;", "&amp;", "#h", "1.", "- x", "`c`", "\\",
        "  ", "\n", "é", "|", "~", "+", "!", "http://x.example/", "AT&T", "&nbsp;", "'q'",
        '"d"', "\t", "<", ">", "&", "&#60;", "\ufdd0", "\ufdd1", "1)", "***", "==", "<!--",
        "]]>", 'say href="/t"', "don\x92t", "\x81", "\x85"]  # fmt: skip


def _html(depth: int = 0) -> st.SearchStrategy[str]:
    text = st.lists(st.sampled_from(TEXT), min_size=1, max_size=6).map(" ".join)
    if depth >= 3:
        return text
    element = st.builds(
        lambda tag, href, inner: f"<{tag}{href if tag == 'a' else ''}>{inner}</{tag}>",
        st.sampled_from(TAGS),
        st.sampled_from(["", ' href="/rel?a=1&amp;b=2"', " href='https://e.example/x y'"]),
        _html(depth + 1),
    )
    return st.lists(text | element, min_size=1, max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(_html(), st.sampled_from(WORDS))
def test_generated_html_converts_the_same(fragment: str, words: int | None) -> None:
    _same(fragment, words, "https://blog.example.org/")
