"""Links and images from strangers: one rule for every URL, in every output.

The hostile corpus of the first three findings: workspace files mailed to every
subscriber through an image, live script links in the email, Markdown, preview and
site, and secrets (tokens, credentials in URLs) carried to another host or shown.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from newsletter.cli.preview import render_view
from newsletter.gather.fetch import Fetcher
from newsletter.model import Item, Section
from newsletter.render.renderer import Renderer
from tests.drafts import sample_draft, write_sample
from tests.feeds import Post, rss
from tests.gitrepos import Repo
from tests.inert import active_content, as_jekyll_would, template_tags
from tests.servers import FeedServer, Route
from tests.smtp import MailServer

W47 = datetime(2026, 11, 18, 10, tzinfo=UTC)
SUBSCRIBERS = ["stefano@example.org", "thierry@example.org", "anne@example.org"]
STEALING = (
    "<p>Look: ![](subscribers.csv) ![x](newsletter.toml) ![](.newsletter/state.db)"
    " ![](https://pixel.wp.com/g.gif?blog=1) ![chart](https://img.example.org/chart.png)</p>"
)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def _mbox(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@example.net>"
    message["Subject"] = subject
    message["Date"] = "Wed, 18 Nov 2026 10:00:00 +0000"
    message["Message-ID"] = "<steal@example.net>"
    message.set_content(body)
    return b"From mallory@example.net Wed Nov 18 10:00:00 2026\n" + message.as_bytes() + b"\n"


def stealing_workspace(make_workspace: Any, port: int) -> Path:
    feed = rss([Post("Pictures", "https://blog.example.org/pictures", W47, STEALING)])
    mail = _mbox("[blogs] Pictures too", "![](subscribers.csv) and ![](newsletter.toml)\n")
    return make_workspace(
        f"""
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["feeds/blog.xml"]

        [[section]]
        id = "inbox"
        provider = "inbox"
        mailbox = "mail/inbox.mbox"

        [send]
        from = "Bar <bar@example.org>"
        subscribers = "subscribers.csv"
        unsubscribe_url = "https://bar.example.org/unsubscribe?email={{email}}"
        retry_delay = 0

        [send.smtp]
        host = "127.0.0.1"
        port = {port}
        security = "plain"
        """,
        files={
            "feeds/blog.xml": feed,
            "mail/inbox.mbox": mail,
            "subscribers.csv": "email,name\n" + "".join(f"{a},\n" for a in SUBSCRIBERS),
        },
    )


def include_everything(workspace: Path) -> Path:
    (path,) = (workspace / "drafts").glob("*.yaml")
    path.write_text(path.read_text("utf-8").replace("include: false", "include: true"), "utf-8")
    return path


def test_images_in_content_never_attach_workspace_files_to_the_mail(
    make_workspace: Any, mail_server: MailServer, cli: Any
) -> None:
    workspace = stealing_workspace(make_workspace, mail_server.port)
    assert cli("-C", workspace, "draft", "--week", "2026-W47").exit_code == 0
    include_everything(workspace)

    result = cli("-C", workspace, "send", "--yes", "--force")

    assert result.exit_code == 0, result.output
    assert len(mail_server.received) == len(SUBSCRIBERS)
    for received in mail_server.received:
        message = received.message
        kinds = [part.get_content_type() for part in message.walk()]
        assert kinds == ["multipart/alternative", "text/plain", "text/html"], kinds
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert active_content(html) == []
        assert "subscribers.csv" not in html and "newsletter.toml" not in html
        assert "pixel.wp.com" not in html  # a known tracking pixel is dropped
        assert 'src="https://img.example.org/chart.png"' in html  # a remote image stays
        others = set(SUBSCRIBERS) - set(received.recipients)
        assert not any(address in received.raw.decode() for address in others)


def test_status_and_lint_name_every_image_left_out(make_workspace: Any, cli: Any) -> None:
    workspace = stealing_workspace(make_workspace, 9)
    cli("-C", workspace, "draft", "--week", "2026-W47")
    include_everything(workspace)

    status = " ".join(cli("-C", workspace, "status").output.split())
    lint = cli("-C", workspace, "lint", "--no-links")

    assert "image 'subscribers.csv' left out: relative" in status
    assert "image 'https://pixel.wp.com/g.gif?blog=1' left out: a tracking pixel" in status
    said = " ".join(lint.output.split())
    assert "warning blogs/" in said and "image 'newsletter.toml' left out" in said
    assert "warning inbox/" not in said  # the e-mail was routed to blogs
    assert lint.exit_code == 0  # warnings only


def test_a_section_can_show_no_images_at_all(make_workspace: Any, cli: Any) -> None:
    workspace = stealing_workspace(make_workspace, 9)
    config = workspace / "newsletter.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'provider = "blogs"', 'provider = "blogs"\nimages = "none"'
        ),
        "utf-8",
    )
    cli("-C", workspace, "draft", "--week", "2026-W47")
    include_everything(workspace)

    assert cli("-C", workspace, "render").exit_code == 0
    html = (workspace / "out" / "2026-W47.html").read_text("utf-8")
    markdown = (workspace / "out" / "2026-W47.md").read_text("utf-8")
    assert "img.example.org" not in html and "img.example.org" not in markdown
    assert "chart" in markdown  # the image's alternative text stays


# ---------------------------------------------------------------- live links

HOSTILE_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://blog.example.org/x>)<script>alert(1)</script>",
    'https://blog.example.org/x"><script>alert(1)</script>',
    "https://blog.example.org/x{{ site.data }}",
]


def hostile_draft_path(workspace: Path) -> Path:
    items = [
        Item(id=f"h{n}", title=f"Link {n}", url=url, summary=f"[text {n}]({url}) and <b>{n}</b>")
        for n, url in enumerate(HOSTILE_LINKS)
    ]
    items.append(
        Item(
            id="raw",
            title="Raw HTML",
            url="https://blog.example.org/raw",
            summary='<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\n'
            "<a href='javascript:alert(1)'>x</a> [y](<javascript:alert(1)>) <javascript:z>\n\n"
            "[r]: javascript:alert(1)\n\n[ref][r] ![pic](data:image/png;base64,AAAA)\n\n"
            "{% include secrets.html %} {{< gist mallory 1 >}}",
            note="<iframe src='https://evil.example'></iframe>",
        )
    )
    draft = sample_draft(
        intro="Hello <script>alert('intro')</script> [x](javascript:alert(2))",
        sections=[Section(id="blogs", title="From the blogs", provider="blogs", items=items)],
    )
    return write_sample(workspace, draft)


@pytest.mark.parametrize("front_matter", ["none", "jekyll", "hugo"])
def test_no_link_or_markup_from_the_draft_is_live_in_any_output(
    make_workspace: Any, cli: Any, front_matter: str
) -> None:
    workspace = make_workspace(
        f'[render]\nfront_matter = "{front_matter}"\n',
        extra='url = "https://news.example.org/"',
    )
    path = hostile_draft_path(workspace)

    assert cli("-C", workspace, "render", path).exit_code == 0
    assert cli("-C", workspace, "publish", path).exit_code == 0

    out = workspace / "out"
    fields, markdown = split_front_matter((out / "2026-W47.md").read_text("utf-8"), front_matter)
    assert set(fields) <= {"title", "date", "issue", "description", "url"}
    pages = {
        "email": (out / "2026-W47.html").read_text("utf-8"),
        "markdown, as a static site reads it": as_jekyll_would(markdown),
        "site": (workspace / "site" / "2026-W47" / "index.html").read_text("utf-8"),
        **{f"preview {v}": render_view(workspace, path, v) for v in ("email", "markdown")},
    }
    for name, html in pages.items():
        assert active_content(html) == [], name
        assert "<script" not in html.lower() and "<iframe" not in html.lower(), name
    assert template_tags(markdown) == []
    assert "javascript:" not in (out / "2026-W47.txt").read_text("utf-8").split("Links")[-1]


def test_status_and_lint_warn_about_every_link_left_out(make_workspace: Any, cli: Any) -> None:
    workspace = make_workspace()
    path = hostile_draft_path(workspace)

    status = " ".join(cli("-C", workspace, "status", path).output.split())
    lint = " ".join(cli("-C", workspace, "lint", "--no-links", path).output.split())

    for said, item in ((status, "blogs: h{} url"), (lint, "blogs/h{} url")):
        assert f"{item.format(0)}: link 'javascript:alert(1)' left out: only http, https" in said
        assert f"{item.format(3)}: link 'data:text/html,<script>alert(1)</script>' left" in said
        assert "warning intro: link 'javascript:alert(2)' left out" in said
        assert "image 'data:image/png;base64,AAAA' left out" in said


def test_status_knows_an_unchanged_drafts_dropped_links_and_sees_an_edit(
    make_workspace: Any, cli: Any
) -> None:
    import json

    workspace = make_workspace()
    path = hostile_draft_path(workspace)
    first = " ".join(cli("-C", workspace, "status", path).output.split())
    assert "blogs: h0 url: link 'javascript:alert(1)' left out" in first
    kept = workspace / ".newsletter" / "parsed" / f"{path.name}.dropped.json"
    known = json.loads(kept.read_text())
    assert ["blogs", "h0 url", "link 'javascript:alert(1)' left out: only http, https and "
            "mailto links are kept"] in known["dropped"]  # fmt: skip
    # The next status reads what was found (a marker put there shows), not the Markdown…
    known["dropped"] = [["blogs", "h0 url", "MARKER"]]
    kept.write_text(json.dumps(known))
    assert "warning blogs: h0 url: MARKER" in " ".join(
        cli("-C", workspace, "status", path).output.split()
    )
    # …until the draft changes: then it looks again.
    path.write_text(path.read_text().replace("title: Link 1", "title: Link one"))
    again = " ".join(cli("-C", workspace, "status", path).output.split())
    assert "MARKER" not in again
    assert "blogs: h0 url: link 'javascript:alert(1)' left out" in again


def test_a_url_that_would_break_out_of_markdown_is_kept_but_encoded() -> None:
    draft = sample_draft(
        sections=[
            Section(
                id="blogs",
                title="B",
                provider="blogs",
                items=[Item(id="x", title="T", url="https://a.example/x>)<b>y</b> z")],
            )
        ]
    )
    markdown = Renderer().render(draft, "md")
    assert "[T](<https://a.example/x%3E)%3Cb%3Ey%3C/b%3E%20z>)" in markdown


def split_front_matter(text: str, style: str) -> tuple[dict[str, Any], str]:
    """The front matter's fields and the Markdown after it, as Hugo or Jekyll split them."""
    if style == "none":
        return {}, text
    fence = "+++" if style == "hugo" else "---"
    _, head, body = text.split(fence + "\n", 2)
    if style == "hugo":
        return tomllib.loads(head), body
    return dict(YAML(typ="safe").load(head)), body


