from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from ...registry import ProviderRegistry
from ..exits import ExitStatus

if TYPE_CHECKING:
    from ..environment import Environment


def run(env: Environment, registry: ProviderRegistry | None = None) -> ExitStatus:
    registry = registry or ProviderRegistry.from_entry_points()
    out = env.out
    table = Table("provider", "description", "from", title="Installed section providers")
    for provider in registry:
        table.add_row(provider.name, provider.description, registry.origin(provider.name))
    out.print(table)
    for broken in registry.broken.values():
        env.final.print(f"[yellow]Warning:[/] {escape(broken.describe())}")
    return ExitStatus.OK
