"""Providers plug in through the registry, and a failing one never sinks the issue."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
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


def _in_fresh_python(code: str, *path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_provider_is_imported_only_when_it_is_asked_for() -> None:
    loaded = _in_fresh_python(
        """
        import sys
        from newsletter.registry import ProviderRegistry
        registry = ProviderRegistry.from_entry_points()
        assert {"blogs", "events", "stats"} <= set(registry.names())
        assert not any(m.startswith("newsletter.sections.") for m in sys.modules)
        registry.get("blogs")
        folders = registry.template_folders()
        assert folders["blogs"].name == "templates"
        names = {m.split(".")[2] for m in sys.modules if m.startswith("newsletter.sections.")}
        print(sorted(names))
        """
    )
    assert loaded == "['blogs']"  # not events' icalendar, nor stats' Markdown


def _plugin(site: Path, description: str, name: str = "weather") -> None:
    """A distribution installed in ``site`` (a folder on sys.path) with one provider."""
    module = site / f"fake_{name}.py"
    module.write_text(
        textwrap.dedent(
            f"""
            from newsletter import SectionProvider

            class Provider(SectionProvider):
                name = {name!r}
                description = {description!r}

                async def gather(self, options, ctx):
                    return []
            """
        )
    )
    info = site / f"fake_{name}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fake-{name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[newsletter.sections]\n{name} = fake_{name}:Provider\n"
    )


LIST = """
    import sys
    from pathlib import Path
    from newsletter.registry import listing
    listed, broken = listing(Path(sys.argv[-1] if len(sys.argv) > 1 else {cache!r}))
    imported = "pydantic" in sys.modules or "newsletter.providers" in sys.modules
    print(imported, {{p.name: p.description for p in listed}}, [b.name for b in broken])
"""


def test_the_listing_is_cached_until_something_is_installed_or_edited(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache" / "providers.json"
    site.mkdir()
    _plugin(site, "Sunny days.")
    code = LIST.format(cache=str(cache))

    first = _in_fresh_python(code, site)
    assert first.startswith("True") and "'weather': 'Sunny days.'" in first
    assert "'blogs': 'Blog roundup" in first
    assert _in_fresh_python(code, site).startswith("False {")  # nothing imported

    _plugin(site, "Rainy days.")  # the plugin's code edited in place
    os.utime(site / "fake_weather.py", ns=(1, time.time_ns() + 10**9))
    edited = _in_fresh_python(code, site)
    assert edited.startswith("True") and "'weather': 'Rainy days.'" in edited

    _plugin(site, "Snow.", name="snow")  # another distribution installed
    installed = _in_fresh_python(code, site)
    assert installed.startswith("True") and "'snow': 'Snow.'" in installed
    assert _in_fresh_python(code, site).startswith("False {")


def test_a_broken_plugin_is_listed_as_broken_every_time(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "providers.json"
    site.mkdir()
    _plugin(site, "Sunny days.")
    (site / "fake_weather.py").write_text("import no_such_module\n")
    code = LIST.format(cache=str(cache))
    for _ in range(2):
        assert _in_fresh_python(code, site).endswith("['weather']")
    assert not cache.exists()