# ---------------------------------------------------------------- secrets


def test_credentials_stay_behind_on_a_redirect_to_another_origin(server: FeedServer) -> None:
    other = FeedServer().start()
    try:
        other.add("/feed.xml", b"<rss/>")
        server.add("/feed.xml", Route(status=302, headers={"Location": other.url("/feed.xml")}))
        secret = {
            "Authorization": "Bearer gh-token",
            "Cookie": "session=1",
            "PRIVATE-TOKEN": "gl-token",
            "Accept": "application/xml",
        }

        async def go() -> bytes:
            async with Fetcher(Path.cwd()) as fetcher:
                return (await fetcher.fetch(server.url("/feed.xml"), headers=secret)).content

        assert asyncio.run(go()) == b"<rss/>"
        (_, _, first), (_, _, second) = server.requests[-1], other.requests[-1]
        assert first["Authorization"] == "Bearer gh-token"
        lower = {name.lower(): value for name, value in second.items()}
        assert "authorization" not in lower and "cookie" not in lower
        assert "private-token" not in lower
        assert lower["accept"] == "application/xml"
    finally:
        other.stop()


def serve_bare_repo(server: FeedServer, repo: Repo, tmp_path: Path) -> str:
    """A clone of ``repo`` served over git's "dumb" HTTP protocol: plain files."""
    bare = tmp_path / "served.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True, capture_output=True
    )
    subprocess.run(["git", "-C", str(bare), "update-server-info"], check=True)
    for path in bare.rglob("*"):
        if path.is_file():
            server.add(f"/x.git/{path.relative_to(bare).as_posix()}", path.read_bytes())
    return server.url("/x.git")


