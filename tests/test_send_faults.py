"""Sending 200 messages through real SMTP servers that fail the way real ones do, with
``newsletter send`` as a real process (killed, interrupted, starved of disk).

Every test holds the same two promises, counting what the server received per
address: never a duplicate that the tool did not report as ``unknown`` (may already
have it), and never a recipient left unreached once the server recovers and the
command is run again (``--retry-unknown`` for those it reported).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.sending import count, statuses, subscribe, unknown, workspace
from tests.smtp import MailServer

N = 200


LIMITED = (
    "import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); "
    "sys.argv[0] = 'newsletter'; runpy.run_module('newsletter', run_name='__main__')"
)
"""Runs newsletter with a cap on the size of every file it writes (RLIMIT_FSIZE), as a
nearly full disk would; set in the child itself (preexec_fn is unsafe with threads)."""


def start_send(ws: Path, *args: str, limit: int | None = None) -> subprocess.Popen[str]:
    """``newsletter send`` as its own process, its files capped at ``limit`` bytes."""
    launch = ["-m", "newsletter"] if limit is None else ["-c", LIMITED, str(limit)]
    return subprocess.Popen(
        [sys.executable, *launch, "-C", str(ws), "send", "--yes", "--force", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def run_send(ws: Path, *args: str, limit: int | None = None) -> tuple[int, str]:
    process = start_send(ws, *args, limit=limit)
    output, _ = process.communicate(timeout=180)
    return process.returncode, " ".join(output.split())


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition() and process.poll() is None:
        assert time.monotonic() < deadline, "the sender made no progress"
        time.sleep(0.002)


def promises_kept(server: MailServer, ws: Path, addresses: list[str]) -> None:
    """No silent duplicate; after asking for the unknown ones, everyone reached."""
    maybe = unknown(ws)
    copies = count(server)
    assert {a for a, n in copies.items() if n > 1} <= maybe, "a duplicate nobody was told of"
    assert {a for a in addresses if copies[a] == 0} <= maybe, "someone left unreached"
    if maybe:
        code, said = run_send(ws, "--retry-unknown")
        assert code == 0, said
    copies = count(server)
    assert all(copies[a] >= 1 for a in addresses)
    assert {a for a, n in copies.items() if n > 1} <= maybe


def fresh(
    tmp_path: Path, server: MailServer, send: str = "", smtp: str = ""
) -> tuple[Path, list[str]]:
    ws = workspace(tmp_path, server.port, 'security = "plain"\n' + smtp, send=send)
    return ws, subscribe(ws, N)


def test_an_ack_lost_after_data_is_reported_never_retried_unasked(
    tmp_path: Path, servers: Any
) -> None:
    server = servers()
    ws, addresses = fresh(tmp_path, server)
    lost = set(addresses[5::20])
    server.lose_ack = lost  # kept by the server; the connection closes before its 250

    code, said = run_send(ws)
    assert code == 6
    assert f"{len(lost)} recipient(s) may already have it" in said
    assert count(server) == {a: 1 for a in addresses}  # 4 copies each, before
    assert unknown(ws) == lost
    assert statuses(ws) == {"sent": N - len(lost), "unknown": len(lost)}

    server.lose_ack = set()
    code, said = run_send(ws)
    assert code == 6 and "already sent" in said  # a plain re-run sends nothing
    assert sum(count(server).values()) == N
    promises_kept(server, ws, addresses)


def test_an_answer_that_never_comes_is_unknown_after_the_timeout(
    tmp_path: Path, servers: Any
) -> None:
    server = servers(data_delay=3)
    ws = workspace(tmp_path, server.port, 'security = "plain"\ntimeout = 0.5')
    code, said = run_send(ws)
    assert code == 6
    assert "3 recipient(s) may already have it" in said
    assert statuses(ws) == {"unknown": 3}
    assert len(server.received) == 3  # each tried once


def test_killed_at_20_random_points_never_a_silent_duplicate(tmp_path: Path, servers: Any) -> None:
    # Each 250 comes 4 ms after the message is kept, so some kills land between them.
    server = servers(data_delay=0.004)
    ws, addresses = fresh(tmp_path, server)
    chance = random.Random(16)
    kills = 0
    while kills < 20:
        process = start_send(ws)
        target = len(server.rcpt_attempts) + chance.randint(1, 8)
        wait_for(lambda target=target: len(server.rcpt_attempts) >= target, process)
        time.sleep(chance.uniform(0, 0.008))
        if process.poll() is not None:
            break
        process.kill()
        process.communicate()
        kills += 1
    assert kills == 20, "the send finished before it was killed 20 times"
    code, said = run_send(ws)
    assert code in (0, 6), said
    assert not {"pending", "attempting", "deferred"} & set(statuses(ws))
    promises_kept(server, ws, addresses)


def test_a_quota_refusal_at_mail_from_stops_the_round_with_the_rest_pending(
    tmp_path: Path, servers: Any
) -> None:
    server = servers(quota_after=100)
    ws, addresses = fresh(tmp_path, server)

    code, said = run_send(ws)
    assert code == 6
    assert "Stopped: 550 5.4.5 Daily sending quota exceeded (MAIL FROM)" in said
    assert statuses(ws) == {"sent": 100, "pending": 100}  # none marked failed

    server.quota_after = None
    code, said = run_send(ws)
    assert code == 0, said
    assert count(server) == {a: 1 for a in addresses}
    assert "100 sent now, 100 already done" in said


def test_the_same_refusal_for_several_recipients_in_a_row_stops_the_round(
    tmp_path: Path, servers: Any
) -> None:
    server = servers(refuse_all_after=50)
    ws, addresses = fresh(tmp_path, server)

    code, said = run_send(ws)
    assert code == 6
    assert "refused 3 different recipients in a row with the same answer" in said
    assert statuses(ws) == {"sent": 50, "pending": 150}
    assert len(server.rcpt_attempts) == 53

    server.refuse_all_after = None
    code, said = run_send(ws)
    assert code == 0, said
    assert count(server) == {a: 1 for a in addresses}


def test_a_full_disk_while_journaling_stops_at_once_and_loses_nothing(
    tmp_path: Path, servers: Any
) -> None:
    server = servers()
    ws, addresses = fresh(tmp_path, server)
    stopped = 0
    # The journal's write-ahead log grows ~25 KB a message until it is checkpointed.
    for limit in (150_000, 300_000, 600_000, 1_200_000):
        code, said = run_send(ws, limit=limit)
        if code == 0:
            break
        assert code == 10, said
        assert (
            "could not record" in said
            or "recording that failed" in said
            or ("recording the end of the send failed" in said)
        ), said
        assert "state.db" in said or "sent.log" in said, said  # the file is named
        stopped += 1
    assert stopped >= 3, "the file-size limits did not stop the runs"
    assert 0 < len(server.received) < N
    code, said = run_send(ws)
    assert code in (0, 6), said
    promises_kept(server, ws, addresses)


def test_ctrl_c_finishes_the_message_in_flight_then_stops(tmp_path: Path, servers: Any) -> None:
    server = servers(data_delay=0.02)
    ws, addresses = fresh(tmp_path, server)
    process = start_send(ws)
    wait_for(lambda: len(server.received) >= 30, process)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    said = " ".join(output.split())
    assert process.returncode == 130, said
    assert "Stopped by Ctrl-C after the message in flight" in said
    done = statuses(ws)
    assert set(done) == {"sent", "pending"}, done  # the one in flight finished
    assert done["sent"] == len(server.received)

    code, said = run_send(ws)
    assert code == 0, said
    assert count(server) == {a: 1 for a in addresses}
