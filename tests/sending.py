"""Helpers of the send tests: the example workspace pointed at a local SMTP server,
the CLI's send, and what the server and the journal hold."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLE
from tests.smtp import MailServer


def workspace(tmp_path: Path, port: int, smtp: str = "", send: str = "", ca: Any = None) -> Path:
    """The example workspace in tmp, its [send.smtp] pointed at ``port``."""
    root = tmp_path / "openstack"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("out", ".newsletter", "*.bak"))
    config = (root / "newsletter.toml").read_text("utf-8")
    config = config[: config.index("[send.smtp]")].replace(
        "[send]\n", f"[send]\nretry_delay = 0\n{send}\n"
    )
    config += f'[send.smtp]\nhost = "127.0.0.1"\nport = {port}\n{smtp}\n'
    (root / "newsletter.toml").write_text(config, "utf-8")
    if ca is not None:
        ca.cert_pem.write_to_path(str(root / "ca.pem"))
    return root


def send(cli: Any, ws: Path, *args: str) -> Any:
    return cli("-C", ws, "send", "--yes", "--force", *args)


def said(result: Any) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def count(server: MailServer) -> Counter[str]:
    return Counter(rcpt for received in server.received for rcpt in received.recipients)


def journal(ws: Path) -> list[tuple[str, str, int]]:
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    try:
        return db.execute(
            "SELECT recipient, status, attempts FROM deliveries ORDER BY recipient"
        ).fetchall()
    finally:
        db.close()


def statuses(ws: Path) -> Counter[str]:
    """How many deliveries of every round are in each state."""
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    try:
        return Counter(status for (status,) in db.execute("SELECT status FROM deliveries"))
    finally:
        db.close()


def unknown(ws: Path) -> set[str]:
    """Every recipient the journal says may already have the issue."""
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    try:
        rows = db.execute("SELECT recipient FROM deliveries WHERE status = 'unknown'")
        return {recipient for (recipient,) in rows}
    finally:
        db.close()


def subscribe(ws: Path, count: int) -> list[str]:
    """Replace the example's subscribers with ``count`` generated ones."""
    addresses = [f"reader{n:03d}@example.org" for n in range(count)]
    lines = ["email,name", *(f"{a},Reader {n}" for n, a in enumerate(addresses))]
    (ws / "subscribers.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return addresses
