"""Checks on a draft before it is sent: dead links, tracking parameters, empty
sections, an email too big for Gmail, links that are not absolute, links and images
that the URL rule drops, and what mailbox providers look at
(:func:`deliverability_findings`).

The checks that need no network are :data:`OFFLINE_CHECKS`, run by :func:`preflight`:
``newsletter lint`` runs them (and asks every link), and ``newsletter send`` runs them
before sending anything, refusing on an error. A new check is a function of a
:class:`Subject` appended there.

Links are checked concurrently by a checker the caller gives (the CLI passes the
fetcher's, so the links, which come from untrusted sources, are asked under the same
deadline, redirect and private-address rules as every source). A link that answered is
remembered for a day in ``.newsletter/links.json``, so linting again while editing is
quick; a link that failed is always asked again, so a fixed one clears at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from ruamel.yaml.comments import CommentedMap

from ..config import SendSettings
from ..fileio import write_atomic
from ..inert import dropped_urls
from ..model import Draft
from ..state import STATE_DIR
from ..urls import clean_url, tracking_params
from .file import yaml_scalar

GMAIL_CLIP = 102 * 1024
GMAIL_STYLE = 16 * 1024
"""Gmail's web client drops a <style> block larger than this."""
CACHE_NAME = "links.json"
CACHE_SECONDS = 24 * 3600

Level = Literal["error", "warning"]
_markdown = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Finding:
    level: Level
    where: str
    message: str


def draft_links(draft: Draft) -> dict[str, list[str]]:
    """Every http(s) URL in the included parts of ``draft``, with where each appears."""
    found: dict[str, list[str]] = {}

    def add(url: str, where: str) -> None:
        if urlsplit(url).scheme in {"http", "https"}:
            found.setdefault(url, []).append(where)

    for url in markdown_links(draft.intro):
        add(url, "intro")
    for section in draft.sections:
        for url in markdown_links(section.intro):
            add(url, f"{section.id}.intro")
        for item in section.included:
            where = item_label(section.id, item.title or item.id)
            if item.url:
                add(item.url, where)
            for url in markdown_links(item.summary) + markdown_links(item.note):
                add(url, where)
    return found


def item_label(section_id: str, title: str) -> str:
    """How a finding names an item: its section and its title, as the editor sees them."""
    short = title if len(title) <= 60 else title[:59] + "…"
    return f'{section_id}: "{short}"'


def fix_tracking(node: CommentedMap) -> int:
    """Remove tracking parameters from every link in a draft's round-trip YAML (item
    URLs, and links inside intros, summaries and notes), keeping everything else as it
    is; the number of links changed."""
    changed = 0

    def clean_text(text: str) -> str:
        nonlocal changed
        for url in markdown_links(text):
            if tracking_params(url):
                text = text.replace(url, clean_url(url))
                changed += 1
        return text

    def clean_field(mapping: CommentedMap, key: str, markdown: bool) -> None:
        nonlocal changed
        value = mapping.get(key)
        if not isinstance(value, str):
            return
        if markdown:
            cleaned = clean_text(value)
        elif tracking_params(value):
            cleaned = clean_url(value)
            changed += 1
        else:
            return
        if cleaned != value:
            mapping[key] = yaml_scalar(cleaned)

    clean_field(node, "intro", markdown=True)
    for section in node.get("sections") or []:
        if not isinstance(section, CommentedMap):
            continue
        clean_field(section, "intro", markdown=True)
        for item in section.get("items") or []:
            if isinstance(item, CommentedMap):
                clean_field(item, "url", markdown=False)
                clean_field(item, "summary", markdown=True)
                clean_field(item, "note", markdown=True)
    return changed


def markdown_links(text: str) -> list[str]:
    return [
        str(child.attrs["href"])
        for token in _markdown.parse(text or "")
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open" and child.attrs.get("href")
    ]


def content_findings(draft: Draft, links: Mapping[str, list[str]]) -> list[Finding]:
    """Findings that need no network: tracking parameters and empty sections."""
    findings = []
    for url, where in links.items():
        tracking = tracking_params(url)
        if tracking:
            findings.append(
                Finding(
                    "warning",
                    url,
                    f"tracking parameter{'s' if len(tracking) > 1 else ''} "
                    f"{', '.join(tracking)}; clean: {clean_url(url)} (in {', '.join(where)}; "
                    "'newsletter lint --fix' removes them)",
                )
            )
    for section in draft.sections:
        if not section.included:
            what = "has no included items"
            what += " (only its intro will show)" if section.intro.strip() else " (left out)"
            findings.append(Finding("warning", section.id, what))
    return findings


def url_findings(draft: Draft, no_images: Iterable[str] = ()) -> list[Finding]:
    """A warning for every link or image of the draft that rendering drops: a scheme
    other than http(s)/mailto (``javascript:``, ``data:``), a relative URL, a tracking
    pixel, an image in a section with ``images = "none"``."""
    return [
        Finding("warning", found.where, found.message) for found in dropped_urls(draft, no_images)
    ]


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value or "" for name, value in attrs if name in {"href", "src"}]


def size_findings(html: str) -> list[Finding]:
    """An email Gmail would clip (it shows the start and hides the rest)."""
    size = len(html.encode())
    if size <= GMAIL_CLIP:
        return []
    return [
        Finding(
            "error",
            "email",
            f"the HTML is {size / 1024:.0f} KiB; Gmail clips messages over "
            f"{GMAIL_CLIP // 1024} KiB — include fewer items or shorten summaries",
        )
    ]


