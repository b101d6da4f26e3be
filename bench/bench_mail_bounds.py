"""The bounds on hostile mail hold: time and peak memory of the attacks that hung or
crashed the readers before, each in a fresh subprocess (peak = ru_maxrss it added).

* a reply chain N messages deep, threaded: ours (linear) and the ancestor walk it
  replaced (every link walked up to the root first: quadratic);
* one message whose References header is 1 MiB of ids (80,000), parsed and threaded;
* gzip that inflates to 2.3 GB (12 MB on the wire), read until the 256 MiB cap;
* an inbox mbox holding one 25 MB e-mail among 200 others, read by the inbox provider;
* a body line of N bytes that looks almost like an envelope ("From x 1:11 1:11 …", no
  year), split (pipermail leaves body "From " unquoted);
* a pipermail date.html of N bytes of broken entries ("</A><I>" with no "</I>").

    .venv/bin/python bench/bench_mail_bounds.py [--quick]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import options, seconds, table

T0 = datetime(2011, 6, 28, tzinfo=UTC)


def message(n: int, parent: int | None, references: str = "") -> bytes:
    lines = [
        f"From p{n % 50}@x.org Tue Jun 28 10:00:00 2011",
        f"From: P{n % 50} <p{n % 50}@x.org>",
        f"Subject: {'Re: ' if parent is not None else ''}deep",
        f"Date: {(T0 + timedelta(seconds=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <m{n}@x>",
    ]
    if parent is not None:
        lines.append(f"In-Reply-To: <m{parent}@x>")
    if references:
        lines.append(f"References: {references}")
    return ("\n".join(lines) + "\n\nHello.\n\n").encode()


def chain(depth: int) -> bytes:
    return b"".join(message(n, n - 1 if n else None) for n in range(depth))


# ---------------------------------------------------------------- run in a subprocess


def measure(job: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--job", job, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def job(name: str, args: list[str]) -> None:
    from newsletter.sections.mailing_lists import archive
    from newsletter.sections.mailing_lists.threads import thread

    def read(data: bytes) -> list[archive.MailMessage]:
        import io

        return [m for _, m in archive.read(io.BytesIO(data)) if isinstance(m, archive.MailMessage)]

    result: dict[str, float] = {}
    if name in {"chain", "walk"}:
        messages = read(chain(int(args[0])))
        before = _rss_mib()
        started = time.perf_counter()
        found = thread(messages) if name == "chain" else ancestor_walk(messages)
        result = {"seconds": time.perf_counter() - started, "threads": len(found)}
        result["peak"] = _rss_mib() - before
    elif name == "references":
        ids = " ".join(f"<ref{n}@x>" for n in range(80_000))
        data = message(0, None) + message(1, 0, ids + " <m0@x>")
        before = _rss_mib()
        started = time.perf_counter()
        found = thread(read(data))
        result = {"seconds": time.perf_counter() - started, "threads": len(found)}
        result["peak"] = _rss_mib() - before
    elif name == "bomb":
        from newsletter.sections.mbox import ArchiveTooLarge, open_archive, split_mbox

        data = Path(args[0]).read_bytes()
        before = _rss_mib()
        started = time.perf_counter()
        count = 0
        try:
            for _ in split_mbox(open_archive(data)):
                count += 1
        except ArchiveTooLarge:
            pass
        result = {"seconds": time.perf_counter() - started, "messages": count}
        result["peak"] = _rss_mib() - before
    elif name == "inbox":
        from newsletter.sections.inbox import InboxOptions, _mbox_items

        before = _rss_mib()
        started = time.perf_counter()
        items, problems = _mbox_items(Path(args[0]), "inbox.mbox", InboxOptions(mailbox="m"))
        result = {"seconds": time.perf_counter() - started, "items": len(items)}
        result["problems"] = len(problems)
        result["peak"] = _rss_mib() - before
    elif name == "envelope":
        import io

        from newsletter.sections.mbox import split_mbox

        line = b"From x " + b"1:11 " * (int(args[0]) // 5)
        data = message(0, None).replace(b"Hello.", line)
        started = time.perf_counter()
        count = sum(1 for _ in split_mbox(io.BytesIO(data)))
        result = {"seconds": time.perf_counter() - started, "messages": count}
    elif name == "index":
        from newsletter.sections.mailing_lists.archives import index_entries

        page = '<LI><A HREF="1.html"></A><I>' * (int(args[0]) // 28)
        started = time.perf_counter()
        count = len(index_entries(page))
        result = {"seconds": time.perf_counter() - started, "entries": count}
    print(json.dumps(result))


@dataclass(eq=False)
class _Node:
    parent: _Node | None = None


def ancestor_walk(messages: Iterable[object]) -> list[object]:
    """The linking this replaced: before each link, walk the parent's ancestry to
    refuse a loop (what made a deep chain quadratic). For comparison only."""
    table: dict[str, _Node] = {}
    for msg in messages:
        own = table.setdefault(msg.message_id, _Node())  # type: ignore[attr-defined]
        parent_id = msg.in_reply_to  # type: ignore[attr-defined]
        if parent_id:
            parent = table.setdefault(parent_id, _Node())
            node: _Node | None = parent
            while node is not None and node is not own:
                node = node.parent
            if node is None:
                own.parent = parent
    return [node for node in table.values() if node.parent is None]


def bomb(path: Path, size: int) -> None:
    """A gzip file inflating to ``size`` bytes of 1.5 KB messages, all alike."""
    block = message(0, None).replace(b"Hello.", b"Hello. " * 200) * 1000
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        written = 0
        while written < size:
            out.write(packer.compress(block))
            written += len(block)
        out.write(packer.flush())


def inbox(path: Path, others: int, huge_mb: int) -> None:
    with path.open("wb") as out:
        for n in range(others):
            out.write(message(n, None))
            if n == others // 2:
                out.write(message(10**6, None).replace(b"Hello.", b"x" * (huge_mb << 20)))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--job":
        job(sys.argv[2], sys.argv[3:])
        return
    quick = options(__doc__.splitlines()[0]).quick
    rows: list[list[str]] = []
    depths = [2_000] if quick else [10_000, 20_000, 100_000]
    for depth in depths:
        ours = measure("chain", str(depth))
        walk = measure("walk", str(depth)) if depth <= 20_000 else None
        rows.append(
            [f"reply chain {depth:,} deep", seconds(ours["seconds"]), f"{ours['peak']:.1f}",
             seconds(walk["seconds"]) if walk else "(not run: minutes)"]
        )  # fmt: skip
    refs = measure("references")
    rows.append(["1 MiB of References", seconds(refs["seconds"]), f"{refs['peak']:.1f}", ""])
    with tempfile.TemporaryDirectory() as folder:
        size = (32 if quick else 2300) << 20
        path = Path(folder) / "bomb.mbox.gz"
        bomb(path, size)
        result = measure("bomb", str(path))
        rows.append(
            [f"gzip {path.stat().st_size / 1e6:.0f} MB -> {size / 1e9:.2f} GB, cap 256 MiB",
             seconds(result["seconds"]), f"{result['peak']:.1f}",
             f"{result['messages']:,.0f} messages read"]
        )  # fmt: skip
        mailbox = Path(folder) / "inbox.mbox"
        inbox(mailbox, 200, 2 if quick else 25)
        result = measure("inbox", str(mailbox))
        rows.append(
            [f"inbox: one {2 if quick else 25} MB e-mail in 200",
             seconds(result["seconds"]), f"{result['peak']:.1f}",
             f"{result['items']:.0f} items, {result['problems']:.0f} skipped"]
        )  # fmt: skip
    for job_name, what in (("envelope", "body line of"), ("index", "pipermail date.html of")):
        size = (64 if quick else 1024) << 10
        result = measure(job_name, str(size))
        rows.append([f"a {what} {size >> 10:,} KiB", seconds(result["seconds"]), "", ""])
    table(
        "Hostile mail: time and peak memory",
        ["attack", "ours", "peak MiB", "before / note"],
        rows,
    )


if __name__ == "__main__":
    main()
