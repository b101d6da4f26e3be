"""The subscribers file is hand-kept: a bad line is named and skipped, never a crash
halfway through a send, and internationalized addresses are addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.send.message import read_subscribers
from tests.smtp import MailServer
from tests.test_send import SUBSCRIBERS, journal, said, send, workspace


@pytest.fixture
def server() -> Iterator[MailServer]:
    started = MailServer().start()
    yield started
    started.stop()


BAD = [
    "a@b@example.net",
    "no-at-sign.example.org",
    "two..dots@example.org",
    "trailing-dot.@example.org",
    "space in@example.org",
    "x@localhost",
    "x@[127.0.0.1]",
    "x@-example.org",
]


def test_bad_lines_are_named_with_file_and_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    lines = ["email,name", "ann@example.org,Ann", *(f"{bad},Bad" for bad in BAD), "bo@example.org"]
    path.write_text("\n".join(lines) + "\n", "utf-8")

    found = read_subscribers(path, "subscribers.csv")

    assert [(r.address, r.name) for r in found.recipients] == [
        ("ann@example.org", "Ann"),
        ("bo@example.org", ""),
    ]
    assert [line.split(": ", 1)[0] for line in found.skipped] == [
        f"subscribers.csv:{number}" for number in range(3, 3 + len(BAD))
    ]
    assert all(line.endswith("; skipped") for line in found.skipped)


def test_a_quote_left_open_is_named_with_the_lines_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text('ann@example.org\n"bo@example.org,Bo\ncy@example.org\n', "utf-8")
    found = read_subscribers(path, "subscribers.csv")
    assert [r.address for r in found.recipients] == ["ann@example.org"]
    assert found.skipped == [
        "subscribers.csv:2-3: a quote opened on line 2 is not closed on it; these lines "
        "were skipped"
    ]


def test_internationalized_addresses_are_accepted_and_domains_sent_as_idna(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.csv"
    path.write_text("josé@example.org,José\njohn@exämple.org,John\n", "utf-8")
    found = read_subscribers(path)
    assert found.skipped == []
    assert [(r.address, r.name) for r in found.recipients] == [
        ("josé@example.org", "José"),
        ("john@xn--exmple-cua.org", "John"),
    ]


@pytest.mark.parametrize("bad", ["a@b@example.net", "x@localhost"])
def test_a_bad_address_mid_list_never_stops_the_send(
    tmp_path: Path, server: MailServer, cli: Any, bad: str
) -> None:
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    csv = ws / "subscribers.csv"
    rows = csv.read_text("utf-8").splitlines()
    rows.insert(2, f"{bad},Mallory")  # between the first and the second subscriber
    csv.write_text("\n".join(rows) + "\n", "utf-8")

    result = send(cli, ws)

    assert result.exit_code == 0, result.output
    assert f"warning subscribers.csv:3: address '{bad}' is not an email address" in said(result)
    assert sorted(server.rcpt_attempts) == sorted(SUBSCRIBERS)
    assert {row[0] for row in journal(ws)} == set(SUBSCRIBERS)
    assert "Traceback" not in result.output


def test_an_internationalized_subscriber_is_sent_or_fails_alone(
    tmp_path: Path, server: MailServer, cli: Any
) -> None:
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    with (ws / "subscribers.csv").open("a", encoding="utf-8") as csv:
        csv.write("josé@example.org,José\n")

    result = send(cli, ws)

    assert "skipped" not in said(result)
    assert set(SUBSCRIBERS) <= set(server.rcpt_attempts)
    status = {row[0]: row[1] for row in journal(ws)}
    assert all(status[address] == "sent" for address in SUBSCRIBERS)
    # Sent when the server offers SMTPUTF8; otherwise refused for this recipient alone.
    assert status["josé@example.org"] == "sent" or "SMTPUTF8" in said(result)