def test_credentials_in_a_clone_url_are_never_stored_shown_or_logged(
    server: FeedServer, make_workspace: Any, cli: Any, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "origin")
    repo.commit("Ann <ann@example.org>", W47, {"a.txt": "a"})
    served = serve_bare_repo(server, repo, tmp_path)
    good = served.replace("http://", "http://bot:s3cr3t-token@")
    missing = good.replace("/x.git", "/nothing.git")
    workspace = make_workspace(
        f"""
        [[section]]
        id = "stats"
        provider = "stats"

        [[section.repos]]
        name = "x"
        url = "{good}"

        [[section.repos]]
        name = "gone"
        url = "{missing}"
        """
    )

    result = cli("-C", workspace, "draft", "--week", "2026-W47")

    assert "s3cr3t" not in result.output
    draft = (workspace / "drafts" / "2026-W47.yaml").read_text("utf-8")
    assert "s3cr3t" not in draft
    assert re.search(rf"url: {re.escape(served)}\n", draft)  # the item links the repository
    assert "nothing.git" in draft  # the failing clone is a problem, named without secrets
    assert cli("-C", workspace, "render").exit_code == 0
    for output in (workspace / "out").iterdir():
        assert "s3cr3t" not in output.read_text("utf-8")


def test_status_and_lint_survive_urls_urllib_cannot_read(make_workspace: Any, cli: Any) -> None:
    """A hand-edited draft's URL with a port past 65535 or an unclosed bracket is a link
    left out, not a traceback."""
    workspace = make_workspace()
    urls = ["https://a.example:99999/x", "http://[::1/x"]
    items = [Item(id=f"u{n}", title=f"U {n}", url=url) for n, url in enumerate(urls)]
    draft = sample_draft(
        sections=[Section(id="blogs", title="From the blogs", provider="blogs", items=items)]
    )
    path = write_sample(workspace, draft)
    assert cli("-C", workspace, "status", path).exit_code == 0
    lint = cli("-C", workspace, "lint", "--no-links", path)
    assert "Traceback" not in lint.output


