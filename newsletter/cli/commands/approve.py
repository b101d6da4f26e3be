from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ...draft.approval import approve, is_approved
from ...draft.file import dump, read_node, validate_node
from ...fileio import write_atomic
from ..exits import ExitStatus
from ._choose import pick_draft

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment, draft_file: Path | None, by: str | None, now: datetime | None = None
) -> ExitStatus:
    path = pick_draft(env.workspace, draft_file)
    node = read_node(path)
    draft = validate_node(node, str(path))  # an invalid draft cannot be approved
    console = env.final
    if is_approved(draft):
        assert draft.approved is not None
        console.print(f"{path.name} is already approved by {draft.approved.by}; nothing to do")
        return ExitStatus.OK
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    approval = approve(node, draft, by or _user(), moment)
    write_atomic(path, dump(node))
    included = sum(len(section.included) for section in draft.sections)
    console.print(
        f"Approved {path.name} ({included} item(s) included) as {approval.by}; "
        "any later change to the content withdraws the approval."
    )
    return ExitStatus.OK


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name, e.g. in a bare container
        return "unknown"
