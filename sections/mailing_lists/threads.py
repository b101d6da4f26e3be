"""Group mail messages into threads, JWZ-style (https://www.jwz.org/doc/threading.html).

Messages are linked by ``References`` and ``In-Reply-To``; a reference to a message
the archive lacks still links its replies (through an empty container). Threads whose
first message has no usable link but whose subject says it is a reply ("Re: …",
"AW: …", "[list] Re: …") join the latest earlier thread with the same normalized
subject, if that thread was active within ``subject_window``.

Whatever the headers claim (loops, duplicates, a message referencing itself), every
message lands in exactly one thread, in time linear in the messages and their
references (at most :data:`MAX_REFERENCES` of each), with no recursion.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .archive import MAX_REFERENCES, MailMessage

SUBJECT_WINDOW = timedelta(days=30)

# Any run of list tags and reply/forward prefixes, in one match: stripping them one at
# a time would cost quadratic time on a subject of "Re: " repeated.
_PREFIXES = re.compile(
    r"(?:\s*(?:\[[^\]]{1,40}\]|(?:re|fwd?|aw|sv|vs|antw|odp|wg|tr|rif|r)\s*"
    r"(?:\[\d+\]|\(\d+\))?\s*[:：]))*\s*",
    re.I,
)
_REPLY = re.compile(
    r"(?:^|[\s\]:：])(?:re|fwd?|aw|sv|vs|antw|odp|wg|tr|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]", re.I
)


def strip_prefixes(subject: str) -> tuple[str, bool]:
    """The subject after its list tags and reply/forward prefixes; whether it had any
    reply or forward prefix."""
    prefix = _PREFIXES.match(subject)
    end = prefix.end() if prefix else 0
    return subject[end:], bool(_REPLY.search(subject[:end]))


def normalize_subject(subject: str) -> tuple[str, bool]:
    """The subject without list tags and reply/forward prefixes; and whether it had any."""
    text, replied = strip_prefixes(subject)
    return " ".join(text.lower().split()), replied


@dataclass(eq=False)
class _Container:
    message_id: str = ""
    message: MailMessage | None = None
    parent: _Container | None = None
    linked: int = 0
    """When ``parent`` was set (a counter): of the links closing a loop, the newest goes."""
    top: _Container | None = None
    """The root of its tree, once found."""


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
    every: list[_Container] = []
    links = itertools.count(1)

    def container(message_id: str) -> _Container:
        found = table.get(message_id)
        if found is None:
            found = table[message_id] = _Container(message_id)
            every.append(found)
        return found

    def link(child: _Container, parent: _Container) -> None:
        child.parent = parent
        child.linked = next(links)

    # Linking is linear in the messages and their (capped) references: no ancestry is
    # walked here; the loops the headers may describe are broken afterwards, once.
    for message in messages:
        own = container(message.message_id)
        if own.message is not None:  # a duplicate Message-ID is a message of its own
            own = _Container(message.message_id)
            every.append(own)
        own.message = message
        order.append(own)
        chain = list(message.references[-MAX_REFERENCES:])
        if message.in_reply_to and (not chain or chain[-1] != message.in_reply_to):
            chain.append(message.in_reply_to)
        previous: _Container | None = None
        for reference in chain:
            node = container(reference)
            # Link the chain, never over an existing link.
            if (
                previous is not None
                and node.parent is None
                and node is not own
                and node is not previous
            ):
                link(node, previous)
            previous = node
        # The message's own parent is the last reference, whatever was guessed before.
        if previous is not None and previous is not own:
            link(own, previous)
    _break_loops(every)

    groups: dict[int, list[MailMessage]] = {}
    tops: dict[int, _Container] = {}
    for own in order:
        top = _top(own)
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


def _break_loops(containers: list[_Container]) -> None:
    """Cut the newest link of every loop of parents, in one pass over the containers."""
    state: dict[int, int] = {}  # id -> 1 while on the path being walked, 2 when done
    for start in containers:
        path: list[_Container] = []
        position: dict[int, int] = {}
        node: _Container | None = start
        while node is not None and id(node) not in state:
            state[id(node)] = 1
            position[id(node)] = len(path)
            path.append(node)
            node = node.parent
        if node is not None and state[id(node)] == 1:  # back on this path: a loop
            loop = path[position[id(node)] :]
            newest = max(loop, key=lambda member: member.linked)
            newest.parent = None
        for member in path:
            state[id(member)] = 2


def _top(container: _Container) -> _Container:
    """The root of ``container``'s tree; each path is walked once (path compression)."""
    path = []
    node = container
    while node.parent is not None and node.top is None:
        path.append(node)
        node = node.parent
    top = node.top or node
    for member in path:
        member.top = top
    return top


def _merge_by_subject(threads: list[Thread], window: timedelta) -> list[Thread]:
    latest: dict[str, Thread] = {}
    last: dict[int, datetime] = {}  # the latest message of each thread, by id
    merged: list[Thread] = []
    for candidate in threads:
        subject, replied = normalize_subject(candidate.root.subject)
        earlier = latest.get(subject) if subject else None
        linked = bool(candidate.root.in_reply_to or candidate.root.references)
        if (
            earlier is not None
            and replied
            and not linked
            and candidate.messages[0].date - last[id(earlier)] <= window
        ):
            earlier.messages.extend(candidate.messages)
            last[id(earlier)] = max(last[id(earlier)], candidate.last.date)
            continue
        merged.append(candidate)
        last[id(candidate)] = candidate.last.date
        if subject:
            latest[subject] = candidate
    for found in merged:  # sorted once, not after every merge
        found.messages.sort(key=lambda m: m.date)
    return merged
