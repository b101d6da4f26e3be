"""Gather: `newsletter draft` over 200 feeds with 200 ms latency each (3 of them 2 s).

Compared with the latency bound, ceil(feeds / connections) × latency (no client can
do better with that many connections), and with what a hand-written script does: a
loop that fetches each feed with urllib and parses it with feedparser, one by one.
A second `draft` of the same week shows what conditional requests save: the server
answers 304 to a matching If-None-Match / If-Modified-Since.
"""

from __future__ import annotations

import copy
import math
import re
import resource
import tempfile
import time
import urllib.request
from pathlib import Path

from common import note, options, ratio, run_cli, seconds, table
from latency_server import LatencyServer
from sample_feeds import WEEK, rss

CONNECTIONS = 20  # newsletter's default [http] connections
GOAL = 1.5  # × the latency bound
REVALIDATE_GOAL = 1.0  # seconds for every feed answering 304
WEEKS = 5  # each feed's posts go back five weeks: two of its ten are in the week


def workspace(root: Path, urls: list[str]) -> Path:
    feeds = "".join(f'  "{url}",\n' for url in urls)
    (root / "newsletter.toml").write_text(
        '[newsletter]\ntitle = "Bench Weekly"\ntimezone = "UTC"\n\n'
        f"[http]\nconnections = {CONNECTIONS}\n\n"
        '[[section]]\nid = "blogs"\ntitle = "From the blogs"\nprovider = "blogs"\n'
        f"feeds = [\n{feeds}]\n",
        "utf-8",
    )
    return root


def draft(root: Path) -> tuple[float, float, int, float]:
    """Wall time of the whole command, the gather time it reports, its item count, and
    its CPU time (user + system: what it would take on an idle machine, at best)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = run_cli("-C", str(root), "draft", "--week", WEEK)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    output = done.stdout + done.stderr
    reported = re.search(r"Draft \w+: .*\((\d+\.\d+)s", output)
    items = re.search(r"│?\s*blogs\s*│?\s*blogs\s*│?\s*(\d+)", output)
    return (
        wall,
        float(reported.group(1)) if reported else wall,
        int(items.group(1)) if items else 0,
        cpu,
    )


def sequential(urls: list[str]) -> tuple[float, int]:
    """The hand-written script: urllib + feedparser.parse(bytes), one feed after another."""
    import feedparser

    started = time.perf_counter()
    entries = 0
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            entries += len(feedparser.parse(response.read()).entries)
    return time.perf_counter() - started, entries


def fetch_only(urls: list[str]) -> float:
    """httpx alone, CONNECTIONS requests at a time, nothing parsed: the client's floor."""
    import asyncio

    import httpx

    async def run() -> float:
        slots = asyncio.Semaphore(CONNECTIONS)
        limits = httpx.Limits(max_connections=CONNECTIONS)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def get(url: str) -> None:
                async with slots:
                    (await client.get(url)).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(get(url) for url in urls))
            return time.perf_counter() - started

    return asyncio.run(run())


def main() -> None:
    args = options(__doc__.splitlines()[0])
    count, latency, slow, slow_latency, entries = (
        (12, 0.05, 1, 0.2, 5) if args.quick else (200, 0.2, 3, 2.0, 10)
    )
    server = LatencyServer(hosts=max(count // 4, 1)).start()
    try:
        urls = [
            server.add(i, f"/blog{i}/feed.xml", rss(i, entries, WEEKS), delay)
            for i in range(count)
            for delay in [slow_latency if i < slow else latency]
        ]
        bound = max(math.ceil(count / CONNECTIONS) * latency, slow_latency)
        with tempfile.TemporaryDirectory() as tmp:
            root = workspace(Path(tmp), urls)
            wall, gathered, items, cpu = draft(root)
            server.reset_counts()
            second_wall, second_gathered, _, _ = draft(root)
            # A copy: the comparison runs below go through the same server.
            counts = copy.deepcopy(server.counts)
        floor = fetch_only(urls)
        loop, loop_entries = sequential(urls)
    finally:
        server.stop()

    verdict = "met" if wall <= GOAL * bound else "missed"
    table(
        f"Gather: {count} feeds × {entries} posts over {WEEKS} weeks, {seconds(latency)} latency "
        f"({slow} at {seconds(slow_latency)}), {server.hosts} hosts, {CONNECTIONS} connections",
        ["run", "wall time", "vs latency bound", "vs sequential feedparser loop"],
        [
            ["latency bound", seconds(bound), "1.0×", ratio(bound, loop)],
            [
                "newsletter draft (whole command)",
                seconds(wall),
                f"{wall / bound:.2f}× (goal ≤ {GOAL}×: {verdict})",
                ratio(wall, loop),
            ],
            ["  of which gathering", seconds(gathered), f"{gathered / bound:.2f}×", ""],
            [
                "httpx alone, fetch only (no parsing)",
                seconds(floor),
                f"{floor / bound:.2f}×",
                ratio(floor, loop),
            ],
            ["sequential urllib + feedparser", seconds(loop), f"{loop / bound:.1f}×", "1.0×"],
        ],
    )
    note(
        f"newsletter found {items} posts in the week (the loop parsed {loop_entries} entries); "
        f"the draft command used {seconds(cpu)} of CPU (start-up, parsing, writing the YAML)."
    )
    if counts.conditional == 0:
        revalidation = "n/a (no conditional requests yet)"
        detail = f"second draft: {seconds(second_wall)}, every feed downloaded again"
    else:
        revalidation = (
            f"{seconds(second_wall)} ({counts.not_modified}/{counts.requests} answered 304, "
            f"sent {', '.join(sorted(counts.validators))}; goal < {seconds(REVALIDATE_GOAL)}: "
            f"{'met' if second_wall < REVALIDATE_GOAL else 'missed'})"
        )
        detail = (
            f"gathering {seconds(second_gathered)} of it; each 304 still waits the "
            f"{seconds(latency)} latency, so its bound is {seconds(bound)} too"
        )
    table(
        "Gather again, conditional requests (all 304)",
        ["run", "result", "detail"],
        [["second newsletter draft", revalidation, detail]],
    )


if __name__ == "__main__":
    main()
