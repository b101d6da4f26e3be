"""A hostile web: every attack becomes a clear problem on its own section, the rest builds.

The whole scenario runs in one gather so the suite pays the 3 s deadline once; its
time and memory are measured by bench/hostile.py, not asserted here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from newsletter.gather.fetch import Fetcher
from newsletter.gather.run import GatherResult, gather, limits_for
from newsletter.registry import ProviderRegistry
from newsletter.state import StateStore, state_path
from newsletter.window import week_window
from newsletter.workspace import open_config
from newsletter.xmlsafe import MAX_NAME
from tests import hostile
from tests.servers import FeedServer


def gather_all(workspace: Path, server: FeedServer) -> GatherResult:
    config = open_config(workspace, ProviderRegistry.from_entry_points())
    window = week_window("2026-W47", config.tz, "sunday")

    async def go() -> GatherResult:
        async with httpx.AsyncClient(transport=hostile.Reroute(server)) as client:
            fetcher = Fetcher(workspace, limits_for(config), client=client)
            with StateStore(state_path(workspace)) as state:
                return await gather(
                    config, window, ProviderRegistry.from_entry_points(), state, fetcher=fetcher
                )

    return asyncio.run(go())


def test_every_attack_is_a_problem_and_the_other_sections_build(
    server: FeedServer, make_workspace: Any
) -> None:
    routes = hostile.add_routes(server)
    redos = server.add("/redos.xml", hostile.redos_feed())
    workspace = make_workspace(
        hostile.sections_toml(routes, good="feeds/good.xml")
        + f'\n[[section]]\nid = "redos"\nprovider = "blogs"\nfeeds = ["{redos}"]\n',
        files={"feeds/good.xml": hostile.good_feed()},
    )
    result = gather_all(workspace, server)
    sections = {section.id: section for section in result.draft.sections}

    assert [item.title for item in sections["good"].items] == ["Still here"]
    assert sections["good"].problems == []
    for name, (_url, words) in routes.items():
        assert len(sections[name].problems) == 1, (name, sections[name].problems)
        assert words in sections[name].problems[0], (name, sections[name].problems)
        assert sections[name].items == []
    (author,) = [item.author for item in sections["redos"].items]
    assert set(author) == {"a"} and len(author) <= MAX_NAME
    assert "/secret" not in [path for _, path, _ in server.requests]
    everything = result.draft.model_dump_json()
    assert "root:" not in everything and "intranet" not in everything
