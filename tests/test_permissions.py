"""Written files honour the umask like any other program's: the draft, the outputs and
the site are readable by a web server and co-editors under umask 022; what holds
others' data or answers fetched with a token stays private."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.fileio import current_umask, write_atomic
from tests.feeds import Post, rss
from tests.servers import FeedServer, Route


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_follows_the_umask_and_the_old_files_mode(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        write_atomic(tmp_path / "a.txt", "x")
        assert _mode(tmp_path / "a.txt") == 0o640
        os.chmod(tmp_path / "a.txt", 0o604)
        write_atomic(tmp_path / "a.txt", "y")  # replacing keeps the mode the user chose
        assert _mode(tmp_path / "a.txt") == 0o604
        write_atomic(tmp_path / "a.txt", "z", private=True)
        assert _mode(tmp_path / "a.txt") == 0o600
    finally:
        os.umask(previous)


def test_drafts_outputs_and_the_site_are_0644_under_umask_022(
    umask_022: None, make_workspace: Any, cli: Any, server: FeedServer
) -> None:
    from datetime import UTC, datetime

    feed = server.add(
        "/feed.xml",
        Route(
            rss([Post("A post", "https://example.org/a", datetime(2026, 11, 18, tzinfo=UTC))]),
            headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"},
        ),
    )
    ws = make_workspace(
        f'[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["{feed}"]\n',
        extra='[send]\nfrom = "A <a@example.org>"\nto = ["list@example.org"]\n',
    )
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    assert cli("-C", ws, "render").exit_code == 0
    assert cli("-C", ws, "publish").exit_code == 0
    assert cli("-C", ws, "send", "--dry-run").exit_code == 0
    assert cli("-C", ws.parent, "init", "fresh").exit_code == 0

    public = [
        ws / "drafts" / "2026-W47.yaml",
        *(ws / "out").glob("2026-W47.*"),
        *(p for p in (ws / "site").rglob("*") if p.is_file()),
        ws.parent / "fresh" / "newsletter.toml",
        ws.parent / "fresh" / ".gitignore",
    ]
    assert len(public) >= 8
    for path in public:
        assert _mode(path) == 0o644, path
    private = [
        *(ws / "out" / "2026-W47").glob("*.eml"),
        *(p for p in (ws / ".newsletter" / "http-cache").rglob("*") if p.is_file()),
    ]
    assert any(p.suffix == ".eml" for p in private)
    assert any(p.suffix == ".body" for p in private)
    for path in private:
        assert _mode(path) == 0o600, path


def test_the_state_store_is_private_as_it_names_every_subscriber(
    umask_022: None, tmp_path: Path
) -> None:
    from newsletter.state import StateStore

    path = tmp_path / ".newsletter" / "state.db"
    with StateStore(path) as store:
        store.db.execute("INSERT INTO sends VALUES ('2026-W47', 1, '[]', 'now', NULL, 'smtp')")
        files = [path, path.with_name("state.db-wal"), path.with_name("state.db-shm")]
        assert all(file.exists() for file in files)
        for file in files:
            assert _mode(file) == 0o600, file
    os.chmod(path, 0o640)  # a mode the user chose stays
    StateStore(path).close()
    assert _mode(path) == 0o640
