"""Rendering a curated draft as email HTML, Markdown and plain text (:mod:`.renderer`),
and the static web archive (:mod:`.archive`)."""

from .renderer import FORMATS, Format, Renderer, RenderSettings, renderer_for

__all__ = ["FORMATS", "Format", "RenderSettings", "Renderer", "renderer_for"]
