from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.errors import SourceError
from newsletter.sections.stats import gitlog
from tests.gitrepos import Repo

W47 = (int(datetime(2026, 11, 16, tzinfo=UTC).timestamp()),
       int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()))  # fmt: skip
ALICE_OLD = "alice <alice@old.example>"
ALICE = "Alice Liddell <alice@example.org>"
BOB = "Bob Bobson <bob@example.org>"
CAROL = "Carol Merger <carol@example.org>"


def day(n: int, month: int = 11) -> datetime:
    return datetime(2026, month, n, 12, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Alice commits in October under an old address (.mailmap folds it), then in the
    week; Bob's first commit ever lands in the week on a branch Carol merges."""
    repo = Repo(tmp_path / "demo")
    repo.commit(ALICE_OLD, day(1, 10), {"a.txt": "1\n2\n3\n"})
    repo.commit(ALICE, day(17), {".mailmap": f"{ALICE} <alice@old.example>\n",
                                 "a.txt": "1\n2\nthree\n4\n"})  # fmt: skip
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit(BOB, day(18), {"src/b.py": "x = 1\n", "logo.png": "\x00\x01binary"})
    repo.git("checkout", "-q", "main")
    repo.merge("topic", CAROL, day(19))
    return repo


def test_week_figures_honour_mailmap_and_count_merges_apart(repo: Repo) -> None:
    commits = asyncio.run(gitlog.read_log(repo.path))
    first = asyncio.run(gitlog.first_commits(repo.path))
    stats = gitlog.summarize(commits, *W47, first)
    assert stats.figures() == {
        "commits": 2, "authors": 2, "first_time": 1, "merges": 1, "files": 4,
        "lines_added": 3 + 1, "lines_deleted": 1,
    }  # fmt: skip
    assert stats.first_time == ["Bob Bobson"]
    # The October commit is Alice's under her mailmapped name and address.
    october = next(c for c in commits if c.time < W47[0])
    assert (october.author, october.email) == ("Alice Liddell", "alice@example.org")
    assert stats.top(5) == [("Alice Liddell", 1), ("Bob Bobson", 1)]


def test_read_log_bounds_the_walk(repo: Repo) -> None:
    inside = asyncio.run(gitlog.read_log(repo.path, since=W47[0], until=W47[1]))
    assert len(inside) == 3  # Alice's, Bob's and the merge; not October's
    assert sum(c.merge for c in inside) == 1


def test_totals_count_a_person_once(repo: Repo) -> None:
    commits = asyncio.run(gitlog.read_log(repo.path))
    part = gitlog.summarize(commits, *W47)
    total = gitlog.combine([part, part])
    assert total.commits == 4 and len(total.authors) == 2


def test_an_author_name_holding_a_field_separator_is_read_whole(repo: Repo) -> None:
    # git keeps control characters in names: one commit must not stop the repo's figures.
    repo.commit("Eve\x1fthe\x1eOdd <eve@example.org>", day(20), {"e.txt": "e\n"})
    commits = asyncio.run(gitlog.read_log(repo.path, since=W47[0], until=W47[1]))
    first = asyncio.run(gitlog.first_commits(repo.path))
    assert commits[0].author == "Eve\x1fthe\x1eOdd" and commits[0].email == "eve@example.org"
    assert gitlog.summarize(commits, *W47, first).first_time == ["Bob Bobson", "Eve\x1fthe\x1eOdd"]


def test_not_a_repository_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a git repository"):
        asyncio.run(gitlog.read_log(tmp_path))


def test_mirror_clones_then_fetches(repo: Repo, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "demo"
    asyncio.run(gitlog.mirror(repo.path.as_uri(), cache))
    assert len(asyncio.run(gitlog.read_log(cache))) == 4
    repo.commit(BOB, day(20), {"src/b.py": "x = 2\n"})
    asyncio.run(gitlog.mirror(repo.path.as_uri(), cache))
    assert len(asyncio.run(gitlog.read_log(cache))) == 5


_text = st.text(
    st.characters(blacklist_characters="\x00\n\t\r", blacklist_categories=("Cs",)),
    max_size=12,
)
_commit = st.builds(
    gitlog.Commit,
    sha=st.text("0123456789abcdef", min_size=40, max_size=40),
    author=_text,
    email=_text,
    time=st.integers(0, 2**33),
    merge=st.booleans(),
    added=st.integers(0, 50),
    deleted=st.integers(0, 50),
    files=st.lists(_text.filter(bool).map(lambda s: s.strip() or "f"), max_size=3).map(tuple),
)


def _render(commit: gitlog.Commit) -> str:
    parents = "p1 p2" if commit.merge else "p1"
    head = f"\x1e{commit.sha}\x00{parents}\x00{commit.author}\x00{commit.email}\x00{commit.time}\n"
    # The whole count sits on the first file, so parsing adds it back up exactly.
    body = "".join(
        f"{commit.added if i == 0 else 0}\t{commit.deleted if i == 0 else 0}\t{path}\n"
        for i, path in enumerate(commit.files)
    )
    return head + ("\n" + body if body else "")


@given(st.lists(_commit, max_size=6), st.lists(st.integers(0, 400), max_size=5))
def test_parser_is_indifferent_to_how_the_stream_is_cut(
    commits: list[gitlog.Commit], cuts: list[int]
) -> None:
    expected = [
        c if c.files else gitlog.Commit(c.sha, c.author, c.email, c.time, c.merge) for c in commits
    ]
    text = "".join(_render(c) for c in commits)
    points = sorted({min(cut, len(text)) for cut in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert gitlog.parse_log(pieces) == expected
