"""Providers plug in through the registry, and a failing one never sinks the issue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from newsletter.cli.commands import draft as draft_command
from newsletter.cli.environment import Environment
from newsletter.draft.file import load_draft
from newsletter.model import Item
from newsletter.providers import GatherContext, ProviderOptions, SectionProvider
from newsletter.registry import ProviderRegistry
from newsletter.sections.blogs.provider import BlogsProvider


class GreetingOptions(ProviderOptions):
    names: list[str] = Field(default_factory=list)


class GreetingProvider(SectionProvider):
    name = "greetings"
    description = "Says hello, for tests."
    Options = GreetingOptions

    async def gather(self, options: GreetingOptions, ctx: GatherContext) -> list[Item]:
        ctx.record_figure("greetings/count", len(options.names))
        if "nobody" in options.names:
            ctx.problem("names", "nobody is not a name")
        return [
            Item(id=f"hi-{n}", title=f"Hello {n}", published=ctx.window.start, score=len(n))
            for n in options.names
            if n != "nobody"
        ]


class BrokenProvider(SectionProvider):
    name = "broken"
    description = "Always fails."

    async def gather(self, options: ProviderOptions, ctx: GatherContext) -> list[Item]:
        raise RuntimeError("the provider has a bug")


def _run(ws: Path) -> int:
    registry = ProviderRegistry([GreetingProvider, BrokenProvider, BlogsProvider])
    options = Environment(workspace=ws, quiet=True)
    return draft_command.run(
        options, "2026-W47", None, None, strict=False, registry=registry,
        now=datetime(2026, 11, 25, tzinfo=UTC),
    )  # fmt: skip


def test_a_registered_provider_gathers_and_a_broken_one_is_a_problem(
    make_workspace: Any,
) -> None:
    ws = make_workspace(
        """
        [[section]]
        id = "hello"
        provider = "greetings"
        names = ["Ann", "Bartholomew", "nobody", "Cy"]
        preselect = 2

        [[section]]
        id = "oops"
        provider = "broken"
        """
    )
    assert _run(ws) == 0
    draft = load_draft(ws / "drafts" / "2026-W47.yaml")
    hello, oops = draft.sections
    # The two best-scored are included, in the provider's order; the rest offered after.
    assert [(i.title, i.include) for i in hello.items] == [
        ("Hello Ann", True),
        ("Hello Bartholomew", True),
        ("Hello Cy", False),
    ]
    assert hello.problems == ["names: nobody is not a name"]
    assert oops.problems == ["broken: provider failed: RuntimeError: the provider has a bug"]


def test_figures_are_stored_per_issue(make_workspace: Any) -> None:
    ws = make_workspace('[[section]]\nid = "hello"\nprovider = "greetings"\nnames = ["A"]\n')
    _run(ws)
    from newsletter.state import StateStore

    with StateStore(ws / ".newsletter" / "state.db") as state:
        assert state.history("2026-W48").previous_figure("greetings/count") == ("2026-W47", 1.0)


def test_entry_points_find_the_built_in_provider() -> None:
    registry = ProviderRegistry.from_entry_points()
    assert registry.get("blogs") is BlogsProvider
    assert registry.broken == {}
