"""Send records outlive state.db: every delivery is also appended to
``out/<issue>/sent.log``; ``send`` refuses an issue whose records show a send the
journal does not know, and ``newsletter log --rebuild`` restores the journal."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from newsletter.send.records import Records
from tests.sending import count, journal, said, send, statuses, workspace

SUBSCRIBERS = ["stefano@example.org", "thierry@example.org", "anne@example.org"]


def lose_state(ws: Path) -> None:
    for path in (ws / ".newsletter").glob("state.db*"):
        path.unlink()


def test_a_lost_state_db_is_refused_clearly_and_rebuilt_from_the_records(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 0
    log = ws / "out" / "2011-W26" / "sent.log"
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event"] for e in events][:1] == ["round"]
    assert [e["status"] for e in events if e.get("recipient") == SUBSCRIBERS[0]] == [
        "attempting",
        "unknown",
        "sent",
    ]
    assert events[-1]["event"] == "complete"

    lose_state(ws)
    refused = send(cli, ws)
    assert refused.exit_code == 6
    text = said(refused)
    assert "out/2011-W26/sent.log records round 1" in text and "3 sent" in text
    assert "the journal (.newsletter/state.db) does not know" in text
    assert "'newsletter log --rebuild'" in text and "--resend" in text
    assert len(server.received) == 3  # nobody mailed again
    assert "log --rebuild" in said(cli("-C", ws, "log"))

    rebuilt = cli("-C", ws, "log", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2011-W26 round 1: restored 3 of 3 deliveries (3 sent), finished." in said(rebuilt)
    assert {(r, s) for r, s, _ in journal(ws)} == {(a, "sent") for a in SUBSCRIBERS}
    again = send(cli, ws)
    assert again.exit_code == 6 and "already sent" in said(again)
    assert len(server.received) == 3
    # What the issue published is known again, so later drafts leave it out.
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    featured = db.execute("SELECT COUNT(*) FROM featured WHERE issue = '2011-W26'").fetchone()
    db.close()
    assert featured[0] > 0
    assert "up to date" in said(cli("-C", ws, "log", "--rebuild"))


def test_an_unfinished_send_resumes_after_the_rebuild(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(quota_after=1)
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 6
    lose_state(ws)
    assert send(cli, ws).exit_code == 6
    assert "1 sent, 2 pending" in said(cli("-C", ws, "log", "--rebuild"))

    server.quota_after = None
    resumed = send(cli, ws)
    assert resumed.exit_code == 0, resumed.output
    assert count(server) == Counter(SUBSCRIBERS)


def test_an_older_copy_of_state_db_is_caught(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers(defer={"anne@example.org": 1})
    ws = workspace(tmp_path, server.port, 'security = "plain"', send="retries = 0")
    assert send(cli, ws).exit_code == 6  # anne deferred
    backup = tmp_path / "state.db"
    shutil.copy(ws / ".newsletter" / "state.db", backup)
    assert send(cli, ws).exit_code == 0  # anne sent
    shutil.copy(backup, ws / ".newsletter" / "state.db")  # the old copy comes back

    refused = send(cli, ws)
    assert refused.exit_code == 6
    assert "records later states of 1 recipient(s) of round 1 (1 sent)" in said(refused)
    rebuilt = cli("-C", ws, "log", "--rebuild")
    assert "restored 1 of 3 deliveries (1 sent), finished." in said(rebuilt)
    assert statuses(ws) == {"sent": 3}
    assert count(server) == Counter(SUBSCRIBERS)


def test_resend_after_a_loss_starts_a_round_after_the_recorded_one(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 0
    lose_state(ws)
    resent = send(cli, ws, "--resend")
    assert resent.exit_code == 0, resent.output
    assert all(".r2." in m["Message-ID"] for m in server.messages[3:])
    assert count(server) == Counter({a: 2 for a in SUBSCRIBERS})
    # The journal now knows a later round: the records' first one is history.
    assert "already sent" in said(send(cli, ws))


def test_a_records_line_cut_short_is_skipped_and_closed_off(tmp_path: Path) -> None:
    records = Records(tmp_path, "2026-W47")
    at = "2026-11-23T09:00:00.000000+00:00"
    records.append(
        {"at": at, "event": "round", "round": 1, "backend": "smtp",
         "recipients": [["a@example.org", "", "subscriber"]], "message_ids": ["<1@x>"]}
    )  # fmt: skip
    records.close()
    with records.path.open("ab") as handle:
        handle.write(b'{"at": "2026-11-23T09:00:01", "event": "deliv')  # a crash mid-line
    records.append(
        {"at": "2026-11-23T09:00:02.000000+00:00", "event": "delivery", "round": 1,
         "recipient": "a@example.org", "status": "sent", "error": ""}
    )  # fmt: skip
    records.close()
    replayed = records.replay()
    assert replayed.damaged == [2]
    assert replayed.deliveries[1]["a@example.org"].status == "sent"
    assert replayed.deliveries[1]["a@example.org"].sent_at == "2026-11-23T09:00:02.000000+00:00"


def test_status_and_draft_read_the_records_when_the_journal_lost_the_send(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 0
    lose_state(ws)

    status = said(cli("-C", ws, "status"))
    assert "Not sent yet." not in status
    assert "out/2011-W26/sent.log records a send of 2011-W26 (round 1" in status
    assert "3 sent" in status and "'newsletter log --rebuild'" in status

    sent_draft = (ws / "drafts" / "2011-W26.yaml").read_bytes()
    again = cli("-C", ws, "draft", "--week", "2011-W26")
    assert again.exit_code == 2, again.output
    assert "out/2011-W26/sent.log records a send of 2011-W26" in said(again)
    assert (ws / "drafts" / "2011-W26.yaml").read_bytes() == sent_draft
