"""``newsletter send`` and ``newsletter log`` against real SMTP servers on 127.0.0.1."""

from __future__ import annotations

import base64
import re
import sqlite3
import ssl
import subprocess
import sys
import time
from collections import Counter
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme

from newsletter.lock import workspace_lock
from tests.sending import count, journal, said, send, subscribe, workspace

SUBSCRIBERS = ["stefano@example.org", "thierry@example.org", "anne@example.org"]
PASSWORD = "s3cret-Pa55"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


TLS_AUTH = (
    'security = "starttls"\nca_file = "ca.pem"\nusername = "bot"\n'
    'password_env = "NEWSLETTER_SMTP_PASSWORD"\n'
)


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


@pytest.mark.parametrize(
    ("backend", "settings", "named"),
    [
        ("smtp", 'security = "plain"\nusername = "bot"\npassword_env = "UNSET_FOR_TEST"',
         "send.smtp.username: no SMTP password for 'bot': set the environment variable "
         "UNSET_FOR_TEST"),
        ("smtp", 'security = "starttls"\nca_file = "missing.pem"',
         "send.smtp.ca_file: 'missing.pem' cannot be used"),
        ("mailman3", "", "send.mailman3.password_env: the environment variable "
                         "MAILMAN_REST_PASSWORD holding the REST password is not set"),
    ],
)  # fmt: skip
def test_a_secret_or_file_the_config_names_but_is_missing_is_a_config_error(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, backend: str, settings: str,
    named: str,
) -> None:  # fmt: skip
    # Like a missing DKIM key: to be fixed before anything is sent; a retry cannot help.
    from tests.test_mailman import workspace as mailman_workspace

    monkeypatch.delenv("UNSET_FOR_TEST", raising=False)
    monkeypatch.delenv("MAILMAN_REST_PASSWORD", raising=False)
    if backend == "smtp":
        ws = workspace(tmp_path, 9, settings)  # nothing listens on port 9
    else:
        ws = mailman_workspace(tmp_path, "http://127.0.0.1:9/3.1", "weekly@lists.example.org")
    result = send(cli, ws)
    assert result.exit_code == 3, result.output
    assert named in said(result)
    assert not (ws / ".newsletter" / "state.db").exists() or journal(ws) == []


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


