"""`newsletter curate` driven through Textual's pilot at 80×24."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from newsletter.cli.curate import CurateApp
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


def test_a_draft_changed_on_disk_is_not_overwritten(make_workspace: Any) -> None:
    path = write_sample(make_workspace())

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space")
        path.write_text(path.read_text().replace("Item 2", "Edited elsewhere"))
        await pilot.press("w")
        assert not app.saved

    drive(path, script)
    assert "Edited elsewhere" in path.read_text()


def test_curate_without_a_terminal_says_what_to_use(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    result = cli("-C", ws, "curate")
    assert result.exit_code == 2
    assert "use 'newsletter edit'" in result.output
