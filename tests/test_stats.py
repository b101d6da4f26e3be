from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from newsletter.draft.file import load_draft
from newsletter.errors import SourceError
from newsletter.sections.stats.provider import change, sparkline
from newsletter.sections.stats.trackers import retry_delay
from tests.gitrepos import Repo
from tests.mail import mail, mbox
from tests.servers import FeedServer, Route


def day(n: int, month: int = 11, hour: int = 12) -> datetime:
    return datetime(2026, month, n, hour, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def gerrit_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000000000")


class Turns:
    """Answers each request with the next route, then keeps answering with the last."""

    def __init__(self, *routes: Route) -> None:
        self.routes = list(routes)
        self.turn = -1

    def _now(self) -> Route:
        return self.routes[min(self.turn, len(self.routes) - 1)]

    @property
    def delay(self) -> float:  # read first, once per request
        self.turn += 1
        return 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._now(), name)


class ByQuery:
    """Answers by the query string of the request being served (requests are serial)."""

    def __init__(self, server: FeedServer, choose: Any) -> None:
        self.server = server
        self.choose = choose
        self.route = Route()

    @property
    def delay(self) -> float:
        query = parse_qs(urlsplit(self.server.requests[-1][1]).query)
        self.route = self.choose({k: v[0] for k, v in query.items()})
        return 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.route, name)


def jroute(data: Any, **headers: str) -> Route:
    return Route(json.dumps(data).encode(), headers={"Content-Type": "application/json", **headers})


def stats_items(ws: Path, week: str) -> dict[str, dict[str, Any]]:
    draft = load_draft(ws / "drafts" / f"{week}.yaml")
    section = next(s for s in draft.sections if s.id == "stats")
    return {item.title: {"item": item, "problems": section.problems,
                         "rows": {r["label"]: r for r in item.details["rows"]}}
            for item in section.items}  # fmt: skip


