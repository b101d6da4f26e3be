"""Community submissions: items readers send in, offered to the editor, never included.

Two kinds of source, either or both:

* ``submissions`` — a folder of Markdown files with YAML front matter::

      ---
      section: events          # the id of the section it belongs in
      title: Bar meetup in Lyon
      url: https://example.org/meetup
      author: Jane Doe
      date: 2026-11-18         # optional; without it the file is offered every week
      ---
      A few words about it, in Markdown.

* ``mailbox`` — an mbox file or a Maildir folder of e-mails sent to the newsletter's
  address: the subject is the title (``[events] Bar meetup`` names the section), the
  first URL in the body is the link, the body the summary, the sender the author.

Each submission carries ``details.target_section``; ``newsletter.gather`` moves it into
that section (see its docstring), with ``include: false``. Dated submissions are taken
when dated inside the issue's window. A submission is known by its file
(``file:<path>``) or its e-mail's Message-ID (``message-id:<id>``; without one, a
digest of the message, ``mail:sha256:…``); once an issue published it, it is never
offered again (``repeats = "once"``).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from pydantic import Field, model_validator
from ruamel.yaml.error import YAMLError

from newsletter import (
    MAX_FIELD,
    GatherContext,
    Item,
    ProviderOptions,
    SectionProvider,
    Source,
    SourceError,
    clean_url,
    html_to_markdown,
    plain_text,
    safe_yaml,
)

from .mbox import ArchiveTooLarge, Readable, open_path, split_mbox, unquote_from

_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
_SECTION_TAG = re.compile(r"^\s*\[([a-z0-9][a-z0-9_-]*)\]\s*", re.IGNORECASE)
# The signature separator is "-- " (RFC 3676), but many clients strip its space.
_SIGNATURE = re.compile(r"\r?\n--[ \t]?\r?\n.*", re.DOTALL)


class InboxOptions(ProviderOptions):
    submissions: str | None = Field(
        None, description="folder of Markdown files with front matter, in the workspace"
    )
    mailbox: str | None = Field(None, description="an mbox file or a Maildir folder")
    default_section: str | None = Field(
        None, description="where a submission naming no section goes (default: here)"
    )
    summary_words: int = Field(80, ge=1, description="cut summaries at this many words")
    max_message_kb: int = Field(
        10240, ge=4, description="a larger e-mail is skipped (with a problem), in KiB"
    )
    max_archive_mb: int = Field(
        256, ge=1, description="bytes of the mbox read, in MiB, counted decompressed"
    )

    @model_validator(mode="after")
    def _some_source(self) -> InboxOptions:
        if self.submissions is None and self.mailbox is None:
            raise ValueError("give 'submissions' (a folder), 'mailbox' (mbox or Maildir), or both")
        return self


class InboxProvider(SectionProvider[InboxOptions]):
    name = "inbox"
    description = "Community submissions from Markdown files and e-mails, offered per section."
    repeats = "once"

    def sources(self, options: InboxOptions) -> list[Source]:
        # No items is the usual week of an inbox: its sources' results are not reported,
        # so only a failing one shows in the source-health history.
        found = []
        if options.submissions is not None:
            found.append(Source(options.submissions, kind="folder"))
        if options.mailbox is not None:
            found.append(Source(options.mailbox, kind="mailbox"))
        return found

    async def gather(self, options: InboxOptions, ctx: GatherContext) -> list[Item]:
        items: list[Item] = []
        if options.submissions is not None:
            items += await _read_folder(options.submissions, options, ctx)
        if options.mailbox is not None:
            items += await _read_mailbox(options.mailbox, options, ctx)
        for item in items:
            item.include = False
            item.details.setdefault("target_section", options.default_section or ctx.section_id)
        return [item for item in items if item.published is None or item.published in ctx.window]


# ---------------------------------------------------------------- Markdown files


async def _read_folder(folder: str, options: InboxOptions, ctx: GatherContext) -> list[Item]:
    try:
        directory = ctx.local_path(folder)
    except SourceError as error:
        ctx.problem(folder, error.reason)
        return []
    if not directory.is_dir():
        ctx.problem(folder, "no such folder")
        return []
    items = []
    for path in sorted(directory.glob("*.md")):
        source = f"{folder.rstrip('/')}/{path.name}"
        try:
            fetched = await ctx.fetch(source)
            item = submission_item(fetched.content.decode("utf-8"), source, options)
        except SourceError as error:
            ctx.problem(source, error.reason)
        except UnicodeDecodeError:
            ctx.problem(source, "not UTF-8 text")
        except ValueError as error:
            ctx.problem(source, str(error))
        else:
            items.append(item)
    return items


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter (parsed by ruamel's safe loader) and the body of a submission."""
    lines = text[:MAX_FIELD].splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("no front matter: start the file with a line '---'")
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        raise ValueError("front matter not closed: add a line '---' after it")
    try:
        meta = safe_yaml().load("".join(lines[1:end]))
    except YAMLError as error:
        raise ValueError(f"front matter is not valid YAML: {error}") from None
    if not isinstance(meta, dict):
        raise ValueError("front matter must be keys and values (section, title, url, author)")
    return meta, "".join(lines[end + 1 :])


