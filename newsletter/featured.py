"""What makes two items "the same" across issues, and remembering what an issue published.

An item is known by its canonical URL and, when its provider gives them, by its
e-mail Message-ID (``details["message_id"]``) and iCal UID (``details["uid"]``): a
thread or event reached by another link is still recognised. Once an issue is sent
or marked published, these keys of its included items go to the state store, and
later drafts leave those items out (see ``newsletter.gather``).
"""

from __future__ import annotations

from .model import Draft, Item
from .state import StateStore
from .urls import canonical_url


def featured_keys(item: Item) -> list[str]:
    """The keys ``item`` is remembered by; empty for an item with none of them."""
    keys: list[str] = []
    if item.url.strip():
        keys.append(canonical_url(item.url))
    message_id = str(item.details.get("message_id") or "").strip().strip("<>").strip()
    if message_id:
        keys.append(f"message-id:{message_id}")
    uid = str(item.details.get("uid") or "").strip()
    if uid:
        keys.append(f"uid:{uid}")
    return keys


def record_published(state: StateStore, draft: Draft) -> int:
    """Remember every included item of ``draft``; returns how many keys were stored."""
    entries = [
        (key, section.id, item.id, item.title)
        for section in draft.sections
        for item in section.included
        for key in featured_keys(item)
    ]
    state.record_featured(draft.issue, entries)
    return len(entries)