def test_secrets_in_a_query_are_never_stored_shown_or_logged(
    server: FeedServer, make_workspace: Any, cli: Any
) -> None:
    """GitLab's ?private_token= and ?feed_token=, an ?access_token=: used to fetch, and
    nowhere in the progress, problems, draft, cache, check or source health."""
    post = Post("Post", "https://blog.example.org/post?access_token=s3cret-three&page=2", W47)
    good = server.add("/feed.xml", Route(rss([post]), etag='"v1"'))
    gone = server.add("/gone.xml", Route(status=404))
    workspace = make_workspace(
        f"""
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["{good}?private_token=s3cret-one", "{gone}?feed_token=s3cret-two"]
        """
    )

    said = cli("-C", workspace, "draft", "--week", "2026-W47").output
    said += cli("-C", workspace, "check").output
    said += cli("-C", workspace, "check", "--history").output

    sent = {path for _, path, _ in server.requests}
    assert {"/feed.xml?private_token=s3cret-one", "/gone.xml?feed_token=s3cret-two"} <= sent
    draft = (workspace / "drafts" / "2026-W47.yaml").read_text("utf-8")
    assert "feed_token=***" in draft  # the 404 is a problem on its source, named
    assert "https://blog.example.org/post?access_token=***&page=2" in draft
    cached = "".join(path.read_text() for path in workspace.rglob("http-cache/*.json"))
    assert "private_token=***" in cached  # the metadata; the body is the feed as served
    for text in (said, draft, cached):
        assert "s3cret" not in text


def test_only_parameters_named_like_a_secret_are_redacted() -> None:
    from newsletter.urls import redact

    said = redact(
        "https://h.example/a?keyword=rust&author=ann&api_key=K&X-Amz-Signature=S&sig=G "
        "(redirect to https://h.example/login?next=https://i.example/?token=T&page=2)"
    )
    assert said == (
        "https://h.example/a?keyword=rust&author=ann&api_key=***&X-Amz-Signature=***&sig=*** "
        "(redirect to https://h.example/login?next=https://i.example/?token=***&page=2)"
    )
