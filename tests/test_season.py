"""A season: twelve consecutive weeks of draft → approve → send for a generated community.

The community has a blog (two posts a week) and a planet that republishes last week's
posts under tracking links, a calendar (a weekly meeting, a release party, a summit six
weeks out, a sprint far ahead), a mailing list whose threads span weeks (its archive
grows as the weeks pass), and a git repository with commits every day. Feeds and
calendar are served over HTTP on 127.0.0.1, the issues go to three subscribers through a
real SMTP server (aiosmtpd). Each week checks that every section holds what is new or
still upcoming, that nothing repeats against its section's policy, that threads
featured before come back only with new messages and say how many, and that the
figures' "previous" column is last week's value; at the end, that every subscriber got
every issue exactly once.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsletter.draft.file import load_draft
from newsletter.model import Draft, Section
from newsletter.window import week_window
from tests.feeds import Post, rss
from tests.mail import mail, mbox
from tests.servers import FeedServer
from tests.smtp import MailServer

WEEKS = [f"2025-W{number:02d}" for number in range(10, 22)]  # Mar 3 – May 25, 2025
FIRST = datetime(2025, 3, 3, tzinfo=UTC)  # the Monday week 1 starts
DAYS = 7 * len(WEEKS)
SUBSCRIBERS = ["ada@example.org", "bo@example.org", "cy@example.org"]
LOOKAHEAD = 60


def moment(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """``day`` days after the season's first Monday, at ``hour`` UTC."""
    return FIRST + timedelta(days=day, hours=hour, minutes=minute)


# ---------------------------------------------------------------- the community


def blog_posts() -> list[Post]:
    posts = []
    for week in range(len(WEEKS)):
        posts.append(Post(f"Week {week + 1}: notes", f"https://blog.example.org/{week + 1}/notes",
                          moment(7 * week + 1, 10)))  # fmt: skip
        posts.append(Post(f"Week {week + 1}: diary", f"https://blog.example.org/{week + 1}/diary",
                          moment(7 * week + 3, 15)))  # fmt: skip
    return posts


def feeds_until(end: datetime) -> tuple[bytes, bytes]:
    """The blog's feed and the planet's as they read just before ``end``: the newest ten
    posts; the planet republishes each post under a tracking link four days later."""
    posts = [p for p in blog_posts() if p.published < end]
    blog = rss(sorted(posts, key=lambda p: p.published, reverse=True)[:10], title="Blog")
    again = [
        Post(p.title, f"{p.link}?utm_source=planet", p.published + timedelta(days=4))
        for p in posts
        if p.published + timedelta(days=4) < end
    ]
    planet = rss(sorted(again, key=lambda p: p.published, reverse=True)[:10], title="Planet")
    return blog, planet


@dataclass(frozen=True)
class Event:
    title: str
    start: datetime
    end: datetime  # exclusive, as DTEND
    all_day: bool = False


EVENTS = [
    Event("Release party", moment(19, 18), moment(19, 21)),  # Sat of week 3
    Event("Spring Summit", moment(44, 0), moment(47, 0), all_day=True),  # Wed–Fri of week 7
    Event("Summer sprint", moment(91, 0), moment(94, 0), all_day=True),  # far ahead
]


def calendar() -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//season//EN", "X-WR-CALNAME:Community",
             "BEGIN:VEVENT", "UID:meeting@season", "DTSTART:20250107T160000Z",
             "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=TU", "SUMMARY:Community meeting",
             "END:VEVENT"]  # fmt: skip
    for number, event in enumerate(EVENTS):
        kind = ";VALUE=DATE:" if event.all_day else ":"
        stamp = "%Y%m%d" if event.all_day else "%Y%m%dT%H%M%SZ"
        lines += ["BEGIN:VEVENT", f"UID:event-{number}@season",
                  f"DTSTART{kind}{event.start.strftime(stamp)}",
                  f"DTEND{kind}{event.end.strftime(stamp)}", f"SUMMARY:{event.title}",
                  "END:VEVENT"]  # fmt: skip
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


@dataclass(frozen=True)
class Message:
    thread: str
    number: int
    when: datetime
    sender: str


