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


def _rows(output: str) -> dict[str, str]:
    """Each table row of ``check``'s output, by the source it names; a long cell wraps
    onto the next lines, whose first cell is empty. Spaces are left out: a wrapped cell
    loses the one where it was cut."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if "│" not in line:
            continue
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    return {cells[1]: "".join("".join(cells[2:]).split()) for cells in rows}


def test_check_probes_every_kind_of_source_and_names_the_misspelled_ones(
    make_workspace: Any, cli: Any, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from tests.gitrepos import Repo

    when = datetime(2026, 11, 16, tzinfo=UTC)
    remote = Repo(tmp_path / "remote")
    remote.commit("Ann <a@x.org>", when, {"a": "1"})
    sections = f"""
    [[section]]
    id = "events"
    provider = "events"
    calendars = ["calendars/comunity.ics", "calendars/ok.ics"]
    events_file = "evnts.yaml"

    [[section]]
    id = "lists"
    provider = "mailing_lists"
    [[section.lists]]
    name = "dev"
    url = "archives/dev.mbx"

    [[section]]
    id = "stats"
    provider = "stats"
    [[section.repos]]
    name = "nova"
    path = "repos/nova"
    [[section.repos]]
    name = "swift"
    path = "repos/swfit"
    [[section.repos]]
    name = "remote"
    url = "file://{tmp_path / "remote"}"
    [[section.repos]]
    name = "gone"
    url = "file://{tmp_path / "gone"}"

    [[section]]
    id = "inbox"
    provider = "inbox"
    submissions = "submisions"
    mailbox = "mail/Maildir"
    """
    workspace: Path = make_workspace(
        sections,
        files={
            "calendars/ok.ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            "mail/Maildir/cur/1": "Subject: x\n\nHello\n",
            "mail/Maildir/new/.keep": "",
            "submissions/a.md": "---\ntitle: x\n---\n",
        },
    )
    Repo(workspace / "repos" / "nova").commit("Ann <a@x.org>", when, {"a": "1"})
    result = cli("-C", workspace, "check")
    assert result.exit_code == 4, result.output
    rows = _rows(result.stdout)
    assert sorted(rows) == sorted(
        [
            "calendars/comunity.ics", "calendars/ok.ics", "evnts.yaml", "archives/dev.mbx",
            "repos/nova", "repos/swfit", f"file://{tmp_path / 'remote'}",
            f"file://{tmp_path / 'gone'}", "submisions", "mail/Maildir",
        ]
    )  # fmt: skip
    for failed in ("calendars/comunity.ics", "evnts.yaml", "archives/dev.mbx"):
        assert "Nosuchfile" in rows[failed], rows[failed]
    assert rows["repos/swfit"].startswith("nosuchfolder")
    assert rows["submisions"].startswith("nosuchfolder")
    assert "doesnotappeartobeagitrepository" in rows[f"file://{tmp_path / 'gone'}"]
    assert rows["calendars/ok.ics"].startswith("file")
    assert rows["repos/nova"].startswith("gitrepository")
    assert rows[f"file://{tmp_path / 'remote'}"].startswith("gitremote,1branch")
    assert rows["mail/Maildir"].startswith("Maildir,1message")
    assert "4 of 10 source(s) answered" in result.stderr


def test_check_shows_when_each_local_source_was_last_modified(
    make_workspace: Any, cli: Any
) -> None:
    import os
    from email.utils import parsedate_to_datetime

    stamp = "Wed, 18 Nov 2026 10:00:00 GMT"
    older = parsedate_to_datetime("Mon, 16 Nov 2026 08:00:00 GMT").timestamp()
    newest = parsedate_to_datetime(stamp).timestamp()
    sections = """
    [[section]]
    id = "blogs"
    provider = "blogs"
    feeds = ["feeds/local.xml"]

    [[section]]
    id = "lists"
    provider = "mailing_lists"
    [[section.lists]]
    name = "dev"
    url = "archives/dev.mbox"

    [[section]]
    id = "inbox"
    provider = "inbox"
    submissions = "submissions"
    mailbox = "mail/Maildir"
    """
    files = {
        "feeds/local.xml": good_feed(),
        "archives/dev.mbox": "From a@x.org Mon Nov 16 08:00:00 2026\nSubject: x\n\nHi\n",
        "mail/Maildir/cur/1": "Subject: x\n\nHello\n",
        "mail/Maildir/new/2": "Subject: y\n\nHello\n",
        "submissions/a.md": "---\ntitle: x\n---\n",
        "submissions/b.md": "---\ntitle: y\n---\n",
    }
    workspace: Path = make_workspace(sections, files=files)
    # A folder's time is its newest file's.
    latest = {"feeds/local.xml", "archives/dev.mbox", "mail/Maildir/new/2", "submissions/b.md"}
    for name in files:
        when = newest if name in latest else older
        os.utime(workspace / name, (when, when))
    result = cli("-C", workspace, "check")
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    shown = "".join(stamp.split())
    for source in ("feeds/local.xml", "archives/dev.mbox", "mail/Maildir", "submissions"):
        assert rows[source].endswith(shown), rows[source]


def test_history_lists_sources_failing_or_empty_week_after_week(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from tests.feeds import Post, rss

    monday = datetime(2026, 11, 2, 10, tzinfo=UTC)  # 2026-W45
    weekly = [Post(f"Week {n}", f"https://a.example/{n}", monday + timedelta(weeks=n))
              for n in range(3)]  # fmt: skip
    alive = server.add("/alive.rss", rss(weekly))
    stale = server.add(
        "/stale.rss", rss([Post("Old", "https://b.example/old", monday - timedelta(days=400))])
    )
    gone = server.add("/gone.rss", Route(status=410))
    workspace: Path = make_workspace(
        f'[[section]]\nid = "blogs"\nprovider = "blogs"\nfeeds = ["{alive}", "{stale}", "{gone}"]\n'
    )
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        assert cli("-C", workspace, "draft", "--week", week).exit_code == 0
    with sqlite3.connect(workspace / ".newsletter" / "state.db") as db:
        rows = db.execute(
            "SELECT source, outcome, items, bytes > 0, detail FROM source_health"
            " WHERE issue = '2026-W47' ORDER BY source"
        ).fetchall()
    assert rows == [
        (alive, "ok", 1, 1, ""),
        (gone, "failed", None, 0, "HTTP 410 Gone"),
        (stale, "empty", 0, 1, ""),
    ]
    result = cli("-C", workspace, "check", "--history")
    assert result.exit_code == 4, result.output
    listed = _rows(result.stdout)
    assert listed == {
        gone: "failed32026-W45HTTP410Gone",
        stale: "empty32026-W45",
    }
    assert "2 of 3 source(s) failed or came back empty in each of the last 3 drafts" in (
        result.stderr
    )
    longer = cli("-C", workspace, "check", "--history", "--weeks", "4")
    assert longer.exit_code == 0
    assert "0 of 3 source(s)" in longer.stderr
