"""Mailing-list highlights: the week's threads from mbox, pipermail and Hyperkitty archives.

Each configured list is read as a stream (see :mod:`.archive`), threaded
(:mod:`.threads`), and every thread with a message inside the window becomes an item,
scored by its messages in the window and its participants. Traffic figures (messages,
threads, posters, first-time posters) go to the state store per list.

A thread is known by its list and the Message-ID that started it
(``thread:<list>:<id>``). One an earlier issue featured comes back only with messages
newer than that issue (``repeats = "updated"``, ``Item.updated`` is its latest
message), marked as continued with the count of those messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import io
import re
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsletter import (
    Featured,
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    Source,
    SourceError,
    Window,
    html_to_markdown,
)

from ..mbox import MAX_ARCHIVE, ArchiveTooLarge, RawMessage, open_stream, reread
from . import archive
from .archive import MailMessage, Skipped
from .archives import (
    hyperkitty_export,
    hyperkitty_thread,
    index_entries,
    not_pipermail,
    page_of,
    pipermail_months,
    public_inbox_page,
    public_inbox_search,
    with_slash,
)
from .threads import Thread, strip_prefixes, thread

_EPOCH = datetime.fromtimestamp(0, UTC)
_QUOTE_INTRO = re.compile(r"^.{0,200}\b(wrote|writes|a écrit|schrieb)\s*:\s*$", re.I)
_FOOTER = re.compile(r"^(_{20,}|-{5,} ?Original Message ?-{5,}|-{20,})\s*$", re.I)
_SALUTATION = re.compile(r"^(hi|hello|hey|dear|folks|all|team|guys)\b.{0,30}[,!:]?$", re.I)


class MailingList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="the list's name, shown and used in figures")
    kind: Literal["mbox", "pipermail", "hyperkitty", "public-inbox"] = "mbox"
    url: str = Field(
        description="mbox: a path or URL (plain or .gz); pipermail: the archive index; "
        "hyperkitty: the list's page, e.g. https://host/hyperkitty/list/dev@host/; "
        "public-inbox: the inbox, e.g. https://lore.kernel.org/git/"
    )
    archive_url: str = Field("", description="the list's web archive, linked from items")
    timezone: str | None = Field(
        None,
        description="the archive's local time zone (IANA), for messages without a Date "
        "header; by default learned from the archive's other messages",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value


class MailingListsOptions(ProviderOptions):
    lists: list[MailingList] = Field(min_length=1)
    weight_messages: float = Field(1.0, ge=0, description="score per message in the window")
    weight_participants: float = Field(2.0, ge=0, description="score per participant")
    summary_words: int = Field(60, ge=1, description="cut summaries at this many words")
    subject_window_days: int = Field(
        30, ge=0, description="how far apart a reply may be to join a thread by subject alone"
    )
    max_message_kb: int = Field(1024, ge=4, description="bytes of one message read, in KiB")
    max_archive_mb: int = Field(
        256, ge=1, description="bytes of one archive read, in MiB, counted decompressed"
    )


@dataclass(frozen=True)
class _Source:
    """One archive file of a list, and the web page its messages live under."""

    location: str
    page: str
    method: Literal["GET", "POST"] = "GET"
    index: str = ""
    """pipermail: the month's date.html, which names each message's page."""


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a message is: its source's index, its place among that archive's messages,
    and its bytes' offset and size (read again only if its thread is shown)."""

    source: int
    position: int
    offset: int
    size: int

    def raw(self) -> RawMessage:
        return RawMessage(b"", b"", position=self.position, offset=self.offset, size=self.size)


