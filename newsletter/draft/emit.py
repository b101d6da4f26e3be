"""Writing a new draft fast, byte for byte as ruamel would.

ruamel's round-trip dumper costs ~20 µs per YAML token (half a second for a 200-item
draft) because it is built to keep comments and styles it has read. A draft written
from scratch has none: its layout is fixed (:func:`~.file.draft_node`), so this
module writes it directly, choosing each scalar's style with ruamel's own rules (plain
unless that would read back as something else or needs quoting; then single quotes,
or double quotes when the text holds a single quote; literal blocks for multi-line
text). The result is the same bytes ``dump(draft_node(...))`` gives, so a draft looks
the same whoever wrote it, and later round trips through ruamel change nothing but
what the merge changes (``tests/test_draft_emit.py`` checks the two agree).

Anything rarer than that layout — control characters, text over a thousand characters
on one line (ruamel would fold it), multi-line text that needs an indentation
indicator, nested lists — raises :class:`Unsupported` and the caller lets ruamel
write the file.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import LiteralScalarString

from .hints import quoted

LONGEST = 1000
"""Characters on one line written here; ruamel folds lines past its width (4096)."""
INDENT = 2  # mapping indent; sequences: dash at +2 ("offset"), content at +4

# One line of text ruamel writes as it is (plain or single-quoted): printable, no line
# breaks (\x85, \u2028, \u2029 are breaks too) and no BOM.
_ONE_LINE = re.compile(
    r"[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)
# In double quotes ruamel escapes a no-break space and characters beyond the BMP.
_DOUBLE_QUOTABLE = re.compile(r"[\x20-\x7e\xa1-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
# A literal block's lines: what _BLOCK_SAFE lets into one, less the breaks ruamel counts.
_BLOCK_LINE = _ONE_LINE


class Unsupported(Exception):
    """A value this writer leaves to ruamel."""


def emit(node: Mapping[str, Any], header: str = "") -> str:
    """``node`` (a draft's mapping) as YAML, after ``header`` as a comment, with a
    blank line between its sections (as :func:`~.file.draft_node` asks ruamel)."""
    lines = [_comment(line) for line in header.removesuffix("\n").split("\n")] if header else []
    lines.extend(_mapping(node, 0, spaced="sections"))
    return "\n".join(lines) + "\n"


def _comment(line: str) -> str:
    """A line of the header as ruamel writes it: '# ' first, unless blank or a comment."""
    stripped = line.strip()
    return f"# {line}" if stripped and stripped[0] != "#" else line


def _mapping(node: Mapping[str, Any], indent: int, spaced: str = "") -> Iterator[str]:
    """The lines of a block mapping; the items of the list under key ``spaced`` are
    separated by a blank line."""
    pad = " " * indent
    for key, value in node.items():
        if not isinstance(key, str) or len(key) >= 128:
            raise Unsupported(f"key {key!r}")
        head = f"{pad}{_scalar(key)}:"
        if isinstance(value, LiteralScalarString):
            yield from _literal(head, str(value), indent + INDENT)
        elif isinstance(value, Mapping):
            if not value:
                yield f"{head} {{}}"
            else:
                yield head
                yield from _mapping(value, indent + INDENT)
        elif isinstance(value, list):
            if not value:
                yield f"{head} []"
            else:
                yield head
                yield from _sequence(value, indent + INDENT, key == spaced)
        elif value is None:
            yield head
        else:
            yield f"{head} {_value(value)}"


def _sequence(items: list[Any], dash: int, spaced: bool = False) -> Iterator[str]:
    prefix = " " * dash + "- "
    for index, item in enumerate(items):
        if spaced and index:
            yield ""
        if isinstance(item, Mapping) and item:
            lines = _mapping(item, dash + INDENT)
            yield prefix + next(lines)[dash + INDENT :]
            yield from lines
        elif isinstance(item, list | Mapping | LiteralScalarString) or item is None:
            raise Unsupported("a list, an empty mapping, a block or null in a list")
        else:
            yield prefix + _value(item)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise Unsupported("nan or infinity")
        return repr(value).lower()
    if isinstance(value, str):
        return _scalar(value)
    raise Unsupported(f"a {type(value).__name__}")


def _scalar(text: str) -> str:
    """One line of text in the style ruamel chooses for it."""
    if len(text) > LONGEST or not _ONE_LINE.fullmatch(text):
        raise Unsupported("a long line or unusual characters")
    if _plain(text):
        return text
    if "'" in text:
        if not _DOUBLE_QUOTABLE.fullmatch(text):
            raise Unsupported("characters ruamel escapes in double quotes")
        return quoted(text)
    return f"'{text}'"


def _plain(text: str) -> bool:
    """Whether ruamel writes ``text`` (one printable line) without quotes: nothing
    marks it as YAML syntax, and read back it is a string, not a number, date…"""
    if not text or text[0] == " " or text[-1] == " " or text.startswith(("---", "...")):
        return False
    first, alone = text[0], len(text) == 1 or text[1] == " "
    if first in "#,[]{}&*!|>'\"%@`" or (first in "?:-" and alone):
        return False
    if ": " in text or text.endswith(":") or " #" in text:
        return False
    return _reads_as_text(text)


@functools.lru_cache(maxsize=4096)
def _reads_as_text(text: str) -> bool:
    return str(_resolver().resolve(ScalarNode, text, (True, False))) == "tag:yaml.org,2002:str"


@functools.cache
def _resolver() -> Any:
    from .file import _yaml

    return _yaml().resolver


def _literal(head: str, text: str, indent: int) -> Iterator[str]:
    if not text or text[0] in " \n" or text.endswith("\n\n"):
        raise Unsupported("a block that needs an indentation or keep indicator")
    chomp = "" if text.endswith("\n") else "-"
    yield f"{head} |{chomp}"
    pad = " " * indent
    for line in text.removesuffix("\n").split("\n"):
        if not _BLOCK_LINE.fullmatch(line):
            raise Unsupported("unusual characters in a block")
        yield f"{pad}{line}" if line else ""
