"""``kind = "public-inbox"`` against a real public-inbox (Debian's package) on 127.0.0.1.

The fixture makes an inbox with ``public-inbox-init -V2``, delivers messages with
``public-inbox-mda`` as a mail server would, indexes them, and serves them with
``public-inbox-httpd``; the provider reads the window through the inbox's search
(``POST ?q=d:…&x=m&t=1``, an mbox.gz of whole threads).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mail import mail
from tests.test_mailing_lists import at, draft, figures, section_toml

ADDRESS = "dev@lists.example.org"

MESSAGES = [
    mail("[dev] Old thread", "Ann Old <ann@x.org>", at(10), "<start@x>"),
    mail("Re: [dev] Old thread", "Bob <bob@x.org>", at(28), "<old2@x>", reply_to="<start@x>"),
    mail("[dev] Config drive", "Thorsten von Eicken <tve@x.org>", at(27), "<cd/1@x>",
         "Hi all,\n\nWe have feedback on the configuration drive.\n"),
    mail("Re: [dev] Config drive", "Scott Moser <smoser@x.org>", at(27, hour=14), "<cd2@x>",
         reply_to="<cd/1@x>"),
    mail("Re: [dev] Config drive", "Paul Voccio <pv@x.org>", at(28), "<cd3@x>",
         reply_to="<cd2@x>"),
    mail("[dev] After the week", "Cy <cy@x.org>", at(20, month=7), "<late@x>"),
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real public-inbox serving MESSAGES."""
    if shutil.which("public-inbox-httpd") is None:
        pytest.skip("public-inbox is not installed (scripts/install-system-deps.sh installs it)")
    root = tmp_path_factory.mktemp("public-inbox")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/dev/"
    env = {**os.environ, "PI_CONFIG": str(root / "config"), "HOME": str(root)}

    def run(*command: str, stdin: str | None = None, **extra: str) -> None:
        subprocess.run(
            command, input=stdin, env={**env, **extra}, check=True, capture_output=True,
            text=True, timeout=120,
        )  # fmt: skip

    run("public-inbox-init", "-V2", "dev", str(root / "dev"), url, ADDRESS)
    run("git", "config", "-f", str(root / "config"), "publicinboxmda.spamcheck", "none")
    for message in MESSAGES:
        headers = message.split("\n", 1)[1]  # without the mbox envelope line
        run("public-inbox-mda", "--no-precheck", stdin=headers, ORIGINAL_RECIPIENT=ADDRESS)
    run("public-inbox-index", str(root / "dev"))
    server = subprocess.Popen(
        ["public-inbox-httpd", "-l", f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_window_is_read_through_the_inbox_search(
    inbox: str, make_workspace: Any, cli: Any
) -> None:
    ws = make_workspace(section_toml("public-inbox", inbox))
    section = draft(cli, ws)
    assert section["problems"] == []
    by_title = {item["title"]: item for item in section["items"]}
    assert sorted(by_title) == ["Config drive", "Old thread"]
    drive = by_title["Config drive"]
    # Each thread links to its first message's page, its Message-ID escaped as
    # public-inbox escapes it.
    assert drive["url"] == f"{inbox}cd%2F1@x/"
    assert drive["summary"] == "We have feedback on the configuration drive."
    assert drive["details"]["participants"] == ["Thorsten von Eicken", "Scott Moser",
                                                "Paul Voccio"]  # fmt: skip
    # A thread started before the week comes whole (t=1): its starter leads it.
    old = by_title["Old thread"]
    assert (old["author"], old["url"]) == ("Ann Old", f"{inbox}start@x/")
    assert (old["details"]["messages_in_window"], old["details"]["messages_total"]) == (1, 2)
    assert figures(ws)["lists/dev/messages"] == 4


def test_a_quiet_week_is_no_problem_and_a_wrong_inbox_is_one(
    inbox: str, make_workspace: Any, cli: Any
) -> None:
    quiet = make_workspace(section_toml("public-inbox", inbox), name="quiet")
    result = cli("-C", quiet, "draft", "--week", "2012-W26")
    assert result.exit_code == 0, result.output
    assert "problems: []" in (quiet / "drafts" / "2012-W26.yaml").read_text()
    wrong = inbox.replace("/dev/", "/nope/")
    section = draft(cli, make_workspace(section_toml("public-inbox", wrong), name="wrong"))
    assert section["items"] == []
    (problem,) = section["problems"]
    assert problem.startswith(f"dev ({wrong}?q=d:20110626..20110705&x=m&t=1): HTTP 404")
