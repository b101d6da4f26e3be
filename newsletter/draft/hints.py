"""YAML syntax errors in the editor's words: the line that is wrong and how to write it.

The parser reports where it gave up, in its own terms ("mapping values are not allowed
here", "could not find expected ':'"), often a line or hundreds of lines after the slip.
These are the slips people make by hand in a draft, each turned into a hint that names
the line to change and shows it changed:

* a ``: `` inside a value (``title: Bar 2.0: released!``, the commonest one);
* a value starting with a YAML character (``[RFC] …``, ``*bold*``, ``@home``, ``- x``);
* a key without its ``:`` (reported by the parser on the line after);
* a quote opened and never closed (reported where the next quote happens to be);
* a line indented unlike the others of its block.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.composer import ComposerError
from ruamel.yaml.parser import ParserError
from ruamel.yaml.scanner import ScannerError

_KEY_VALUE = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*):\s+(?P<value>.*)$")
_BARE_KEY = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*)\s+(?P<value>\S.*)$")
_INDICATORS = "[]{}*&!@`|>%,?'\"-#"


def explain(error: Any, text: str) -> str | None:
    """A hint for a YAML syntax ``error`` in ``text``: "line N: …", or None (then the
    parser's own words stand: our refusals of tags and duplicate keys are already
    plain, and a tab is named as such)."""
    if not isinstance(error, ScannerError | ParserError | ComposerError):
        return None
    problem = str(getattr(error, "problem", "") or "")
    if "'\\t'" in problem:
        return None
    context = str(getattr(error, "context", "") or "")
    lines = text.splitlines()
    at = _line(getattr(error, "problem_mark", None))
    since = _line(getattr(error, "context_mark", None))

    if "could not find expected ':'" in problem and since is not None:
        return _missing_colon(lines, since)
    unclosed = _unclosed_quote(lines, since, at)
    if unclosed is not None:
        return unclosed
    if "expected <block end>" in problem and "<scalar>" not in problem and at is not None:
        return _indentation(lines, at)
    if at is not None and at < len(lines):
        return _needs_quotes(lines[at], at, problem, context)
    return None


def _indentation(lines: list[str], at: int) -> str | None:
    """The line is indented unlike the key above it."""
    if at >= len(lines):
        return None
    found = len(lines[at]) - len(lines[at].lstrip(" "))
    for above in reversed(lines[:at]):
        if above.strip() and not above.lstrip().startswith("#"):
            match = _KEY_VALUE.match(above) or re.match(r"^(?P<indent>\s*(?:-\s+)?)", above)
            expected = len(match["indent"]) if match else 0
            return (
                f"line {at + 1}: indented by {found} spaces, the line above by {expected}; "
                "line the keys of one item up with each other"
            )
    return None


def quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line(mark: Any) -> int | None:
    return int(mark.line) if mark is not None else None


def _needs_quotes(line: str, number: int, problem: str, context: str) -> str | None:
    match = _KEY_VALUE.match(line)
    if match is None:
        return None
    key, value = match["key"], match["value"].rstrip()
    if len(value) > 1 and value[0] == value[-1] == "'":
        fixed = f"{key}: {quoted(value[1:-1])}"
        return (
            f"line {number + 1}: an apostrophe inside '…' ends the {key}; "
            f"use double quotes: {fixed}"
        )
    if ": " in value or value.endswith(":"):
        why = "a ': ' inside a value ends the key"
    elif value[:1] in _INDICATORS:
        # In words for a quote: the why follows the fix, which ends at its last '"'.
        first = {'"': "a double quote", "'": "an apostrophe"}.get(value[0], repr(value[0]))
        why = f"a value starting with {first} is YAML syntax"
    elif "<block end>" in problem or "alias" in problem:
        why = "it holds characters YAML reads as syntax"
    else:
        return None
    fixed = f"{key}: {quoted(value)}"
    return f"line {number + 1}: quote the {key}: {fixed} ({why})"


def _missing_colon(lines: list[str], number: int) -> str | None:
    if number >= len(lines):
        return None
    line = lines[number]
    match = _BARE_KEY.match(line)
    if match is None:
        return f"line {number + 1}: a ':' is missing after the key"
    fixed = f"{match['key']}: {match['value'].strip()}"
    return f"line {number + 1}: a ':' is missing after {match['key']!r}; write: {fixed}"


def _unclosed_quote(lines: list[str], since: int | None, at: int | None) -> str | None:
    """The first value between the two marks that opens a quote and does not close it,
    when the parser stopped further down than that line."""
    if since is None or at is None or at <= since:
        return None
    for number in range(since, min(at, len(lines))):
        match = _KEY_VALUE.match(lines[number])
        if match is None:
            continue
        value = match["value"].rstrip()
        quote = value[:1]
        if quote in {'"', "'"} and not _closes(value, quote):
            return (
                f"line {number + 1}: the {quote} that opens the {match['key']} is never "
                f"closed; end the value with {quote}, or write it without quotes"
            )
    return None


def _closes(value: str, quote: str) -> bool:
    body = value[1:]
    if quote == "'":
        body = body.replace("''", "")
        return body.endswith("'")
    escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            return True
    return False
