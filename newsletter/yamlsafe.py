"""A YAML loader for text from strangers: the draft, submissions' front matter, a
hand-kept events file.

ruamel's loaders build whatever the text asks for. Three things are refused, with the
line and column, before anything is built:

* **Anchors, so aliases.** Nine lines of ``&a [*b, *b, …]`` expand into gigabytes (the
  "billion laughs" of YAML); nothing we read needs a repeated value. With every anchor
  refused, an alias names nothing: the parser's own "undefined alias" error stands
  (most often ``title: *bold* news``, a slip the draft's hints explain).
* **Tags outside YAML 1.2's core schema** (``!!str``, ``!!int``, ``!!float``,
  ``!!bool``, ``!!null``, ``!!map``, ``!!seq``): ``!!python/…`` would run code in
  other loaders, and ``!!binary``, ``!!set``, ``!!timestamp`` or a local ``!tag``
  mean something no reader of ours expects.
* **Depth** beyond :data:`MAX_DEPTH`: ``[[[[…`` a hundred thousand deep would end in a
  ``RecursionError`` rather than an error naming the line.

Rule for providers: load YAML from a source with ``safe_yaml()`` (or
``safe_yaml("rt")`` to keep line numbers), never ``YAML()`` itself, and turn its
``YAMLError`` into a problem naming the line.
"""

from __future__ import annotations

from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent

STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)
MAX_DEPTH = 64
"""Nesting allowed (a draft's deepest is ``details`` inside an item: a handful)."""


def refusal(event: Any) -> str | None:
    """Why YAML from a stranger may not hold ``event`` (a parser event), or ``None``."""
    if not isinstance(event, AliasEvent) and getattr(event, "anchor", None) is not None:
        return f"an anchor (&{event.anchor}) is not allowed; write the value out"
    tag = getattr(event, "tag", None)
    if tag is not None and str(tag) not in STANDARD_TAGS:
        shown = str(tag).replace("tag:yaml.org,2002:", "!!", 1)
        return f"the tag {shown} is not allowed (it is never run)"
    return None


class Refused(MarkedYAMLError):
    """YAML that is well formed but holds what :func:`refusal` names: not a slip to
    explain, a refusal with its line and column."""


class SafeComposer(Composer):
    """Refuses anchors, aliases and non-standard tags before a node is built."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        why = refusal(event)
        if why is not None:
            raise Refused(None, None, why, event.start_mark)
        return super().compose_node(parent, index)


def safe_yaml(typ: Literal["safe", "rt"] = "safe") -> YAML:
    """A ruamel loader that refuses what :func:`refusal` names, duplicate keys, and
    nesting deeper than :data:`MAX_DEPTH`. ``"rt"`` keeps comments and line numbers."""
    yaml = YAML(typ=typ, pure=True)  # the C parser would bypass SafeComposer
    yaml.Composer = SafeComposer
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    return yaml
