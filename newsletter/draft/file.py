"""The draft file: the editor's interface, written and read as round-trip YAML.

``drafts/<issue>.yaml`` keeps the editor's comments, order and edits. Every key is
written even when empty so the editor sees where to type. Loading validates with the
core models and reports each mistake with its line and field. Re-drafting merges into
it (:mod:`.merge`).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from ..errors import DraftError
from ..model import Approval, Draft, Item, Section
from ..sanitize import clean_data
from ..window import describe
from ..yamlsafe import MAX_DEPTH, safe_yaml
from .hints import explain
from .record import read_bytes, recall, remember

ITEM_KEYS = (
    "id", "include", "title", "url", "author", "published", "updated", "source", "summary",
    "note", "details", "keys",
)  # fmt: skip
SECTION_KEYS = ("id", "title", "provider", "intro", "problems", "items")
HEADER = """\
{title} — draft of issue {issue} ({dates})

How to edit (your edits survive re-running `newsletter draft`):
  include: true / false   puts an item in the issue or leaves it out
  note:                   your words, shown with the item (Markdown)
  title, summary:         edit freely; summary and intro are Markdown
  items:                  reorder by moving whole blocks; add your own with a new id
  intro:                  the issue's opening words, and each section's
Comments (lines starting with #) are kept. Then: newsletter render {path}"""


class _Constructor(RoundTripConstructor):
    """Keeps timestamps as the strings written, so their UTC offset is never lost."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = safe_yaml("rt")  # no anchors, aliases or tags: the draft is hand-edited
    yaml.Constructor = _Constructor
    yaml.width = 4096  # long titles stay on one line, easy to edit
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


# ---------------------------------------------------------------- to YAML


# What YAML can show in a literal block; anything else is written quoted, with escapes.
# NEL, U+2028 and U+2029 are line breaks to ruamel's reader: in a block they would end
# the line and break the indentation (a draft that cannot be read back).
_BLOCK_SAFE = re.compile(
    r"^[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$"
)


def yaml_scalar(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value and _BLOCK_SAFE.match(value):
        return LiteralScalarString(value)
    if isinstance(value, dict):
        node = CommentedMap()
        for key, inner in value.items():
            node[key] = yaml_scalar(inner)
        return node
    if isinstance(value, list):
        return CommentedSeq(yaml_scalar(inner) for inner in value)
    return value


def item_data(item: Item) -> dict[str, Any]:
    """``item`` as the draft writes it: JSON values, a missing date as ``''``."""
    data: dict[str, Any] = item.model_dump(mode="json")
    data["published"] = data["published"] or ""
    data["updated"] = data["updated"] or ""
    return data


def item_node(item: Item) -> CommentedMap:
    data = item_data(item)
    node = CommentedMap()
    for key in ITEM_KEYS:
        node[key] = yaml_scalar(data[key])
    return node


def section_node(section: Section) -> CommentedMap:
    node = CommentedMap()
    node["id"] = section.id
    node["title"] = section.title
    node["provider"] = section.provider
    node["intro"] = yaml_scalar(section.intro)
    node["problems"] = CommentedSeq(section.problems)
    node["items"] = CommentedSeq(item_node(item) for item in section.items)
    return node


def draft_node(draft: Draft, path_hint: str) -> CommentedMap:
    node = CommentedMap()
    node["issue"] = draft.issue
    node["title"] = draft.title
    window = CommentedMap()
    window["start"] = draft.window.start.isoformat()
    window["end"] = draft.window.end.isoformat()
    node["window"] = window
    node["intro"] = yaml_scalar(draft.intro)
    if draft.approved is not None:
        node["approved"] = approval_node(draft.approved)
    node["sections"] = CommentedSeq(section_node(section) for section in draft.sections)
    node.yaml_set_start_comment(draft_header(draft, path_hint))
    for index in range(1, len(node["sections"])):
        node["sections"].yaml_set_comment_before_after_key(index, before="\n")
    return node


def draft_header(draft: Draft, path_hint: str) -> str:
    """The comment that opens a new draft: what it is and how to edit it."""
    return HEADER.format(
        title=draft.title, issue=draft.issue, dates=describe(draft.window), path=path_hint
    )


def approval_node(approval: Approval) -> CommentedMap:
    node = CommentedMap()
    node["by"] = approval.by
    node["at"] = approval.at.isoformat()
    node["digest"] = approval.digest
    return node


def dump(node: CommentedMap) -> str:
    buffer = io.StringIO()
    _yaml().dump(node, buffer)
    return buffer.getvalue()


def fast_dump(node: CommentedMap, header: str) -> str:
    """``dump(node)`` for a node made by :func:`draft_node` (whose start comment is
    ``header``): by the fast writer (:mod:`.emit`) unless a value needs ruamel."""
    from .emit import Unsupported, emit

    try:
        return emit(node, header)
    except Unsupported:
        return dump(node)


# ---------------------------------------------------------------- from YAML


def read_node(path: Path) -> CommentedMap:
    """Parse a draft file's YAML (no validation), locating syntax errors."""
    return parse_text(decode(read_bytes(path), path), str(path))


def decode(data: bytes, path: Path) -> str:
    """A draft's bytes as text, line ends made ``\n`` as ``Path.read_text`` would."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DraftError(str(path), [f"cannot read: {error}"]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_text(text: str, where: str) -> CommentedMap:
    for number, line in enumerate(text.splitlines(), start=1):
        if "\t" in line[: len(line) - len(line.lstrip())]:
            raise DraftError(where, [f"line {number}: a tab in the indentation; use spaces"])
    try:
        node = _yaml().load(text)
    except MaxDepthExceededError as error:
        mark = error.problem_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DraftError(where, [f"{at}nested more than {MAX_DEPTH} levels deep"]) from None
    except YAMLError as error:
        raise DraftError(where, [explain(error, text) or _describe_yaml_error(error)]) from None
    if not isinstance(node, CommentedMap):
        raise DraftError(where, ["line 1: a draft is a mapping with issue, title, sections…"])
    return node


def _describe_yaml_error(error: YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    text = f"{where}{problem}"
    if context and "duplicate" in str(context) + str(problem):
        text = f"{where}{context} — {problem}"
    return text


def to_plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(key): to_plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(value) for value in node]
    if isinstance(node, str):
        return str(node)
    return node


def validate_node(node: CommentedMap, where: str) -> Draft:
    try:
        # The editor's text is an entry too: what no format can carry leaves it here.
        return Draft.model_validate(clean_data(to_plain(node)))
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc = detail["loc"]
            if detail["type"] == "extra_forbidden":
                message = "unknown key"
            elif detail["type"] == "value_error":
                message = str(detail["ctx"]["error"])  # our own words, without pydantic's prefix
            else:
                message = detail["msg"]
            position = _position(node, loc)
            prefix = f"{position}: " if position else ""
            problems.append(f"{prefix}{_named(node, loc)}{_field_path(loc)}: {message}")
        raise DraftError(where, problems) from None


def _named(node: Any, loc: tuple[int | str, ...]) -> str:
    """``section 'blogs', item 'Bar 2.0 released': `` for a ``loc`` inside an item or a
    section: the names the editor sees, before the path the parser uses."""
    if len(loc) < 2 or loc[0] != "sections" or not isinstance(loc[1], int):
        return ""
    try:
        section = node["sections"][loc[1]]
        names = [f"section {_short(section.get('id') or loc[1])!r}"]
        if len(loc) >= 4 and loc[2] == "items" and isinstance(loc[3], int):
            item = section["items"][loc[3]]
            names.append(f"item {_short(item.get('title') or item.get('id') or loc[3])!r}")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return ", ".join(names) + ": "


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:59] + "…"


def load_draft(path: Path, workspace: Path | None = None) -> Draft:
    """The validated draft at ``path``; with the ``workspace``, from its record
    (:mod:`.record`) while the file is unchanged, and recorded when parsed."""
    data = read_bytes(path)
    record = recall(workspace, path, data)
    if record is not None:
        return Draft.model_validate(record.draft)
    node = parse_text(decode(data, path), str(path))
    draft = validate_node(node, str(path))
    remember(workspace, path, data, to_plain(node), draft.model_dump(mode="json"))
    return draft


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _position(node: Any, loc: tuple[int | str, ...]) -> str:
    """``line L, column C`` of the deepest part of ``loc`` that exists in the YAML: the
    value's own position when it is there, else its key's, else the enclosing mapping's."""
    where: tuple[int, int] | None = None
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                where = node.lc.key(part)
                value = node.lc.data.get(part)
                if value is not None and len(value) >= 4 and value[2] is not None:
                    where = (value[2], value[3])
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                where = node.lc.item(part)
                node = node[part]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    if where is None and isinstance(node, CommentedMap):
        where = (node.lc.line, node.lc.col)
    return f"line {where[0] + 1}, column {where[1] + 1}" if where else ""


# ---------------------------------------------------------------- writing and merging
