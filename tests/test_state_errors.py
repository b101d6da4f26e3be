"""A damaged, locked or read-only state file: one line naming the file and the way out.

Real processes run the CLI here; for the read-only case as root (who may write any
file), the command runs as the user nobody.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter import state
from newsletter.cli.exits import ExitStatus
from tests.conftest import EXAMPLE

WEEK = "2011-W26"


@pytest.fixture
def workspace() -> Iterator[Path]:
    """The example, drafted once, in a folder other users may read (for nobody)."""
    root = Path(tempfile.mkdtemp(prefix="newsletter-state-"))
    os.chmod(root, 0o755)
    ws = root / "openstack"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", "site", ".newsletter"))
    subprocess.run(
        [sys.executable, str(EXAMPLE / "make_repos.py"), str(ws / "repos")],
        check=False, capture_output=True,
    )  # fmt: skip
    assert run(ws, "draft", "--week", WEEK).returncode == 0
    yield ws
    shutil.rmtree(root)


def run(ws: Path, *args: str, user: str = "") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "newsletter", "-C", str(ws), *args]
    if user:
        command = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups", *command]
    env = {**os.environ, "NO_COLOR": "1", "HOME": str(ws)}
    return subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=120
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "zeroed page"])
@pytest.mark.parametrize("command", [("draft", "--week", WEEK), ("log",), ("publish", "--mark")])
def test_a_damaged_state_file_is_named_with_the_way_out(
    workspace: Path, damage: str, command: tuple[str, ...]
) -> None:
    state = workspace / ".newsletter" / "state.db"
    data = state.read_bytes()
    for extra in state.parent.glob("state.db-*"):
        extra.unlink()
    if damage == "garbage":
        state.write_bytes(b"not a database at all" * 100)
    elif damage == "truncated":
        state.write_bytes(data[: len(data) // 3])
    else:
        state.write_bytes(data[:4096] + b"\x00" * 4096 + data[8192:])

    done = run(workspace, *command)

    assert done.returncode == ExitStatus.FILES
    line = one_line(done)
    assert f"the state file {state} is damaged" in line
    assert f"mv {state} {state}.damaged" in line


def test_a_locked_state_file_says_another_run_holds_it(
    workspace: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "BUSY_TIMEOUT", 0.2)  # rather than the 30 s a run waits
    holder = sqlite3.connect(workspace / ".newsletter" / "state.db", isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # WAL would let readers through
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("-C", workspace, "log")
    finally:
        holder.close()
    assert result.exit_code == ExitStatus.LOCKED
    said = " ".join(result.output.split())
    assert (
        f"the state file {workspace / '.newsletter' / 'state.db'} is in use by another run" in said
    )


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_read_only_state_file_says_who_needs_write_access(workspace: Path) -> None:
    state = workspace / ".newsletter" / "state.db"
    user = "" if os.geteuid() else "65534"  # as root, run as nobody: root writes anything
    for path in (workspace, *workspace.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
        if user:  # nobody's workspace, but for the state file
            os.chown(path, 65534, 65534)
    for extra in state.parent.glob("state.db-*"):
        extra.unlink()
    if user:
        os.chown(state, 0, 0)
    state.chmod(0o444)

    done = run(workspace, "draft", "--week", WEEK, user=user)

    assert done.returncode == ExitStatus.FILES
    assert f"the state file {state} cannot be written" in one_line(done)
