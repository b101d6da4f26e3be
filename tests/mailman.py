"""A real Mailman 3 core for the tests: the ``mailman`` package from PyPI in its own
virtualenv (made on first use under ``.cache/mailman3/``, kept between runs), started
once per test session with its REST API and outgoing SMTP on 127.0.0.1.

Its dependencies are pinned in ``tests/mailman-constraints.txt`` (as tested; a change
there reinstalls). The REST API takes ~10-20 s to answer after ``mailman start``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = Path(__file__).with_name("mailman-constraints.txt")
VENV = ROOT / ".cache" / "mailman3" / "venv"
PASSWORD = "rest-Pa55"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def installed_mailman() -> Path:
    """The ``mailman`` command of the cached venv, installing it if needed."""
    stamp = hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()
    marker = VENV / ".installed"
    command = VENV / "bin" / "mailman"
    if marker.is_file() and marker.read_text() == stamp and command.exists():
        return command
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         "-c", str(CONSTRAINTS), "mailman"],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install mailman:\n{done.stdout}\n{done.stderr}")
    marker.write_text(stamp)
    return command


@dataclass
class Mailman:
    """One running Mailman 3 core; ``rest`` is its REST API's base URL."""

    home: Path
    smtp_port: int
    rest_port: int = 0

    @property
    def rest(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}/3.1"

    def start(self) -> Mailman:
        self.command = installed_mailman()
        self.rest_port = free_port()
        self.config = self.home / "mailman.cfg"
        # Its REST server (gunicorn) waits 30 s for idle workers when stopping: 1 s will do.
        gunicorn = self.home / "gunicorn.cfg"
        gunicorn.write_text("[gunicorn]\ngraceful_timeout = 1\ntimeout = 360\n")
        self.config.write_text(
            "[mailman]\nlayout: here\nsite_owner: owner@example.org\n\n"
            f"[paths.here]\nvar_dir: {self.home / 'var'}\n\n"
            "[webservice]\nhostname: 127.0.0.1\n"
            f"port: {self.rest_port}\nadmin_user: restadmin\nadmin_pass: {PASSWORD}\n"
            f"workers: 1\nconfiguration: {gunicorn}\n\n"
            "[mta]\nincoming: mailman.mta.null.NullMTA\n"
            f"smtp_host: 127.0.0.1\nsmtp_port: {self.smtp_port}\n"
            f"lmtp_host: 127.0.0.1\nlmtp_port: {free_port()}\n"
        )
        try:
            self._mailman("start")
            self._wait_for_rest()
        except BaseException:
            self.stop()  # a fixture that fails to set up is never torn down
            raise
        return self

    def _wait_for_rest(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.rest}/system/versions", auth=self.auth).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Mailman's REST API never answered:\n{self.log_tail()}")
            time.sleep(0.5)

    @property
    def auth(self) -> tuple[str, str]:
        return ("restadmin", PASSWORD)

    def stop(self) -> None:
        self._mailman("stop", check=False)
        # The master runner stops its runners, then removes its pid file; wait for
        # that, so no runner outlives the session.
        pid = self.home / "var" / "master.pid"
        deadline = time.monotonic() + 60
        while pid.exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    def _mailman(self, *args: str, check: bool = True) -> None:
        root = ["--run-as-root"] if os.geteuid() == 0 else []
        # Into a file, not a pipe: the daemon it starts keeps its output open.
        with (self.home / "mailman-command.log").open("ab") as output:
            subprocess.run(
                [str(self.command), *root, *args],
                env={**os.environ, "MAILMAN_CONFIG_FILE": str(self.config)},
                check=check, stdout=output, stderr=output, stdin=subprocess.DEVNULL,
                timeout=120,
            )  # fmt: skip

    def log_tail(self) -> str:
        log = self.home / "var" / "logs" / "mailman.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"

    # ------------------------------------------------------------------ REST

    def call(self, method: str, path: str, **data: Any) -> httpx.Response:
        answer = httpx.request(
            method, f"{self.rest}{path}", auth=self.auth, data=data or None, timeout=30
        )
        assert answer.status_code < 400, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer

    def make_list(self, address: str, members: list[str], nonmembers: str) -> str:
        """A list with ``members``; ``nonmembers`` is what it does with a non-member's
        post (``accept`` or ``hold``). Returns its list id."""
        domain = address.partition("@")[2]
        domains = self.call("GET", "/domains").json().get("entries", [])
        if not any(entry["mail_host"] == domain for entry in domains):
            self.call("POST", "/domains", mail_host=domain)
        self.call("POST", "/lists", fqdn_listname=address)
        list_id = address.replace("@", ".")
        self.call(
            "PATCH",
            f"/lists/{list_id}/config",
            send_welcome_message="false",
            default_nonmember_action=nonmembers,
        )
        for member in members:
            self.call(
                "POST", "/members", list_id=list_id, subscriber=member,
                pre_verified="true", pre_confirmed="true", pre_approved="true",
            )  # fmt: skip
        return list_id

    def held(self, list_id: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (
            self.call("GET", f"/lists/{list_id}/held").json().get("entries", [])
        )
        return entries
