"""Community submissions: Markdown files with front matter, and e-mails (mbox, Maildir)."""

from __future__ import annotations

import io
import mailbox
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.draft.file import load_draft
from newsletter.model import Draft, Section
from newsletter.sections.inbox import InboxOptions, front_matter, mail_item, mbox_messages
from tests.feeds import Post, rss

W47 = datetime(2026, 11, 18, 9, tzinfo=UTC)


SUBMISSIONS = {
    "submissions/meetup.md": (
        "---\nsection: blogs\ntitle: Bar meetup in <b>Lyon</b>\n"
        "url: https://example.org/meetup?utm_source=mail\nauthor: Jane Doe\ndate: 2026-11-18\n"
        "---\nCome **along**.<script>alert(1)</script>\n"
    ),
    "submissions/undated.md": (
        "---\ntitle: A tool we like\nurl: https://example.org/tool\n---\nIt helps.\n"
    ),
    "submissions/typo.md": "---\nsection: evnts\ntitle: Misrouted\n---\nHi.\n",
    "submissions/old.md": "---\nsection: blogs\ntitle: Last month\ndate: 2026-10-01\n---\n",
    "submissions/broken.md": "Just text, no front matter.\n",
    "submissions/notes.txt": "not a submission",
}


def _email(subject: str, body: str, date: str, sender: str, html: bool = False) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "newsletter@example.org"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = f"<{abs(hash(subject))}@example.org>"
    message.set_content(body, subtype="html" if html else "plain")
    return message


EMAILS = [
    _email(
        "[blogs] We released Bar 2.0",
        "Hi!\n\nBar 2.0 is out: https://bar.example.org/2.0. Enjoy.\n\nFrom the team\n-- \nJane\n",
        "Wed, 18 Nov 2026 10:00:00 +0000",
        "Jane Doe <jane@example.org>",
    ),
    _email(
        "A talk about Bar",
        '<p>Slides: <a href="https://talks.example.org/bar">here</a><script>x()</script></p>',
        "Thu, 19 Nov 2026 10:00:00 +0100",
        "bob@example.org",
        html=True,
    ),
    _email("Too early", "https://x.example.org", "Mon, 02 Nov 2026 10:00:00 +0000", "c@x.org"),
]


def _mbox(messages: list[EmailMessage]) -> bytes:
    chunks = []
    for message in messages:
        raw = message.as_bytes().replace(b"\nFrom ", b"\n>From ")
        chunks.append(b"From sender@example.org Wed Nov 18 10:00:00 2026\n" + raw + b"\n")
    return b"".join(chunks)


def _workspace(make_workspace: Any, mailbox_path: str, files: dict[str, str | bytes]) -> Path:
    feed = rss([Post("A post", "https://blog.example.org/post", W47)])
    return make_workspace(
        f"""
        [[section]]
        id = "blogs"
        provider = "blogs"
        feeds = ["feeds/blog.rss"]

        [[section]]
        id = "inbox"
        title = "From readers"
        provider = "inbox"
        submissions = "submissions"
        mailbox = "{mailbox_path}"
        """,
        files={"feeds/blog.rss": feed, **files},
    )


def _draft(ws: Path, cli: Any) -> Draft:
    result = cli("-C", ws, "draft", "--week", "2026-W47")
    assert result.exit_code == 0, result.output
    return load_draft(ws / "drafts" / "2026-W47.yaml")


def _by_title(section: Section) -> dict[str, Any]:
    return {item.title: item for item in section.items}


def test_submissions_land_in_their_sections_excluded(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "mail/inbox.mbox",
                    {**SUBMISSIONS, "mail/inbox.mbox": _mbox(EMAILS)})  # fmt: skip
    draft = _draft(ws, cli)
    blogs, inbox = draft.sections
    assert [(i.title, i.include) for i in blogs.items] == [
        ("A post", True),
        ("Bar meetup in Lyon", False),
        ("We released Bar 2.0", False),
    ]
    meetup = _by_title(blogs)["Bar meetup in Lyon"]
    assert meetup.url == "https://example.org/meetup"
    assert meetup.author == "Jane Doe"
    # Raw HTML in a submission is text, never markup: the renderer escapes it.
    assert meetup.summary.startswith("Come **along**.")
    release = _by_title(blogs)["We released Bar 2.0"]
    assert release.url == "https://bar.example.org/2.0"
    assert release.author == "Jane Doe"
    assert "Jane\n" not in release.summary and "Bar 2.0 is out" in release.summary
    assert release.details["message_id"].endswith("@example.org")

    here = _by_title(inbox)
    assert sorted(here) == ["A talk about Bar", "A tool we like", "Misrouted"]
    assert not any(item.include for item in inbox.items)
    talk = here["A talk about Bar"]
    assert (talk.url, talk.author) == (
        "https://talks.example.org/bar",
        "bob",
    )  # no address published
    assert "x()" not in talk.summary
    problems = "\n".join(inbox.problems)
    assert "submissions/broken.md: no front matter" in problems
    assert "names section 'evnts', which is not configured (sections: blogs, inbox)" in problems
    assert "notes.txt" not in problems


