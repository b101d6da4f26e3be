"""Sending: messages per second to a local SMTP server (aiosmtpd, in its own process),
1,000 recipients. ``newsletter send`` — one connection reused, every step journaled and
fsynced, each message built and sent — against a plain smtplib loop sending the same
messages (from ``send --dry-run``) with one connection per message and no journal, and
the same loop on one connection, to show what reuse and the journal each cost."""

from __future__ import annotations

import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from email import message_from_bytes
from pathlib import Path

from common import ROOT, note, options, ratio, run_cli, table

EXAMPLE = ROOT / "examples" / "openstack"
SENDER = "community@openstack.example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd's own command with its Sink handler (accepts and drops every message)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise SystemExit("aiosmtpd did not start") from None
            time.sleep(0.1)


def workspace(root: Path, port: int, count: int) -> Path:
    ws = root / "openstack"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("out", ".newsletter", "*.bak"))
    config = (ws / "newsletter.toml").read_text("utf-8")
    config = config[: config.index("[send.smtp]")]
    config += f'[send.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
    (ws / "newsletter.toml").write_text(config, "utf-8")
    lines = ["email,name", *(f"reader{n:05d}@example.org,Reader {n}" for n in range(count))]
    (ws / "subscribers.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return ws


def loop(port: int, messages: list[tuple[str, bytes]], reuse: bool) -> tuple[float, float]:
    """smtplib, as a script would: ``sendmail`` per message; wall and CPU seconds."""
    import smtplib

    started, cpu = time.perf_counter(), time.process_time()
    if reuse:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for recipient, data in messages:
                smtp.sendmail(SENDER, [recipient], data)
    else:
        for recipient, data in messages:
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.sendmail(SENDER, [recipient], data)
    return time.perf_counter() - started, time.process_time() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sending_seconds(ws: Path) -> float:
    """The delivery loop of ``newsletter send``: from its round's start to its end, as
    the journal recorded them (start-up and rendering excluded)."""
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    started, completed = db.execute("SELECT started_at, completed_at FROM sends").fetchone()
    db.close()
    return (datetime.fromisoformat(completed) - datetime.fromisoformat(started)).total_seconds()


def main() -> None:
    args = options(__doc__.splitlines()[0])
    count = 50 if args.quick else 1000
    port = free_port()
    server = start_server(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ws = workspace(Path(tmp), port, count)
            run_cli("-C", str(ws), "send", "--dry-run")
            messages = []
            for path in sorted((ws / "out" / "2011-W26").glob("*.eml")):
                data = path.read_bytes()
                messages.append((str(message_from_bytes(data)["To"]).split("<")[-1][:-1], data))
            per_connection, per_connection_cpu = loop(port, messages, reuse=False)
            reused, reused_cpu = loop(port, messages, reuse=True)
            started, cpu = time.perf_counter(), children_cpu()
            run_cli("-C", str(ws), "send", "--yes", "--force")
            whole, whole_cpu = time.perf_counter() - started, children_cpu() - cpu
            ours = sending_seconds(ws)
    finally:
        server.terminate()
        server.wait()
    size = sum(len(data) for _, data in messages) / len(messages) / 1024
    table(
        f"{count} messages of {size:.0f} KiB to aiosmtpd on 127.0.0.1",
        ["sender", "seconds", "CPU s", "messages/s", "vs one connection each"],
        [
            [
                "newsletter send (reused connection, journal fsynced, build + send)",
                f"{ours:.2f}",
                "",
                f"{count / ours:.0f}",
                ratio(ours, per_connection),
            ],
            [
                "  the same, the whole command (start-up, render, checks)",
                f"{whole:.2f}",
                f"{whole_cpu:.2f}",
                f"{count / whole:.0f}",
                ratio(whole, per_connection),
            ],
            [
                "smtplib loop, one connection per message (no journal)",
                f"{per_connection:.2f}",
                f"{per_connection_cpu:.2f}",
                f"{count / per_connection:.0f}",
                "1.0×",
            ],
            [
                "smtplib loop, one connection reused (no journal)",
                f"{reused:.2f}",
                f"{reused_cpu:.2f}",
                f"{count / reused:.0f}",
                ratio(reused, per_connection),
            ],
        ],
    )
    note(
        "Each newsletter delivery commits three journal states to SQLite (synchronous=FULL)"
        " and appends two fsynced lines to out/<issue>/sent.log; the loops journal nothing."
    )


if __name__ == "__main__":
    main()
