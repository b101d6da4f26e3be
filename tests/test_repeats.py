"""No repeats across issues, and preselection by the providers' scores."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from newsletter.config import load_config
from newsletter.draft.file import load_draft
from newsletter.featured import featured_keys, record_published
from newsletter.gather.run import gather, preselect
from newsletter.model import Item
from newsletter.providers import GatherContext, ProviderOptions, SectionProvider
from newsletter.registry import ProviderRegistry
from newsletter.state import StateStore, state_path
from newsletter.window import week_window
from tests.drafts import item, sample_draft
from tests.feeds import Post, rss

W46 = datetime(2026, 11, 11, 9, tzinfo=UTC)
W47 = datetime(2026, 11, 18, 9, tzinfo=UTC)

FEEDS = {
    # Week 46: two posts. Week 47: a new post, and the planet republishes an old one
    # under a tracking-parameter link, dated again.
    "feeds/blog.rss": rss(
        [
            Post("Old news", "https://blog.example.org/old", W46),
            Post("Also old", "https://blog.example.org/also", W46),
            Post("Fresh", "https://blog.example.org/fresh", W47),
        ]
    ),
    "feeds/planet.rss": rss(
        [Post("Old news", "http://www.blog.example.org/old/?utm_source=planet", W47)]
    ),
}


def _workspace(make_workspace: Any, repeats: str | None = None) -> Path:
    option = f'repeats = "{repeats}"' if repeats else ""
    return make_workspace(
        f"""
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["feeds/blog.rss", "feeds/planet.rss"]
        {option}
        """,
        files=dict(FEEDS),
    )


def _titles(ws: Path, week: str) -> list[tuple[str, bool]]:
    draft = load_draft(ws / "drafts" / f"{week}.yaml")
    return [(i.title, i.include) for i in draft.sections[0].items]


def test_week_two_does_not_repeat_what_week_one_published(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    assert cli("-C", ws, "draft", "--week", "2026-W46").exit_code == 0
    assert sorted(_titles(ws, "2026-W46")) == [("Also old", True), ("Old news", True)]
    result = cli("-C", ws, "publish", "--mark", "drafts/2026-W46.yaml")
    assert result.exit_code == 0, result.output
    assert "2 item(s)" in result.output
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    assert _titles(ws, "2026-W47") == [("Fresh", True)]


def test_without_marking_week_one_the_old_post_comes_back(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    cli("-C", ws, "draft", "--week", "2026-W46")
    cli("-C", ws, "draft", "--week", "2026-W47")
    assert ("Old news", True) in _titles(ws, "2026-W47")


def test_repeats_offer_keeps_them_excluded_and_marked(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "offer")
    cli("-C", ws, "draft", "--week", "2026-W46")
    cli("-C", ws, "publish", "--mark")  # the newest draft
    cli("-C", ws, "draft", "--week", "2026-W47")
    items = load_draft(ws / "drafts" / "2026-W47.yaml").sections[0].items
    assert [(i.title, i.include) for i in items] == [("Fresh", True), ("Old news", False)]
    assert items[1].details["seen_in"] == "2026-W46"


def test_an_offered_item_not_included_is_not_remembered(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    cli("-C", ws, "draft", "--week", "2026-W46")
    path = ws / "drafts" / "2026-W46.yaml"
    text = path.read_text()
    path.write_text(text.replace("include: true\n", "include: false\n", 1))
    cli("-C", ws, "publish", "--mark", path)
    cli("-C", ws, "draft", "--week", "2026-W47")
    assert len(_titles(ws, "2026-W47")) == 2  # the left-out post may still come


def test_repeats_must_be_drop_or_offer(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "sometimes")
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 3
    assert "repeats: must be one of 'drop', 'offer'" in result.output


def test_publish_without_mark_does_not_record_items(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    assert cli("-C", ws, "publish").exit_code == 0
    assert (ws / "site" / "2026-W47" / "index.html").is_file()
    with StateStore(state_path(ws)) as state:
        assert state.db.execute("SELECT COUNT(*) FROM featured").fetchone() == (0,)


def test_featured_keys() -> None:
    plain = item(1, url="https://www.Example.org/a/?utm_medium=x#top")
    assert featured_keys(plain) == ["example.org/a"]
    mail = item(2, url="", details={"message_id": "<abc@lists.example.org>", "uid": "ev-1"})
    assert featured_keys(mail) == ["message-id:abc@lists.example.org", "uid:ev-1"]


def test_history_sees_only_earlier_issues(tmp_path: Path) -> None:
    with StateStore(state_path(tmp_path)) as state:
        record_published(state, sample_draft(issue="2026-W46"))
        key = featured_keys(item(1))[0]
        assert state.history("2026-W47").featured_in([key]) == {key: "2026-W46"}
        assert state.history("2026-W46").featured_in([key]) == {}
        assert state.history("2026-W47").featured_in(featured_keys(item(3))) == {}  # excluded


# ---------------------------------------------------------------- preselection


class Scored(SectionProvider):
    """Returns items in a fixed order with scores that disagree with it."""

    name = "scored"
    description = "test"
    Options = ProviderOptions
    scores: ClassVar[list[float]] = [1.0, 5.0, 3.0, 4.0]

    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        return [item(n, score=score) for n, score in enumerate(self.scores, 1)]


def test_preselect_includes_the_best_scored_and_lists_the_rest_after(
    make_workspace: Any,
) -> None:
    ws = make_workspace('[[section]]\nid = "s"\nprovider = "scored"\npreselect = 2\n')
    registry = ProviderRegistry([Scored])
    config = load_config(ws / "newsletter.toml", registry)
    with StateStore(state_path(ws)) as state:
        result = asyncio.run(gather(config, week_window("2026-W47", config.tz), registry, state))
    items = result.draft.sections[0].items
    # Scores 5 and 4 are chosen; each group keeps the provider's order.
    assert [(i.id, i.include) for i in items] == [
        ("i2", True), ("i4", True), ("i1", False), ("i3", False),
    ]  # fmt: skip


@pytest.mark.parametrize("count", [None, 0, 10])
def test_preselect_edges(count: int | None) -> None:
    items = [item(n, score=float(n)) for n in range(3)]
    chosen = [i.include for i in preselect(items, count)]
    assert chosen == ([True] * 3 if count != 0 else [False] * 3)
