"""Opening a workspace: its config, its providers, its state store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Config, find_config, load_config
from .providers import ProviderRegistry
from .render import Renderer, RenderSettings


def open_config(workspace: Path, registry: ProviderRegistry | None = None) -> Config:
    registry = registry or ProviderRegistry.from_entry_points()
    return load_config(find_config(workspace), registry)


def renderer_for(workspace: Path, config: Config | None) -> Renderer:
    """The renderer for a workspace; without a config the defaults apply."""
    if config is None:
        return Renderer(workspace)
    settings = RenderSettings(
        timezone=config.newsletter.timezone,
        language=config.newsletter.language,
        archive_url=config.newsletter.url,
        theme=config.theme,
        front_matter=config.render.front_matter,
        extra=_extra(config),
    )
    return Renderer(workspace, settings)


def _extra(config: Config) -> dict[str, Any]:
    if config.send is None or not config.send.unsubscribe_url:
        return {}
    return {"unsubscribe_url": config.send.unsubscribe_url}
