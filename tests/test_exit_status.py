"""Every exit status the README documents, each reached the way a user reaches it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from newsletter.cli.exits import ExitStatus, describe, exit_status_for
from newsletter.lock import workspace_lock
from tests.drafts import write_sample
from tests.feeds import rss
from tests.servers import FeedServer, Route

BLOGS = '[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = ["{feed}"]\n'


def _table(status: ExitStatus) -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    return next(line for line in readme.splitlines() if line.startswith(f"| {int(status)} |"))


def test_every_status_is_in_the_readme_table() -> None:
    for status in ExitStatus:
        assert _table(status)


def test_0_done(cli: Any) -> None:
    assert cli("--version").exit_code == ExitStatus.OK


def test_1_a_bug_is_one_line_naming_traceback(
    make_workspace: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter.cli.commands import status

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(status, "run", broken)
    ws = make_workspace()
    result = cli("-C", ws, "status")
    assert result.exit_code == ExitStatus.ERROR
    assert "unexpected ZeroDivisionError: division by zero" in result.output
    assert "--traceback" in result.output and "Traceback" not in result.output
    with pytest.raises(ZeroDivisionError):
        cli("-C", ws, "--traceback", "status")


def test_2_usage_mistakes(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(BLOGS.format(feed="f.xml"))
    impossible = cli("-C", ws, "draft", "--week", "2026-W60")
    assert impossible.exit_code == ExitStatus.USAGE
    assert "2026 has no week 60" in impossible.output
    backwards = cli("-C", ws, "draft", "--since", "2026-11-20", "--until", "2026-11-10")
    assert backwards.exit_code == ExitStatus.USAGE
    assert cli("-C", ws, "draft", "--no-such-option").exit_code == ExitStatus.USAGE


def test_3_config(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "x"\nprovider = "nope"\n')
    result = cli("-C", ws, "draft")
    assert result.exit_code == ExitStatus.CONFIG
    assert "unknown provider 'nope'; installed: blogs" in " ".join(result.output.split())


def test_4_a_source_failed_with_strict(make_workspace: Any, cli: Any, server: FeedServer) -> None:
    ws = make_workspace(BLOGS.format(feed=server.url("/gone.xml")))
    result = cli("-C", ws, "draft", "--week", "2026-W47", "--strict")
    assert result.exit_code == ExitStatus.PROBLEMS
    assert (ws / "drafts" / "2026-W47.yaml").is_file()  # written all the same


def test_5_locked(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(BLOGS.format(feed="f.xml"))
    with workspace_lock(ws, "draft"):
        result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == ExitStatus.LOCKED
    assert "the workspace is busy (newsletter draft" in result.output


def test_6_send(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    result = cli("-C", ws, "send", "--yes", "--force")
    assert result.exit_code == ExitStatus.SEND
    assert "no [send" in result.output


def test_7_draft(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(files={"drafts/2026-W47.yaml": "issue: [unclosed\n"})
    result = cli("-C", ws, "render")
    assert result.exit_code == ExitStatus.DRAFT
    assert "2026-W47.yaml" in result.output and "line" in result.output


def test_8_render(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(files={"templates/text/issue.txt.j2": '{% include "nope.j2" %}'})
    write_sample(ws)
    result = cli("-C", ws, "render", "--format", "txt")
    assert result.exit_code == ExitStatus.RENDER
    assert "nope.j2 not found; looked for:" in result.output


def test_9_lint(make_workspace: Any, cli: Any, server: FeedServer) -> None:
    ws = make_workspace("[http]\nprivate_links = true\n")  # the server is on 127.0.0.1
    from tests.drafts import item, sample_draft

    draft = sample_draft()
    draft.sections[0].items = [item(1, url=server.url("/gone"))]
    write_sample(ws, draft)
    result = cli("-C", ws, "lint")
    assert result.exit_code == ExitStatus.LINT
    assert "HTTP 404" in result.output


def test_10_a_file_that_cannot_be_written_is_named(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace(files={"out": "a file where the output folder should be"})
    write_sample(ws)
    result = cli("-C", ws, "render", "--format", "md")
    assert result.exit_code == ExitStatus.FILES
    assert str(ws / "out") in result.output and "Traceback" not in result.output


def test_10_no_room_names_the_file_and_the_disk(make_workspace: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    limited = (  # a 200-byte file-size limit, then the CLI
        "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'newsletter', *sys.argv[1:]])"
    )
    process = subprocess.run(
        [sys.executable, "-c", limited, "-C", str(ws), "render", "--format", "md"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert process.returncode == ExitStatus.FILES
    assert process.stderr.startswith(f"Error: {ws / 'out'}/2026-W47.md: File too large (a file")
    assert "ulimit -f" in process.stderr and "the disk mounted at /" in process.stderr
    assert len(process.stderr.splitlines()) == 1
    assert list((ws / "out").iterdir()) == []  # no temp file left behind


def test_11_a_draft_saved_meanwhile_is_not_overwritten(
    make_workspace: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace()
    path = write_sample(ws)
    editor = tmp_path / "editor.py"  # saves the draft itself, then edits the copy it got
    editor.write_text(
        "import sys; from pathlib import Path\n"
        f"draft = Path({str(path)!r})\n"
        "draft.write_text(draft.read_text().replace('Item 2', 'Theirs'))\n"
        "copy = Path(sys.argv[1]); copy.write_text(copy.read_text().replace('Item 1', 'Mine'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    result = cli("-C", ws, "edit")
    assert result.exit_code == ExitStatus.CONFLICT
    assert "saved by another program while you were editing it" in result.output
    assert "Theirs" in path.read_text() and "Mine" not in path.read_text()
    assert "Mine" in path.with_name("2026-W47.yaml.edit").read_text()


def test_state_file_errors_map_to_locked_and_files() -> None:
    locked = sqlite3.OperationalError("database is locked")
    assert exit_status_for(locked) == ExitStatus.LOCKED
    assert "in use by another run" in describe(locked)
    damaged = sqlite3.DatabaseError("file is not a database")
    assert exit_status_for(damaged) == ExitStatus.FILES
    assert "state.db" in describe(damaged)


def test_130_ctrl_c_while_draft_waits_on_a_slow_source(
    make_workspace: Any, server: FeedServer
) -> None:
    slow = server.add("/slow.xml", Route(rss([]), delay=30))
    ws = make_workspace(BLOGS.format(feed=slow))
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "-C", str(ws), "draft", "--week", "2026-W47"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not any(path == "/slow.xml" for _, path, _ in server.requests):
        assert time.monotonic() < deadline, "the draft never asked for the feed"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == ExitStatus.INTERRUPTED
    assert "Interrupted." in stderr
    assert "Traceback" not in stderr
    assert not (ws / "drafts" / "2026-W47.yaml").exists()


def test_quiet_keeps_the_final_result(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace()
    write_sample(ws)
    rendered = cli("-C", ws, "-q", "render", "--format", "md")
    assert rendered.exit_code == 0
    assert "Wrote" in rendered.output
    approved = cli("-C", ws, "-q", "approve", "--by", "Ann")
    assert "Approved 2026-W47.yaml" in approved.output
