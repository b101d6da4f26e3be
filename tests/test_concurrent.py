"""No edit is lost: saves landing while `newsletter draft` merges 500 items, and a
file-size limit hitting the draft and its snapshot at any size. Real processes."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from newsletter.cli.curate import CurateApp
from newsletter.draft.file import load_draft
from newsletter.draft.paths import snapshot_path
from newsletter.draft.save import load_bases, read_current
from newsletter.model import Item
from tests.feeds import Post, rss

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W47"
CONFIG = """\
[newsletter]
title = "Bar Weekly"
timezone = "UTC"

[[section]]
id = "blogs"
title = "From the blogs"
provider = "blogs"
feeds = ["feeds/blog.xml"]
"""


def write_feed(workspace: Path, count: int, version: str, quotes: int = 0) -> None:
    """``count`` posts in the week; ``version`` goes into every title and summary, and
    ``quotes`` quoted words (JSON escapes them, YAML does not)."""
    start = datetime(2026, 11, 16, tzinfo=UTC)
    quoted = ' "q"' * quotes
    posts = [
        Post(
            title=f"Post {k} {version}",
            link=f"https://blog.example.org/{k}",
            published=start + timedelta(seconds=300 * k),
            summary=f"<p>About post {k}, {version}.{quoted}</p>",
        )
        for k in range(count)
    ]
    (workspace / "feeds").mkdir(parents=True, exist_ok=True)
    (workspace / "feeds" / "blog.xml").write_bytes(rss(posts))


# Sets a file-size limit, then becomes the CLI (a preexec_fn is unsafe with threads).
LIMITED = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'newsletter', *sys.argv[2:]])"
)


def newsletter(workspace: Path, *args: str, limit: int | None = None) -> subprocess.Popen[str]:
    start = [sys.executable, "-m", "newsletter"]
    if limit is not None:
        start = [sys.executable, "-c", LIMITED, str(limit)]
    return subprocess.Popen(
        [*start, "-C", str(workspace), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def run_to_end(workspace: Path, *args: str, limit: int | None = None) -> tuple[int, str]:
    """Run a command; its exit status and what it wrote to stderr."""
    process = newsletter(workspace, *args, limit=limit)
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def draft_path(workspace: Path) -> Path:
    return workspace / "drafts" / f"{WEEK}.yaml"


# ------------------------------------------------------------ saves during a draft run

ITEMS = 500
NEW = 20  # posts the second gathering adds


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a 500-item draft, its feed now changed: every title, and
    20 more posts."""
    workspace = tmp_path_factory.mktemp("drafted")
    (workspace / "newsletter.toml").write_text(CONFIG)
    write_feed(workspace, ITEMS, "v1")
    status, err = run_to_end(workspace, "draft", "--week", WEEK)
    assert status == 0, err
    write_feed(workspace, ITEMS + NEW, "v2")
    return workspace


@pytest.fixture
def workspace(drafted: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(drafted, tmp_path / "ws"))


