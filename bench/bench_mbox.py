"""Mailing lists: `newsletter draft` over a list's whole mbox, against stdlib mailbox
reading the same headers (goal: ≥ 2× its speed at 100k messages, ≤ 150 MiB peak, memory
flat from 50k to 200k messages, no size option set).

Generates mboxes of 50,000, 100,000 and 200,000 messages (~2.3 KB each, a mix of plain,
RFC 2047 and multipart messages, threads and "From " lines in bodies) in a workspace
whose one section reads it (kind = "mbox", the defaults of [http]; max_archive_mb
raised to 1024 for the 429 MiB one, over the section's 256 MiB bound), then in a fresh
process each:

* draft    — the whole `newsletter draft` of a week of the archive: read once,
             streamed from the file, threaded, bodies read again only for the threads
             shown; its peak is the command's whole resident memory;
* reader   — sections/mailing_lists/archive.read alone: split, parse the header block,
             decode Subject/From/Date/Message-ID/References (what threading needs);
* mailbox  — stdlib ``mailbox.mbox``: full parse of each message, reading the same
             headers (peak: what the read added);
* perceval — GrimoireLab Perceval's MBox backend (full parse, its item dicts), only
             with ``--perceval-python PY`` naming a Python that has ``perceval``.

    .venv/bin/python bench/bench_mbox.py [--sizes 50000 100000 200000] [--perceval-python PY]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from common import cli_env, compile_sources, newsletter_command, table  # noqa: E402

WEEK = "2011-W23"  # June 6-12, 2011: inside the generated archives
WORKSPACE = """[newsletter]
title = "Bench Weekly"
timezone = "UTC"

[[section]]
id = "lists"
title = "Mailing lists"
provider = "mailing_lists"
preselect = 5

