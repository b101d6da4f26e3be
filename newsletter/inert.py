"""What is shown is inert: Markdown from an untrusted hand made safe for every reader, and
a whole draft made fit to render, whatever its text holds.

Text enters through :mod:`newsletter.sanitize` (a provider's HTML, its titles); this is
the other end, applied to everything rendered, however it got into the draft (a
source, or the editor's hand):

* one URL rule: a link only if absolute ``http``, ``https`` or ``mailto``
  (:func:`newsletter.urls.safe_url`), an image only if remote ``http(s)`` and not a
  known tracking pixel (or none at all in a section with ``images = "none"``);
* Markdown with no raw HTML and no template tag Hugo, Jekyll or kramdown would run,
  whatever Markdown reader it ends in and however a template reshapes it
  (:func:`safe_markdown`);
* what was left out is reported (:class:`DroppedFrom`), for ``status`` and ``lint``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .sanitize import clean_data, clean_text
from .urls import safe_url

if TYPE_CHECKING:
    from .model import Draft

TRACKING_HOSTS = frozenset(
    {"pixel.wp.com", "stats.wordpress.com", "feeds.feedburner.com", "feedproxy.google.com",
     "google-analytics.com", "stats.g.doubleclick.net", "ad.doubleclick.net",
     "pixel.quantserve.com", "pixel.mathtag.com", "sb.scorecardresearch.com",
     "b.scorecardresearch.com", "bat.bing.com", "mc.yandex.ru", "analytics.twitter.com",
     "px.ads.linkedin.com", "ct.pinterest.com", "list-manage.com", "mandrillapp.com",
     "sendgrid.net", "mailtrack.io", "mailstat.us", "email.mg.mailgun.net"}
)  # fmt: skip
"""Hosts (and their subdomains) whose images exist to tell someone a message was read."""
_TRACKING_PATH = re.compile(
    r"(?i)/(?:track(?:ing)?/open|wf/open|open\.(?:php|gif|aspx)|pixel\.(?:gif|png)"
    r"|1x1\.(?:gif|png)|__utm\.gif|beacon\.gif)(?:$|[?/#])"
)


@dataclass(frozen=True)
class Dropped:
    """A link or image taken out of Markdown, and why."""

    kind: Literal["link", "image"]
    url: str
    why: str


def is_tracking_pixel(url: str) -> bool:
    """Whether ``url`` is an image that only reports that it was shown."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower() if parts.netloc else ""
    labels = host.split(".")
    if any(".".join(labels[i:]) in TRACKING_HOSTS for i in range(len(labels))):
        return True
    return bool(_TRACKING_PATH.search(parts.path))


def link_verdict(kind: Literal["link", "image"], url: str, images: bool = True) -> str | Dropped:
    """The URL to use for a link or image of Markdown, or why it is dropped."""
    if kind == "image" and not images:
        return Dropped(kind, url, "images are off in this section")
    safe = safe_url(url)
    if safe is None:
        why = (
            "relative, with nothing to resolve it against"
            if url.strip() and not _SCHEME.match(url.strip())
            else "only http, https and mailto links are kept"
        )
        return Dropped(kind, url, why)
    if kind == "image":
        if not safe.startswith(("http://", "https://")):
            return Dropped(kind, url, "an image must be an http(s) URL")
        if is_tracking_pixel(safe):
            return Dropped(kind, url, TRACKING)
    return safe


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
TRACKING = "a tracking pixel"
_TEMPLATE_TAG = re.compile(r"\{[{%#<]|\{:")


@functools.cache
def _parsers() -> tuple[Any, Any]:
    from markdown_it import MarkdownIt

    # Every destination is let through the parser so that what another Markdown reader
    # would take for a link is seen here too (markdown-it on its own would leave a
    # ``javascript:`` link as text), then judged by link_verdict.
    loose = MarkdownIt("commonmark", {"html": True})
    loose.validateLink = _any_link  # type: ignore[method-assign]
    strict = MarkdownIt("commonmark", {"html": False})
    strict.validateLink = _any_link  # type: ignore[method-assign]
    return loose, strict