def test_github_and_gerrit_over_http(
    server: FeedServer, make_workspace: Any, cli: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("GH_TOKEN_FOR_TEST", "s3cret-token")
    base = server.base
    # Pull requests sorted by update, newest first, over two pages; the walk stops at
    # the first one updated before the 30-day span.
    server.add("/repos/org/proj/pulls", jroute(
        [{"number": 3, "created_at": iso(day(18)), "merged_at": iso(day(19)),
          "updated_at": iso(day(19))},
         {"number": 2, "created_at": iso(day(10)), "merged_at": None, "updated_at": iso(day(17))}],
        Link=f'<{base}/page2/pulls>; rel="next", <{base}/page2/pulls>; rel="last"'))  # fmt: skip
    server.add("/page2/pulls", jroute(
        [{"number": 1, "created_at": iso(day(1)), "merged_at": iso(day(11)),
          "updated_at": iso(day(11))},
         {"number": 0, "created_at": iso(day(1, 9)), "merged_at": None,
          "updated_at": iso(day(2, 9))}]))  # fmt: skip
    server.add("/repos/org/proj/issues", jroute(
        [{"number": 9, "created_at": iso(day(17)), "closed_at": iso(day(20)),
          "updated_at": iso(day(20))},
         {"number": 3, "pull_request": {}, "created_at": iso(day(18)), "closed_at": None,
          "updated_at": iso(day(19))}]))  # fmt: skip
    # The first answer for #3's reviews is a 429 with a short Retry-After: wait, ask again.
    server.add("/repos/org/proj/pulls/3/reviews", Turns(
        Route(b"slow down", status=429, headers={"Retry-After": "1"}),
        jroute([{"submitted_at": iso(day(19))}, {"submitted_at": iso(day(20))}])))  # fmt: skip
    server.add("/repos/org/proj/pulls/2/reviews", jroute([]))
    server.add("/repos/org/proj/pulls/1/reviews", jroute([{"submitted_at": iso(day(11))}]))
    # Another repository's limit is exhausted for an hour: a problem, not an hour's sleep.
    reset = str(int(time.time()) + 3600)
    server.add("/repos/org/limited/pulls", Route(b"{}", status=403, headers={
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}))  # fmt: skip

    def gerrit(query: dict[str, str]) -> Route:
        if "status:open" in query["q"]:
            return Route(b")]}'\n" + json.dumps([{"id": "a"}, {"id": "b"}]).encode())
        pages = {
            "0": [{"created": gerrit_time(day(17)), "status": "NEW"},
                  {"created": gerrit_time(day(5)), "status": "MERGED",
                   "submitted": gerrit_time(day(18)), "_more_changes": True}],
            "2": [{"created": gerrit_time(day(19)), "status": "MERGED",
                   "submitted": gerrit_time(day(20))}],
        }  # fmt: skip
        return Route(b")]}'\n" + json.dumps(pages[query.get("S", "0")]).encode())

    server.add("/gerrit/changes/", ByQuery(server, gerrit))  # type: ignore[arg-type]
    ws = make_workspace(f"""
        [[section]]
        id = "stats"
        provider = "stats"

        [[section.github]]
        repo = "org/proj"
        token_env = "GH_TOKEN_FOR_TEST"
        base_url = "{base}"

        [[section.github]]
        repo = "org/limited"
        base_url = "{base}"

        [[section.gerrit]]
        project = "openstack/nova"
        base_url = "{base}/gerrit"
        """)  # fmt: skip
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    items = stats_items(ws, "2026-W47")
    github = items["org/proj"]["rows"]
    assert github["Pull requests opened"] == {
        "figure": "github/org/proj/prs_opened", "label": "Pull requests opened", "value": 1,
        # No history yet: last week's value is counted from the same answers.
        "previous": 1, "previous_issue": "2026-W46", "change": "–", "span": 3,
    }  # fmt: skip
    assert github["Pull requests merged"]["value"] == 1
    assert github["Reviews"]["value"] == 2 and github["Reviews"]["change"] == "▲ 1"
    assert (github["Issues opened"]["value"], github["Issues closed"]["value"]) == (1, 1)
    gerrit_rows = items["openstack/nova reviews"]["rows"]
    assert gerrit_rows["Changes opened"]["value"] == 2
    assert gerrit_rows["Changes merged"]["value"] == 2
    assert gerrit_rows["Active reviews"]["value"] == 2
    assert gerrit_rows["Active reviews"]["previous"] is None  # a count of now only
    assert "org/limited" not in items
    problems = items["org/proj"]["problems"]
    assert any("github:org/limited" in p and "rate limit" in p for p in problems), problems
    # The token went to the API as a header and nowhere else.
    sent = [h.get("Authorization") for _m, path, h in server.requests if "org/proj" in path]
    assert sent and all(value == "Bearer s3cret-token" for value in sent)
    assert "s3cret" not in result.output
    assert "s3cret" not in (ws / "drafts" / "2026-W47.yaml").read_text()
    assert sum("/pulls/3/reviews" in path for _m, path, _h in server.requests) == 2


def test_git_week_over_week_across_two_runs(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace("""
        [[section]]
        id = "stats"
        provider = "stats"
        span_days = 14

        [[section.repos]]
        name = "demo"
        path = "repos/demo"
        """)  # fmt: skip
    repo = Repo(ws / "repos" / "demo")
    repo.commit("Ann <ann@example.org>", day(10), {"a": "1\n"})
    repo.commit("Ben <ben@example.org>", day(11), {"a": "2\n"})
    repo.commit("Ann <ann@example.org>", day(17), {"a": "3\n"})
    repo.commit("Cy <cy@example.org>", day(18), {"b": "1\n"})
    repo.commit("Ann <ann@example.org>", day(19), {"a": "4\n"})

    assert cli("-C", ws, "draft", "--week", "2026-W46").exit_code == 0
    week46 = stats_items(ws, "2026-W46")["demo"]["rows"]
    assert week46["Commits"]["value"] == 2
    # A commit dated into last week lands later: the previous issue's published figure
    # stays what the newsletter said, it is not recounted.
    repo.commit("Dee <dee@example.org>", day(12), {"c": "1\n"})
    for _run in range(2):  # re-running a week replaces its figures, never adds
        result = cli("-C", ws, "draft", "--week", "2026-W47")
        assert result.exit_code == 0, result.output
    demo = stats_items(ws, "2026-W47")["demo"]
    rows = demo["rows"]
    assert (rows["Commits"]["value"], rows["Commits"]["previous"]) == (3, 2)
    assert rows["Commits"]["change"] == "▲ 1"
    assert rows["Commits"]["span"] == 6
    assert (rows["Authors"]["value"], rows["Authors"]["change"]) == (2, "–")
    assert rows["First-time contributors"]["value"] == 1
    assert "Cy" in demo["item"].summary
    series = demo["item"].details["series"]
    assert series["weeks"][-2:] == ["2026-W46", "2026-W47"]
    assert series["values"][-2:] == [2, 3]
    db = sqlite3.connect(ws / ".newsletter" / "state.db")
    counts = db.execute(
        "SELECT issue, COUNT(*) FROM figures WHERE name = 'git/demo/commits' GROUP BY issue"
    ).fetchall()
    assert counts == [("2026-W46", 1), ("2026-W47", 1)]

    for fmt, expected in (("md", "| Commits | 3 | 2 | ▲ 1 | 6 |"), ("txt", "▲ 1")):
        result = cli("-C", ws, "render", "--format", fmt, "--out", "-")
        assert result.exit_code == 0, result.output
        assert expected in result.stdout
        assert series["sparkline"] in result.stdout
    html = cli("-C", ws, "render", "--format", "html", "--out", "-").stdout
    assert 'bgcolor="#1d4ed8"' in html and "▲ 1" in html


def test_missing_repository_and_unset_token_are_problems(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace("""
        [[section]]
        id = "stats"
        provider = "stats"
        lists = ["dev"]

        [[section.repos]]
        name = "gone"
        path = "repos/gone"

        [[section.github]]
        repo = "org/proj"
        token_env = "NO_SUCH_TOKEN_VAR"
        base_url = "http://127.0.0.1:9"
        """)  # fmt: skip
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    problems = load_draft(ws / "drafts" / "2026-W47.yaml").sections[0].problems
    assert any(p.startswith("repos/gone: no such directory") for p in problems), problems
    assert any("NO_SUCH_TOKEN_VAR is not set" in p for p in problems), problems
    assert any(p.startswith("lists/dev: no section recorded figures") for p in problems), problems


def test_list_figures_of_the_same_run_are_shown_on_the_first_draft(
    make_workspace: Any, cli: Any
) -> None:
    # The stats section comes first in the file, the list's section after it: the stats
    # wait for the list's figures of this run, whatever the order.
    posts = [
        mail("Plans", "Ann <ann@x.org>", day(10), "<p1@x>"),
        mail("Re: Plans", "Bob <bob@x.org>", day(11), "<p2@x>", reply_to="<p1@x>"),
        mail("Release", "Ann <ann@x.org>", day(17), "<r1@x>"),
        mail("Re: Release", "Cy <cy@x.org>", day(18), "<r2@x>", reply_to="<r1@x>"),
        mail("Re: Plans", "Bob <bob@x.org>", day(19), "<p3@x>", reply_to="<p2@x>"),
    ]
    ws = make_workspace(
        """
        [[section]]
        id = "stats"
        provider = "stats"
        lists = ["dev"]

        [[section]]
        id = "lists"
        provider = "mailing_lists"

        [[section.lists]]
        name = "dev"
        url = "dev.mbox"
        """,
        files={"dev.mbox": mbox(*posts)},
    )
    assert cli("-C", ws, "draft", "--week", "2026-W46").exit_code == 0
    result = cli("-C", ws, "draft", "--week", "2026-W47", "--strict")
    assert result.exit_code == 0, result.output  # no "run draft again" problem
    rows = stats_items(ws, "2026-W47")["dev"]["rows"]
    assert (rows["Messages"]["value"], rows["Messages"]["previous"]) == (3, 2)
    assert (rows["Messages"]["change"], rows["Threads"]["value"]) == ("▲ 1", 2)
    assert rows["First-time posters"]["value"] == 1  # Cy
    # A week skipped: W47's figures are two weeks old, not "last week"'s.
    assert cli("-C", ws, "draft", "--week", "2026-W49", "--force").exit_code == 0
    rows = stats_items(ws, "2026-W49")["dev"]["rows"]
    assert (rows["Messages"]["value"], rows["Messages"]["previous"]) == (0, None)
    assert rows["Messages"]["change"] == ""


def test_config_errors_name_the_key(make_workspace: Any, cli: Any) -> None:
    ws = make_workspace("""
        [[section]]
        id = "stats"
        provider = "stats"

        [[section.repos]]
        name = "both"
        path = "a"
        url = "https://example.org/b.git"
        """)  # fmt: skip
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code != 0
    assert "repos.0" in result.output and "exactly one of path or url" in result.output


def test_change_and_sparkline() -> None:
    assert [change(5, 3), change(3, 5), change(4, 4), change(4, None)] == ["▲ 2", "▼ 2", "–", ""]
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert sparkline([0, 0]) == "▁▁"


def test_retry_delay_reads_the_headers() -> None:
    def limited(status: int, **headers: str) -> SourceError:
        return SourceError("u", "x", status=status, headers=headers)

    assert retry_delay(limited(429, **{"Retry-After": "7"})) == 7
    assert retry_delay(limited(403, **{"X-RateLimit-Remaining": "0",
                                       "X-RateLimit-Reset": "1060"}), now=1000) == 60  # fmt: skip
    assert retry_delay(limited(403)) is None  # forbidden, not limited
    assert retry_delay(limited(404)) is None


def test_a_next_page_on_another_origin_never_gets_the_token(
    server: FeedServer, make_workspace: Any, cli: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("GH_TOKEN_FOR_TEST", "s3cret-token")
    other = FeedServer().start()
    try:
        server.add("/repos/org/proj/pulls", jroute(
            [{"number": 1, "created_at": iso(day(18)), "merged_at": None,
              "updated_at": iso(day(18))}],
            Link=f'<{other.base}/steal>; rel="next"'))  # fmt: skip
        other.add("/steal", jroute([]))
        server.add("/repos/org/proj/pulls/1/reviews", jroute([]))
        server.add("/repos/org/proj/issues", jroute([]))
        ws = make_workspace(f"""
            [[section]]
            id = "stats"
            provider = "stats"

            [[section.github]]
            repo = "org/proj"
            token_env = "GH_TOKEN_FOR_TEST"
            base_url = "{server.base}"
            """)  # fmt: skip
        result = cli("-C", ws, "draft", "--week", "2026-W47")
        assert result.exit_code in (0, 4), result.output
        assert all("Authorization" not in headers for _m, _p, headers in other.requests)
        assert "the next page is on another host" in result.output
    finally:
        other.stop()
