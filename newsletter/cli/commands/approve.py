from __future__ import annotations

import getpass
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ...draft.approval import approve, is_approved
from ...draft.file import dump, parse_text, validate_node
from ...draft.save import read_current, save_draft
from ...errors import ConflictError
from ..exits import ExitStatus
from ._choose import newsletter_settings, pick_draft

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment, draft_file: Path | None, by: str | None, now: datetime | None = None
) -> ExitStatus:
    path = pick_draft(env.workspace, draft_file, env.err.print)
    current = read_current(path)
    node = parse_text(current.text, str(path))
    draft = validate_node(node, str(path))  # an invalid draft cannot be approved
    console = env.final
    if is_approved(draft):
        assert draft.approved is not None
        console.print(f"{path.name} is already approved by {draft.approved.by}; nothing to do")
        return ExitStatus.OK
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    approval = approve(node, draft, by or approver(env.workspace), moment)
    if not save_draft(env.workspace, path, dump(node), current.digest, "approve"):
        # Approving what someone else just saved would approve content nobody looked at.
        raise ConflictError(
            f"{path}: saved by another program while it was being approved; not approved "
            "— look at it again, then run 'newsletter approve'"
        )
    included = sum(len(section.included) for section in draft.sections)
    console.print(
        f"Approved {path.name} ({included} item(s) included) as {approval.by}; "
        "any later change to the content withdraws the approval."
    )
    return ExitStatus.OK


def approver(workspace: Path) -> str:
    """Who approves when --by is not given: ``[newsletter] editor``, else git's
    ``user.name`` (as commits are signed), else the login name."""
    editor = str(newsletter_settings(workspace).get("editor") or "").strip()
    if editor:
        return editor
    try:
        git = subprocess.run(
            ["git", "config", "user.name"],
            cwd=workspace, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if git.returncode == 0 and git.stdout.strip():
            return git.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass  # no git
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name, e.g. in a bare container
        return "unknown"
