"""Approval of a draft: who said it may go out, when, and for exactly which content.

``newsletter approve`` records ``approved: {by, at, digest}`` at the top of the draft
YAML. ``digest`` is the SHA-256 of the draft's content (everything but the approval
itself and the gathering problems, which never reach readers), so any later edit —
by hand, by ``curate`` or by a re-run of ``newsletter draft`` — makes the digest stale
and the draft counts as not approved until it is approved again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the functions on JSON data serve `status` without pydantic or ruamel
    from ruamel.yaml.comments import CommentedMap

    from ..model import Approval, Draft


def content_digest(draft: Draft) -> str:
    """SHA-256 (hex) of what the draft would publish, in a canonical JSON form."""
    return digest_of(draft.model_dump(mode="json"))


def digest_of(data: Mapping[str, Any]) -> str:
    """:func:`content_digest` of a draft in its JSON form (``model_dump(mode="json")``)."""
    content = {key: value for key, value in data.items() if key != "approved"}
    content["sections"] = [
        {key: value for key, value in section.items() if key != "problems"}
        for section in data.get("sections", [])
    ]
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_approved(draft: Draft) -> bool:
    """True when the draft carries an approval of exactly its current content."""
    return draft.approved is not None and draft.approved.digest == content_digest(draft)


def describe_approval(draft: Draft) -> str:
    """One line for people: approved by whom and when, stale, or not approved."""
    return describe_approval_of(draft.model_dump(mode="json"))


def is_approved_data(data: Mapping[str, Any]) -> bool:
    """:func:`is_approved` of a draft in its JSON form."""
    approved = data.get("approved")
    return approved is not None and approved["digest"] == digest_of(data)


def describe_approval_of(data: Mapping[str, Any]) -> str:
    """:func:`describe_approval` of a draft in its JSON form."""
    approved = data.get("approved")
    if approved is None:
        return "not approved (run: newsletter approve)"
    at = datetime.fromisoformat(approved["at"]).isoformat(timespec="minutes")
    who = f"{approved['by']} at {at}"
    if is_approved_data(data):
        return f"approved by {who}"
    return f"not approved: changed since {who} approved it (approve again)"


def approve(node: CommentedMap, draft: Draft, by: str, at: datetime) -> Approval:
    """Record the approval of ``draft`` in its YAML ``node`` (in place), before sections."""
    from ..model import Approval
    from .file import approval_node

    approval = Approval(by=by, at=at, digest=content_digest(draft))
    if "approved" in node:
        node["approved"] = approval_node(approval)
    else:
        keys = list(node)
        position = keys.index("sections") if "sections" in keys else len(keys)
        node.insert(position, "approved", approval_node(approval))
    return approval
