"""Running from cron: the run lock, --quiet, and drafts that survive being killed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from newsletter.draft.file import load_draft
from newsletter.draft.save import load_bases, read_current
from tests.hostile import good_feed
from tests.servers import FeedServer, Route

ROOT = Path(__file__).resolve().parent.parent


def newsletter(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_a_second_draft_exits_at_once_while_the_first_holds_the_lock(
    server: FeedServer, make_workspace: Any
) -> None:
    url = server.add("/slow.xml", Route(good_feed(), delay=1.5))
    workspace: Path = make_workspace(
        f'[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = ["{url}"]\n'
    )
    first = newsletter("-C", workspace, "draft", "--week", "2026-W47")
    lock = workspace / ".newsletter" / "run.lock"
    deadline = time.monotonic() + 20
    while not (lock.exists() and "pid" in lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    second = newsletter("-C", workspace, "draft", "--week", "2026-W47")
    _, second_err = second.communicate(timeout=20)
    assert first.poll() is None, "the first run must still be gathering"
    assert second.returncode == 5
    assert "the workspace is busy (newsletter draft, pid" in second_err
    assert not (workspace / "drafts" / "2026-W47.yaml.bak").exists()
    _, first_err = first.communicate(timeout=20)
    assert first.returncode == 0, first_err
    assert "Draft created" in first_err
    assert [path for _, path, _ in server.requests] == ["/slow.xml"]


def test_quiet_draft_prints_only_the_final_line(make_workspace: Any, cli: Any) -> None:
    workspace: Path = make_workspace(
        '[[section]]\nid = "blogs"\nprovider = "blogs"\n'
        'feeds = ["feeds/a.xml", "feeds/gone.xml"]\n',
        files={"feeds/a.xml": good_feed()},
    )
    result = cli("-C", workspace, "-q", "draft", "--week", "2026-W47")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Draft created: drafts/2026-W47.yaml")
    assert "1 problem(s)" in lines[0]


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from newsletter.draft.merge import write_draft
    from newsletter.model import Draft, Item, Section
    from newsletter.window import week_window

    workspace = Path(sys.argv[1])
    from zoneinfo import ZoneInfo
    window = week_window("2026-W47", ZoneInfo("UTC"), "sunday")
    def draft(n):
        items = [Item(id=f"i{n}-{k}", title=f"Item {k} of version {n}", url="https://a.example/",
                      published=datetime(2026, 11, 18, tzinfo=UTC), summary="word " * 200)
                 for k in range(50)]
        return Draft(issue="2026-W47", title="T", window=window,
                     sections=[Section(id="s", title="S", provider="blogs", items=items)])
    drafts = [draft(0), draft(1)]
    print("ready", flush=True)
    n = 0
    while True:
        write_draft(workspace, drafts[n % 2])
        n += 1
    """
)


def test_a_draft_killed_while_writing_is_always_readable_and_paired(tmp_path: Path) -> None:
    rng = random.Random(47)
    path = tmp_path / "drafts" / "2026-W47.yaml"
    for _ in range(6):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        if path.exists():
            draft = load_draft(path)
            assert len(draft.sections[0].items) >= 50
            # ... and its snapshot is the one it was merged from, settled if the kill
            # fell between the renames: the next re-draft has the right base.
            bases = load_bases(tmp_path, "2026-W47", read_current(path).digest)
            assert len(bases) == 1
            assert [i.id for i in bases[0].sections[0].items] == [
                i.id for i in draft.sections[0].items
            ]
    assert path.exists()
