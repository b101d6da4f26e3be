"""Hostile drafts are reported, never run; feed text that looks like markup stays text."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from newsletter.cli.environment import Environment
from newsletter.draft.file import parse_text, validate_node
from newsletter.errors import DraftError
from newsletter.model import Draft, Item, Section
from newsletter.render.renderer import Renderer
from newsletter.sanitize import html_to_markdown
from newsletter.window import week_window
from tests.conftest import EXAMPLE
from tests.drafts import item, sample_draft, write_sample

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
    assert re.match(r"line \d+, column 18: the tag \S+ is not allowed \(it is never run\)", problem)
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


# ---------------------------------------------------------------- one character stops the issue

CONTROLS = "\x1b\x00\x07\x0b\x0c\x7f\x81\x9d\u202e\u2066\ud800"  # \x81, \x9d: not cp1252


def controlled_workspace(make_workspace: Any) -> Path:
    """An event whose summary and a mail whose subject carry control characters and a
    bidi override, each in its own section."""
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:e1\n"
        "DTSTART:20261125T180000Z\nSUMMARY:Meetup \x1b[31mred\x00 \u202eevil\u202c\n"
        "DESCRIPTION:Bring \x1bfriends\x07\nEND:VEVENT\nEND:VCALENDAR\n"
    ).replace("\n", "\r\n")
    message = EmailMessage()
    message["From"] = "Ann <ann@example.org>"
    message["Subject"] = "Release \x1b[1m2.0\x1b[0m \u202eout"
    message["Date"] = "Wed, 18 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = "<rel@example.org>"
    message.set_content("Bar 2.0 is out\x1b: https://bar.example.org/2.0\n")
    archive = b"From ann@example.org Wed Nov 18 10:00:00 2026\n" + message.as_bytes() + b"\n"
    return make_workspace(
        """
        [[section]]
        id = "events"
        provider = "events"
        calendars = ["events.ics"]

        [[section]]
        id = "lists"
        provider = "mailing_lists"
        [[section.lists]]
        name = "dev"
        url = "dev.mbox"
        """,
        files={"events.ics": calendar.encode(), "dev.mbox": archive},
    )


def test_control_characters_from_sources_never_stop_the_issue(
    make_workspace: Any, cli: Any
) -> None:
    workspace = controlled_workspace(make_workspace)
    assert cli("-C", workspace, "draft", "--week", "2026-W47").exit_code == 0
    draft = (workspace / "drafts" / "2026-W47.yaml").read_text("utf-8")
    assert "Meetup [31mred evil" in draft and "Release [1m2.0[0m out" in draft

    result = cli("-C", workspace, "render")

    assert result.exit_code == 0, result.output
    for output in (workspace / "out").iterdir():
        text = output.read_text("utf-8")
        assert not any(char in text for char in CONTROLS), output
        assert "Meetup" in text and "Release" in text


def test_control_characters_typed_into_the_draft_never_stop_the_issue() -> None:
    draft = hostile_draft()
    item = draft.sections[0].items[0]
    item.title = f"Title{CONTROLS}."
    item.summary = f"Summary{CONTROLS}."
    item.details = {"when": f"Now{CONTROLS}."}
    for fmt in ("html", "md", "txt"):
        out = Renderer().render(draft, fmt)  # type: ignore[arg-type]
        assert "Title." in out and "Summary." in out
        assert not any(char in out for char in CONTROLS)


def test_a_render_failure_names_its_section_and_item(make_workspace: Any, cli: Any) -> None:
    # A workspace partial that fails for one item only (a division by zero in its data).
    partial = (
        "{% for item in section.included %}<mj-text>{{ 100 // item.details.get('n', 1) }}"
        "</mj-text>{% endfor %}"
    )
    workspace = make_workspace(files={"templates/email/sections/blogs.mjml.j2": partial})
    items = [item(1), item(2, details={"n": 0}), item(3)]
    write_sample(
        workspace,
        sample_draft(sections=[Section(id="blogs", title="B", provider="blogs", items=items)]),
    )

    result = cli("-C", workspace, "render", "--format", "html")

    assert result.exit_code == 8
    said = " ".join(result.output.split())
    assert "section 'blogs', item 'i2' ('Item 2')" in said
    assert "blogs.mjml.j2:1: ZeroDivisionError" in said


# ---------------------------------------------------------------- markup in logs


def test_markup_in_a_submission_is_printed_as_it_is(make_workspace: Any, cli: Any) -> None:
    workspace = make_workspace(
        """
        [[section]]
        id = "inbox"
        provider = "inbox"
        submissions = "submissions"
        """,
        files={
            "submissions/a.md": '---\nsection: "[/]"\ntitle: "[bold red]Error:[/] fake"\n---\nHi\n',
            "submissions/b.md": '---\nsection: "[link=https://evil.example]x"\ntitle: T\n---\n',
        },
    )

    result = cli("-C", workspace, "draft", "--week", "2026-W47")
    status = cli("-C", workspace, "status")

    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "names section '[/]', which is not configured" in said
    assert "'[link=https://evil.example]x'" in said
    assert status.exit_code == 0 and "names section '[/]'" in status.output


def test_no_console_reads_markup() -> None:
    env = Environment(stdout=io.StringIO(), stderr=io.StringIO())
    for console in (env.out, env.err, env.final):
        console.print("[bold red]x[/] [/]")
    assert env.stdout.getvalue() == "[bold red]x[/] [/]\n"  # type: ignore[attr-defined]
    assert env.stderr.getvalue() == "[bold red]x[/] [/]\n" * 2  # type: ignore[attr-defined]


def test_no_command_writes_rich_markup() -> None:
    # Colours are rich Text styles; a "[red]…[/]" string would print literally now.
    cli_code = Path(__file__).resolve().parent.parent / "newsletter" / "cli"
    pattern = re.compile(r"\[/?(?:bold|red|green|yellow|dim|cyan|blue|magenta)\b[^\]]*\]|\[/\]")
    offending = [
        f"{path.name}:{number}"
        for path in cli_code.rglob("*.py")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if pattern.search(line) and "``" not in line
    ]
    assert offending == []


# ---------------------------------------------------------------- YAML bombs and tags

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else 'lol'}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


@pytest.mark.parametrize("command", ["render", "status", "approve", "lint"])
def test_an_alias_bomb_in_the_draft_is_refused_at_its_anchor(
    make_workspace: Any, cli: Any, command: str
) -> None:
    workspace = make_workspace()
    path = write_sample(workspace)
    path.write_text(path.read_text("utf-8") + BOMB, "utf-8")
    line = path.read_text("utf-8").splitlines().index(BOMB.splitlines()[0]) + 1

    result = cli("-C", workspace, command, *(["--no-links"] if command == "lint" else []), path)

    assert result.exit_code == 7
    said = " ".join(result.output.split())
    assert f"line {line}, column 4: an anchor (&a) is not allowed" in said


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("!!binary aGVsbG8=", "the tag !!binary is not allowed"),
        ("!!set {a, b}", "the tag !!set is not allowed"),
        ("!!timestamp 2026-11-18", "the tag !!timestamp is not allowed"),
        ("*nothing", "quote the note"),  # anchors are refused, so an alias is a slip
        ("[" * 200 + "]" * 200, "nested more than 64 levels deep"),
    ],
)
def test_non_standard_yaml_in_the_draft_is_refused(value: str, why: str) -> None:
    (problem,) = problems(with_include(f"\ninclude: true\nnote: {value}"))
    assert re.match(r"line \d+(, column \d+)?: ", problem) and why in problem


def test_an_alias_bomb_in_a_submission_is_a_problem_on_it_alone(
    make_workspace: Any, cli: Any
) -> None:
    workspace = make_workspace(
        """
        [[section]]
        id = "inbox"
        provider = "inbox"
        submissions = "submissions"
        """,
        files={
            "submissions/bomb.md": f"---\ntitle: Bomb\n{BOMB}---\nBoom\n",
            "submissions/good.md": "---\ntitle: Good\n---\nFine\n",
        },
    )
    result = cli("-C", workspace, "draft", "--week", "2026-W47")
    assert result.exit_code == 0
    draft = (workspace / "drafts" / "2026-W47.yaml").read_text("utf-8")
    assert "title: Good" in draft
    assert "submissions/bomb.md: front matter is not valid YAML" in draft
    assert "an anchor (&a) is not allowed" in draft


# ---------------------------------------------------------------- the draft names files


@pytest.mark.parametrize("command", ["render", "publish"])
def test_an_issue_name_that_is_a_path_is_refused(
    make_workspace: Any, cli: Any, tmp_path: Path, command: str
) -> None:
    workspace = make_workspace()
    path = write_sample(workspace)
    path.write_text(path.read_text("utf-8").replace("issue: 2026-W47", "issue: ../../escaped"))

    result = cli("-C", workspace, command, path)

    assert result.exit_code == 7
    assert "issue: '../../escaped' is not an issue name like 2026-W47" in result.output
    assert not list(tmp_path.rglob("escaped*"))


def test_the_archive_feed_stays_xml_whatever_the_intro_holds(make_workspace: Any, cli: Any) -> None:
    workspace = make_workspace(extra='url = "https://news.example.org/"')
    write_sample(workspace, sample_draft(intro='Hi \x1b[1m <b>"&"</b> \x00 ]]>'))
    assert cli("-C", workspace, "publish").exit_code == 0
    feed = ElementTree.parse(workspace / "site" / "feed.xml").getroot()
    (summary,) = [e.text for e in feed.iter() if e.tag.endswith("summary")]
    assert summary is not None and "\x1b" not in summary and "<b>" in summary


def test_what_the_editor_types_in_escapes_is_cleaned_when_the_draft_is_read(
    make_workspace: Any, cli: Any
) -> None:
    workspace = make_workspace()
    path = write_sample(workspace)
    text = path.read_text("utf-8").replace("intro: Hello.", 'intro: "Hi \\ud800\\e\\x07 there"')
    path.write_text(text, "utf-8")
    assert cli("-C", workspace, "render", path).exit_code == 0
    assert "\nHi there\n" in (workspace / "out" / "2026-W47.txt").read_text("utf-8")
