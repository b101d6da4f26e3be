from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.hostile import good_feed
from tests.servers import FeedServer, Route


def test_check_probes_every_source_and_reports_failures(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    stamp = "Wed, 18 Nov 2026 10:00:00 GMT"
    ok = server.add("/ok.xml", Route(good_feed(), headers={"Last-Modified": stamp}))
    missing = server.add("/missing.xml", Route(status=404))
    workspace: Path = make_workspace(
        f'[[section]]\nid = "blogs"\nprovider = "blogs"\n'
        f'feeds = ["{ok}", "{missing}", "feeds/local.xml"]\n',
        files={"feeds/local.xml": good_feed()},
    )
    result = cli("-C", workspace, "check")
    assert result.exit_code == 4, result.output
    lines = result.stdout.splitlines()
    (ok_line,) = [line for line in lines if "/ok.xml" in line]
    assert " 200 " in ok_line and stamp in ok_line and f"{len(good_feed())} B" in ok_line
    assert any("/missing.xml" in line and "HTTP 404" in line for line in lines)
    assert any("feeds/local.xml" in line and " file " in line for line in lines)
    assert "2 of 3 source(s) answered" in result.stderr


def test_check_says_unchanged_when_the_server_answers_304(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    url = server.add("/feed.xml", Route(good_feed(), etag='"1"'))
    workspace: Path = make_workspace(
        f'[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["{url}"]\n'
    )
    assert cli("-C", workspace, "check").exit_code == 0
    result = cli("-C", workspace, "check")
    assert result.exit_code == 0
    assert "304 unchanged" in result.stdout


def test_check_reports_an_invalid_config_with_status_3(make_workspace: Any, cli: Any) -> None:
    workspace: Path = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeedz = []\n')
    result = cli("-C", workspace, "check")
    assert result.exit_code == 3
    assert "feedz: unknown key" in result.output