def _any_link(url: str) -> bool:
    return True


def safe_markdown(text: str, images: bool = True) -> tuple[str, list[Dropped]]:
    """Markdown from an untrusted hand (a source, the draft's content) made inert, and
    what was dropped from it.

    What comes back holds no raw HTML (``<script>`` is text, escaped), no link but
    ``http``, ``https`` and ``mailto`` ones, no image but remote ``http(s)`` ones that are
    not tracking pixels (none at all with ``images=False``), and no ``{{``, ``{%`` or
    ``{:`` that Hugo, Jekyll (Liquid) or kramdown would run as a template tag or read as
    attributes — whatever Markdown reader the text ends in, with HTML enabled or not.
    Text that is already inert comes back unchanged; anything else is rebuilt from its
    parse tree, every piece of text escaped."""
    text = clean_text(text or "")
    if not _MAY_ACT.search(text):  # no tag, link, image, fence or template: nothing to do
        return text, []
    safe, dropped = _made_safe(text, images)
    return safe, list(dropped)


# Without one of these, Markdown holds no HTML, link, image, code fence or template tag.
_MAY_ACT = re.compile(r"[<\[{`~]")


@functools.lru_cache(maxsize=4096)
def _made_safe(text: str, images: bool) -> tuple[str, tuple[Dropped, ...]]:
    # Cached: every format of an issue (and every preview reload) asks for the same text.
    loose, strict = _parsers()
    env: dict[str, Any] = {}
    tokens = loose.parse(text, env)
    verdicts = {(kind, url): link_verdict(kind, url, images) for kind, url in _destinations(tokens)}
    dropped = tuple(v for v in verdicts.values() if isinstance(v, Dropped))
    if not dropped and not env.get("references") and not _needs_rebuild(text, tokens, verdicts):
        return text, ()
    from markdown_it.tree import SyntaxTreeNode

    tree = SyntaxTreeNode(strict.parse(text))
    judge = functools.partial(link_verdict, images=images)
    blocks = (_block(node, judge) for node in tree.children)
    return "\n\n".join(b for b in blocks if b), dropped


Verdict = Callable[[Literal["link", "image"], str], "str | Dropped"]


def _destinations(tokens: list[Any]) -> Iterator[tuple[Literal["link", "image"], str]]:
    for token in tokens:
        for child in token.children or ():
            if child.type == "link_open":
                yield "link", str(child.attrs.get("href", ""))
            elif child.type == "image":
                yield "image", str(child.attrs.get("src", ""))


def _needs_rebuild(
    text: str,
    tokens: list[Any],
    verdicts: dict[tuple[Literal["link", "image"], str], str | Dropped],
) -> bool:
    """Whether ``text``, as written, could do more than show itself somewhere: here, or
    once a template has stripped, indented or quoted it, or put it beside other text.

    So a ``<`` (raw HTML, or a tag once an indented code block is un-indented), an
    indented code block (``[x](javascript:…)`` is text in one, a link once stripped) and
    a link reference definition (checked by the caller: it would define ``[x][r]`` in
    every other field of the document) all mean a rebuild, where ``<`` is escaped, code
    is fenced and references are inlined."""
    if any(verdict != url for (_, url), verdict in verdicts.items()):
        return True  # a URL that is kept, but not as written (credentials, quotes…)
    if "<" in text or _TEMPLATE_TAG.search(text):
        return True
    for token in tokens:
        if token.type == "code_block":
            return True
        if token.type == "fence" and token.map is not None:
            # An unclosed fence would swallow whatever the template puts after it.
            last = text.splitlines()[token.map[1] - 1].strip() if token.map[1] else ""
            if token.map[1] - token.map[0] < 2 or not last.startswith(token.markup):
                return True
    return False


# ------------------------------------------------ rebuilding Markdown from its parse tree

_ALWAYS = re.compile(r"([\\`*_\[\]<>{}|~&#!])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")
_IN_CODE = re.compile(r"\{(?=[{%])")