def test_a_subscriber_line_hiding_a_line_break_is_skipped_and_named(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    with (ws / "subscribers.csv").open("a") as csv:
        csv.write("eve@example.org,=?UTF-8?Q?Eve=0D=0ABcc:_x@example.net?=\n")
    result = send(cli, ws)
    assert result.exit_code == 0
    assert "warning subscribers.csv:5: name" in said(result) and "skipped" in said(result)
    assert "eve@example.org" not in server.rcpt_attempts
    assert "x@example.net" not in server.rcpt_attempts
    assert set(SUBSCRIBERS) <= set(server.rcpt_attempts)


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


def _dry_run(cli: Any, ws: Path, *args: str) -> dict[str, bytes]:
    """A dry run's files, by recipient; the run must succeed."""
    result = cli("-C", ws, "send", "--dry-run", *args)
    assert result.exit_code == 0, result.output
    files = (ws / "out" / "2011-W26").glob("*.eml")
    found = {}
    for path in files:
        message = message_from_string(path.read_text(), policy=default)
        found[message["To"].addresses[0].addr_spec] = path.read_bytes()
    return found


def _message_ids(messages: dict[str, bytes]) -> dict[str, str]:
    return {
        to: str(message_from_string(raw.decode())["Message-ID"]) for to, raw in messages.items()
    }


def test_a_dry_run_shows_what_the_next_send_sends_and_only_that(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(refuse={"anne@example.org": "550 5.1.1 no such user"})
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert len(_dry_run(cli, ws)) == 3
    assert send(cli, ws).exit_code == 6  # anne refused
    first = {r.recipients[0]: r.message["Message-ID"] for r in server.received}

    # --retry-failed: anne alone, in round 1; the earlier dry run's files are gone.
    retry = _message_ids(_dry_run(cli, ws, "--retry-failed"))
    assert list(retry) == ["anne@example.org"]
    assert retry["anne@example.org"].startswith("<2011-W26.")

    # A finished round: the dry run refuses as the send would.
    again = cli("-C", ws, "send", "--dry-run")
    assert again.exit_code == 6 and "already sent" in said(again)

    # --resend: everyone, with round 2's Message-IDs, the very ones then sent.
    server.refuse.clear()
    planned = _message_ids(_dry_run(cli, ws, "--resend"))
    assert sorted(planned) == sorted(SUBSCRIBERS)
    assert all(".r2." in mid for mid in planned.values())
    assert not set(planned.values()) & set(first.values())
    before = len(server.received)
    assert send(cli, ws, "--resend").exit_code == 0
    sent = {r.recipients[0]: r.message["Message-ID"] for r in server.received[before:]}
    assert sent == planned


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


def test_a_connection_lost_after_the_message_is_unknown_and_never_retried_unasked(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    # The server hangs up after the final dot: the message may or may not be kept.
    server = servers(drop_after=1)
    ws = workspace(tmp_path, server.port, 'security = "plain"', send="retries = 1")
    first = send(cli, ws)
    assert first.exit_code == 6
    assert count(server) == Counter(SUBSCRIBERS[:1])
    assert "2 recipient(s) may already have it" in said(first)
    assert server.rcpt_attempts == SUBSCRIBERS  # each tried once, never retried
    assert [status for _, status, _ in journal(ws)] == ["unknown", "sent", "unknown"]
    log = cli("-C", ws, "log", "2011-W26").stdout
    assert re.search(r"Thierry Carrez\s+│ unknown \(may have it\)", log)
    assert "may already have round 1" in log

    server.drop_after = None
    again = send(cli, ws)
    assert again.exit_code == 6 and "already sent" in said(again)
    assert count(server) == Counter(SUBSCRIBERS[:1])

    retried = send(cli, ws, "--retry-unknown")
    assert retried.exit_code == 0, retried.output
    assert count(server) == Counter(SUBSCRIBERS)
    # The same Message-ID: a reader who got both copies can tell them apart.
    ids = {r.recipients[0]: r.message["Message-ID"] for r in server.received}
    assert ".r2." not in ids["thierry@example.org"]


def test_an_answer_after_the_message_that_is_not_smtp_is_unknown_never_a_retry(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    # The server keeps the message, then answers a line with no reply code.
    server = servers(garble_ack={"thierry@example.org"})
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    first = send(cli, ws)
    assert first.exit_code == 6, first.output
    assert count(server) == Counter(SUBSCRIBERS)  # one copy each, none sent again
    assert ("thierry@example.org", "unknown", 1) in journal(ws)
    assert "1 recipient(s) may already have it" in said(first)


def test_status_says_whether_when_and_to_how_many_an_issue_was_sent(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers(quota_after=1)  # the relay's quota stops the round after one
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert "Not sent yet." in said(cli("-C", ws, "status"))
    send(cli, ws)
    unfinished = said(cli("-C", ws, "status"))
    assert "Sending unfinished: 1 of 3 recipient(s) have it (started 20" in unfinished
    assert "run 'newsletter send' again to resume" in unfinished
    server.quota_after = None
    send(cli, ws)
    done = said(cli("-C", ws, "status"))
    assert re.search(r"Sent on \d{4}-\d\d-\d\d \d\d:\d\d UTC to 3 of 3 recipient\(s\)\.", done)


def test_status_of_an_unfinished_round_names_those_who_may_already_have_it(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    # The first copy's answer is garbled (unknown), then the relay's quota stops the round.
    server = servers(garble_ack={SUBSCRIBERS[0]}, quota_after=2)
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    send(cli, ws)
    unfinished = said(cli("-C", ws, "status"))
    assert "Sending unfinished: 1 of 3 recipient(s) have it, 1 may already have it" in unfinished
    assert "'send --retry-unknown' mails them again" in unfinished


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


def test_killing_the_sender_after_the_final_dot_leaves_it_unknown(
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
        time.sleep(0.2)  # let it send the message, whose 250 never comes
    finally:
        sender.kill()
        sender.wait()
    assert count(server) == Counter(SUBSCRIBERS[:1])
    assert (SUBSCRIBERS[1], "unknown", 1) in journal(ws)

    server.hang_after = None
    result = send(cli, ws)
    assert result.exit_code == 6
    assert "1 recipient(s) may already have it (the server was given the message but " in said(
        result
    )
    assert f"answer was lost): {SUBSCRIBERS[1]}." in said(result)
    assert count(server) == Counter([SUBSCRIBERS[0], SUBSCRIBERS[2]])
    assert send(cli, ws, "--retry-unknown").exit_code == 0
    assert count(server) == Counter(SUBSCRIBERS)


# ------------------------------------------------------------------ lists, addresses, DKIM


def test_a_list_address_gets_the_lists_headers_never_a_personal_unsubscribe(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(
        tmp_path,
        server.port,
        'security = "plain"',
        send='to = [{ address = "OpenStack <announce@lists.example.org>", '
        'unsubscribe = "mailto:announce-leave@lists.example.org" }]',
    )
    assert send(cli, ws).exit_code == 0
    by_rcpt = {r.recipients[0]: r.message for r in server.received}
    post = by_rcpt["announce@lists.example.org"]
    assert post["To"].addresses[0].display_name == "OpenStack"
    assert post["List-Id"] == '"OpenStack Community" <weekly.openstack.example.org>'
    assert post["List-Post"] == "<mailto:announce@lists.example.org>"
    # The list's own unsubscribe: any member pressing the button leaves the list,
    # not the list address.
    assert post["List-Unsubscribe"] == "<mailto:announce-leave@lists.example.org>"
    assert post["List-Unsubscribe-Post"] is None
    body = post.get_body(("plain",)).get_content()
    assert "unsubscribe?email=announce" not in body
    assert "https://newsletter.openstack.example.org/unsubscribe?email=" in body
    for address in SUBSCRIBERS:  # subscribers keep their own one-click link
        check_message(by_rcpt[address], address)
        assert by_rcpt[address]["List-Post"] is None


def test_an_internationalized_address_goes_with_smtputf8_or_alone_is_reported(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    plain = servers()
    ws = workspace(tmp_path, plain.port, 'security = "plain"')
    with (ws / "subscribers.csv").open("a", encoding="utf-8") as csv:
        csv.write("chloé@example.fr,Chloé Dupont\nanna@bücher.example,Anna\n")

    refused = send(cli, ws)
    assert refused.exit_code == 6
    assert "chloé@example.fr is an internationalized address and 127.0.0.1:" in said(refused)
    assert "does not offer SMTPUTF8" in said(refused)
    # Everyone else got it; an internationalized domain travels in its ASCII form.
    assert count(plain) == Counter([*SUBSCRIBERS, "anna@xn--bcher-kva.example"])
    assert ("chloé@example.fr", "failed", 1) in journal(ws)

    utf8 = servers(smtputf8=True)
    config = ws / "newsletter.toml"
    config.write_text(config.read_text().replace(f"port = {plain.port}", f"port = {utf8.port}"))
    retried = send(cli, ws, "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert count(utf8) == Counter(["chloé@example.fr"])
    message = message_from_string(utf8.received[0].raw.decode("utf-8"), policy=default)
    assert message["To"].addresses[0].username == "chloé"
    assert message["Subject"] == "OpenStack Community Weekly Newsletter (June 25 – July 1, 2011)"
    assert b'To: "Chlo\xc3\xa9 Dupont" <chlo\xc3\xa9@example.fr>' in utf8.received[0].raw


def _dkim_key() -> tuple[bytes, bytes]:
    """A fresh RSA key: its PEM, and the TXT record that would publish it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


DKIM = '\n[send.dkim]\ndomain = "openstack.example.org"\nselector = "weekly"\n'


def _verified(raw: bytes, record: bytes) -> bool:
    import dkim

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"weekly._domainkey.openstack.example.org." else None

    return bool(dkim.verify(raw, dnsfunc=dns))


def test_every_message_is_dkim_signed_over_the_one_click_headers(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    pem, record = _dkim_key()
    server = servers()
    ws = workspace(
        tmp_path,
        server.port,
        'security = "plain"\n' + DKIM + 'key_file = "dkim.pem"',
        send='to = ["announce@lists.example.org"]',
    )
    (ws / "dkim.pem").write_bytes(pem)
    result = send(cli, ws)
    assert result.exit_code == 0, result.output
    assert "not DKIM-signed" not in said(result)
    assert len(server.received) == 4
    for received in server.received:
        assert _verified(received.raw, record), received.recipients
        signature = " ".join(str(received.message["DKIM-Signature"]).split())
        signed = set(re.search(r"\bh=([^;]+)", signature).group(1).replace(" ", "").split(":"))  # type: ignore[union-attr]
        assert {"from", "to", "subject", "date", "message-id", "list-id"} <= signed
        if received.recipients != ["announce@lists.example.org"]:
            assert {"list-unsubscribe", "list-unsubscribe-post"} <= signed
    # A signature made with another key does not verify: the check can fail.
    _, other = _dkim_key()
    assert not _verified(server.received[0].raw, other)


def test_a_dry_run_with_nobody_left_to_try_says_who_is_where(tmp_path: Path, cli: Any) -> None:
    from newsletter.send.journal import Journal, Recipient
    from newsletter.state import StateStore, state_path

    ws = workspace(tmp_path, 9, 'security = "plain"')
    # An unfinished round whose every copy waits for a moderator (as Mailman holds them).
    with StateStore(state_path(ws)) as store:
        journal = Journal(store)
        at = "2011-07-01T12:00:00+00:00"
        ids = {a: f"<{n}.2011-W26@example.org>" for n, a in enumerate(SUBSCRIBERS)}
        journal.start("2011-W26", 1, [Recipient(a) for a in SUBSCRIBERS], ids, "smtp", at)
        for address in SUBSCRIBERS:
            journal.mark("2011-W26", 1, address, "held", "", at)
    result = cli("-C", ws, "send", "--dry-run")
    assert result.exit_code == 0, result.output
    said_ = " ".join(result.output.split())
    assert "Dry run: nobody left to try in round 1 (3 held);" in said_, said_
    assert not list((ws / "out" / "2011-W26").glob("*.eml"))


def test_a_dkim_key_from_the_environment_signs_the_dry_run(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem, record = _dkim_key()
    monkeypatch.setenv("DKIM_KEY", pem.decode().replace("\n", "\\n"))  # one line, as kept
    ws = workspace(tmp_path, 9, 'security = "plain"\n' + DKIM + 'key_env = "DKIM_KEY"')
    assert cli("-C", ws, "send", "--dry-run").exit_code == 0
    files = sorted((ws / "out" / "2011-W26").glob("*.eml"))
    assert len(files) == 3 and all(_verified(f.read_bytes(), record) for f in files)


def test_a_dkim_key_that_cannot_sign_is_a_config_error_before_sending(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"\n' + DKIM + 'key_file = "dkim.pem"')
    (ws / "dkim.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n")
    result = send(cli, ws)
    assert result.exit_code == 3
    assert "send.dkim: the key in dkim.pem cannot sign" in said(result)
    assert server.rcpt_attempts == []


@pytest.mark.parametrize(
    ("setting", "missing"),
    [
        ('key_env = "DKIM_KEY"', "send.dkim.key_env: the environment variable DKIM_KEY is not set"),
        ('key_file = "dkim.pem"', "send.dkim.key_file: cannot read"),
    ],
)
def test_a_missing_dkim_key_is_a_config_error_whichever_way_it_is_named(
    tmp_path: Path,
    servers: Any,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    missing: str,
) -> None:
    monkeypatch.delenv("DKIM_KEY", raising=False)
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"\n' + DKIM + setting)
    for result in (send(cli, ws), cli("-C", ws, "send", "--dry-run")):
        assert result.exit_code == 3, result.output
        assert missing in said(result)
    assert server.rcpt_attempts == []


# ------------------------------------------------------------------ flags and pacing


def test_retry_failed_tries_only_the_refused_again(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers(refuse={"anne@example.org": "550 5.1.1 no such user"})
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 6
    nothing = send(cli, ws)
    assert nothing.exit_code == 6 and "already sent" in said(nothing)

    server.refuse = {}
    retried = send(cli, ws, "--retry-failed")
    assert retried.exit_code == 0, retried.output
    assert count(server) == Counter(SUBSCRIBERS)
    again = send(cli, ws, "--retry-failed")
    assert again.exit_code == 6 and "no recipient is failed" in said(again)


def test_resend_asks_first_and_says_what_it_will_do(tmp_path: Path, servers: Any, cli: Any) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    assert send(cli, ws).exit_code == 0
    asked = cli("-C", ws, "send", "--force", "--resend")
    assert asked.exit_code == 2
    assert "was already sent (round 1, to 3 recipient(s))" in said(asked)
    assert "AGAIN, with new Message-IDs" in said(asked)
    assert len(server.received) == 3


def test_one_connection_carries_every_message_at_the_paced_rate(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"', send="max_per_second = 20")
    subscribe(ws, 12)
    assert send(cli, ws).exit_code == 0
    assert len(server.received) == 12
    assert len(server.connections) == 1
    # Each transaction starts 1/20 s after the one before it, at the earliest.
    span = server.received[-1].at - server.received[0].at
    assert span >= 11 / 20 * 0.9
