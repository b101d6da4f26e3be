"""Posting an issue through a real Mailman 3 list (the ``mailman3`` send backend).

Mailman runs from PyPI in its own virtualenv (tests/mailman.py), its outgoing mail
pointed at an aiosmtpd server here, so what each member receives is counted.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from tests.mailman import PASSWORD, Mailman
from tests.sending import said
from tests.smtp import MailServer

MEMBERS = ["ada@example.net", "grace@example.net", "linus@example.net"]


@pytest.fixture(scope="session")
def mail() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mailman(mail: MailServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mailman]:
    instance = Mailman(tmp_path_factory.mktemp("mailman"), mail.port).start()
    yield instance
    instance.stop()


def workspace(tmp_path: Path, rest_url: str, address: str) -> Path:
    """The example workspace sending with the configuration of the README, as written."""
    root = tmp_path / "openstack"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("out", ".newsletter", "*.bak"))
    config = (root / "newsletter.toml").read_text("utf-8")
    config = config[: config.index("[send]")] + (
        "[send]\n"
        'from = "Bar Weekly <weekly@example.org>"\n'
        'subject = "{title} ({window})"\n'
        'backend = "mailman3"\n\n'
        "[send.mailman3]\n"
        f'rest_url = "{rest_url}"\n'
        'user = "restadmin"\n'
        'password_env = "MAILMAN_REST_PASSWORD"\n'
        f'list = "{address}"\n'
    )
    (root / "newsletter.toml").write_text(config, "utf-8")
    return root


def copies(mail: MailServer, subject_part: str) -> Counter[str]:
    """How many copies of the issue each address received from Mailman."""
    return Counter(
        rcpt
        for received in mail.received
        if subject_part in str(received.message["Subject"])
        for rcpt in received.recipients
    )


def wait_for_members(mail: MailServer, list_name: str) -> None:
    deadline = time.monotonic() + 60
    while set(copies(mail, list_name)) < set(MEMBERS):
        assert time.monotonic() < deadline, f"the members never got it: {copies(mail, list_name)}"
        time.sleep(0.2)
    time.sleep(2)  # room for a second copy, were one on its way


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILMAN_REST_PASSWORD", PASSWORD)


def test_each_member_gets_one_copy_and_a_rerun_posts_nothing(
    mailman: Mailman, mail: MailServer, tmp_path: Path, cli: Any, password: None
) -> None:
    mailman.make_list("weekly@lists.example.org", MEMBERS, nonmembers="accept")
    ws = workspace(tmp_path, mailman.rest, "weekly@lists.example.org")

    result = cli("-C", ws, "send", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert "1 sent now" in said(result)
    wait_for_members(mail, "[Weekly]")
    assert copies(mail, "[Weekly]") == Counter(MEMBERS)
    delivered = next(r.message for r in mail.received if "[Weekly]" in r.message["Subject"])
    assert delivered["Message-ID"].startswith("<2011-W26.")
    assert "Q2 2011 Community Health Statistics" in delivered.get_body(("plain",)).get_content()

    again = cli("-C", ws, "send", "--yes", "--force")
    assert again.exit_code == 6 and "already sent" in said(again)
    time.sleep(2)
    assert copies(mail, "[Weekly]") == Counter(MEMBERS)
    log = cli("-C", ws, "log").stdout
    assert "mailman3" in log
    assert "weekly@lists.example.org" in cli("-C", ws, "log", "2011-W26").stdout


def test_a_post_held_for_moderation_is_reported_held_until_released(
    mailman: Mailman, mail: MailServer, tmp_path: Path, cli: Any, password: None
) -> None:
    list_id = mailman.make_list("moderated@lists.example.org", MEMBERS, nonmembers="hold")
    ws = workspace(tmp_path, mailman.rest, "moderated@lists.example.org")

    held = cli("-C", ws, "send", "--yes", "--force")
    assert held.exit_code == 6, held.output
    assert "1 held for moderation" in said(held)
    assert "held for moderation" in cli("-C", ws, "log", "2011-W26").stdout
    assert len(mailman.held(list_id)) == 1
    status = said(cli("-C", ws, "status"))
    assert "Held for moderation: 1 post(s) wait for a list moderator, 0 of 1" in status
    assert "once a moderator releases it, run 'newsletter send' to record it" in status
    assert "resume" not in status

    still = cli("-C", ws, "send", "--yes", "--force")
    assert still.exit_code == 6 and "still waiting for a moderator" in said(still)
    assert len(mailman.held(list_id)) == 1  # not posted a second time

    (request,) = mailman.held(list_id)
    mailman.call("POST", f"/lists/{list_id}/held/{request['request_id']}", action="accept")
    wait_for_members(mail, "[Moderated]")
    released = cli("-C", ws, "send", "--yes", "--force")
    assert released.exit_code == 0, released.output
    assert "left moderation: accepted by a moderator, or discarded" in said(released)
    assert copies(mail, "[Moderated]") == Counter(MEMBERS)
    assert "to 1 of 1 recipient(s)." in said(cli("-C", ws, "status"))


def test_a_list_that_does_not_exist_is_named(
    mailman: Mailman, tmp_path: Path, cli: Any, password: None
) -> None:
    ws = workspace(tmp_path, mailman.rest, "nobody@lists.example.org")
    result = cli("-C", ws, "send", "--yes", "--force")
    assert result.exit_code == 6
    assert "has no list nobody@lists.example.org" in said(result)


def test_a_wrong_rest_password_is_refused_without_posting(
    mailman: Mailman, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILMAN_REST_PASSWORD", "wrong")
    ws = workspace(tmp_path, mailman.rest, "weekly@lists.example.org")
    result = cli("-C", ws, "send", "--yes", "--force")
    assert result.exit_code == 6
    assert "Mailman refused the REST user 'restadmin'" in said(result)
    assert "wrong" not in result.output