def messages() -> list[Message]:
    found = []
    # A roadmap discussion every five days for eight weeks: active in weeks 1–8.
    found += [Message("Roadmap", n, moment(5 * n, 9), f"p{n % 4}") for n in range(11)]
    # Packaging: week 2, quiet, then back in week 5.
    found += [Message("Packaging", n, moment(day, 14), f"p{n + 4}")
              for n, day in enumerate((8, 9, 30, 31))]  # fmt: skip
    # The minutes of each Tuesday meeting, a thread of their own, on Wednesday.
    found += [Message(f"Minutes of week {w + 1}", 0, moment(7 * w + 2, 8), "chair")
              for w in range(len(WEEKS))]  # fmt: skip
    return sorted(found, key=lambda m: m.when)


def archive_until(end: datetime) -> bytes:
    """The list's mbox as it is before ``end``: later messages are not written yet."""
    parts = []
    for m in messages():
        if m.when >= end:
            continue
        root = f"<{m.thread.replace(' ', '-')}-0@season>"
        own = f"<{m.thread.replace(' ', '-')}-{m.number}@season>"
        reply = f"<{m.thread.replace(' ', '-')}-{m.number - 1}@season>" if m.number else None
        subject = f"Re: {m.thread}" if m.number else m.thread
        parts.append(mail(subject, f"{m.sender} <{m.sender}@example.org>", m.when, own,
                          f"About {m.thread}, part {m.number}.\n", reply_to=reply,
                          envelope=f"From {m.sender}@example.org  {m.when:%a %b %d %H:%M:%S %Y}",
                          headers=f"References: {root}" if m.number > 1 else ""))  # fmt: skip
    return mbox(*parts)


def commits_per_day(day: int) -> int:
    return 1 + day % 3


