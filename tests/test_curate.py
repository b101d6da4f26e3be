"""`newsletter curate` driven through Textual's pilot at 80×24."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
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


def test_ctrl_q_asks_like_q_when_there_are_unsaved_changes(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    before = path.read_text()

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space", "ctrl+q")
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "QuitScreen"
        await pilot.press("escape")  # keep curating
        assert app.is_running and type(app.screen).__name__ == "Screen"
        await pilot.press("ctrl+q", "w")  # write them, then quit

    app = drive(path, script)
    assert app.return_value is True
    assert path.read_text() != before
    assert not load_draft(path).sections[0].items[0].include


def test_ctrl_q_twice_quits_without_saving(make_workspace: Any) -> None:
    path = write_sample(make_workspace())
    before = path.read_text()

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("space", "ctrl+q", "ctrl+q")

    app = drive(path, script)
    assert app.return_value is False and path.read_text() == before


def test_titles_and_sources_are_shown_literally(make_workspace: Any) -> None:
    from tests.drafts import item, sample_draft

    draft = sample_draft()
    draft.sections[0].items[0] = item(
        1, title="[RFC] *New* API [/] [bold]x", source="[b]Planet[/b]", note="A *note*."
    )
    path = write_sample(make_workspace(), draft)
    seen: dict[str, str] = {}

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.pause()
        listing = app.query_one("#items")
        seen["option"] = str(listing.get_option_at_index(0).prompt)  # type: ignore[attr-defined]
        seen["preview"] = app.query_one("#preview").source  # type: ignore[attr-defined]
        seen["screen"] = app.export_screenshot()

    drive(path, script)
    assert seen["option"] == "[x] [RFC] *New* API [/] [bold]x"
    assert (
        "## [\\[RFC\\] \\*New\\* API \\[/\\] \\[bold\\]x](https://example.org/1)" in seen["preview"]
    )
    assert "\\[b\\]Planet\\[/b\\]" in seen["preview"]
    assert "A *note*." in seen["preview"]  # a note is the editor's Markdown
    assert "[RFC]" in seen["screen"].replace("&#160;", " ")


def test_every_key_is_in_the_footer_or_the_key_list(make_workspace: Any) -> None:
    from newsletter.cli.curate import KEYS

    path = write_sample(make_workspace())
    seen: dict[str, Any] = {}

    async def script(app: CurateApp, pilot: Pilot[bool]) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        seen["screen"] = type(app.screen).__name__
        seen["keys"] = str(app.screen.query_one("#keys", Static).render())
        await pilot.press("escape")
        seen["after"] = type(app.screen).__name__

    drive(path, script)
    assert seen["screen"] == "KeysScreen" and seen["after"] == "Screen"
    for key in ("space", "K J", "t s o", "a ", "i ", "n p", "w ", "q ctrl+q", "?"):
        assert key in seen["keys"] and key in KEYS


class Tmux:
    """A real terminal of 80×24: tmux running the installed console script."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.name = name
        self.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", shlex.join(command))
        self.run("set-option", "-t", name, "remain-on-exit", "on")

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", "newsletter-tests", *args],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def screen(self, history: bool = False) -> str:
        return self.run("capture-pane", "-p", "-t", self.name, *(["-S", "-"] if history else []))

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.name, *keys)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen()}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text in self.screen() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert text not in self.screen()

    def dead(self) -> bool:
        return self.run("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-L", "newsletter-tests", "kill-session", "-t", self.name],
                       capture_output=True, check=False)  # fmt: skip


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_curate_in_a_real_80x24_terminal(make_workspace: Any) -> None:
    from tests.drafts import item, sample_draft

    ws = make_workspace()
    draft = sample_draft()
    draft.sections[0].items[0] = item(1, title="[RFC] A new API")
    path = write_sample(ws, draft)
    before = path.read_text()
    script = str(Path(sys.executable).parent / "newsletter")
    env = ["env", "TERM=xterm-256color", f"HOME={ws}", "NO_COLOR=1"]
    tmux = Tmux(f"curate-{os.getpid()}", [*env, script, "-C", str(ws), "curate"])
    try:
        shown = tmux.wait_for("Keys")
        footer = shown.rstrip("\n").splitlines()[-1]
        for key in ("space Include", "n Next section", "o Note", "w Write", "q Quit", "? Keys"):
            assert key in footer, footer  # the whole footer fits in 80 columns
        assert "[x] [RFC] A new API" in shown
        tmux.keys("?")
        assert "q ctrl+q" in tmux.wait_for("this list")
        tmux.keys("Escape")
        tmux.wait_gone("this list")  # (an escape followed at once by a key is alt+key)
        tmux.keys("Space")
        tmux.wait_for("unsaved")
        tmux.keys("C-q")
        tmux.wait_for("has unsaved changes")
        tmux.keys("q")
        deadline = time.monotonic() + 20
        while not tmux.dead() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tmux.dead()
        assert "2026-W47.yaml is unchanged." in tmux.screen(history=True)
    finally:
        tmux.close()
    assert path.read_text() == before
