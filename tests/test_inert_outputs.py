"""For any text a source can carry, no output holds active content.

Whatever a provider (built-in or plugin) puts in an item's fields enters through
``gather.run.admit``, is written to the draft YAML as ``newsletter draft`` writes it and
read back, and is rendered as the
email, the Markdown (read as a static-site generator reads it: HTML on, any link
destination), the text, the preview's views and the archive's page. None of them may
hold a script, an event handler, a link that is not http(s)/mailto or an image that is
not http(s); the Markdown holds no Hugo/Jekyll template tag; the text shows no control
character; and the message a subscriber gets carries no file.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.cli.preview import render_view
from newsletter.config import SendSettings
from newsletter.draft.file import load_draft
from newsletter.draft.merge import write_draft
from newsletter.gather.run import admit
from newsletter.model import Item, Section
from newsletter.render.renderer import Renderer
from newsletter.sanitize import clean_text
from newsletter.send.journal import Recipient
from newsletter.send.message import build, prepare
from tests.drafts import sample_draft
from tests.inert import active_content, as_jekyll_would, template_tags

PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:x'>",
    "javascript:alert(1)", "JaVaScRiPt:", "data:text/html,<b>", "vbscript:", "[", "]", "(",
    ")", "](", "![", "<", ">", "`", "```", "\n", "\n\n", "    ", "> ", "- ", "1. ", "#",
    "*", "_", "\\", '"', "'", "&", "&#106;", "&lt;", "{{", "{%", "{:", "}}", "%}", "|",
    "subscribers.csv", "../newsletter.toml", "/etc/passwd", "file:///etc/passwd",
    "https://ok.example/p", "mailto:a@example.org", "//evil.example/x", "[r]: ",
    "https://u:p@h.example/", "<mj-include path='/etc/passwd'/>", "<!--", "-->",
    "<![CDATA[", "<?php", "\x1b[31m", "\x00", "\x07", "\x85", "\u202e", "\u2066",
    "\ud800", "\ufeff", "\u2028", "=?UTF-8?Q?=0A?=", " onmouseover=alert(1) ", "<style>",
]  # fmt: skip
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=24).map("".join)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SEND = SendSettings.model_validate({"from": "Bar <bar@example.org>", "subject": "{title}"})
WHEN = datetime(2026, 11, 23, tzinfo=UTC)


def hostile_item(n: int, text: list[str]) -> Item:
    title, url, summary, author, note, detail = text
    item = Item(
        id=f"x{n}",
        title=title,
        url=url,
        summary=summary,
        author=author,
        source=detail,
        note=note,
        details={
            "when": detail,
            "location": title,
            "group": note,
            "participants": [author, detail],
            "rows": [{"label": detail, "value": title, "previous": note, "change": author}],
            "series": {"label": title, "values": [1, 2], "weeks": [detail], "sparkline": url},
            "span_days": detail,
        },
    )
    (admitted,) = admit([item])
    return admitted


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(hostile, min_size=6, max_size=6), st.lists(hostile, min_size=6, max_size=6))
def test_no_output_holds_active_content(
    make_workspace: Any, first: list[str], second: list[str]
) -> None:
    workspace = _workspace(make_workspace)
    items = [hostile_item(1, first), hostile_item(2, second)]
    # Section titles and intros come from newsletter.toml (TOML holds no lone surrogate).
    title, intro = clean_text(first[0]), clean_text(second[2])
    sections = [
        Section(id=provider, title=title, provider=provider, intro=intro, items=items)
        for provider in ("blogs", "events", "mailing_lists", "stats", "inbox")
    ]
    for old in (workspace / "drafts", workspace / ".newsletter"):
        shutil.rmtree(old, ignore_errors=True)
    # Written as `newsletter draft` writes a new draft (its own emitter, else ruamel).
    path, _ = write_draft(workspace, sample_draft(intro=clean_text(first[2]), sections=sections))
    draft = load_draft(path)  # what the editor's file holds, read back
    renderer = Renderer(workspace)

    email = renderer.render(draft, "html")
    markdown = renderer.render(draft, "md")
    text = renderer.render(draft, "txt")
    pages = {
        "email": email,
        "markdown, as a static site reads it": as_jekyll_would(markdown),
        "site": renderer.render(draft, "html", web=True),
        "preview email": render_view(workspace, path, "email"),
        "preview markdown": render_view(workspace, path, "markdown"),
        "preview text": render_view(workspace, path, "text"),
    }
    for name, html in pages.items():
        assert active_content(html) == [], name
    assert template_tags(markdown) == []
    assert not CONTROL.search(text) and not CONTROL.search(markdown)

    issue = prepare(draft, text, email, SEND, workspace, "")
    assert issue.images == {}
    message = message_from_bytes(
        build(issue, Recipient("reader@example.org", ""), WHEN), policy=default
    )
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == ["multipart/alternative", "text/plain", "text/html"]


_made: dict[str, Path] = {}


def _workspace(make_workspace: Any) -> Path:
    """One workspace per test run (hypothesis calls the test many times)."""
    key = str(make_workspace)
    if key not in _made:
        _made[key] = make_workspace(
            files={
                "subscribers.csv": "reader@example.org\n",
                "newsletter.toml.bak": "secret",
                "templates/logo.png": b"\x89PNG\r\n\x1a\n",
            }
        )
    return _made[key]