def make_repo(path: Path) -> None:
    """A repository with commits every day of the season (and the week before it)."""
    path.mkdir(parents=True)
    git = ["git", "-C", str(path), "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], check=True)
    stream = []
    mark = 0
    for day in range(-7, DAYS):
        for n in range(commits_per_day(day)):
            mark += 1
            when = int(moment(day, 9 + n).timestamp())
            who = f"Dev {(day + n) % 5} <dev{(day + n) % 5}@example.org> {when} +0000"
            text = f"change {mark}\n"
            body = f"M 100644 inline f{mark % 7}.txt\ndata {len(text)}\n{text}"
            message = f"Change {mark}"
            stream.append(f"commit refs/heads/main\nmark :{mark}\nauthor {who}\ncommitter {who}\n"
                          f"data {len(message)}\n{message}\n"
                          + (f"from :{mark - 1}\n" if mark > 1 else "") + body + "\n")  # fmt: skip
    subprocess.run([*git, "fast-import", "--quiet"], input="".join(stream).encode(), check=True)
    subprocess.run([*git, "checkout", "-q", "main"], check=True)


CONFIG = """
[newsletter]
title = "Season Weekly"
timezone = "UTC"

[[section]]
id = "stats"
title = "Numbers"
provider = "stats"
lists = ["dev"]

[[section.repos]]
name = "core"
path = "repos/core"

[[section]]
id = "blogs"
title = "From the blogs"
provider = "blogs"
feeds = ["{blog}", "{planet}"]

[[section]]
id = "events"
title = "Coming up"
provider = "events"
calendars = ["{calendar}"]
lookahead_days = {lookahead}

[[section]]
id = "lists"
title = "On the list"
provider = "mailing_lists"

[[section.lists]]
name = "dev"
url = "dev.mbox"

[send]
from = "Season <season@example.org>"
subscribers = "subscribers.csv"
unsubscribe_url = "https://season.example.org/unsubscribe?email={{email}}"
retry_delay = 0

[send.smtp]
host = "127.0.0.1"
port = {port}
security = "plain"
"""


# ---------------------------------------------------------------- the season


def test_twelve_weeks_of_issues(tmp_path: Path, server: FeedServer, cli: Any) -> None:
    smtp = MailServer().start()
    try:
        ws = tmp_path / "season"
        ws.mkdir()
        make_repo(ws / "repos" / "core")
        (ws / "subscribers.csv").write_text("email,name\n" + "".join(
            f"{address},{address.split('@')[0].title()}\n" for address in SUBSCRIBERS))  # fmt: skip
        (ws / "newsletter.toml").write_text(CONFIG.format(
            blog=server.url("/blog.rss"), planet=server.url("/planet.rss"),
            calendar=server.add("/community.ics", calendar()), lookahead=LOOKAHEAD,
            port=smtp.port))  # fmt: skip
        season = Season(ws)
        for number, week in enumerate(WEEKS):
            window = week_window(week, UTC)  # type: ignore[arg-type]
            blog, planet = feeds_until(window.end)
            server.add("/blog.rss", blog)
            server.add("/planet.rss", planet)
            (ws / "dev.mbox").write_bytes(archive_until(window.end))

            result = cli("-C", ws, "draft", "--week", week, "--strict")
            assert result.exit_code == 0, f"{week}: {result.output}"
            draft = load_draft(ws / "drafts" / f"{week}.yaml")
            season.check(number, draft)

            assert cli("-C", ws, "approve", "--by", "editor").exit_code == 0
            sent = cli("-C", ws, "send", "--yes")
            assert sent.exit_code == 0, f"{week}: {sent.output}"
            assert "3 sent now" in sent.output
        by_recipient = Counter(
            (rcpt, received.message["Subject"])
            for received in smtp.received
            for rcpt in received.recipients
        )
        assert len(by_recipient) == len(SUBSCRIBERS) * len(WEEKS)
        assert set(by_recipient.values()) == {1}  # every issue once to everyone
    finally:
        smtp.stop()


class Season:
    """What each week's draft must hold, given what the weeks before published."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.posts_seen: set[str] = set()
        self.threads_featured: dict[str, tuple[str, datetime]] = {}  # key -> (issue, closed)
        self.last_figures: dict[str, float] = {}

    def check(self, number: int, draft: Draft) -> None:
        sections = {section.id: section for section in draft.sections}
        assert all(not section.problems for section in draft.sections), draft.issue
        closes = draft.window.end
        self._blogs(sections["blogs"], draft)
        self._events(sections["events"], closes)
        self._threads(sections["lists"], draft)
        self._figures(sections["stats"], draft, first=number == 0)

    def _blogs(self, section: Section, draft: Draft) -> None:
        expected = {p.title for p in blog_posts() if p.published in draft.window}
        titles = [item.title for item in section.items]
        assert sorted(titles) == sorted(expected), draft.issue  # the planet's copies too
        keys = [key for item in section.items for key in item.keys]
        assert not self.posts_seen & set(keys), f"{draft.issue}: a post came back"
        self.posts_seen |= set(keys)

    def _events(self, section: Section, closes: datetime) -> None:
        listed = {item.title: item for item in section.items}
        meeting = listed.pop("Community meeting")
        tuesday = closes + timedelta(days=(1 - closes.weekday()) % 7, hours=16)
        assert meeting.published == tuesday
        next_one = f"{tuesday:%a %b} {tuesday.day}"
        assert meeting.details["when"] == f"Every Tuesday, 4:00 PM UTC — next: {next_one}"
        # Whatever has not ended when the issue closes and begins within the look-ahead.
        expected = {
            event.title
            for event in EVENTS
            if event.end > closes and event.start < closes + timedelta(days=LOOKAHEAD)
        }
        assert set(listed) == expected, f"{closes:%Y-%m-%d}: {sorted(listed)}"

    def _threads(self, section: Section, draft: Draft) -> None:
        window = draft.window
        active: dict[str, list[Message]] = {}
        for m in messages():
            active.setdefault(m.thread, []).append(m)
        expected = {t for t, ms in active.items() if any(m.when in window for m in ms)}
        assert {item.title for item in section.items} == expected, draft.issue
        for item in section.items:
            (key,) = item.keys
            earlier = self.threads_featured.get(key)
            if earlier is None:
                assert "continued_from" not in item.details, (draft.issue, item.title)
            else:
                issue, closed = earlier
                new = [m for m in active[item.title] if closed <= m.when < window.end]
                assert item.details["continued_from"] == issue, (draft.issue, item.title)
                assert item.details["new_messages"] == len(new) > 0, (draft.issue, item.title)
            self.threads_featured[key] = (draft.issue, window.end)

    def _figures(self, section: Section, draft: Draft, first: bool) -> None:
        rows = {row["figure"]: row for item in section.items for row in item.details["rows"]}
        window = draft.window
        commits = sum(commits_per_day(day) for day in range(-7, DAYS) if moment(day, 0) in window)
        posts = sum(1 for m in messages() if m.when in window)
        assert rows["git/core/commits"]["value"] == commits, draft.issue
        assert rows["lists/dev/messages"]["value"] == posts, draft.issue
        for name, row in rows.items():
            if not first:  # last week's value, as recorded when it was drafted
                assert row["previous"] == self.last_figures[name], (draft.issue, name)
            elif name.startswith("lists/"):
                assert row["previous"] is None  # the list's history starts now
            self.last_figures[name] = row["value"]
