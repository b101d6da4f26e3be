"""Hostile drafts are reported, never run; feed text that looks like markup stays text."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from newsletter.draft.file import parse_text, validate_node
from newsletter.errors import DraftError
from newsletter.model import Draft, Item, Section
from newsletter.render.renderer import Renderer
from newsletter.sanitize import html_to_markdown
from newsletter.window import week_window
from tests.conftest import EXAMPLE

DRAFT = (EXAMPLE / "drafts" / "2011-W26.yaml").read_text("utf-8")
FIRST = re.search(r"\n( +)include: true", DRAFT)
assert FIRST is not None


def with_include(replacement: str) -> str:
    assert FIRST is not None
    indent = FIRST.group(1)
    return DRAFT[: FIRST.start()] + replacement.replace("\n", "\n" + indent) + DRAFT[FIRST.end() :]


def problems(text: str) -> list[str]:
    with pytest.raises(DraftError) as caught:
        validate_node(parse_text(text, "d.yaml"), "d.yaml")
    return caught.value.problems


def test_include_no_is_an_error_naming_the_line() -> None:
    line = DRAFT[: FIRST.start()].count("\n") + 2  # type: ignore[union-attr]
    assert problems(with_include("\ninclude: no")) == [
        f"line {line}, column 18: section 'stats', item 'All repositories': "
        "sections[0].items[0].include: write true or false, not 'no'"
    ]


@pytest.mark.parametrize(
    "tagged",
    ['!!python/object/apply:os.system ["touch {marker}"]', "!!python/name:os.system",
     '!!python/object/new:os.system ["touch {marker}"]', "!custom x"],
)  # fmt: skip
def test_python_tags_are_reported_and_never_run(tmp_path: Path, tagged: str) -> None:
    marker = tmp_path / "ran"
    (problem,) = problems(with_include("\ninclude: " + tagged.format(marker=marker)))
    assert re.match(r"line \d+, column 18: the tag \S+ is not allowed in a draft", problem)
    assert not marker.exists()


def test_duplicate_keys_are_reported_with_line_and_column() -> None:
    (problem,) = problems(with_include("\ninclude: true\ninclude: false"))
    assert re.match(
        r"line \d+, column 9: while constructing a mapping — found duplicate key", problem
    )
    assert '"include"' in problem


def test_a_tab_is_reported_with_its_line() -> None:
    text = with_include("\ninclude:\ttrue")
    line = text[: text.index("\t")].count("\n") + 1
    (problem,) = problems(text)
    assert problem.startswith(f"line {line}, column ") and "'\\t'" in problem


HOSTILE = '<mj-include path="/etc/passwd"/> {{ 7*7 }} {% raw %} {#'


def hostile_draft() -> Draft:
    when = datetime(2026, 11, 18, tzinfo=UTC)
    # As a feed delivers it: text in HTML, through the one sanitizer.
    summary = html_to_markdown(f"<p>{html.escape(HOSTILE)}</p>")
    item = Item(id="x", title=HOSTILE, url="https://a.example/x", summary=summary,
                author=HOSTILE, published=when, source="Feed")  # fmt: skip
    from zoneinfo import ZoneInfo

    window = week_window("2026-W47", ZoneInfo("UTC"), "sunday")
    section = Section(id="blogs", title="Blogs", provider="blogs", items=[item])
    other = Section(id="other", title="Other", provider="events", items=[item])
    return Draft(issue="2026-W47", title="T", window=window, sections=[section, other])


@pytest.mark.parametrize("fmt", ["html", "md", "txt"])
def test_text_that_looks_like_mjml_or_jinja_renders_literally(fmt: Any) -> None:
    out = Renderer().render(hostile_draft(), fmt)
    if fmt == "md":
        # What a Markdown reader that passes raw HTML through would show.
        out = MarkdownIt("commonmark").render(out)
    assert "49" not in out
    assert "{{ 7*7 }}" in out and "{% raw %}" in out
    if fmt == "txt":
        assert '<mj-include path="/etc/passwd"/>' in out
    else:
        assert "<mj-include" not in out and "&lt;mj-include" in out


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_plain_text_without_markup_skips_the_sanitizer_and_gives_the_same_text(
    text: str,
) -> None:
    import nh3

    from newsletter.sanitize import _CONTROL, _SPACE, plain_text

    text = text.replace("<", "").replace("&", "")
    through_nh3 = html.unescape(nh3.clean(text, tags=set())).translate(_C1)
    assert plain_text(text) == _SPACE.sub(" ", _CONTROL.sub("", through_nh3)).strip()
    # C1 "smart quotes" of a Latin-1 feed are windows-1252 text.
    assert plain_text("don\x92t \x93x\x94") == "don\u2019t \u201cx\u201d"


_C1 = {code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)}