class _Places:
    """Each message's :class:`_Origin`, by Message-ID (the first copy's), packed in one
    array: an archive of 200,000 messages keeps them all while it is threaded."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self._data = array("q")

    def add(self, message_id: str, source: int, raw: RawMessage, index: int) -> int | None:
        """Keep where message number ``index`` is, unless its Message-ID was seen; then
        the number of the first message with that ID."""
        row = self.rows.setdefault(message_id, len(self._data) // 5)
        if row == len(self._data) // 5:
            self._data.extend((source, raw.position, raw.offset, raw.size, index))
            return None
        return self._data[row * 5 + 4]

    def get(self, message_id: str) -> _Origin | None:
        row = self.rows.get(message_id)
        return None if row is None else _Origin(*self._data[row * 5 : row * 5 + 4])


@dataclass
class _Archive:
    messages: list[MailMessage]
    origin: _Places  # message id -> where it is
    skipped: Counter[str]
    empty: list[int] = field(default_factory=list)
    """Sources with bytes but not one message: not an mbox archive."""
    too_large: dict[int, str] = field(default_factory=dict)
    """Sources read only in part (over max_archive_mb decompressed), with why."""


class MailingListsProvider(SectionProvider[MailingListsOptions]):
    name = "mailing_lists"
    description = "Mailing-list highlights: the week's threads from mbox/pipermail/Hyperkitty."
    repeats = "updated"

    async def gather(self, options: MailingListsOptions, ctx: GatherContext) -> list[Item]:
        results = await asyncio.gather(*(self._gather_list(m, options, ctx) for m in options.lists))
        items = [item for items in results for item in items]
        # Best first, so the preselected threads open the section in that order.
        items.sort(key=lambda item: (-item.score, item.published or _EPOCH))
        # A thread cross-posted to two lists (one Message-ID in both archives) is one
        # item, shown under the list where it ranks best and known by both lists' keys:
        # two items with one id would be merged into each other on re-drafting.
        unique: dict[str, Item] = {}
        for item in items:
            kept = unique.setdefault(item.id, item)
            if kept is not item:
                kept.keys = list(dict.fromkeys([*kept.keys, *item.keys]))
        return list(unique.values())

    def sources(self, options: MailingListsOptions) -> list[Source]:
        # pipermail's index, Hyperkitty's list page, the public-inbox: what the archive
        # files are found under; an mbox is read whole.
        return [Source(m.url, label=m.name) for m in options.lists]

    async def _gather_list(
        self, mailing_list: MailingList, options: MailingListsOptions, ctx: GatherContext
    ) -> list[Item]:
        try:
            sources = await _sources(mailing_list, ctx)
        except SourceError as error:
            ctx.problem(f"{mailing_list.name} ({error.source})", error.reason)
            return []
        async with contextlib.AsyncExitStack() as opened:
            streams: list[BinaryIO] = []
            for source in sources:
                try:
                    streams.append(await _open(mailing_list, source, ctx, opened))
                except SourceError as error:
                    if not await _nothing_found(mailing_list, source, error, ctx):
                        ctx.problem(f"{mailing_list.name} ({source.location})", error.reason)
                    streams.append(io.BytesIO())
            return await self._from_archive(mailing_list, sources, streams, options, ctx)

    async def _from_archive(
        self,
        mailing_list: MailingList,
        sources: list[_Source],
        streams: list[BinaryIO],
        options: MailingListsOptions,
        ctx: GatherContext,
    ) -> list[Item]:
        limit = options.max_message_kb * 1024
        cap = options.max_archive_mb << 20
        zone = ZoneInfo(mailing_list.timezone) if mailing_list.timezone else None
        archive = await asyncio.to_thread(_read_archive, streams, limit, zone, cap)
        for index, why in archive.too_large.items():
            ctx.problem(
                f"{mailing_list.name} ({sources[index].location})",
                f"{why}: only the first {options.max_archive_mb} MiB were read (max_archive_mb)",
            )
        for index in archive.empty:
            ctx.problem(
                f"{mailing_list.name} ({sources[index].location})",
                'no messages in it: not an mbox archive (no "From " envelope lines)',
            )
        if archive.skipped:
            count = sum(archive.skipped.values())
            reasons = ", ".join(
                why if len(archive.skipped) == 1 else f"{n} {why}"
                for why, n in archive.skipped.most_common()
            )
            noun = "message" if count == 1 else "messages"
            ctx.problem(mailing_list.name, f"{count} {noun} skipped ({reasons})")
        # Threading and summaries are CPU work: in a worker thread, off the event loop
        # that the other sections' downloads run on.
        window = timedelta(days=options.subject_window_days)
        threads = await asyncio.to_thread(thread, archive.messages, window)
        active = [t for t in threads if any(m.date in ctx.window for m in t.messages)]
        _record_figures(mailing_list, archive.messages, active, ctx)
        wanted = {t.root.message_id for t in active}
        bodies = await asyncio.to_thread(_read_bodies, streams, archive.origin, wanted, limit, cap)
        pages = await _thread_pages(mailing_list, active, sources, archive, ctx)
        ctx.source_result(mailing_list.url, len(active))
        # History is read here, on the loop (its SQLite connection is this thread's).
        seen = [ctx.featured([thread_key(mailing_list.name, t)]) for t in active]

        def items() -> list[Item]:
            return [
                _item(t, mailing_list, pages.get(t.root.message_id, ""), bodies, options,
                      ctx.window, earlier)
                for t, earlier in zip(active, seen, strict=True)
            ]  # fmt: skip

        return await asyncio.to_thread(items)


def thread_key(list_name: str, found: Thread) -> str:
    """What a thread is known by across issues: its list and the Message-ID it began with."""
    return f"thread:{list_name}:{found.root_id.strip().strip('<>')}"


async def _sources(mailing_list: MailingList, ctx: GatherContext) -> list[_Source]:
    page = mailing_list.archive_url or mailing_list.url
    if mailing_list.kind == "mbox":
        return [_Source(mailing_list.url, page)]
    base = with_slash(mailing_list.url)
    if mailing_list.kind == "hyperkitty":
        return [_Source(hyperkitty_export(base, mailing_list.name, ctx.window), page)]
    if mailing_list.kind == "public-inbox":
        return [_Source(public_inbox_search(base, ctx.window), page, method="POST")]
    index = (await ctx.fetch(base)).content.decode("latin-1")
    listed = pipermail_months(index)
    if not listed:
        raise SourceError(base, not_pipermail(index))
    pages = with_slash(mailing_list.archive_url or base)
    sources = []
    for month in window_months(ctx.window):
        if month in listed:
            folder = listed[month].split(".")[0]
            sources.append(
                _Source(
                    urljoin(base, listed[month]),
                    f"{pages}{folder}/thread.html",
                    index=urljoin(base, f"{folder}/date.html"),
                )
            )
    return sources


async def _nothing_found(
    mailing_list: MailingList, source: _Source, error: SourceError, ctx: GatherContext
) -> bool:
    """Whether ``error`` only means the window holds no message: public-inbox answers a
    search without results with a 404, like an inbox that does not exist."""
    if mailing_list.kind != "public-inbox" or error.status != 404:
        return False
    try:
        await ctx.fetch(with_slash(mailing_list.url))
    except SourceError:
        return False
    return True


def window_months(window: Window) -> list[tuple[int, int]]:
    """(year, month) of every month the window touches, in its own zone and in UTC."""
    months: set[tuple[int, int]] = set()
    last = window.end - timedelta(microseconds=1)
    for moment in (window.start, last, window.start.astimezone(UTC), last.astimezone(UTC)):
        months.add((moment.year, moment.month))
    year, month = min(months)
    while (year, month) < max(months):
        month = month % 12 + 1
        year += month == 1
        months.add((year, month))
    return sorted(months)


async def _open(
    mailing_list: MailingList, source: _Source, ctx: GatherContext, opened: AsyncExitStack
) -> BinaryIO:
    """The archive file of ``source``, seekable. An mbox (a list's whole history, maybe
    hundreds of MiB) is streamed, never held in memory; the exports of the other kinds
    are a month or a week, fetched (and revalidated) like any source."""
    if mailing_list.kind == "mbox":
        return await opened.enter_async_context(ctx.open(source.location, source.method))
    return io.BytesIO((await ctx.fetch(source.location, method=source.method)).content)


def _read_archive(
    streams: list[BinaryIO], limit: int, zone: ZoneInfo | None = None, cap: int = MAX_ARCHIVE
) -> _Archive:
    """Every message's headers, in one pass over each stream; where each message is
    kept in ``origin``, so its body can be read again without a second pass. A stream
    stops at ``cap`` bytes (decompressed): what came before is kept."""
    messages: list[MailMessage] = []
    origin = _Places()
    twice: set[tuple[str, str]] = set()  # (id, address) of Message-IDs seen more than once
    skipped: Counter[str] = Counter()
    empty = []
    too_large: dict[int, str] = {}
    for index, stream in enumerate(streams):
        count = 0
        try:
            read = archive.read(open_stream(stream, cap), max_message=limit, zone=zone)
            for raw, parsed in read:
                count += 1
                if isinstance(parsed, Skipped):
                    skipped[parsed.reason] += 1
                    continue
                # The same message archived twice (two months, two sources), whichever
                # copy has a Date header and whichever is dated by its envelope: the
                # same Message-ID and sender.
                first = origin.add(parsed.message_id, index, raw, len(messages))
                if first is not None:
                    earlier = messages[first]
                    twice.add((earlier.message_id, earlier.address))
                    key = (parsed.message_id, parsed.address)
                    if key in twice:
                        continue
                    twice.add(key)
                messages.append(parsed)
        except ArchiveTooLarge as error:
            too_large[index] = str(error)
        if count == 0 and index not in too_large and _holds_text(stream):
            empty.append(index)
    return _Archive(messages, origin, skipped, empty, too_large)


def _holds_text(stream: BinaryIO) -> bool:
    stream.seek(0)
    return bool(stream.read(4096).strip())


def _read_bodies(
    streams: list[BinaryIO], origin: _Places, wanted: set[str], limit: int, cap: int = MAX_ARCHIVE
) -> dict[str, tuple[str, bool]]:
    """The text of each ``wanted`` message, read again where the header pass found it
    (in order, so a gzip archive is decompressed forward once more, not parsed)."""
    bodies: dict[str, tuple[str, bool]] = {}
    places = {message_id: origin.get(message_id) for message_id in wanted}
    found = sorted(
        (place.source, place.offset, message_id)
        for message_id, place in places.items()
        if place is not None
    )
    for index, stream in enumerate(streams):
        mine = [message_id for where, _, message_id in found if where == index]
        if not mine:
            continue
        stream.seek(0)
        readable = open_stream(stream, cap)  # every wanted message lies before the cap
        for message_id in mine:
            place = places[message_id]
            assert place is not None
            bodies[message_id] = archive.body_text(reread(readable, place.raw(), limit))
    return bodies


def _record_figures(
    mailing_list: MailingList, messages: list[MailMessage], active: list[Thread],
    ctx: GatherContext,
) -> None:  # fmt: skip
    window, name = ctx.window, mailing_list.name
    inside = [m for m in messages if m.date in window]
    posters = {m.address for m in inside}
    ctx.record_figure(f"lists/{name}/messages", len(inside))
    ctx.record_figure(f"lists/{name}/threads", len(active))
    ctx.record_figure(f"lists/{name}/posters", len(posters))
    if mailing_list.kind == "mbox":
        # Only a whole archive tells who never posted before. The other kinds read the
        # weeks around the issue (hyperkitty, public-inbox) or its month (pipermail):
        # there nearly every poster would count as a first-timer.
        before = {m.address for m in messages if m.date < window.start}
        ctx.record_figure(f"lists/{name}/first_time_posters", len(posters - before))


def participants(messages: list[MailMessage], starter: MailMessage) -> list[str]:
    """Display names, one per address, the starter first, then in order of first post."""
    names: dict[str, str] = {starter.address: starter.display_name}
    for message in messages:
        if message.address not in names or not names[message.address]:
            names[message.address] = message.display_name
    return [name for name in names.values() if name]


def _item(
    found: Thread,
    mailing_list: MailingList,
    url: str,
    bodies: dict[str, tuple[str, bool]],
    options: MailingListsOptions,
    window: Window,
    featured: Featured | None,
) -> Item:
    root = found.root
    in_window = [m for m in found.messages if m.date in window]
    people = participants(found.messages, root)
    text, is_html = bodies.get(root.message_id, ("", False))
    details: dict[str, Any] = {
        "list": mailing_list.name,
        "messages_in_window": len(in_window),
        "messages_total": len(found.messages),
        "participants": people,
        "started": root.date.astimezone(UTC).isoformat(),
        "last_activity": found.last.date.astimezone(UTC).isoformat(),
    }
    if featured is not None:
        # Featured before: what came after that issue closed, up to this one's close.
        since = [m for m in found.messages if featured.closed <= m.date < window.end]
        details["continued_from"] = featured.issue
        details["new_messages"] = len(since)
    return Item(
        id="thread-" + hashlib.sha1(root.message_id.encode()).hexdigest()[:10],
        keys=[thread_key(mailing_list.name, found)],
        title=_title(root.subject, mailing_list.name),
        url=url,
        summary=summarize(text, is_html, options.summary_words),
        author=root.display_name,
        published=root.date.astimezone(UTC),
        # The thread as this issue sees it: its latest message before the issue closes.
        updated=max(m.date for m in found.messages if m.date < window.end).astimezone(UTC),
        source=mailing_list.name,
        details=details,
        score=options.weight_messages * len(in_window) + options.weight_participants * len(people),
    )


def _title(subject: str, list_name: str) -> str:
    """The subject without the list's own ``[tag]`` and reply prefixes."""
    return strip_prefixes(subject)[0] or subject or "(no subject)"


