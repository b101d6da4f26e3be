"""`newsletter lint` against a real local HTTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsletter.config import SendSettings
from newsletter.draft.file import draft_node, dump, load_draft
from newsletter.draft.lint import GMAIL_CLIP, LinkCache, deliverability_findings
from newsletter.model import Draft, Section
from newsletter.model import Item as _Item
from tests.conftest import EXAMPLE
from tests.sending import said, send, workspace
from tests.servers import FeedServer, Route


def Item(**fields: Any) -> _Item:
    # The draft file cannot yet hold an item without a date (it writes '' back): give one.
    return _Item(published=datetime(2011, 6, 28, tzinfo=UTC), **fields)


def _draft(server: FeedServer, **changes: Any) -> Draft:
    draft = load_draft(EXAMPLE / "drafts" / "2011-W26.yaml")
    moved = server.add("/moved", Route(b"", 301, {"Location": "/ok"}))
    items = [
        Item(id="ok", title="Fine", url=server.add("/ok", "fine")),
        Item(
            id="dead",
            title="Gone",
            url=server.url("/gone"),
            summary=f"See also [the moved page]({moved}).",
        ),
        Item(id="tracked", title="Tracked", url=server.url("/ok") + "?utm_source=x&id=3"),
    ]
    draft.sections = [
        Section(id="blogs", title="Blogs", provider="blogs", items=items),
        Section(id="events", title="Events", provider="events", intro="Nothing this week.",
                items=[Item(id="x", title="x", include=False)]),
    ]  # fmt: skip
    draft.intro = "Hello."
    for key, value in changes.items():
        setattr(draft, key, value)
    return draft


def _workspace(make_workspace: Any, draft: Draft) -> Path:
    # The test server is on 127.0.0.1: a private address, checked only on request.
    ws: Path = make_workspace(
        "[http]\nprivate_links = true\n",
        files={"drafts/2011-W26.yaml": dump(draft_node(draft, "x"))},
    )
    return ws


def test_lint_finds_a_dead_link_tracking_and_an_empty_section(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    ws = _workspace(make_workspace, _draft(server))
    result = cli("-C", ws, "lint")
    assert result.exit_code == 9, result.output
    out = " ".join(result.output.split())
    assert f"error {server.url('/gone')}: HTTP 404" in out
    assert '(in blogs: "Gone")' in out  # the item's title, not its id
    assert (
        "warning " + server.url("/ok") + "?utm_source=x&id=3: tracking parameter utm_source" in out
    )
    assert f"clean: {server.url('/ok')}?id=3" in out
    assert "warning events: has no included items (only its intro will show)" in out
    assert "1 error(s), 2 warning(s)" in out
    assert "/moved" not in out  # a redirect to a live page is fine
    assert ("HEAD", "/gone") in [(m, p) for m, p, _ in server.requests]
    assert ("GET", "/gone") in [(m, p) for m, p, _ in server.requests]  # GET after HEAD


def test_links_that_answered_are_not_asked_again_today(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    ws = _workspace(make_workspace, _draft(server))
    cli("-C", ws, "lint")
    cached = json.loads((ws / ".newsletter" / "links.json").read_text())
    assert server.url("/ok") in cached and server.url("/gone") not in cached
    server.requests.clear()
    result = cli("-C", ws, "lint")
    asked = {path for _, path, _ in server.requests}
    assert "/gone" in asked  # failures are always checked again
    assert "/ok" not in asked and "/moved" not in asked
    assert "checked today" in result.output

    server.add("/gone", "back")  # fixed: the next run is clean of errors
    result = cli("-C", ws, "lint")
    assert result.exit_code == 0, result.output


def test_cache_expires_after_a_day(tmp_path: Path) -> None:
    cache = LinkCache(tmp_path, now=1_000_000.0)
    cache.save(["https://a.example/"])
    assert LinkCache(tmp_path, now=1_000_000.0 + 3600).fresh("https://a.example/")
    assert not LinkCache(tmp_path, now=1_000_000.0 + 25 * 3600).fresh("https://a.example/")
    (tmp_path / ".newsletter" / "links.json").write_text("{not json")
    assert not LinkCache(tmp_path).fresh("https://a.example/")
    (tmp_path / ".newsletter" / "links.json").write_text('{"https://a.example/": null}')
    assert not LinkCache(tmp_path).fresh("https://a.example/")


def test_an_unreachable_host_is_an_error(make_workspace: Any, cli: Any) -> None:
    draft = load_draft(EXAMPLE / "drafts" / "2011-W26.yaml")
    draft.sections = [
        Section(id="s", title="S", items=[Item(id="a", title="A", url="http://127.0.0.1:9/x")])
    ]
    ws = _workspace(make_workspace, draft)
    result = cli("-C", ws, "lint")
    assert result.exit_code == 9
    assert "could not connect" in result.output


def test_oversize_email_is_an_error_without_network(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    big = "word " * 4000
    draft = _draft(server)
    draft.sections[0].items = [Item(id=f"i{n}", title=f"Item {n}", summary=big) for n in range(6)]
    ws = _workspace(make_workspace, draft)
    server.requests.clear()
    result = cli("-C", ws, "lint", "--no-links")
    assert result.exit_code == 9
    assert "Gmail clips messages over 102 KiB" in result.output
    assert not server.requests
    assert GMAIL_CLIP == 104448


def test_clean_draft_passes_and_strict_fails_on_warnings(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    draft = _draft(server)
    draft.sections = [
        Section(id="s", title="S", items=[Item(id="a", title="A", url=server.url("/ok"))])
    ]
    server.add("/ok", "fine")
    ws = _workspace(make_workspace, draft)
    assert cli("-C", ws, "lint").exit_code == 0
    draft.sections[0].items[0].url += "?fbclid=1"
    (ws / "drafts" / "2011-W26.yaml").write_text(dump(draft_node(draft, "x")))
    assert cli("-C", ws, "lint").exit_code == 0
    assert cli("-C", ws, "lint", "--strict").exit_code == 9


def test_links_are_checked_under_the_fetchers_rules(server: FeedServer, tmp_path: Path) -> None:
    """Links come from untrusted sources: a public link that redirects into the intranet
    is not followed, and a link that never finishes answering is cut at the deadline."""
    import asyncio

    import httpx

    from newsletter.draft.lint import check_links
    from newsletter.gather.fetch import Fetcher, Limits
    from tests.hostile import PUBLIC, Reroute

    port = server.server_address[1]
    server.add("/secret", b"intranet")
    server.add(
        "/sneaky", Route(status=302, headers={"Location": f"http://127.0.0.1:{port}/secret"})
    )
    server.add("/slow", Route(b"late", delay=3))
    server.add("/fine", "fine")
    links = [f"http://{PUBLIC}/sneaky", f"http://{PUBLIC}/slow", f"http://{PUBLIC}/fine"]

    async def go() -> dict[str, str]:
        async with (
            httpx.AsyncClient(transport=Reroute(server)) as client,
            Fetcher(tmp_path, Limits(deadline=1), client=client) as fetcher,
        ):
            return await check_links(links, fetcher.check)

    broken = asyncio.run(go())
    assert "to a private address refused" in broken[links[0]]
    assert "within 1 s" in broken[links[1]]
    assert links[2] not in broken
    assert ("GET", "/secret") not in [(method, path) for method, path, _ in server.requests]


def test_links_to_private_addresses_are_not_requested_unless_allowed(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    """A feed's link to the intranet or a cloud metadata service must not make lint
    probe it; an editor whose links are on an intranet wiki opts in."""
    draft = _draft(server)
    inside = server.add("/intranet", "fine")
    draft.sections = [
        Section(id="s", title="S", items=[
            Item(id="a", title="A", url=inside),
            Item(id="b", title="B", url="http://169.254.169.254/latest/meta-data/"),
        ])
    ]  # fmt: skip
    ws = make_workspace(files={"drafts/2011-W26.yaml": dump(draft_node(draft, "x"))})
    server.requests.clear()
    result = cli("-C", ws, "lint")
    out = " ".join(result.output.split())
    assert result.exit_code == 9, out
    assert out.count("a private, loopback or link-local address: not requested") == 2, out
    assert not server.requests
    (ws / "newsletter.toml").write_text(
        (ws / "newsletter.toml").read_text() + "[http]\nprivate_links = true\n"
    )
    draft.sections[0].items = draft.sections[0].items[:1]  # never the real metadata address
    (ws / "drafts" / "2011-W26.yaml").write_text(dump(draft_node(draft, "x")))
    allowed = cli("-C", ws, "lint")
    assert inside not in " ".join(allowed.output.split())
    assert [path for _, path, _ in server.requests] == ["/intranet"]


def test_fix_removes_tracking_parameters_and_keeps_the_editors_comments(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    draft = _draft(server)
    draft.sections[0].items[1].note = f"Read [this]({server.url('/ok')}?fbclid=abc&page=2)."
    ws = _workspace(make_workspace, draft)
    path = ws / "drafts" / "2011-W26.yaml"
    path.write_text("# my own comment\n" + path.read_text())
    result = cli("-C", ws, "lint", "--no-links", "--fix")
    out = " ".join(result.output.split())
    assert "Removed tracking parameters from 2 link(s) in 2011-W26.yaml" in out, out
    assert "warning http" not in out  # no tracking left to warn about
    text = path.read_text()
    assert "utm_source" not in text and "fbclid" not in text
    assert f"url: {server.url('/ok')}?id=3" in text
    assert f"({server.url('/ok')}?page=2)" in text
    assert "# my own comment" in text
    again = cli("-C", ws, "lint", "--no-links", "--fix")
    assert "Removed" not in again.output  # nothing more to remove


# ------------------------------------------------------------------ deliverability

HTML = (
    '<!doctype html><html lang="en"><head><style>{css}</style></head><body>'
    '<img src="https://example.org/a.png" alt="A"><img src="https://example.org/b.png" alt="">'
    "{extra}</body></html>"
)
SETTINGS = SendSettings.model_validate(
    {
        "from": "Bar <bar@example.org>",
        "subscribers": "subscribers.csv",
        "unsubscribe_url": "https://example.org/u?email={email}",
        "dkim": {"domain": "example.org", "selector": "s", "key_env": "K"},
    }
)


def test_a_clean_email_has_no_deliverability_finding() -> None:
    html = HTML.format(css="a { color: red }", extra="")
    assert deliverability_findings(html, "text", SETTINGS, mails_subscribers=True) == []


def test_each_deliverability_problem_is_found() -> None:
    html = HTML.format(css="a { color: red }" * 1200, extra='<img src="https://x.example/p.gif">')
    html = html.replace(' lang="en"', "")
    settings = SETTINGS.model_copy(update={"unsubscribe_url": "", "dkim": None})
    found = {
        (f.level, f.where, f.message[:30])
        for f in deliverability_findings(html, " \n", settings, mails_subscribers=True)
    }
    assert found == {
        ("warning", "email", "its <style> blocks hold 18.8 K"),
        ("error", "email", "image 'https://x.example/p.gif"),
        ("warning", "email", "no lang on <html>: screen read"),
        ("error", "email", "the plain-text part is empty"),
        ("error", "send.unsubscribe_url", "subscribers are mailed directl"),
        ("warning", "send.dkim", "messages are not DKIM-signed: "),
    }
    # A list's own post needs no one-click link of ours, nor our signature.
    listed = deliverability_findings(html, "t", settings, mails_subscribers=False)
    assert not any(f.where.startswith("send.") for f in listed)


def test_send_runs_the_checks_first_and_refuses_on_an_error(
    tmp_path: Path, servers: Any, cli: Any
) -> None:
    server = servers()
    ws = workspace(tmp_path, server.port, 'security = "plain"')
    override = ws / "templates" / "email" / "issue.mjml.j2"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(
        '{% extends "builtin:email/issue.mjml.j2" %}{% block footer %}{{ super() }}'
        '<mj-section><mj-column><mj-text><img src="https://example.org/pixel.gif">'
        "</mj-text></mj-column></mj-section>{% endblock %}"
    )
    assert cli("-C", ws, "lint", "--no-links").exit_code == 9
    refused = send(cli, ws)
    assert refused.exit_code == 6
    assert "has no alt text" in said(refused) and "--skip-lint" in said(refused)
    assert server.rcpt_attempts == []
    assert send(cli, ws, "--skip-lint").exit_code == 0
    assert len(server.received) == 3
