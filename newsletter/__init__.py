"""Compose an open-source community's weekly newsletter.

This package's namespace is the public API for section providers (see
:mod:`newsletter.providers` for the contract): everything a provider may import is in
``__all__``, and providers import nothing else of ``newsletter``. The names load on
first use, so ``import newsletter`` (and every command's start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .errors import SourceError
    from .fileio import write_cache
    from .model import Item, Window
    from .providers import Fetched, GatherContext, ProviderOptions, SectionProvider, Source
    from .sanitize import MAX_FIELD, html_to_markdown, markdown_escape, plain_text
    from .state import Featured, History
    from .urls import canonical_url, clean_url, split_url
    from .window import issue_name
    from .xmlsafe import UnsafeXML, defuse
    from .yamlsafe import safe_yaml

_HOMES = {
    "SourceError": "errors",
    "write_cache": "fileio",
    "Item": "model",
    "Window": "model",
    "Fetched": "providers",
    "GatherContext": "providers",
    "ProviderOptions": "providers",
    "SectionProvider": "providers",
    "Source": "providers",
    "MAX_FIELD": "sanitize",
    "html_to_markdown": "sanitize",
    "markdown_escape": "sanitize",
    "plain_text": "sanitize",
    "Featured": "state",
    "History": "state",
    "canonical_url": "urls",
    "clean_url": "urls",
    "split_url": "urls",
    "issue_name": "window",
    "UnsafeXML": "xmlsafe",
    "defuse": "xmlsafe",
    "safe_yaml": "yamlsafe",
}

__all__ = [
    "MAX_FIELD",
    "Featured",
    "Fetched",
    "GatherContext",
    "History",
    "Item",
    "ProviderOptions",
    "SectionProvider",
    "Source",
    "SourceError",
    "UnsafeXML",
    "Window",
    "__version__",
    "canonical_url",
    "clean_url",
    "defuse",
    "html_to_markdown",
    "issue_name",
    "markdown_escape",
    "plain_text",
    "safe_yaml",
    "split_url",
    "write_cache",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'newsletter' has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value  # once loaded, found without this hook
    return value