class DraftRun:
    """``newsletter draft`` in its own process, held still once it has read the draft."""

    def __init__(self, workspace: Path) -> None:
        self.process = newsletter(workspace, "draft", "--week", WEEK)
        self.lines: list[str] = []

    def wait_until_merging(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        for line in stream:
            self.lines.append(line)
            if line.startswith("Merging"):
                return
        raise AssertionError("the draft never started merging:\n" + "".join(self.lines))

    def finish(self) -> str:
        _, rest = self.process.communicate(timeout=300)
        output = "".join(self.lines) + rest
        assert self.process.returncode == 0, output
        return output


@pytest.fixture
def run(workspace: Path) -> Iterator[DraftRun]:
    draft = DraftRun(workspace)
    yield draft
    if draft.process.poll() is None:
        draft.process.send_signal(signal.SIGCONT)
        draft.process.kill()
        draft.process.wait()


def _midway(run: DraftRun) -> None:
    """Stop the draft run between reading the draft and writing it."""
    run.wait_until_merging()
    run.process.send_signal(signal.SIGSTOP)


def _merged_again(run: DraftRun) -> str:
    run.process.send_signal(signal.SIGCONT)
    output = run.finish()
    assert "was saved while being merged; merging again" in output
    return output


def _posts(workspace: Path) -> dict[int, Item]:
    """The draft's posts by number (the draft lists them newest first)."""
    items = load_draft(draft_path(workspace)).sections[0].items
    return {int(item.url.rsplit("/", 1)[1]): item for item in items}


def _gathered_items_are_in(workspace: Path) -> None:
    posts = _posts(workspace)
    assert sorted(posts) == list(range(ITEMS + NEW))
    assert all(post.title == f"Post {k} v2" for k, post in posts.items())


def test_a_file_saved_by_hand_mid_run_survives(workspace: Path, run: DraftRun) -> None:
    path = draft_path(workspace)
    _midway(run)
    text = path.read_text()
    path.write_text(text.replace("note: ''", "note: Saved by hand.", 1))
    _merged_again(run)
    assert _posts(workspace)[ITEMS - 1].note == "Saved by hand."  # the draft's first post
    _gathered_items_are_in(workspace)  # and the fields nobody touched follow the source


def test_a_curate_save_mid_run_survives(workspace: Path, run: DraftRun) -> None:
    path = draft_path(workspace)
    app = CurateApp(path, workspace)

    async def script(pilot: Pilot[bool]) -> None:
        await asyncio.to_thread(_midway, run)
        await pilot.press("down", "space", "w")  # leave the second post out, and write
        await pilot.pause()
        assert app.saved

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(drive())
    _merged_again(run)
    posts = _posts(workspace)
    assert [posts[k].include for k in range(ITEMS - 3, ITEMS)] == [True, False, True]
    _gathered_items_are_in(workspace)


def test_an_approval_mid_run_survives(workspace: Path, run: DraftRun) -> None:
    _midway(run)
    status, err = run_to_end(workspace, "approve", "--by", "Ann")
    assert status == 0, err
    _merged_again(run)
    draft = load_draft(draft_path(workspace))
    assert draft.approved is not None and draft.approved.by == "Ann"
    _gathered_items_are_in(workspace)


def test_a_hand_save_at_any_moment_survives(workspace: Path, run: DraftRun) -> None:
    """No stopping: the save lands wherever it lands, during or after the merge."""
    path = draft_path(workspace)
    run.wait_until_merging()
    time.sleep(random.uniform(0.0, 1.5))
    text = path.read_text()
    path.write_text(text.replace("note: ''", "note: Saved by hand.", 1))
    run.finish()
    assert _posts(workspace)[ITEMS - 1].note == "Saved by hand."


# ------------------------------------------------------------ a file-size limit


def _pair_is_consistent(workspace: Path) -> None:
    """The draft and the snapshot it was merged from belong together: every post the
    editor did not touch reads as gathered in that snapshot."""
    path = draft_path(workspace)
    bases = load_bases(workspace, WEEK, read_current(path).digest)
    assert len(bases) == 1, "a crash-free failure leaves no doubt about the base"
    gathered = {item.id: item.title for item in bases[0].sections[0].items}
    for item in load_draft(path).sections[0].items:
        assert item.title in (gathered[item.id], "The editor's")


def test_a_file_size_limit_at_any_size_leaves_a_pair_that_merges(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "newsletter.toml").write_text(CONFIG)
    # Quoted words make the snapshot (JSON) larger than the draft (YAML): a limit
    # between the two lets the draft be written and stops the snapshot.
    write_feed(base, 200, "v1", quotes=80)
    assert run_to_end(base, "draft", "--week", WEEK)[0] == 0
    path = draft_path(base)
    path.write_text(path.read_text().replace("title: Post 0 v1", "title: The editor's", 1))
    write_feed(base, 220, "v2", quotes=80)
    probe = Path(shutil.copytree(base, tmp_path / "probe"))
    assert run_to_end(probe, "draft", "--week", WEEK)[0] == 0
    state, draft, snapshot = (
        file.stat().st_size
        for file in (probe / ".newsletter/state.db", draft_path(probe), snapshot_path(probe, WEEK))
    )
    assert state < draft < snapshot
    limits = [4096, (state + draft) // 2, (draft + snapshot) // 2, snapshot + 1000]
    failed = []
    for limit in limits:
        workspace = Path(shutil.copytree(base, tmp_path / f"limit-{limit}"))
        status, err = run_to_end(workspace, "draft", "--week", WEEK, limit=limit)
        assert "Traceback" not in err
        if status != 0:
            failed.append(limit)
            assert status == 10, err
            errors = [line for line in err.splitlines() if line.startswith("Error:")]
            assert len(errors) == 1 and err.rstrip().endswith(errors[0]), err
            assert "ulimit -f" in errors[0], errors[0]
            if limit > state:
                assert f"cannot write {workspace}/" in errors[0], errors[0]
                assert "the draft and its gathered snapshot are as they were" in errors[0]
        _pair_is_consistent(workspace)
        # The next run, with room again, merges correctly from whatever was left.
        write_feed(workspace, 230, "v3")
        status, err = run_to_end(workspace, "draft", "--week", WEEK)
        assert status == 0, err
        drafted = load_draft(draft_path(workspace)).sections[0].items
        assert {item.url: item.title for item in drafted} == {
            f"https://blog.example.org/{k}": f"Post {k} v3" if k else "The editor's"
            for k in range(230)
        }
        assert not list(workspace.glob("**/.*.tmp")), "no temp file left behind"
    assert failed == limits[:3]
