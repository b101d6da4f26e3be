"""`newsletter curate` driven through Textual's pilot at 80×24."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from newsletter.cli.curate import ChangedScreen, CurateApp
from newsletter.draft.file import load_draft
from tests.drafts import write_sample

Script = Callable[[CurateApp, Pilot[bool]], Awaitable[None]]


def drive(path: Path, script: Script) -> CurateApp:
    app = CurateApp(path)

    async def run() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await script(app, pilot)

    asyncio.run(run())
    return app


def _with_comment(ws: Path) -> Path:
    path = write_sample(ws)
    text = path.read_text().replace("title: Item 2\n", "title: Item 2  # keep me\n", 1)
    path.write_text(text)
    return path


def test_curating_a_draft_end_to_end(make_workspace: Any) -> None:
    path = _with_comment(make_workspace())

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        heading = str(app.query_one("#heading", Static).render())
        assert "1/2 From the blogs · 2 of 3 included" in heading
        await pilot.press("space")  # leave Item 1 out
        await pilot.press("J")  # and move it below Item 2
        await pilot.press("down", "space")  # offer Item 3 → include it
        await pilot.press("up", "up", "t")  # Item 2's title
        app.screen.query_one("#field", Input).value = "Second"
        await pilot.press("end", *" it", "enter")  # typed keys reach the field
        await pilot.press("o")  # a note
        app.screen.query_one("#field", TextArea).load_text("Worth a read.")
        await pilot.press("ctrl+s")
        await pilot.press("a")  # a hand-written item after it
        app.screen.query_one("#title", Input).value = "Meetup in Lyon"
        app.screen.query_one("#url", Input).value = "https://example.org/lyon"
        app.screen.query_one("#text", TextArea).load_text("Come *along*.")
        await pilot.press("ctrl+s")
        await pilot.press("i", "end", *" Hi", "ctrl+s")  # the intro
        await pilot.press("n", "space")  # next section: leave Item 4 out
        assert "2/2 Events · 0 of 1 included" in str(app.query_one("#heading", Static).render())
        await pilot.press("w", "q")

    app = drive(path, script)
    assert app.return_value is True
    draft = load_draft(path)
    blogs, events = draft.sections
    assert [(i.title, i.include) for i in blogs.items] == [
        ("Second it", True),
        ("Meetup in Lyon", True),
        ("Item 1", False),
        ("Item 3", True),
    ]
    assert blogs.items[0].note == "Worth a read."
    assert blogs.items[1].url == "https://example.org/lyon"
    assert blogs.items[1].summary.strip() == "Come *along*."
    assert draft.intro.strip() == "Hello. Hi"
    assert not events.items[0].include
    text = path.read_text()
    assert "# keep me" in text and "# How to edit" in text  # comments survive


def test_preview_follows_the_selection(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    shown: list[str] = []

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("down", "down")
        await pilot.pause()
        shown.append(app.query_one("#preview").source)  # type: ignore[attr-defined]

    drive(path, script)
    assert "## [Item 3](https://example.org/3)" in shown[0]
    assert "Offered, not included" in shown[0]


def test_quitting_without_writing_changes_nothing(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    before = path.read_text()

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space", "J", "q")  # the first q only warns
        assert app.is_running
        await pilot.press("q")

    app = drive(path, script)
    assert app.return_value is False
    assert path.read_text() == before


def _save_elsewhere(path: Path) -> None:
    """Another program saves the draft: item 2 retitled, item 3 included."""
    text = path.read_text().replace("title: Item 2", "title: Edited elsewhere", 1)
    path.write_text(text.replace("include: false", "include: true  # theirs", 1))


@pytest.mark.parametrize("choice", ["escape", "r", "c", "m"])
def test_a_draft_saved_meanwhile_is_never_overwritten(make_workspace: Any, choice: str) -> None:
    path = write_sample(make_workspace())

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space")  # leave Item 1 out
        await pilot.press("down", "down", "o")  # a note on Item 3
        app.screen.query_one("#field", TextArea).load_text("Mine.")
        await pilot.press("ctrl+s")
        _save_elsewhere(path)
        await pilot.press("w")
        assert isinstance(app.screen, ChangedScreen) and not app.saved
        await pilot.press(choice)
        await pilot.pause()

    app = drive(path, script)
    draft = load_draft(path)
    titles = [(i.title, i.include, i.note) for i in draft.sections[0].items]
    saved_elsewhere = [("Item 1", True, ""), ("Edited elsewhere", True, ""), ("Item 3", True, "")]
    copy = path.with_name("2026-W47.yaml.curate")
    if choice == "m":  # both: theirs kept (with its comment), mine applied
        assert titles == [("Item 1", False, ""), ("Edited elsewhere", True, ""),
                          ("Item 3", True, "Mine.")]  # fmt: skip
        assert "# theirs" in path.read_text() and app.saved and not app.dirty
        assert "Edited elsewhere" in path.with_name("2026-W47.yaml.bak").read_text()
    else:
        assert titles == saved_elsewhere
        assert not app.saved
    if choice == "c":
        mine = load_draft(copy).sections[0].items
        assert [(i.title, i.include, i.note) for i in mine] == [
            ("Item 1", False, ""), ("Item 2", True, ""), ("Item 3", False, "Mine.")
        ]  # fmt: skip
    else:
        assert not copy.exists()
    # After reload or copy, curate shows the saved version and has nothing unsaved.
    assert app.dirty is (choice == "escape")
    if choice in ("r", "c"):
        assert app.node["sections"][0]["items"][1]["title"] == "Edited elsewhere"


def test_both_changing_one_field_keeps_yours_and_says_so(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    notes: list[str] = []

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("down", "t")
        app.screen.query_one("#field", Input).value = "Mine"
        await pilot.press("enter")
        _save_elsewhere(path)
        await pilot.press("w", "m")
        await pilot.pause()
        notes.extend(str(n.message) for n in app._notifications)

    drive(path, script)
    assert load_draft(path).sections[0].items[1].title == "Mine"
    assert any("yours kept: blogs › i2 › title" in note for note in notes), notes


def test_a_draft_that_cannot_be_written_is_reported_not_a_crash(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    path.with_name("2026-W47.yaml.bak").mkdir()  # the backup cannot be made
    before = path.read_text()
    notes: list[str] = []

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space", "w")
        await pilot.pause()
        assert app.is_running and app.dirty and not app.saved
        notes.extend(str(n.message) for n in app._notifications)

    drive(path, script)
    assert path.read_text() == before
    assert any("cannot write" in note and "the draft is as it was" in note for note in notes)


def test_curate_without_a_terminal_says_what_to_use(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    result = cli("-C", ws, "curate")
    assert result.exit_code == 2
    assert "use 'newsletter edit'" in result.output
