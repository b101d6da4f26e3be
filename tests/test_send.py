"""``newsletter send`` and ``newsletter log`` against real SMTP servers on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme

from newsletter.lock import workspace_lock
from tests.conftest import EXAMPLE
from tests.smtp import MailServer

SUBSCRIBERS = ["stefano@example.org", "thierry@example.org", "anne@example.org"]
PASSWORD = "s3cret-Pa55"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def servers() -> Iterator[Callable[..., MailServer]]:
    started: list[MailServer] = []

    def start(**options: Any) -> MailServer:
        server = MailServer(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def workspace(tmp_path: Path, port: int, smtp: str = "", send: str = "", ca: Any = None) -> Path:
    """The example workspace in tmp, its [send.smtp] pointed at ``port``."""
    root = tmp_path / "openstack"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("out", ".newsletter", "*.bak"))
    config = (root / "newsletter.toml").read_text("utf-8")
    config = config[: config.index("[send.smtp]")].replace("[send]\n", f"[send]\n{send}\n")
    config += f'[send.smtp]\nhost = "127.0.0.1"\nport = {port}\nretry_delay = 0\n{smtp}\n'
    (root / "newsletter.toml").write_text(config, "utf-8")
    if ca is not None:
        ca.cert_pem.write_to_path(str(root / "ca.pem"))
    return root


TLS_AUTH = (
    'security = "starttls"\nca_file = "ca.pem"\nusername = "bot"\n'
    'password_env = "NEWSLETTER_SMTP_PASSWORD"\n'
)


def send(cli: Any, ws: Path, *args: str) -> Any:
    return cli("-C", ws, "send", "--yes", "--force", *args)


def said(result: Any) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def count(server: MailServer) -> Counter[str]:
    return Counter(rcpt for received in server.received for rcpt in received.recipients)


def check_message(message: EmailMessage, recipient: str) -> None:
    """The structure and headers every message of the example issue must have."""
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert "Q2 2011 Community Health Statistics" in text.get_content()
    assert "<html" in html.get_content().lower()
    assert message["From"].addresses[0].addr_spec == "community@openstack.example.org"
    assert message["To"].addresses[0].addr_spec == recipient
    assert message["Reply-To"] == "community@openstack.example.org"
    assert message["Subject"] == "OpenStack Community Weekly Newsletter (June 25 – July 1, 2011)"
    assert message["Date"].datetime is not None
    assert re.fullmatch(r"<2011-W26\.[0-9a-f]{16}@openstack\.example\.org>", message["Message-ID"])
    assert message["List-Id"] == '"OpenStack Community" <weekly.openstack.example.org>'
    assert message["List-Archive"] == "<https://newsletter.openstack.example.org/>"
    unsubscribe = str(message["List-Unsubscribe"])
    assert "<mailto:weekly-unsubscribe@openstack.example.org?subject=unsubscribe>" in unsubscribe
    quoted = recipient.replace("@", "%40")
    assert f"<https://newsletter.openstack.example.org/unsubscribe?email={quoted}>" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_all("Bcc") is None and message.get_all("Cc") is None
    # The body's unsubscribe link is this recipient's own, in both parts.
    own = f"https://newsletter.openstack.example.org/unsubscribe?email={quoted}"
    assert own in text.get_content() and own in html.get_content()


def journal(ws: Path) -> list[tuple[str, str, int]]:
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    try:
        return db.execute(
            "SELECT recipient, status, attempts FROM deliveries ORDER BY recipient"
        ).fetchall()
    finally:
        db.close()


# ------------------------------------------------------------------ delivering


def test_example_to_three_subscribers_over_starttls_with_auth(
    tmp_path: Path, ca: trustme.CA, servers: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    server = servers(tls=server_context(ca), users={"bot": PASSWORD})
    ws = workspace(tmp_path, server.port, TLS_AUTH, ca=ca)

    result = send(cli, ws)

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert server.logins == ["bot"]
    assert count(server) == Counter(SUBSCRIBERS)
    ids = set()
    for received in server.received:
        assert received.sender == "community@openstack.example.org"
        check_message(received.message, received.recipients[0])
        ids.add(received.message["Message-ID"])
    assert len(ids) == 3
    assert {status for _, status, _ in journal(ws)} == {"sent"}

    log = cli("-C", ws, "log", "2011-W26")
    assert log.exit_code == 0
    for address in SUBSCRIBERS:
        assert re.search(rf"{re.escape(address)}.*sent", log.stdout)

    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    featured = db.execute("SELECT key FROM featured WHERE issue = '2011-W26'").fetchall()
    published = db.execute("SELECT via, items FROM published WHERE issue = '2011-W26'").fetchall()
    db.close()
    assert ("blogs:url:openstack.org/blog/2011/07/q2-2011-community-health-statistics",) in featured
    # The same record as `publish --mark` makes, by the same path.
    assert published == [("send", 25)]


def test_an_issue_already_sent_is_refused_unless_resend(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 0

    again = send(cli, ws)
    assert again.exit_code == 6
    assert "already sent" in said(again)
    assert len(server.received) == 3

    resent = send(cli, ws, "--resend")
    assert resent.exit_code == 0, resent.output
    assert count(server) == Counter({address: 2 for address in SUBSCRIBERS})
    second = [r.message["Message-ID"] for r in server.received[3:]]
    assert all(".r2." in message_id for message_id in second)
    assert "round 2" in cli("-C", ws, "log", "2011-W26").stdout
    overview = cli("-C", ws, "log").stdout
    assert re.search(r"2011-W26.*1.*3.*0.*0", overview)
    assert re.search(r"2011-W26.*2.*3.*0.*0", overview)


def test_implicit_tls(tmp_path: Path, ca: trustme.CA, servers: Any, cli: Any) -> None:
    server = servers(tls=server_context(ca), implicit_tls=True)
    ws = workspace(tmp_path, server.port, 'security = "ssl"\nca_file = "ca.pem"', ca=ca)
    result = send(cli, ws)
    assert result.exit_code == 0, result.output
    assert count(server) == Counter(SUBSCRIBERS)


def test_list_address_and_subscribers_are_each_sent_once(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(
        tmp_path,
        server.port,
        'security = "plain"',
        send='to = ["OpenStack <announce@lists.example.org>", "Anne@example.org"]',
    )
    assert send(cli, ws).exit_code == 0
    assert count(server) == Counter(
        ["announce@lists.example.org", *SUBSCRIBERS[:2], "Anne@example.org"]
    )


# ------------------------------------------------------------------ refusing to be unsafe


def test_wrong_password_fails_and_is_not_shown(
    tmp_path: Path, ca: trustme.CA, servers: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", "wrong-" + PASSWORD)
    server = servers(tls=server_context(ca), users={"bot": PASSWORD})
    ws = workspace(tmp_path, server.port, TLS_AUTH, ca=ca)
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "authentication as 'bot' failed" in said(result)
    assert PASSWORD not in result.output
    assert server.received == []


def test_a_server_without_starttls_is_refused_before_auth(
    tmp_path: Path, ca: trustme.CA, servers: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD", PASSWORD)
    server = servers(users={"bot": PASSWORD})  # offers AUTH, but no STARTTLS
    ws = workspace(tmp_path, server.port, TLS_AUTH, ca=ca)
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "does not offer STARTTLS" in said(result)
    assert server.logins == []
    assert server.rcpt_attempts == []


def test_a_certificate_from_an_unknown_ca_is_refused(
    tmp_path: Path, ca: trustme.CA, servers: Any, cli: Any
) -> None:
    server = servers(tls=server_context(ca))
    ws = workspace(tmp_path, server.port, 'security = "starttls"')  # no ca_file
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "certificate verify failed" in said(result)
    assert server.rcpt_attempts == []


def test_plain_to_a_remote_host_needs_allow_plain(tmp_path: Path, cli: Any) -> None:
    ws = workspace(tmp_path, 25, 'security = "plain"')
    config = ws / "newsletter.toml"
    config.write_text(config.read_text().replace('"127.0.0.1"', '"mail.example.org"'))
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "--allow-plain" in said(result)


def test_a_password_in_the_config_is_refused(tmp_path: Path, cli: Any) -> None:
    ws = workspace(tmp_path, 25, 'password = "hunter2"')
    result = send(cli, ws)
    assert result.exit_code == 3
    assert "never put the password in newsletter.toml" in said(result)
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    "subject",
    [
        "Weekly\\nBcc: victim@example.net",
        "Weekly\\r\\nBcc: victim@example.net",
        "A=?UTF-8?Q?=0A?=Bcc: victim@example.net",
        "A =?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLm5ldA==?=",
    ],
)
def test_subjects_hiding_line_breaks_are_refused(
    tmp_path: Path, servers: Any, cli: Any, subject: str
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"', send=f'subject = "{subject}"')
    config = ws / "newsletter.toml"
    config.write_text(config.read_text().replace('subject = "{title} ({window})"\n', ""))
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "subject" in said(result) and "line break" in said(result)
    assert server.rcpt_attempts == []
    assert not (ws / ".newsletter" / "state.db").exists() or journal(ws) == []


def test_a_subscriber_name_hiding_a_line_break_is_refused(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    with (ws / "subscribers.csv").open("a") as csv:
        csv.write("eve@example.org,=?UTF-8?Q?Eve=0D=0ABcc:_x@example.net?=\n")
    result = send(cli, ws)
    assert result.exit_code == 3
    assert "line 5" in said(result)
    assert server.rcpt_attempts == []


def test_an_unapproved_draft_needs_force_and_an_approved_one_does_not(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    refused = cli("-C", ws, "send", "--yes")
    assert refused.exit_code == 6
    assert "not approved" in said(refused)
    assert server.rcpt_attempts == []

    # An approval of other content (a hand-typed one, or an edit after approving) is none.
    draft = ws / "drafts" / "2011-W26.yaml"
    text = draft.read_text()
    draft.write_text(
        text + "approved:\n  by: editor\n  at: '2011-07-01T09:00:00+00:00'\n  digest: x\n"
    )
    stale = cli("-C", ws, "send", "--yes")
    assert stale.exit_code == 6 and "changed since editor" in said(stale)
    draft.write_text(text)
    assert cli("-C", ws, "approve", "--by", "editor").exit_code == 0
    result = cli("-C", ws, "send", "--yes")
    assert result.exit_code == 0, result.output
    assert len(server.received) == 3


def test_without_a_terminal_a_real_send_needs_yes(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    result = cli("-C", ws, "send", "--force")
    assert result.exit_code == 2
    assert "--yes" in said(result)
    assert server.rcpt_attempts == []


def test_a_locked_workspace_sends_nothing(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    with workspace_lock(ws, "draft"):
        result = send(cli, ws)
    assert result.exit_code == 5
    assert server.rcpt_attempts == []


# ------------------------------------------------------------------ dry run and test copy


def test_dry_run_writes_the_exact_messages_and_sends_nothing(tmp_path: Path, cli: Any) -> None:
    ws = workspace(tmp_path, 9, 'security = "plain"')  # nothing listens on port 9
    result = cli("-C", ws, "send", "--dry-run")
    assert result.exit_code == 0, result.output
    files = sorted((ws / "out" / "2011-W26").glob("*.eml"))
    assert [f.name for f in files] == [
        "001-stefano_at_example.org.eml",
        "002-thierry_at_example.org.eml",
        "003-anne_at_example.org.eml",
    ]
    from email import message_from_bytes
    from email.policy import default

    for path, address in zip(files, SUBSCRIBERS, strict=True):
        raw = path.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        message = message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        check_message(message, address)
    assert not (ws / ".newsletter" / "state.db").exists()


def test_test_to_sends_one_marked_copy_and_journals_nothing(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    result = cli("-C", ws, "send", "--test-to", "Editor <editor@example.org>")
    assert result.exit_code == 0, result.output
    assert count(server) == Counter(["editor@example.org"])
    message = server.messages[0]
    assert message["Subject"].startswith("[TEST] OpenStack Community Weekly Newsletter")
    assert ".test." in message["Message-ID"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Nothing" in cli("-C", ws, "log").stdout
    # The real send is still to come.
    assert send(cli, ws).exit_code == 0
    assert len(server.received) == 4


# ------------------------------------------------------------------ failures and resuming


def test_a_dropped_connection_then_a_rerun_sends_the_rest_exactly_once(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(drop_after=1)
    ws = workspace(tmp_path, server.port, 'security = "plain"\nretries = 1')
    first = send(cli, ws)
    assert first.exit_code == 6
    assert count(server) == Counter(SUBSCRIBERS[:1])
    assert "left to try" in said(first)

    server.drop_after = None
    second = send(cli, ws)
    assert second.exit_code == 0, second.output
    assert count(server) == Counter(SUBSCRIBERS)
    assert "1 already done" in said(second)


def test_status_says_whether_when_and_to_how_many_an_issue_was_sent(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(drop_after=1)
    ws = workspace(tmp_path, server.port, 'security = "plain"\nretries = 1')
    assert "Not sent yet." in said(cli("-C", ws, "status"))
    send(cli, ws)
    unfinished = said(cli("-C", ws, "status"))
    assert "Sending unfinished: 1 of 3 recipient(s) have it (started 20" in unfinished
    assert "run 'newsletter send' again to resume" in unfinished
    server.drop_after = None
    send(cli, ws)
    done = said(cli("-C", ws, "status"))
    assert re.search(r"Sent on \d{4}-\d\d-\d\d \d\d:\d\d UTC to 3 of 3 recipient\(s\)\.", done)


def test_a_temporary_refusal_is_retried(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers(defer={"thierry@example.org": 2})
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    result = send(cli, ws)
    assert result.exit_code == 0, result.output
    assert count(server) == Counter(SUBSCRIBERS)
    assert ("thierry@example.org", "sent", 3) in journal(ws)


def test_a_permanent_refusal_is_recorded_and_never_retried(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(refuse={"anne@example.org": "550 5.1.1 no such user"})
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    result = send(cli, ws)
    assert result.exit_code == 6
    assert count(server) == Counter(SUBSCRIBERS[:2])
    assert ("anne@example.org", "failed", 1) in journal(ws)
    log = cli("-C", ws, "log", "2011-W26").stdout
    assert re.search(r"anne@example\.org.*failed.*550 5\.1\.1 no such user", log)
    assert send(cli, ws).exit_code == 6
    assert server.rcpt_attempts.count("anne@example.org") == 1


def test_killing_the_sender_midway_then_rerunning_delivers_each_once(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(hang_after=1)
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    sender = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "-C", str(ws), "send", "--yes", "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while server.rcpt_attempts.count(SUBSCRIBERS[1]) == 0:
            assert time.monotonic() < deadline, "the sender never reached the second recipient"
            time.sleep(0.02)
        time.sleep(0.1)  # let it reach DATA, where the server never answers
    finally:
        sender.kill()
        sender.wait()
    assert count(server) == Counter(SUBSCRIBERS[:1])
    assert (SUBSCRIBERS[1], "attempt", 1) in journal(ws)

    server.hang_after = None
    result = send(cli, ws)
    assert result.exit_code == 0, result.output
    assert count(server) == Counter(SUBSCRIBERS)
    resent = [r.message for r in server.received if r.recipients == [SUBSCRIBERS[1]]]
    assert resent[0]["Message-ID"].startswith("<2011-W26.")
