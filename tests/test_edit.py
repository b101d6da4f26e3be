"""`newsletter edit` driven by a scripted $EDITOR (a small Python program)."""

from __future__ import annotations

import os
import pty
import select
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from newsletter.cli.commands.edit import error_header, strip_header
from newsletter.draft.file import load_draft
from tests.drafts import write_sample

ROOT = Path(__file__).resolve().parent.parent

# Each run appends what it was shown to seen.log, then acts as told by EDIT_PLAN, one
# step per run: "bad" breaks the YAML, "good" fixes it and retitles, "same" saves
# unchanged, "fail" exits with an error, "empty" empties the file.
EDITOR = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    target = Path(sys.argv[-1])
    log = Path(os.environ["EDIT_LOG"])
    runs = log.read_text().count("=== run") if log.exists() else 0
    step = os.environ["EDIT_PLAN"].split(",")[runs]
    text = target.read_text()
    with log.open("a") as out:
        out.write(f"=== run {runs + 1} {step}\\n{text}")
    body = "".join(l for l in text.splitlines(True) if not l.startswith("#|"))
    if step == "bad":
        target.write_text(body.replace("include: true\\n", "include: [oops\\n", 1))
    elif step == "good":
        body = body.replace("include: [oops\\n", "include: true\\n")
        target.write_text(body.replace("title: Item 1", "title: Item one", 1))
    elif step == "invalid-field":
        target.write_text(body.replace("include: true\\n", "include: maybe\\n", 1))
    elif step == "empty":
        target.write_text("")
    elif step == "fail":
        target.write_text(body.replace("title: Item 1", "title: Lost?", 1))
        sys.exit(1)
    elif step == "clash":  # meanwhile another program saves the draft itself
        draft = Path(os.environ["EDIT_DRAFT"])
        draft.write_text(draft.read_text().replace("title: Item 2", "title: Theirs", 1))
        target.write_text(body.replace("title: Item 1", "title: Mine", 1))
    """
)


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    script = tmp_path / "fake editor.py"
    script.write_text(EDITOR, "utf-8")
    log = tmp_path / "seen.log"
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    monkeypatch.setenv("EDIT_LOG", str(log))

    def plan(*steps: str) -> Path:
        monkeypatch.setenv("EDIT_PLAN", ",".join(steps))
        return log

    return plan


def _leftovers(drafts: Path) -> list[str]:
    return sorted(p.name for p in drafts.iterdir() if p.name != "2026-W47.yaml")


def test_invalid_edit_is_reopened_with_errors_then_saved(
    make_workspace: Any, cli: Any, editor: Any
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    before = path.read_text()
    log = editor("bad", "good")
    result = cli("-C", ws, "edit")
    assert result.exit_code == 0, result.output
    assert "Saved 2026-W47.yaml" in result.output
    assert load_draft(path).sections[0].items[0].title == "Item one"
    assert "# Bar Weekly — draft of issue" in path.read_text()  # comments kept
    second = log.read_text().split("=== run 2 good\n")[1]
    header = [line for line in second.splitlines() if line.startswith("#|")]
    assert header and "not valid" in header[0]
    # YAML reports an unclosed '[' on the line after it, counted as the editor shows it.
    assert "include: [oops" in second.splitlines()[_error_line(header) - 2]
    # No temp file; the version replaced is kept as the .bak, as by every save.
    assert _leftovers(path.parent) == ["2026-W47.yaml.bak"]
    assert path.with_name("2026-W47.yaml.bak").read_text() == before


def test_a_field_error_names_line_and_field(make_workspace: Any, cli: Any, editor: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    log = editor("invalid-field", "fail")  # the second run shows the errors, then gives up
    assert cli("-C", ws, "edit").exit_code == 2
    shown = log.read_text().split("=== run 2 fail\n")[1]
    header = [line for line in shown.splitlines() if line.startswith("#|")]
    assert "sections[0].items[0].include" in "\n".join(header)
    assert "include: maybe" in shown.splitlines()[_error_line(header) - 1]


def _error_line(header: list[str]) -> int:
    line = next(line for line in header if "line " in line)
    return int(line.split("line ")[1].split(",")[0].split(":")[0])


def test_giving_up_keeps_the_text_beside_the_draft(
    make_workspace: Any, cli: Any, editor: Any
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    before = path.read_text()
    editor("bad", "same")
    result = cli("-C", ws, "edit")
    assert result.exit_code == 7
    assert path.read_text() == before
    kept = path.with_name("2026-W47.yaml.edit")
    assert "include: [oops" in kept.read_text()
    assert not kept.read_text().startswith("#|")
    assert _leftovers(path.parent) == ["2026-W47.yaml.edit"]


@pytest.mark.parametrize("step", ["same", "empty", "fail"])
def test_unchanged_or_abandoned_edit_changes_nothing(
    make_workspace: Any, cli: Any, editor: Any, step: str
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    before = path.read_text()
    editor(step)
    result = cli("-C", ws, "edit", "drafts/2026-W47.yaml")
    # An editor that fails is a failure, as in git (EDITOR=false newsletter edit).
    assert result.exit_code == (2 if step == "fail" else 0), result.output
    assert "unchanged" in result.output
    assert path.read_text() == before
    # An editor that failed after changing the text: the text is kept, not lost.
    assert _leftovers(path.parent) == (["2026-W47.yaml.edit"] if step == "fail" else [])


def test_missing_editor_is_a_clear_error(
    make_workspace: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace()
    write_sample(ws)
    monkeypatch.setenv("VISUAL", "no-such-editor-here --wait")
    result = cli("-C", ws, "edit")
    assert result.exit_code == 2
    assert "cannot start the editor 'no-such-editor-here --wait'" in result.output


def test_error_header_round_trip() -> None:
    text = "issue: x\n"
    shown = error_header(["line 1: issue: bad"]) + text
    assert strip_header(shown) == text
    assert "line 5: issue: bad" in shown  # 4 header lines above line 1


def test_a_draft_saved_while_editing_is_not_overwritten_off_a_terminal(
    make_workspace: Any, cli: Any, editor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    monkeypatch.setenv("EDIT_DRAFT", str(path))
    editor("clash")
    result = cli("-C", ws, "edit")
    assert result.exit_code == 11, result.output
    assert "saved by another program while you were editing it" in result.output
    assert [i.title for i in load_draft(path).sections[0].items][:2] == ["Item 1", "Theirs"]
    kept = [i.title for i in load_draft(path.with_name("2026-W47.yaml.edit")).sections[0].items]
    assert kept[:2] == ["Mine", "Item 2"]


def _on_a_terminal(args: list[str], answers: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin and stdout; answer the prompt."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        args, stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT, close_fds=True
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the other end closed: the process is done
                break
            if not chunk:
                break
            seen += chunk
            if b"[m/r/c]" in chunk:
                os.write(main, answers.encode())
        elif process.poll() is not None:
            break
    os.close(main)
    return process.wait(timeout=10), seen.decode("utf-8", "replace")


@pytest.mark.parametrize("answer", ["m", "r", "c"])
def test_on_a_terminal_edit_asks_whether_to_merge_reload_or_copy(
    make_workspace: Any, editor: Any, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    monkeypatch.setenv("EDIT_DRAFT", str(path))
    editor("clash", "same")  # after a reload: looks, and leaves it as it is
    status, output = _on_a_terminal(
        [sys.executable, "-m", "newsletter", "-C", str(ws), "edit"], f"{answer}\n"
    )
    assert "was saved by another program while you were editing it" in output
    titles = [i.title for i in load_draft(path).sections[0].items][:2]
    kept = path.with_name("2026-W47.yaml.edit")
    if answer == "m":
        assert status == 0, output
        assert "Merged your edit into the version of 2026-W47.yaml saved meanwhile" in output
        assert titles == ["Mine", "Theirs"]
        assert not kept.exists()
    else:
        assert titles == ["Item 1", "Theirs"]
        assert [i.title for i in load_draft(kept).sections[0].items][:2] == ["Mine", "Item 2"]
        assert status == (0 if answer == "r" else 11), output


def test_a_draft_that_cannot_be_written_keeps_the_edit(
    make_workspace: Any, cli: Any, editor: Any
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    before = path.read_text()
    path.with_name("2026-W47.yaml.bak").mkdir()  # the backup cannot be made
    editor("good")
    result = cli("-C", ws, "edit")
    assert result.exit_code == 10, result.output
    assert "cannot write" in result.output and "the draft is as it was" in result.output
    assert path.read_text() == before
    assert "title: Item one" in path.with_name("2026-W47.yaml.edit").read_text()


def test_editor_false_fails_and_vi_is_not_started_without_a_terminal(
    make_workspace: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    before = path.read_text()
    monkeypatch.setenv("EDITOR", "false")
    failed = cli("-C", ws, "edit")
    assert failed.exit_code == 2
    assert "the editor 'false' exited with status 1; 2026-W47.yaml is unchanged" in failed.output
    monkeypatch.delenv("EDITOR")
    monkeypatch.setenv("PATH", str(ws))  # were vi started, it would not be found: status 2 too
    refused = cli("-C", ws, "edit")
    assert refused.exit_code == 2
    assert "edit needs a terminal for vi; set $VISUAL or $EDITOR" in " ".join(
        refused.output.split()
    )
    assert path.read_text() == before