async def _thread_pages(
    mailing_list: MailingList,
    active: list[Thread],
    sources: list[_Source],
    archive: _Archive,
    ctx: GatherContext,
) -> dict[str, str]:
    """Root Message-ID → the page of each thread, where its archive has one: the
    message's own ``Archived-At``, Hyperkitty's thread page, public-inbox's message
    page, pipermail's message page (found in its month's index); else the page the
    list's messages live under."""
    pages: dict[str, str] = {}
    indexes: dict[int, list[tuple[str, str, str]]] = {}
    for found in active:
        root = found.root
        place = archive.origin.get(root.message_id)
        where, position = (place.source, place.position) if place else (0, 0)
        source = sources[where] if where < len(sources) else None
        fallback = source.page if source else mailing_list.archive_url or mailing_list.url
        if root.archived_at:
            pages[root.message_id] = root.archived_at
        elif mailing_list.kind == "hyperkitty":
            # Hyperkitty names a thread by its first message, which the export may lack.
            starter = (root.references or (root.in_reply_to or root.message_id,))[0]
            pages[root.message_id] = hyperkitty_thread(with_slash(mailing_list.url), starter)
        elif mailing_list.kind == "public-inbox":
            base = with_slash(mailing_list.archive_url or mailing_list.url)
            pages[root.message_id] = public_inbox_page(base, root.message_id)
        elif source is not None and source.index:
            if where not in indexes:
                try:
                    fetched = await ctx.fetch(source.index)
                    indexes[where] = index_entries(fetched.content.decode("latin-1"))
                except SourceError:  # without its index a month links its thread list
                    indexes[where] = []
            href = page_of(indexes[where], position, root.subject, root.name)
            pages[root.message_id] = urljoin(source.page, href) if href else fallback
        else:
            pages[root.message_id] = fallback
    return pages


def summarize(text: str, is_html: bool, words: int) -> str:
    """The first paragraph of a message, without quotes, signature or list footer."""
    if is_html:
        text = html_to_markdown(text)
    for paragraph in _paragraphs(text):
        if is_html:
            cut = paragraph.split()
            return " ".join(cut[:words]) + (" …" if len(cut) > words else "")
        return html_to_markdown(f"<p>{html.escape(paragraph)}</p>", words)
    return ""


def _paragraphs(text: str) -> Iterator[str]:
    lines: list[str] = []
    for line in [*text.replace("\r\n", "\n").split("\n"), ""]:
        stripped = line.strip()
        if line.rstrip() in {"--", "-- "} or _FOOTER.match(stripped):
            break
        if stripped.startswith(">") or _QUOTE_INTRO.match(stripped):
            continue
        if stripped:
            lines.append(stripped)
            continue
        if lines:
            paragraph = " ".join(lines)
            lines = []
            if len(paragraph.split()) <= 4 and _SALUTATION.match(paragraph):
                continue
            yield paragraph
    if lines:
        yield " ".join(lines)