def submission_item(text: str, source: str, options: InboxOptions) -> Item:
    meta, body = front_matter(text)
    title = plain_text(str(meta.get("title") or ""))
    if not title:
        raise ValueError("front matter has no 'title'")
    url = str(meta.get("url") or "").strip()
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"url {url!r} is not an http(s) address")
    details: dict[str, Any] = {"file": source}
    if meta.get("section"):
        details["target_section"] = str(meta["section"]).strip()
    rendered = MarkdownIt("commonmark", {"html": False}).render(body)
    return Item(
        id="submission-" + hashlib.sha1(source.encode()).hexdigest()[:10],
        keys=[f"file:{source}"],
        title=title,
        url=clean_url(url) if url else "",
        summary=html_to_markdown(rendered, options.summary_words),
        author=plain_text(str(meta.get("author") or "")),
        published=_moment(meta.get("date")),
        # No source: the templates show "author on source", and a reader's submission
        # is theirs alone ("Jane Doe", not "Jane Doe on submission"); details.file says where.
        details=details,
    )


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(12), tzinfo=UTC)
    if value in (None, ""):
        return None
    raise ValueError(f"date {value!r} is not a date like 2026-11-18")


# ---------------------------------------------------------------- e-mail


async def _read_mailbox(mailbox: str, options: InboxOptions, ctx: GatherContext) -> list[Item]:
    try:
        path = ctx.local_path(mailbox)
    except SourceError as error:
        ctx.problem(error.source, error.reason)
        return []
    if path.is_dir():  # Maildir: one file per message in new/ and cur/
        messages: list[tuple[str, bytes]] = []
        for name in sorted(p for sub in ("new", "cur") for p in (path / sub).glob("*")):
            if name.is_file():
                where = f"{mailbox.rstrip('/')}/{name.parent.name}/{name.name}"
                try:  # one message that cannot be read is that message's problem alone
                    messages.append((where, (await ctx.fetch(where)).content))
                except SourceError as error:
                    ctx.problem(where, error.reason)
        found, problems = await asyncio.to_thread(_mail_items, messages, options)
    elif path.is_file():
        found, problems = await asyncio.to_thread(_mbox_items, path, mailbox, options)
    else:
        ctx.problem(mailbox, "no such file or folder")
        return []
    for where, why in problems:
        ctx.problem(where, why)
    # An e-mail delivered twice (sent to two of the inbox's addresses) is one submission:
    # the same Message-ID, so the same id, which a draft must hold once.
    unique: dict[str, Item] = {}
    for item in found:
        unique.setdefault(item.id, item)
    return list(unique.values())


Problems = list[tuple[str, str]]


