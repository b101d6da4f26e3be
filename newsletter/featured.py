"""Week after week: what makes an item "the same" as before, what may repeat, and
remembering what an issue published.

Identity is the provider's. Every item carries ``keys`` (``Item.keys``) set by the
provider that found it — a blog post's canonical URL, a thread's list and root
Message-ID, an event occurrence's UID and start. The core scopes them by the provider's
name (``blogs:url:example.org/a``), so keys of two providers never meet, and never
derives identity from anything else (a URL, ``details``).

When an issue is sent (``newsletter send``) or marked published (``publish --mark``),
:func:`record_published` stores the keys of its included items with the moment the
issue closed. A later draft looks each gathered item up (:func:`judge`) and applies
its section's repeat policy (:data:`~newsletter.model.Repeats`): the section's
``repeats`` key, or its provider's default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from .model import Draft, Item, Repeats
from .state import Featured, StateStore

MAX_KEY = 512
"""Characters of a key stored as written; a longer one (a hostile Message-ID) is
stored as its SHA-256, which identifies it as well."""

Verdict = Literal["new", "again", "offer", "drop"]
"""What a draft does with a gathered item: list it as new, list it again (it was
featured, and its policy lets it come back), offer it excluded, or leave it out."""


def scoped(provider: str, key: str) -> str:
    """``key`` of an item found by ``provider``, as the state store keeps it."""
    key = key.strip()
    if len(key) > MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    return f"{provider}:{key}"


def scope_keys(provider: str, items: Iterable[Item]) -> None:
    """Scope the keys ``provider`` gave its items (in place), once, as they are gathered."""
    for item in items:
        item.keys = list(dict.fromkeys(scoped(provider, key) for key in item.keys))


def judge(item: Item, earlier: Featured | None, policy: Repeats, closes: datetime) -> Verdict:
    """The verdict on ``item`` (its keys scoped), which ``earlier`` featured if not None,
    under ``policy``, for an issue that closes at ``closes``."""
    if earlier is None:
        return "new"
    if policy == "always":
        return "again"
    if policy == "offer":
        return "offer"
    if policy == "updated":
        changed = _aware(item.updated)
        return "again" if changed is not None and changed >= earlier.closed else "drop"
    if policy == "upcoming":
        begins = _aware(item.published)
        return "again" if begins is not None and begins >= closes else "drop"
    return "drop"


def record_published(state: StateStore, draft: Draft, via: str) -> int:
    """Remember that ``draft``'s issue was published (``via`` says how) and the keys of
    every included item; returns how many keys were stored. The one path for ``send``
    and ``publish --mark``. An item without keys (one the editor added by hand) is
    published but cannot be recognised later."""
    entries = [
        (key, section.id, item.id, item.title)
        for section in draft.sections
        for item in section.included
        for key in item.keys
    ]
    items = sum(len(section.included) for section in draft.sections)
    state.record_published(draft.issue, (draft.window.start, draft.window.end), via, items, entries)
    return len(entries)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
