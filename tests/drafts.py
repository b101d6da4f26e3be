"""Build draft files for tests from the core models, as `newsletter draft` writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsletter.draft.file import draft_node, dump
from newsletter.draft.paths import draft_path
from newsletter.model import Draft, Item, Section, Window

WEEK = "2026-W47"
WINDOW = Window(start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 23, tzinfo=UTC))


def item(n: int, **fields: object) -> Item:
    values: dict[str, object] = {
        "id": f"i{n}",
        "title": f"Item {n}",
        "url": f"https://example.org/{n}",
        "summary": f"About item {n}.",
    }
    values.update(fields)
    return Item.model_validate(values)


def sample_draft(**fields: object) -> Draft:
    values: dict[str, object] = {
        "issue": WEEK,
        "title": "Bar Weekly",
        "window": WINDOW,
        "intro": "Hello.",
        "sections": [
            Section(id="blogs", title="From the blogs", provider="blogs",
                    items=[item(1), item(2), item(3, include=False)]),
            Section(id="events", title="Events", provider="events", items=[item(4)]),
        ],
    }  # fmt: skip
    values.update(fields)
    return Draft.model_validate(values)


def write_sample(workspace: Path, draft: Draft | None = None) -> Path:
    draft = draft or sample_draft()
    path = draft_path(workspace, draft.issue)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(draft_node(draft, f"drafts/{draft.issue}.yaml")), "utf-8")
    return path
