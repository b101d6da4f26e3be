"""Time and peak memory of the hostile-server scenario of tests/test_hostile.py.

    .venv/bin/python bench/hostile.py

Every attack runs in one gather, as in the test, with [http] deadline = 3 and
max_mb = 5, beside a good section; prints the wall time and the peak RSS.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from newsletter.gather.fetch import Fetcher
from newsletter.gather.run import GatherResult, gather, limits_for
from newsletter.registry import ProviderRegistry
from newsletter.state import StateStore, state_path
from newsletter.window import week_window
from newsletter.workspace import open_config
from tests import hostile
from tests.servers import FeedServer


async def run(workspace: Path, server: FeedServer) -> GatherResult:
    registry = ProviderRegistry.from_entry_points()
    config = open_config(workspace, registry)
    window = week_window("2026-W47", config.tz, "sunday")
    async with httpx.AsyncClient(transport=hostile.Reroute(server)) as client:
        fetcher = Fetcher(workspace, limits_for(config), client=client)
        with StateStore(state_path(workspace)) as state:
            return await gather(config, window, registry, state, fetcher=fetcher)


def main() -> None:
    server = FeedServer().start()
    try:
        routes = hostile.add_routes(server)
        redos = server.add("/redos.xml", hostile.redos_feed())
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Path(tmp)
            (workspace / "feeds").mkdir()
            (workspace / "feeds" / "good.xml").write_bytes(hostile.good_feed())
            (workspace / "newsletter.toml").write_text(
                '[newsletter]\ntitle = "Bench"\n'
                + hostile.sections_toml(routes, good="feeds/good.xml")
                + f'\n[[section]]\nid = "redos"\nprovider = "blogs"\nfeeds = ["{redos}"]\n'
            )
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            result = asyncio.run(run(workspace, server))
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        server.stop()
    for section in result.draft.sections:
        outcome = section.problems[0] if section.problems else f"{len(section.items)} item(s)"
        print(f"  {section.id:<9} {outcome[:110]}")
    print(f"whole scenario: {seconds:.2f} s wall (deadline 3 s per source)")
    print(f"peak RSS: {peak:.0f} MiB (before gathering: {before:.0f} MiB)")


if __name__ == "__main__":
    main()