{options}
[[section.lists]]
name = "dev"
kind = "mbox"
url = "{name}"
"""
DEFAULT_CAP_MIB = 256  # the mailing_lists section's max_archive_mb (a bound on hostile input)
GOAL_SPEED, GOAL_PEAK = 2.0, 150.0  # × mailbox's speed; MiB
LABELS = {
    "draft": "newsletter draft (whole command)",
    "reader": "  the reader alone",
    "mailbox": "stdlib mailbox, same headers",
    "perceval": "Perceval",
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MULTIPART = 'multipart/alternative; boundary="b"'


def generate(path: Path, count: int) -> None:
    """A realistic list archive: threads of 1–8 messages over a year."""
    paragraph = (
        "We have been looking at the blueprint and would like to offer some feedback on "
        "the proposed layout of the drive and the keys it carries for each instance.\n"
    )
    with path.open("wb") as out:
        for number in range(count):
            thread, position = divmod(number, 6)
            day = 1 + (number // 300) % 28
            month = 1 + (number // 8400) % 12
            subject = f"[dev] Topic {thread}"
            headers = [
                f"From user{number % 997}@example.org  Mon Jun {day:2d} 12:00:00 2011",
                f"From: =?utf-8?q?Us=C3=A9r_{number % 997}?= <user{number % 997}@example.org>",
                "To: dev@lists.example.org",
                f"Date: Mon, {day} {MONTHS[month - 1]} 2011 12:{number % 60:02d}:00 +0000",
                f"Message-ID: <{number}.bench@example.org>",
                "Received: from mail.example.org by lists.example.org; Mon, 27 Jun 2011",
                "Received: from client.example.org by mail.example.org; Mon, 27 Jun 2011",
                "X-Mailman-Version: 2.1.14",
                "List-Id: Developers <dev.lists.example.org>",
            ]
            if position:
                parent = f"<{number - 1}.bench@example.org>"
                first = f"<{number - position}.bench@example.org>"
                headers += [
                    f"Subject: Re: {subject}",
                    f"In-Reply-To: {parent}",
                    f"References: {first} {parent}",
                ]
            else:
                headers.append(f"Subject: {subject}")
            if number % 10 == 0:
                headers += ["MIME-Version: 1.0", f"Content-Type: {MULTIPART}"]
                body = (
                    f'--b\nContent-Type: text/plain; charset="utf-8"\n\n{paragraph * 6}\n'
                    f"--b\nContent-Type: text/html\n\n<p>{paragraph * 6}</p>\n--b--\n"
                )
            else:
                headers.append('Content-Type: text/plain; charset="utf-8"')
                body = "> quoted line\n" * 4 + "\nFrom what I see:\n" + paragraph * 10
            text = "\n".join(headers) + "\n\n" + body + "-- \nsig\n\n"
            out.write(text.encode())


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(kind: str, path: str) -> dict[str, float]:
    """Run in a subprocess: read the archive one way and report count, time, memory."""
    import mailbox

    from newsletter.sections import mbox
    from newsletter.sections.mailing_lists import archive as mailarchive

    if kind == "perceval":
        from perceval.backends.core.mbox import MBox
    before = _peak_kib()
    started = time.perf_counter()
    count = 0
    if kind == "draft":
        workspace = Path(path).parent
        # Beyond the section's max_archive_mb (256 MiB decompressed) it must be raised.
        big = Path(path).stat().st_size > DEFAULT_CAP_MIB << 20
        options = "max_archive_mb = 1024\n" if big else ""
        config = WORKSPACE.format(name=Path(path).name, options=options)
        (workspace / "newsletter.toml").write_text(config)
        done = subprocess.run(
            [*newsletter_command(), "-C", str(workspace), "draft", "--week", WEEK],
            check=False, capture_output=True, text=True, env=cli_env(),
        )  # fmt: skip
        if done.returncode not in (0, 4):
            raise SystemExit(done.stderr)
        count = int(Path(path).stem)  # the archive is named by its message count
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"messages": count, "seconds": seconds, "peak_mib": peak}
    if kind == "reader":
        with mbox.open_path(path, max_size=1 << 40) as stream:
            for _, message in mailarchive.read(stream):
                if isinstance(message, mailarchive.MailMessage):
                    count += 1
    elif kind == "mailbox":
        for message in mailbox.mbox(path, create=False):
            _ = (message["subject"], message["from"], message["date"], message["message-id"])
            _ = (message["references"], message["in-reply-to"])
            count += 1
    elif kind == "perceval":
        with tempfile.TemporaryDirectory() as directory:
            os.symlink(path, os.path.join(directory, "archive.mbox"))
            count = sum(1 for _ in MBox("bench", directory).fetch())
    seconds = time.perf_counter() - started
    return {"messages": count, "seconds": seconds, "peak_mib": (_peak_kib() - before) / 1024}


def run(kind: str, path: Path, python: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent.parent))
    out = subprocess.run(
        [python, str(HERE), "--measure", kind, str(path)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: the script runs")
    parser.add_argument("--perceval-python", help="a Python with perceval installed")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    sizes = [2_000, 4_000] if args.quick else args.sizes
    compile_sources()
    kinds = [("draft", sys.executable), ("reader", sys.executable),
             ("mailbox", sys.executable)]  # fmt: skip
    if args.perceval_python:
        kinds.append(("perceval", args.perceval_python))
    rows: list[tuple[int, float, str, dict[str, float]]] = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{size}.mbox"
            generate(path, size)
            mib = path.stat().st_size / 2**20
            for kind, python in kinds:
                rows.append((size, mib, kind, run(kind, path, python)))
    lines = []
    for size, mib, kind, result in rows:
        base = next(r for s, _, k, r in rows if s == size and k == "mailbox")
        faster = base["seconds"] / result["seconds"]
        goal = ""
        if kind == "draft":
            ok = faster >= GOAL_SPEED and result["peak_mib"] <= GOAL_PEAK
            goal = (f"≥ {GOAL_SPEED:.0f}× mailbox, ≤ {GOAL_PEAK:.0f} MiB: "
                    f"{'met' if ok else '**missed**'}")  # fmt: skip
        label = LABELS[kind]
        if kind == "draft" and mib > DEFAULT_CAP_MIB:
            label += " (max_archive_mb = 1024)"
        lines.append([f"{size:,}", f"{mib:.0f}", label, f"{result['seconds']:.2f} s",
                      f"{result['messages'] / result['seconds']:,.0f}",
                      f"{result['peak_mib']:.0f}", f"{faster:.2f}×", goal])  # fmt: skip
    table(
        "Mail archives: a week's threads from a list's whole mbox",
        ["messages", "MiB", "run", "time", "messages/s", "peak MiB", "vs mailbox", "goal"],
        lines,
    )
    print("\nPeak: the draft's whole process; the others, what their read added.")
    if not args.perceval_python:
        print("Perceval: skipped (pass --perceval-python PY naming a Python that has it).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
