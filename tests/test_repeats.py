"""Week after week: identity keys, repeat policies, one way to record what an issue
published, a published issue frozen, this run's figures, and preselection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from newsletter.config import load_config
from newsletter.draft.file import load_draft
from newsletter.featured import MAX_KEY, judge, record_published, scoped
from newsletter.gather.run import gather, preselect
from newsletter.model import REPEATS, Item, Repeats
from newsletter.providers import GatherContext, ProviderOptions, SectionProvider
from newsletter.registry import ProviderRegistry
from newsletter.state import Featured, StateStore, state_path
from newsletter.window import week_window
from tests.drafts import item, sample_draft
from tests.feeds import Post, rss
from tests.mail import mail, mbox

W46 = datetime(2026, 11, 11, 9, tzinfo=UTC)
W47 = datetime(2026, 11, 18, 9, tzinfo=UTC)
W46_CLOSES = datetime(2026, 11, 16, tzinfo=UTC)
W47_CLOSES = datetime(2026, 11, 23, tzinfo=UTC)

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


def _workspace(make_workspace: Any, repeats: str | None = None, extra: str = "") -> Path:
    option = f'repeats = "{repeats}"' if repeats else ""
    return make_workspace(
        f"""
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["feeds/blog.rss", "feeds/planet.rss"]
        {option}
        {extra}
        """,
        files=dict(FEEDS),
    )


def _titles(ws: Path, week: str, section: int = 0) -> list[tuple[str, bool]]:
    draft = load_draft(ws / "drafts" / f"{week}.yaml")
    return [(i.title, i.include) for i in draft.sections[section].items]


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def test_week_two_does_not_repeat_what_week_one_published(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    _ok(cli("-C", ws, "draft", "--week", "2026-W46"))
    assert sorted(_titles(ws, "2026-W46")) == [("Also old", True), ("Old news", True)]
    result = _ok(cli("-C", ws, "publish", "--mark", "drafts/2026-W46.yaml"))
    assert "2 item(s)" in result.output
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    assert _titles(ws, "2026-W47") == [("Fresh", True)]
    keys = load_draft(ws / "drafts" / "2026-W47.yaml").sections[0].items[0].keys
    assert keys == ["blogs:url:blog.example.org/fresh"]


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


def test_repeats_always_lists_them_again(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "always")
    cli("-C", ws, "draft", "--week", "2026-W46")
    cli("-C", ws, "publish", "--mark")
    cli("-C", ws, "draft", "--week", "2026-W47")
    assert sorted(_titles(ws, "2026-W47")) == [("Fresh", True), ("Old news", True)]


def test_an_offered_item_not_included_is_not_remembered(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    cli("-C", ws, "draft", "--week", "2026-W46")
    path = ws / "drafts" / "2026-W46.yaml"
    text = path.read_text()
    path.write_text(text.replace("include: true\n", "include: false\n", 1))
    cli("-C", ws, "publish", "--mark", path)
    cli("-C", ws, "draft", "--week", "2026-W47")
    assert len(_titles(ws, "2026-W47")) == 2  # the left-out post may still come


def test_repeats_must_be_one_of_the_policies(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "sometimes")
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 3
    allowed = "'once', 'offer', 'updated', 'upcoming', 'always'"
    assert f"repeats: must be one of {allowed}" in " ".join(result.output.split())


def test_publish_without_mark_does_not_record_items(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace('[[section]]\nid = "b"\nprovider = "blogs"\nfeeds = ["f.xml"]\n')
    assert cli("-C", ws, "draft", "--week", "2026-W47").exit_code == 0
    assert cli("-C", ws, "publish").exit_code == 0
    assert (ws / "site" / "2026-W47" / "index.html").is_file()
    with StateStore(state_path(ws)) as state:
        assert state.db.execute("SELECT COUNT(*) FROM featured").fetchone() == (0,)
        assert state.published("2026-W47") is None


# ---------------------------------------------------------------- keys are the provider's


def test_a_post_is_not_hidden_by_an_event_with_its_url(make_workspace: Any, cli: Any) -> None:
    # W46 announces the meetup in Events, linking the post that will describe it; the
    # post comes out in W47. Different providers' keys never meet.
    events = "- title: Meetup\n  start: 2026-12-01\n  url: https://blog.example.org/fresh\n"
    ws = make_workspace(
        """
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["feeds/blog.rss"]

        [[section]]
        id = "events"
        provider = "events"
        events_file = "events.yaml"
        lookahead_days = 30
        """,
        files={**FEEDS, "events.yaml": events},
    )
    _ok(cli("-C", ws, "draft", "--week", "2026-W46"))
    _ok(cli("-C", ws, "publish", "--mark"))
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    assert _titles(ws, "2026-W47", 0) == [("Fresh", True)]
    assert _titles(ws, "2026-W47", 1) == [("Meetup", True)]  # upcoming: listed again


def test_an_item_without_keys_is_never_a_repeat(make_workspace: Any) -> None:
    ws = make_workspace('[[section]]\nid = "s"\nprovider = "fixed"\n')
    registry = ProviderRegistry([Fixed])
    config = load_config(ws / "newsletter.toml", registry)
    with StateStore(state_path(ws)) as state:
        first = asyncio.run(gather(config, week_window("2026-W46", config.tz), registry, state))
        record_published(state, first.draft, via="publish --mark")
        second = asyncio.run(gather(config, week_window("2026-W47", config.tz), registry, state))
    assert [i.id for i in second.draft.sections[0].items] == ["bare"]


class Fixed(SectionProvider):
    """Two items every week: one with a key, one without."""

    name = "fixed"
    description = "test"
    Options = ProviderOptions

    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        return [item(1, id="keyed", keys=["thing:1"]), item(2, id="bare")]


class Twins(SectionProvider):
    """A buggy provider: two items share an id (the merge matches items by id)."""

    name = "twins"
    description = "test"
    Options = ProviderOptions

    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        return [item(1, id="x", title="One"), item(2, id="x", title="Two"),
                item(3, id="x-2", title="Three")]  # fmt: skip


def test_items_sharing_an_id_are_numbered_apart_with_a_problem(make_workspace: Any) -> None:
    ws = make_workspace('[[section]]\nid = "s"\nprovider = "twins"\n')
    registry = ProviderRegistry([Twins])
    config = load_config(ws / "newsletter.toml", registry)
    with StateStore(state_path(ws)) as state:
        result = asyncio.run(gather(config, week_window("2026-W46", config.tz), registry, state))
    section = result.draft.sections[0]
    assert sorted((i.id, i.title) for i in section.items) == [
        ("x", "One"), ("x-2", "Three"), ("x-3", "Two")
    ]  # fmt: skip
    assert section.problems == [
        "twins: 1 item(s) had the id of an earlier item ('x'); numbered apart"
    ]


def test_long_keys_are_stored_as_their_digest() -> None:
    long = "message-id:" + "x" * 5000
    assert scoped("mailing_lists", long).startswith("mailing_lists:sha256:")
    assert len(scoped("mailing_lists", long)) < MAX_KEY
    assert scoped("mailing_lists", long) == scoped("mailing_lists", long)
    assert scoped("blogs", " url:a ") == "blogs:url:a"


def test_blank_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="identity key must not be empty"):
        item(1, keys=["ok", "  "])


def test_history_sees_only_earlier_issues(tmp_path: Path) -> None:
    draft = sample_draft(issue="2026-W46")
    draft.sections[0].items[0].keys = ["blogs:url:a"]
    draft.sections[0].items[2].keys = ["blogs:url:c"]  # not included
    with StateStore(state_path(tmp_path)) as state:
        assert record_published(state, draft, via="send") == 1
        found = state.history("2026-W47").last_featured(["blogs:url:a", "blogs:url:z"])
        assert found == Featured("2026-W46", draft.window.end)
        assert state.history("2026-W46").last_featured(["blogs:url:a"]) is None
        assert state.history("2026-W47").last_featured(["blogs:url:c"]) is None
        published = state.published("2026-W46")
        assert published is not None and (published.via, published.items) == ("send", 3)


def test_publishing_again_replaces_what_the_issue_featured(tmp_path: Path) -> None:
    draft = sample_draft(issue="2026-W46")
    draft.sections[0].items[0].keys = ["blogs:url:a"]
    with StateStore(state_path(tmp_path)) as state:
        record_published(state, draft, via="publish --mark")
        draft.sections[0].items[0].include = False
        draft.sections[0].items[1].keys = ["blogs:url:b"]
        record_published(state, draft, via="send")
        history = state.history("2026-W47")
        assert history.last_featured(["blogs:url:a"]) is None
        assert history.last_featured(["blogs:url:b"]) is not None
        published = state.published("2026-W46")
        assert published is not None and published.via == "send"


# ---------------------------------------------------------------- the policies


def _judged(policy: Repeats, **fields: Any) -> str:
    earlier = Featured("2026-W46", W46_CLOSES)
    return judge(item(1, **fields), earlier, policy, W47_CLOSES)


def test_each_policy_on_an_item_featured_before() -> None:
    before, after = W46_CLOSES - timedelta(hours=1), W46_CLOSES + timedelta(hours=1)
    assert _judged("once") == "drop"
    assert _judged("offer") == "offer"
    assert _judged("always") == "again"
    assert _judged("updated", updated=after) == "again"
    assert _judged("updated", updated=W46_CLOSES) == "again"  # at the close: after it
    assert _judged("updated", updated=before) == "drop"
    assert _judged("updated") == "drop"  # no date: nothing new to show
    assert _judged("upcoming", published=W47_CLOSES + timedelta(days=3)) == "again"
    assert _judged("upcoming", published=W47_CLOSES - timedelta(hours=1)) == "drop"  # began
    assert _judged("upcoming") == "drop"


@pytest.mark.parametrize("policy", REPEATS)
def test_an_item_never_featured_is_new_under_every_policy(policy: Repeats) -> None:
    assert judge(item(1), None, policy, W47_CLOSES) == "new"


THREADS = mbox(
    mail("Plans", "Ann <ann@x.org>", datetime(2026, 11, 10, 9, tzinfo=UTC), "<p1@x>"),
    mail("Re: Plans", "Bob <bob@x.org>", datetime(2026, 11, 13, 9, tzinfo=UTC), "<p2@x>",
         reply_to="<p1@x>"),
    mail("Quiet", "Cy <cy@x.org>", datetime(2026, 11, 14, 9, tzinfo=UTC), "<q1@x>"),
    mail("Re: Plans", "Cy <cy@x.org>", datetime(2026, 11, 17, 9, tzinfo=UTC), "<p3@x>",
         reply_to="<p2@x>"),
    mail("Re: Plans", "Ann <ann@x.org>", datetime(2026, 11, 18, 9, tzinfo=UTC), "<p4@x>",
         reply_to="<p3@x>"),
)  # fmt: skip


def test_a_thread_comes_back_only_with_new_messages_marked_continued(
    make_workspace: Any, cli: Any
) -> None:
    ws = make_workspace(
        """
        [[section]]
        id = "lists"
        provider = "mailing_lists"

        [[section.lists]]
        name = "dev"
        url = "dev.mbox"
        """,
        files={"dev.mbox": THREADS},
    )
    _ok(cli("-C", ws, "draft", "--week", "2026-W46"))
    assert sorted(_titles(ws, "2026-W46")) == [("Plans", True), ("Quiet", True)]
    _ok(cli("-C", ws, "publish", "--mark", "drafts/2026-W46.yaml"))
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    (plans,) = load_draft(ws / "drafts" / "2026-W47.yaml").sections[0].items
    assert plans.title == "Plans" and plans.keys == ["mailing_lists:thread:dev:p1@x"]
    assert (plans.details["continued_from"], plans.details["new_messages"]) == ("2026-W46", 2)
    text = _ok(cli("-C", ws, "render", "drafts/2026-W47.yaml", "-f", "txt", "-o", "-")).stdout
    assert "continued: 2 new messages since the last issue, 4 in all" in " ".join(text.split())
    # A window that overlaps W46's: "Quiet" has nothing since W46 closed, "Plans" has.
    _ok(cli("-C", ws, "draft", "--since", "2026-11-14", "--until", "2026-11-20"))
    assert _titles(ws, "2026-W47") == [("Plans", True)]


def test_an_event_repeats_until_it_begins(make_workspace: Any, cli: Any) -> None:
    events = (
        "- {title: Summit, start: 2026-11-25, end: 2026-11-27}\n"  # after W47 closes
        "- {title: Sprint, start: 2026-11-21, end: 2026-11-24}\n"  # running at W47's close
        "- {title: Hackday, start: 2026-11-22, end: 2026-11-23}\n"  # new, running at close
        "- {title: Talk, start: '2026-11-17 18:00'}\n"  # over before W47 closes
    )
    ws = make_workspace(
        '[[section]]\nid = "events"\nprovider = "events"\nevents_file = "e.yaml"\n',
        files={"e.yaml": events},
    )
    _ok(cli("-C", ws, "draft", "--week", "2026-W46"))
    assert [t for t, _ in _titles(ws, "2026-W46")] == ["Talk", "Sprint", "Hackday", "Summit"]
    path = ws / "drafts" / "2026-W46.yaml"
    path.write_text(path.read_text().replace("include: true\n", "include: false\n", 3))
    _ok(cli("-C", ws, "publish", "--mark", path))  # W46 announced only the Summit
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    items = load_draft(ws / "drafts" / "2026-W47.yaml").sections[0].items
    assert [i.title for i in items] == ["Sprint", "Hackday", "Summit"]
    assert items[2].details["seen_in"] == "2026-W46"
    # Once it has begun, what an issue announced is not listed again.
    _ok(cli("-C", ws, "publish", "--mark", "drafts/2026-W47.yaml"))
    _ok(cli("-C", ws, "draft", "--since", "2026-11-23", "--until", "2026-11-23"))
    names = [i.title for s in load_draft(ws / "drafts" / "2026-W48.yaml").sections for i in s.items]
    assert names == ["Summit"]


# ---------------------------------------------------------------- a published issue is frozen


def test_a_marked_issue_is_not_gathered_again_without_force(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    _ok(cli("-C", ws, "draft", "--week", "2026-W46"))
    _ok(cli("-C", ws, "approve", "--by", "ann"))
    before = (ws / "drafts" / "2026-W46.yaml").read_text()
    _ok(cli("-C", ws, "publish", "--mark"))
    refused = cli("-C", ws, "draft", "--week", "2026-W46")
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "2026-W46 was marked published at" in said
    assert "pass --force to gather it again" in said
    assert (ws / "drafts" / "2026-W46.yaml").read_text() == before
    forced = _ok(cli("-C", ws, "draft", "--week", "2026-W46", "--force"))
    assert "Approval withdrawn" not in forced.output  # nothing changed: still approved
    assert "Approved by ann" in _ok(cli("-C", ws, "status")).output


def test_a_redraft_that_changes_an_approved_draft_says_so(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    _ok(cli("-C", ws, "approve", "--by", "ann"))
    (ws / "feeds" / "blog.rss").write_bytes(
        rss([Post("Fresh", "https://blog.example.org/fresh", W47),
             Post("Later", "https://blog.example.org/later", W47 + timedelta(hours=2))])
    )  # fmt: skip
    result = _ok(cli("-C", ws, "-q", "draft", "--week", "2026-W47"))
    said = " ".join(result.output.split())
    assert "Approval withdrawn: the draft changed since ann approved it" in said
    assert "newsletter approve" in said


def test_the_summary_counts_the_draft_with_its_hand_edits(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace)
    _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    path = ws / "drafts" / "2026-W47.yaml"
    path.write_text(path.read_text().replace("include: true\n", "include: false\n", 1))
    result = _ok(cli("-C", ws, "draft", "--week", "2026-W47"))
    # section, provider, items, included, problems
    assert ["blogs", "blogs", "2", "1", "0"] in _rows(result.output)
    # section, included, offered, problems, warnings
    assert ["blogs", "1", "2", "0", "0"] in _rows(_ok(cli("-C", ws, "status")).output)


def _rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines()]


# ---------------------------------------------------------------- figures of the same run


class Reader(SectionProvider):
    """Reads a figure another section records in this run, and records its own."""

    name = "reader"
    description = "test"
    Options = ProviderOptions
    seen: ClassVar[dict[str, float | None]] = {}

    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        ctx.record_figure(f"{ctx.section_id}/own", 1)
        for name in ("writer/count", "other/own", "nobody/count"):
            Reader.seen[f"{ctx.section_id} {name}"] = await ctx.figure(name)
        return []


class Writer(SectionProvider):
    name = "writer"
    description = "test"
    Options = ProviderOptions

    async def gather(self, options: Any, ctx: GatherContext) -> list[Item]:
        await asyncio.sleep(0.2)  # slower than the readers
        ctx.record_figure("writer/count", 42)
        return []


def test_readers_wait_for_the_writers_and_for_each_other(make_workspace: Any) -> None:
    ws = make_workspace(
        '[[section]]\nid = "mine"\nprovider = "reader"\n'
        '[[section]]\nid = "other"\nprovider = "reader"\n'
        '[[section]]\nid = "w"\nprovider = "writer"\n'
    )
    registry = ProviderRegistry([Reader, Writer])
    config = load_config(ws / "newsletter.toml", registry)
    with StateStore(state_path(ws)) as state:
        asyncio.run(
            asyncio.wait_for(
                gather(config, week_window("2026-W47", config.tz), registry, state), timeout=10
            )
        )
    assert Reader.seen["mine writer/count"] == 42
    assert Reader.seen["mine other/own"] == 1  # recorded before it waited
    assert Reader.seen["other writer/count"] == 42
    assert Reader.seen["mine nobody/count"] is None


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
