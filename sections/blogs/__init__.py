"""The ``blogs`` section: posts from RSS and Atom feeds, planet-style."""

from .provider import BlogsProvider

__all__ = ["BlogsProvider"]
