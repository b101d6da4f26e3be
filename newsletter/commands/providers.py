from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from ..console import make_console
from ..providers import ProviderRegistry
from ..status import ExitStatus

if TYPE_CHECKING:
    from ..cli import Globals


def run(options: Globals, registry: ProviderRegistry | None = None) -> ExitStatus:
    registry = registry or ProviderRegistry.from_entry_points()
    out = make_console(stderr=False)
    table = Table("provider", "description", "from", title="Installed section providers")
    for provider in registry:
        table.add_row(provider.name, provider.description, provider.__module__)
    out.print(table)
    err = make_console()
    for broken in registry.broken:
        err.print(
            f"[yellow]Warning:[/] provider {broken.name!r} from {broken.distribution} failed "
            f"to load: {broken.error}. Remove it with: pip uninstall {broken.distribution}"
        )
    return ExitStatus.OK
