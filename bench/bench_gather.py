"""Gather: `newsletter draft` over 100 feeds that each answer after 200 ms.

Three shapes of the same 100 feeds (10 posts each, two in the issue's week):

* **100 hosts** (a planet of independent blogs): the first `draft` (goal < 1.0 s wall)
  and a re-draft where every feed answers 304 (goal < 0.8 s): nothing is parsed again
  and, nothing having changed, the draft is not rewritten. The physical bound is one
  latency, 0.2 s; the alternatives are httpx alone fetching them (no parsing, no
  draft) and the script most people write: urllib + feedparser in a loop.
* **One host over HTTP/1.1** (a planet on one platform): 6 requests at a time to it,
  so the bound is ⌈100/6⌉ × 0.2 s (goal ≤ 1.3× that).
* **One host over HTTP/2** (hypercorn, TLS with ALPN): one connection carries every
  request as a stream, so the bound is back to about one latency.

Each figure is the median of the runs (wall time of the whole command, as a user
runs it, byte-compiled; and its CPU time, steadier on a shared machine).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from common import compile_sources, note, options, run_cli, seconds, table
from latency_server import H2LatencyServer, LatencyServer
from sample_feeds import WEEK, rss

FEEDS = 100
LATENCY = 0.2
PER_HOST = 6  # newsletter's default [http] connections_per_host
FIRST_GOAL = 1.0  # seconds, 100 hosts
AGAIN_GOAL = 0.8  # seconds, 100 hosts, all 304
ONE_HOST_GOAL = 1.3  # × the HTTP/1.1 bound
ENTRIES, WEEKS = 10, 5  # each feed's posts go back five weeks: two of ten are in the week


@dataclass
class Run:
    wall: float
    cpu: float
    items: int


def workspace(root: Path, urls: list[str]) -> Path:
    feeds = "".join(f'  "{url}",\n' for url in urls)
    (root / "newsletter.toml").write_text(
        '[newsletter]\ntitle = "Bench Weekly"\ntimezone = "UTC"\n\n'
        '[[section]]\nid = "blogs"\ntitle = "From the blogs"\nprovider = "blogs"\n'
        f"feeds = [\n{feeds}]\n",
        "utf-8",
    )
    return root


def draft(root: Path, env: dict[str, str] | None = None) -> Run:
    """The whole command: wall time, CPU time (user + system) and posts found."""
    before = os.times()
    started = time.perf_counter()
    done = run_cli("-C", str(root), "draft", "--week", WEEK, env=env)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = after.children_user - before.children_user + after.children_system
    cpu -= before.children_system
    found = re.search(r"│?\s*blogs\s*│?\s*blogs\s*│?\s*(\d+)", done.stdout + done.stderr)
    return Run(wall, cpu, int(found.group(1)) if found else 0)


def drafts(urls: list[str], repeat: int, env: dict[str, str] | None = None) -> list[Run]:
    """``repeat`` pairs of (first draft, re-draft) in fresh workspaces, interleaved."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = workspace(Path(tmp), urls)
            runs.append((draft(root, env), draft(root, env)))
    return [run for pair in zip(*runs, strict=True) for run in pair]


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        runs[0].items,
    )


def sequential(urls: list[str]) -> float:
    """The hand-written script: urllib + feedparser.parse(bytes), one feed after another."""
    import feedparser

    started = time.perf_counter()
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            feedparser.parse(response.read())
    return time.perf_counter() - started


def fetch_only(urls: list[str]) -> float:
    """httpx alone, every request at once, nothing parsed: the client's floor."""
    import httpx

    async def run() -> float:
        limits = httpx.Limits(max_connections=len(urls))
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def get(url: str) -> None:
                (await client.get(url)).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(get(url) for url in urls))
            return time.perf_counter() - started

    return asyncio.run(run())


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main() -> None:
    args = options(__doc__.splitlines()[0])
    count, latency, repeat = (12, 0.05, 1) if args.quick else (FEEDS, LATENCY, 3)
    compile_sources()
    feeds = [rss(i, ENTRIES, WEEKS) for i in range(count)]

    many = LatencyServer(hosts=count).start()
    one = LatencyServer(hosts=1).start()
    h2 = H2LatencyServer().start()
    try:
        urls = [many.add(i, f"/blog{i}/feed.xml", feed, latency) for i, feed in enumerate(feeds)]
        runs = drafts(urls, repeat)
        first, again = median(runs[:repeat]), median(runs[repeat:])
        not_modified = f"{many.counts.not_modified}/{repeat * count} answered 304"
        floor = fetch_only(urls)
        loop = sequential(urls)

        one_urls = [one.add(0, f"/blog{i}/feed.xml", feed, latency) for i, feed in enumerate(feeds)]
        one_host = median(drafts(one_urls, repeat)[:repeat])
        one_counts = one.counts

        h2_urls = [h2.add(f"/blog{i}/feed.xml", feed, latency) for i, feed in enumerate(feeds)]
        trust = {"SSL_CERT_FILE": str(h2.ca_file)}
        h2_runs = median(drafts(h2_urls, repeat, trust)[:repeat])
        h2_counts = h2.counts
    finally:
        for server in (many, one, h2):
            server.stop()

    bound = latency
    table(
        f"Gather: {count} feeds on {count} hosts, {seconds(latency)} latency each, "
        f"median of {repeat}",
        ["run", "wall time", "CPU time", "vs the bound", "goal"],
        [
            ["latency bound (one round trip)", seconds(bound), "", "1.0×", ""],
            [
                "newsletter draft, first",
                seconds(first.wall),
                seconds(first.cpu),
                f"{first.wall / bound:.1f}×",
                f"< {seconds(FIRST_GOAL)}: {verdict(first.wall < FIRST_GOAL)}",
            ],
            [
                f"newsletter draft again ({not_modified})",
                seconds(again.wall),
                seconds(again.cpu),
                f"{again.wall / bound:.1f}×",
                f"< {seconds(AGAIN_GOAL)}: {verdict(again.wall < AGAIN_GOAL)}",
            ],
            ["httpx alone, fetch only (no parsing, no draft)", seconds(floor), "",
             f"{floor / bound:.1f}×", ""],
            ["sequential urllib + feedparser", seconds(loop), "", f"{loop / bound:.0f}×",
             f"newsletter {loop / first.wall:.0f}× faster"],
        ],
    )  # fmt: skip
    note(f"The first draft found {first.items} posts in the week.")

    one_bound = math.ceil(count / PER_HOST) * latency
    ratio_one = one_host.wall / one_bound
    table(
        f"Gather: the same {count} feeds on one host, median of {repeat}",
        ["run", "wall time", "CPU time", "vs the HTTP/1.1 bound", "goal"],
        [
            [f"bound over HTTP/1.1: ⌈{count}/{PER_HOST}⌉ × {seconds(latency)}",
             seconds(one_bound), "", "1.0×", ""],
            [f"newsletter draft, HTTP/1.1 ({len(one_counts.connections)} connections)",
             seconds(one_host.wall), seconds(one_host.cpu), f"{ratio_one:.2f}×",
             f"≤ {ONE_HOST_GOAL}×: {verdict(ratio_one <= ONE_HOST_GOAL)}"],
            [f"newsletter draft, {'/'.join(sorted(h2_counts.protocols))} over TLS "
             f"({len(h2_counts.connections)} connection)",
             seconds(h2_runs.wall), seconds(h2_runs.cpu), f"{h2_runs.wall / one_bound:.2f}×",
             f"{one_host.wall / h2_runs.wall:.1f}× faster than HTTP/1.1"],
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
