"""inert.safe_markdown: Markdown from strangers stays inert wherever it ends up,
including after a template strips, indents or quotes it, or puts it beside another
field."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.inert import Dropped, link_verdict, safe_markdown
from newsletter.urls import safe_url
from tests.inert import active_content, as_jekyll_would, template_tags
from tests.test_inert_outputs import PIECES

markdown = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join)


def reshaped(text: str) -> list[str]:
    """What templates do with a field: as it is, stripped, indented under a list item,
    quoted, and one field right after another."""
    return [
        text,
        text.strip(),
        "- **Title**\n\n" + textwrap.indent(text.strip(), "  "),
        "> " + text.strip().replace("\n", "\n> "),
    ]


@settings(max_examples=400, deadline=None)
@given(markdown, markdown)
def test_safe_markdown_stays_inert_however_a_template_reshapes_it(first: str, second: str) -> None:
    one, _ = safe_markdown(first)
    two, _ = safe_markdown(second)
    for shape in [*reshaped(one), one + "\n\n" + two, one.strip() + "\n" + two.strip()]:
        html = as_jekyll_would(shape)
        assert active_content(html) == [], (first, shape)
        assert template_tags(shape) == []


@settings(max_examples=200, deadline=None)
@given(markdown)
def test_what_is_kept_is_what_the_rule_keeps(text: str) -> None:
    out, _ = safe_markdown(text)
    again, dropped = safe_markdown(out)
    assert dropped == []  # nothing left to drop
    assert active_content(as_jekyll_would(again)) == []


def test_inert_text_comes_back_unchanged() -> None:
    for text in (
        "We **released** 2.0: [notes](https://bar.example.org/2.0).\n\n- faster\n- smaller",
        "Plain words, a [mail](mailto:a@example.org) and `code` and ![](https://i.example/a.png)",
        "```python\nx = [1](2)\n```",
    ):
        assert safe_markdown(text) == (text, [])


def test_what_is_dropped_and_why() -> None:
    text = (
        "[a](javascript:alert(1)) [b](relative/page) ![c](subscribers.csv) "
        "![d](https://pixel.wp.com/g.gif) ![e](data:image/png;base64,AAAA) ![f](https://i.example/f.png)"
    )
    out, dropped = safe_markdown(text)
    assert [(d.kind, d.url, d.why) for d in dropped] == [
        ("link", "javascript:alert(1)", "only http, https and mailto links are kept"),
        ("link", "relative/page", "relative, with nothing to resolve it against"),
        ("image", "subscribers.csv", "relative, with nothing to resolve it against"),
        ("image", "https://pixel.wp.com/g.gif", "a tracking pixel"),
        ("image", "data:image/png;base64,AAAA", "only http, https and mailto links are kept"),
    ]
    assert out == "a b c  e ![f](<https://i.example/f.png>)"
    _, none = safe_markdown("![f](https://i.example/f.png)", images=False)
    assert none == [Dropped("image", "https://i.example/f.png", "images are off in this section")]


def test_the_url_rule() -> None:
    assert safe_url("https://user:token@host.example/x.git") == "https://host.example/x.git"
    assert safe_url("HTTPS://a.example/p?q=1#f") == "https://a.example/p?q=1#f"
    assert safe_url("https://a.example/x>)<b>") == "https://a.example/x%3E)%3Cb%3E"
    assert safe_url("../b.html", base="https://a.example/x/y.html") == "https://a.example/b.html"
    bad = ["javascript:alert(1)", " javascript:x", "data:text/html,x", "file:///etc/passwd",
           "subscribers.csv", "//evil.example/x", "https://", "http://[::1", "mailto:",
           "https://a.example:99999/x"]  # fmt: skip
    assert [url for url in bad if safe_url(url) is not None] == []
    assert isinstance(link_verdict("image", "mailto:a@example.org"), Dropped)