def test_published_submissions_are_not_offered_again(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "mail/inbox.mbox",
                    {**SUBMISSIONS, "mail/inbox.mbox": _mbox(EMAILS)})  # fmt: skip
    _draft(ws, cli)
    path = ws / "drafts" / "2026-W47.yaml"
    path.write_text(path.read_text().replace("include: false", "include: true"))
    cli("-C", ws, "publish", "--mark", path)
    path.rename(ws / "drafts" / "2026-W47.yaml.old")
    week48 = cli("-C", ws, "draft", "--week", "2026-W48")
    assert week48.exit_code == 0
    draft = load_draft(ws / "drafts" / "2026-W48.yaml")
    titles = [i.title for s in draft.sections for i in s.items]
    assert "A tool we like" not in titles  # undated, but already published


def test_a_maildir_works_like_an_mbox(make_workspace: Any, cli: Any, tmp_path: Path) -> None:
    ws = _workspace(make_workspace, "Maildir", {})
    box = mailbox.Maildir(ws / "Maildir")
    for message in EMAILS:
        box.add(message)
    (ws / "submissions").mkdir()
    draft = _draft(ws, cli)
    assert "We released Bar 2.0" in _by_title(draft.sections[0])
    assert "A talk about Bar" in _by_title(draft.sections[1])


def test_an_e_mail_delivered_twice_is_offered_once(make_workspace: Any, cli: Any) -> None:
    # Sent to two of the inbox's addresses: one Message-ID, so one id; two items with
    # one id would be merged into each other on re-drafting.
    twice = _mbox([*EMAILS, EMAILS[0]])
    ws = _workspace(make_workspace, "mail/inbox.mbox", {"mail/inbox.mbox": twice})
    (ws / "submissions").mkdir()
    draft = _draft(ws, cli)
    titles = [item.title for section in draft.sections for item in section.items]
    assert titles.count("We released Bar 2.0") == 1


def test_missing_sources_are_problems_not_crashes(make_workspace: Any, cli: Any) -> None:
    ws = _workspace(make_workspace, "mail/none.mbox", {})
    problems = _draft(ws, cli).sections[1].problems
    assert any(p.startswith("submissions: no such folder") for p in problems)
    assert any("mail/none.mbox" in p for p in problems)


def test_inbox_needs_a_source() -> None:
    with pytest.raises(ValueError, match="give 'submissions'"):
        InboxOptions()


def test_mbox_split_unquotes_from_lines() -> None:
    raw = _mbox([_email("S", "line\nFrom here on\n", "Wed, 18 Nov 2026 10:00:00 +0000", "a@b")])
    ((number, only),) = mbox_messages(io.BytesIO(raw), 1 << 20)
    assert number == 1 and only is not None
    item = mail_item(only, "x", InboxOptions(mailbox="m"))
    assert "From here on" in item.summary


@given(st.text(max_size=300))
def test_front_matter_never_crashes_on_any_text(text: str) -> None:
    try:
        meta, body = front_matter(text)
    except ValueError:
        return
    assert isinstance(meta, dict) and isinstance(body, str)


def test_signatures_are_cut_with_or_without_the_space_and_sources_are_not_shown(
    make_workspace: Any, cli: Any
) -> None:
    emails = [
        _email("[blogs] Trimmed", "Our news.\n\nThanks\n--\nJane\nPhone 555\n",
               "Wed, 18 Nov 2026 10:00:00 +0000", "Jane Doe <jane@example.org>"),
        _email("[blogs] Outlook", "Big news.\r\n-- \r\nBob\r\n",
               "Wed, 18 Nov 2026 11:00:00 +0000", "Bob <bob@example.org>"),
    ]  # fmt: skip
    ws = _workspace(make_workspace, "mail/inbox.mbox",
                    {**SUBMISSIONS, "mail/inbox.mbox": _mbox(emails)})  # fmt: skip
    blogs, inbox = _draft(ws, cli).sections
    found = _by_title(blogs)
    assert "Phone" not in found["Trimmed"].summary and "Our news." in found["Trimmed"].summary
    assert "Bob" not in found["Outlook"].summary and "Big news." in found["Outlook"].summary
    problems = "\n".join(inbox.problems)
    assert "submissions/typo.md: 'Misrouted' names section 'evnts'" in problems

    path = ws / "drafts" / "2026-W47.yaml"
    path.write_text(path.read_text().replace("include: false", "include: true"))
    rendered = {f: cli("-C", ws, "render", "-f", f, "-o", "-").stdout for f in ("md", "txt")}
    for text in rendered.values():
        assert "Jane Doe" in text
        assert "on e-mail" not in text and "on submission" not in text
