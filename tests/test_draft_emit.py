"""The fast writer of new drafts gives the very bytes ruamel's dumper gives, or declines."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.draft.emit import Unsupported, emit
from newsletter.draft.file import draft_header, draft_node, dump
from newsletter.model import Draft, Item, Section
from tests.drafts import WINDOW

# Anything a feed could put in a field, the odd characters included: quotes, YAML
# indicators, words YAML reads as booleans or numbers, breaks, controls, emoji.
TRICKY = ["", " ", "-", "- x", "? x", ":x", "a: b", "a #b", "a#b", "'", "it's", '"q"', "true",
          "no", "12", "1_000", "0x1F", ".5", "1e3", "~", "null", "=", "<<", "2026-01-01",
          "---x", "...", "#x", "@x", "%x", "[x]", "a{b}", "a, b", "\t", "\xa0", "é", "😀",
          "\u2028", "\x85", "\ufeff", "\x07", "\\", "a\nb", "a\n\nb\n", " a\nb", "a\n",
          "x" * 1200]  # fmt: skip
text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=40),
    st.lists(st.sampled_from(TRICKY), max_size=4).map(" ".join),
)
details = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True) | text, inner, max_size=3)
    ),
    max_leaves=8,
)
items = st.builds(
    Item,
    id=st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    title=text,
    url=text,
    summary=text,
    author=text,
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
    source=text,
    include=st.booleans(),
    note=text,
    details=st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), details, max_size=4),
)


def _draft(items: list[Item], intro: str = "", title: str = "Bar Weekly") -> Draft:
    sections = [
        Section(id="blogs", title="From the blogs", provider="blogs", items=items[:2]),
        Section(id="events", title="Events", provider="events", intro=intro, items=items[2:]),
        Section(id="empty", provider="x", problems=["feed.xml: HTTP 404"]),
    ]
    return Draft(issue="2026-W47", title=title, window=WINDOW, intro=intro, sections=sections)


def _both(draft: Draft) -> tuple[str, str | None]:
    node = draft_node(draft, "drafts/2026-W47.yaml")
    try:
        fast = emit(node, draft_header(draft, "drafts/2026-W47.yaml"))
    except Unsupported:
        fast = None
    return dump(node), fast


@settings(max_examples=200, deadline=None)
@given(st.lists(items, max_size=4, unique_by=lambda item: item.id), text, text)
def test_the_fast_writer_gives_ruamels_bytes_or_declines(
    items: list[Item], intro: str, title: str
) -> None:
    slow, fast = _both(_draft(items, intro, title))
    assert fast is None or fast == slow


def test_ordinary_drafts_are_written_fast() -> None:
    posts = [
        Item(
            id=f"post-{n}",
            title=title,
            url=f"https://blog.example.org/{n}?a=1&b=2#c",
            summary="We *released* 1.2: [notes](https://e.example/n).\n\n- faster\n- smaller",
            author="Zoë O'Brien",
            published=datetime(2026, 11, 17, 9, 30, tzinfo=UTC),
            source="Planet: the blogs",
            note="" if n % 2 else "Worth a read #1",
            details={
                "tags": ["release", "topic"],
                "canonical_url": "blog.example.org/1",
                "messages": 12,
                "ratio": 0.25,
                "starter": None,
                "rows": [{"value": 3}],
            },
        )
        for n, title in enumerate(["It's out", "Release 2.0: faster", "- dash", "true", "😀 ok"])
    ]
    slow, fast = _both(_draft(posts, "Hello, *readers*.\n\nA new week.", "Bar: Weekly"))
    assert fast == slow