def _mbox_items(path: Path, mailbox: str, options: InboxOptions) -> tuple[list[Item], Problems]:
    """The items of an mbox file, read as a stream; an e-mail over ``max_message_kb`` is
    skipped with a problem, and reading stops at ``max_archive_mb`` (decompressed)."""
    limit = options.max_message_kb * 1024
    items: list[Item] = []
    problems: Problems = []
    with open_path(str(path), options.max_archive_mb << 20) as stream:
        try:
            for number, raw in mbox_messages(stream, limit):
                where = f"{mailbox}#{number}"
                if raw is None:
                    why = f"larger than {options.max_message_kb} KiB (max_message_kb); skipped"
                    problems.append((where, why))
                    continue
                found, trouble = _mail_items([(where, raw)], options)
                items += found
                problems += trouble
        except ArchiveTooLarge as error:
            problems.append((mailbox, f"{error}: the rest was not read (max_archive_mb)"))
    return items, problems


def _mail_items(
    messages: list[tuple[str, bytes]], options: InboxOptions
) -> tuple[list[Item], Problems]:
    items: list[Item] = []
    problems: Problems = []
    for where, raw in messages:
        try:
            items.append(mail_item(raw, where, options))
        except ValueError as error:
            problems.append((where, str(error)))
    return items, problems


def mbox_messages(stream: Readable, max_message: int) -> Iterator[tuple[int, bytes | None]]:
    """The messages of an mbox stream, numbered from 1, as the mailing-list reader splits
    them: only real envelope lines separate messages, and ``>From `` quoting is undone.
    A message larger than ``max_message`` bytes comes as ``None``."""
    for number, raw in enumerate(split_mbox(stream, max_message=max_message), 1):
        yield number, None if raw.truncated else unquote_from(raw.data)


def mail_item(raw: bytes, where: str, options: InboxOptions) -> Item:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    subject = plain_text(str(message.get("subject", "") or ""))
    details: dict[str, Any] = {"mailbox": where}
    tag = _SECTION_TAG.match(subject)
    if tag:
        details["target_section"] = tag[1].lower()
        subject = subject[tag.end() :]
    if not subject:
        raise ValueError("an e-mail without a subject")
    text, is_html = _body(message)
    found = _URL.search(re.sub(r"<[^>]*href=[\"']([^\"']+)[\"'][^>]*>", r" \1 ", text))
    url = clean_url(found[0].rstrip(".,;:!?")) if found else ""
    fragment = text if is_html else _paragraphs(_SIGNATURE.sub("", text))
    message_id = str(message.get("message-id", "") or "").strip()
    if message_id:
        details["message_id"] = message_id.strip("<>")
    # Without a Message-ID, the message's bytes say which one it is wherever it is kept.
    key = (
        f"message-id:{message_id.strip('<>')}"
        if message_id.strip("<>")
        else f"mail:sha256:{hashlib.sha256(raw).hexdigest()}"
    )
    return Item(
        id="mail-" + hashlib.sha1((message_id or where).encode()).hexdigest()[:10],
        keys=[key],
        title=subject,
        url=url,
        summary=html_to_markdown(fragment, options.summary_words),
        author=_sender(message),
        published=_sent(message),
        details=details,
    )


def _body(message: EmailMessage) -> tuple[str, bool]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", False
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return str(content)[:MAX_FIELD], part.get_content_subtype() == "html"


def _paragraphs(text: str) -> str:
    chunks = (" ".join(chunk.split()) for chunk in re.split(r"\n\s*\n", text))
    return "".join(f"<p>{html.escape(chunk)}</p>" for chunk in chunks if chunk)


def _sender(message: EmailMessage) -> str:
    header = message.get("from")
    addresses = getattr(header, "addresses", ())
    if addresses:
        return plain_text(addresses[0].display_name or addresses[0].username)
    return plain_text(str(header or ""))


def _sent(message: EmailMessage) -> datetime | None:
    moment = getattr(message.get("date"), "datetime", None)
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
