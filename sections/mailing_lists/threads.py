"""Group mail messages into threads, JWZ-style (https://www.jwz.org/doc/threading.html).

Messages are linked by ``References`` and ``In-Reply-To``; a reference to a message
the archive lacks still links its replies (through an empty container). Threads whose
first message has no usable link but whose subject says it is a reply ("Re: …",
"AW: …", "[list] Re: …") join the latest earlier thread with the same normalized
subject, if that thread was active within ``subject_window``.

Whatever the headers claim (loops, duplicates, a message referencing itself), every
message lands in exactly one thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from .archive import MailMessage

SUBJECT_WINDOW = timedelta(days=30)

_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")
_REPLY = re.compile(
    r"^\s*(?:re|fwd?|aw|sv|vs|antw|odp|wg|tr|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.I
)


def normalize_subject(subject: str) -> tuple[str, bool]:
    """The subject without list tags and reply/forward prefixes; and whether it had any."""
    text = subject
    replied = False
    while True:
        stripped = _TAG.sub("", text, count=1)
        without_reply = _REPLY.sub("", stripped, count=1)
        replied = replied or without_reply != stripped
        if without_reply == text:
            break
        text = without_reply
    return " ".join(text.lower().split()), replied


@dataclass(eq=False)
class _Container:
    message_id: str = ""
    message: MailMessage | None = None
    parent: _Container | None = None

    def reaches(self, other: _Container) -> bool:
        """Whether ``other`` is this container or one of its ancestors."""
        node: _Container | None = self
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False


@dataclass
class Thread:
    """A thread's messages, oldest first; ``root`` is the message that started it (the
    first one the archive has, when the starter is missing from it)."""

    root: MailMessage
    messages: list[MailMessage]
    root_id: str = ""
    """The Message-ID that started the thread, even when the archive lacks that message
    (a reply's first reference): the same thread read from another month's archive has
    the same ``root_id``."""

    @property
    def subject(self) -> str:
        return self.root.subject

    @property
    def last(self) -> MailMessage:
        return self.messages[-1]


def thread(
    messages: Iterable[MailMessage], subject_window: timedelta = SUBJECT_WINDOW
) -> list[Thread]:
    """Thread ``messages``; the result is ordered by each thread's first message."""
    table: dict[str, _Container] = {}
    order: list[_Container] = []

    def container(message_id: str) -> _Container:
        found = table.get(message_id)
        if found is None:
            found = table[message_id] = _Container(message_id)
        return found

    for message in messages:
        own = container(message.message_id)
        if own.message is not None:  # a duplicate Message-ID is a message of its own
            own = _Container(message.message_id)
        own.message = message
        order.append(own)
        chain = list(message.references)
        if message.in_reply_to and (not chain or chain[-1] != message.in_reply_to):
            chain.append(message.in_reply_to)
        previous: _Container | None = None
        for reference in chain:
            link = container(reference)
            # Link the chain, never over an existing link and never into a loop.
            if (
                previous is not None
                and link.parent is None
                and not previous.reaches(link)
                and link is not own
            ):
                link.parent = previous
            previous = link
        # The message's own parent is the last reference, whatever was guessed before.
        if previous is not None and not previous.reaches(own):
            own.parent = previous

    groups: dict[int, list[MailMessage]] = {}
    tops: dict[int, _Container] = {}
    for own in order:
        top = own
        while top.parent is not None:
            top = top.parent
        assert own.message is not None
        groups.setdefault(id(top), []).append(own.message)
        tops[id(top)] = top

    threads = []
    for key, members in groups.items():
        members.sort(key=lambda m: m.date)
        top = tops[key]
        root = top.message if top.message is not None else members[0]
        threads.append(Thread(root, members, top.message_id or root.message_id))
    threads.sort(key=lambda t: t.messages[0].date)
    return _merge_by_subject(threads, subject_window)


def _merge_by_subject(threads: list[Thread], window: timedelta) -> list[Thread]:
    latest: dict[str, Thread] = {}
    merged: list[Thread] = []
    for candidate in threads:
        subject, replied = normalize_subject(candidate.root.subject)
        earlier = latest.get(subject) if subject else None
        linked = bool(candidate.root.in_reply_to or candidate.root.references)
        if (
            earlier is not None
            and replied
            and not linked
            and candidate.messages[0].date - earlier.last.date <= window
        ):
            earlier.messages.extend(candidate.messages)
            earlier.messages.sort(key=lambda m: m.date)
            continue
        merged.append(candidate)
        if subject:
            latest[subject] = candidate
    return merged