def _escape(text: str, line_start: bool) -> str:
    escaped = _ALWAYS.sub(r"\\\1", text).replace("\\{%", "\\{\\%")
    if line_start:
        escaped = _LINE_START.sub(_unmark, escaped.lstrip(), count=1)
    return escaped


def _unmark(match: re.Match[str]) -> str:
    """A list or heading marker at the start of a line, made text (``1\\.``, ``\\-``)."""
    mark = match.group(2)
    return match.group(1) + mark[:-1] + "\\" + mark[-1]


def _code(text: str) -> str:
    # Hugo runs shortcodes and Jekyll runs Liquid even inside code: a zero-width space
    # keeps ``{{`` and ``{%`` from being read as a tag and still shows the same text.
    return _IN_CODE.sub("{\u200b", text)


def _block(node: Any, judge: Verdict) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline_of(node, judge)
    if kind == "heading":
        level = int(node.tag[1])
        return "#" * level + " " + _inline_of(node, judge).replace("\n", " ")
    if kind in {"fence", "code_block"}:
        code = _code(node.content)
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        info = re.sub(r"[^\w+#.-]", "", (node.info or "").split(" ")[0]) if kind == "fence" else ""
        return f"{fence}{info}\n{code.rstrip(chr(10))}\n{fence}" if code.strip() else ""
    if kind == "hr":
        return "***"
    if kind == "blockquote":
        inner = "\n\n".join(b for b in (_block(c, judge) for c in node.children) if b)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind in {"bullet_list", "ordered_list"}:
        return _list(node, judge)
    return ""  # html_block cannot occur: the parser behind this reads HTML as text


def _list(node: Any, judge: Verdict) -> str:
    number = int(node.attrs.get("start", 1) or 1)
    items = []
    tight = True
    for item in node.children:
        marker = "-" if node.type == "bullet_list" else f"{number}."
        number += 1
        tight = tight and all(
            c.type != "paragraph" or c.nester_tokens.opening.hidden for c in item.children
        )
        body = ("\n" if tight else "\n\n").join(
            b for b in (_block(c, judge) for c in item.children) if b
        )
        pad = " " * (len(marker) + 1)
        lines = body.split("\n") if body else [""]
        items.append(
            "\n".join(
                [f"{marker} {lines[0]}".rstrip()]
                + [pad + line if line else "" for line in lines[1:]]
            )
        )
    return ("\n" if tight else "\n\n").join(items)


def _inline_of(node: Any, judge: Verdict) -> str:
    inline = node.children[0] if node.children else None
    return _inline(inline.children if inline is not None else [], judge, True)[0]


def _inline(nodes: list[Any], judge: Verdict, line_start: bool) -> tuple[str, bool]:
    """Markdown for inline ``nodes``, and whether it ends at the start of a line."""
    out: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.append(_escape(node.content, line_start))
        elif kind == "softbreak":
            out.append("\n")
            line_start = True
            continue
        elif kind == "hardbreak":
            out.append("\\\n")
            line_start = True
            continue
        elif kind == "code_inline":
            code = _code(node.content)
            longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
            ticks = "`" * (longest + 1)
            pad = " " if code[:1] in {"`", " "} or code[-1:] in {"`", " "} else ""
            out.append(f"{ticks}{pad}{code}{pad}{ticks}")
        elif kind in {"em", "strong"}:
            mark = "*" if kind == "em" else "**"
            inner, _ = _inline(node.children, judge, False)
            out.append(f"{mark}{inner}{mark}" if inner else "")
        elif kind == "link":
            inner, _ = _inline(node.children, judge, line_start)
            verdict = judge("link", str(node.attrs.get("href", "")))
            out.append(inner if isinstance(verdict, Dropped) else f"[{inner}](<{verdict}>)")
        elif kind == "image":
            alt = _escape(node.content, line_start) if node.content else ""
            verdict = judge("image", str(node.attrs.get("src", "")))
            if not isinstance(verdict, Dropped):
                out.append(f"![{alt}](<{verdict}>)")
            elif verdict.why != TRACKING:  # a pixel's "alt" is no content
                out.append(alt)
        if out and out[-1]:
            line_start = False
    return "".join(out), line_start