def html_findings(html: str) -> list[Finding]:
    """The rendered email: small enough for Gmail, every link and image absolute."""
    findings = size_findings(html)
    parser = _Hrefs()
    parser.feed(html)
    for href in parser.hrefs:
        # cid: names an image attached to the message itself (send's embedding).
        if urlsplit(href).scheme not in {"http", "https", "mailto", "cid"}:
            findings.append(Finding("error", "email", f"link {href!r} is not absolute"))
    return findings


class _Tags(HTMLParser):
    """What the deliverability checks read in the email: <html lang>, images' alt,
    and the size of every <style> block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.images_without_alt: list[str] = []
        self.style_bytes = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = (values.get("lang") or "").strip()
        elif tag == "img" and "alt" not in values:
            self.images_without_alt.append(values.get("src") or "")
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_bytes += len(data.encode())


def deliverability_findings(
    html: str, text: str, settings: SendSettings | None, mails_subscribers: bool
) -> list[Finding]:
    """What mailbox providers and readers' clients need, beyond the size (see
    :func:`html_findings`): <style> within Gmail's 16 KB, an ``alt`` on every image,
    the ``lang`` of the email, a plain-text part, and — when subscribers are mailed
    directly — a one-click ``List-Unsubscribe`` (RFC 8058) and a DKIM signature, which
    Gmail's and Yahoo's bulk-sender rules require."""
    findings = []
    tags = _Tags()
    tags.feed(html)
    if tags.style_bytes > GMAIL_STYLE:
        findings.append(
            Finding(
                "warning",
                "email",
                f"its <style> blocks hold {tags.style_bytes / 1024:.1f} KiB; Gmail ignores "
                f"them over {GMAIL_STYLE // 1024} KiB (inlined styles remain, dark mode and "
                "the phone layout are lost)",
            )
        )
    for src in tags.images_without_alt:
        findings.append(
            Finding(
                "error",
                "email",
                f'image {src!r} has no alt text (alt="" for one that is only decoration)',
            )
        )
    if not tags.lang:
        findings.append(
            Finding("warning", "email", "no lang on <html>: screen readers guess the language")
        )
    if not text.strip():
        findings.append(Finding("error", "email", "the plain-text part is empty"))
    if settings is not None and mails_subscribers:
        if not settings.unsubscribe_url.startswith("https://"):
            findings.append(
                Finding(
                    "error",
                    "send.unsubscribe_url",
                    "subscribers are mailed directly but there is no https unsubscribe URL: "
                    "Gmail and Yahoo require a one-click List-Unsubscribe (RFC 8058) from "
                    "bulk senders",
                )
            )
        if settings.dkim is None:
            findings.append(
                Finding(
                    "warning",
                    "send.dkim",
                    "messages are not DKIM-signed: Gmail and Yahoo require DKIM from bulk senders",
                )
            )
    return findings


@dataclass(frozen=True)
class Subject:
    """What the offline checks look at: the draft, its rendered email and text, and how
    it is sent (``settings``; ``mails_subscribers`` when subscribers get it directly)."""

    draft: Draft
    html: str
    text: str = ""
    settings: SendSettings | None = None
    mails_subscribers: bool = False
    no_images: frozenset[str] = frozenset()


Check = Callable[[Subject], list[Finding]]
OFFLINE_CHECKS: list[Check] = [
    lambda subject: content_findings(subject.draft, draft_links(subject.draft)),
    lambda subject: url_findings(subject.draft, subject.no_images),
    lambda subject: html_findings(subject.html),
    lambda subject: deliverability_findings(
        subject.html, subject.text, subject.settings, subject.mails_subscribers
    ),
]


def preflight(subject: Subject) -> list[Finding]:
    """Every check that needs no network, in order."""
    return [finding for check in OFFLINE_CHECKS for finding in check(subject)]


class LinkCache:
    """URLs that answered, with when; read and written whole (a few thousand at most)."""

    def __init__(self, workspace: Path, now: float | None = None) -> None:
        self.path = workspace / STATE_DIR / CACHE_NAME
        self.now = time.time() if now is None else now
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            self.good = {str(k): float(v) for k, v in raw.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.good = {}  # no cache, or a damaged one: check everything again

    def fresh(self, url: str) -> bool:
        return self.now - self.good.get(url, -CACHE_SECONDS) < CACHE_SECONDS

    def save(self, answered: Iterable[str]) -> None:
        for url in answered:
            self.good[url] = self.now
        kept = {u: t for u, t in self.good.items() if self.now - t < CACHE_SECONDS}
        write_atomic(self.path, json.dumps(kept, indent=0, sort_keys=True))


LinkChecker = Callable[[str], Awaitable[str | None]]
"""Why a URL is broken, or None when it answered."""


async def check_links(urls: Iterable[str], checker: LinkChecker) -> dict[str, str]:
    """``url -> why`` for each URL that is broken; those missing answered fine."""
    unique = list(dict.fromkeys(urls))
    answers = await asyncio.gather(*(checker(url) for url in unique))
    return {url: why for url, why in zip(unique, answers, strict=True) if why is not None}