# ---------------------------------------------------------------- a whole draft made inert


@dataclass(frozen=True)
class DroppedFrom:
    """What :func:`inert_draft` leaves out, and where: the section and the item (both
    empty for the issue's intro; the item empty for a section's intro) and the field."""

    section: str
    item: str
    field: str
    dropped: Dropped

    @property
    def where(self) -> str:
        """``intro``, ``blogs intro`` or ``blogs/post-1 summary``."""
        place = f"{self.section}/{self.item}" if self.item else self.section
        return f"{place} {self.field}".strip()

    @property
    def message(self) -> str:
        """``link 'javascript:…' left out: only http, https and mailto links are kept``."""
        url = self.dropped.url if len(self.dropped.url) <= 80 else self.dropped.url[:79] + "…"
        return f"{self.dropped.kind} {url!r} left out: {self.dropped.why}"


def inert_draft(draft: Draft, no_images: Iterable[str] = ()) -> Draft:
    """A copy of ``draft`` that every renderer can show as it is (what it leaves out is
    :func:`dropped_urls`).

    The draft is hand-edited and its items come from strangers, so this is applied to
    whatever is rendered, however it got into the file: text loses control characters
    and bidi overrides (:func:`clean_text`), Markdown goes through
    :func:`safe_markdown` (images dropped in the sections of ``no_images``), an item's
    URL must pass :func:`newsletter.urls.safe_url` or is left out."""
    off = set(no_images)

    def markdown(text: str, images: bool = True) -> str:
        return safe_markdown(text, images)[0]

    def url(value: str) -> str:
        verdict = link_verdict("link", value) if value.strip() else ""
        return "" if isinstance(verdict, Dropped) else verdict

    sections = []
    for section in draft.sections:
        images = section.id not in off
        items = [
            item.model_copy(
                update={
                    "title": clean_text(item.title),
                    "url": url(item.url),
                    "author": clean_text(item.author),
                    "source": clean_text(item.source),
                    "summary": markdown(item.summary, images),
                    "note": markdown(item.note, images),
                    "details": clean_data(item.details),
                }
            )
            for item in section.items
        ]
        sections.append(
            section.model_copy(
                update={
                    "title": clean_text(section.title),
                    "intro": markdown(section.intro, images),
                    "problems": [clean_text(p) for p in section.problems],
                    "items": items,
                }
            )
        )
    safe = draft.model_copy(
        update={
            "title": clean_text(draft.title),
            "intro": markdown(draft.intro),
            "sections": sections,
        }
    )
    return safe


def dropped_urls(
    draft: Draft | Mapping[str, Any], no_images: Iterable[str] = ()
) -> list[DroppedFrom]:
    """Every link and image of ``draft`` that rendering leaves out, with where it is.

    ``draft`` is the model or its JSON form (``status`` reads the latter, without
    building the models); the Markdown is judged by the same cached
    :func:`safe_markdown` that rendering uses."""
    off = set(no_images)
    found: list[DroppedFrom] = []

    def markdown(text: str, section: str, item: str, field: str, images: bool = True) -> None:
        found.extend(DroppedFrom(section, item, field, d) for d in safe_markdown(text, images)[1])

    markdown(_get(draft, "intro"), "", "", "intro")
    for section in _get(draft, "sections"):
        section_id = _get(section, "id")
        images = section_id not in off
        markdown(_get(section, "intro"), section_id, "", "intro", images)
        for item in _get(section, "items"):
            where = (section_id, _get(item, "id"))
            url = _get(item, "url")
            verdict = link_verdict("link", url) if url.strip() else ""
            if isinstance(verdict, Dropped):
                found.append(DroppedFrom(*where, "url", verdict))
            markdown(_get(item, "summary"), *where, "summary", images)
            markdown(_get(item, "note"), *where, "note", images)
    return found


def _get(value: Any, name: str) -> Any:
    return value[name] if isinstance(value, Mapping) else getattr(value, name)
