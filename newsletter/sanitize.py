"""Untrusted HTML from sources becomes safe, short Markdown for the draft.

One allow-list (nh3, the Rust ammonia sanitizer) for every source: no scripts, event
handlers, styles, iframes or ``javascript:`` URLs survive. The result is cut at a word
count on a word boundary, closing any open tags, then turned into Markdown.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin, urlsplit

import nh3

from .urls import safe_url

if TYPE_CHECKING:
    from .model import Draft

ALLOWED_TAGS = frozenset(
    {"a", "p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li",
     "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_FIELD = 200_000
"""Characters of one field kept before any parsing or regex."""

# C0/C1 control characters other than tab and newline: never meaningful in a feed's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# ...except that C1 "controls" in real feeds are windows-1252 text read as Latin-1: the
# smart quotes and dashes of "don\x92t" (U+0092). Read them as windows-1252 does, like
# browsers and feedparser; the five codes windows-1252 leaves undefined are dropped.
_C1_AS_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)
}
_SPACE = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def clean_html(fragment: str, base_url: str = "") -> str:
    """Sanitize ``fragment`` with the project's one allow-list.

    With ``base_url``, relative links are made absolute against it; one that still has
    no allowed scheme afterwards (e.g. a ``file:`` base) loses its href."""
    cleaned = _cleaner().clean(fragment[:MAX_FIELD])
    if not base_url:
        return cleaned
    return _A_TAG.sub(lambda tag: _HREF.sub(lambda m: _resolved(m, base_url), tag[0]), cleaned)


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# An href as nh3 writes it: double-quoted, with &amp; &quot; &nbsp; for & " and U+00A0.
# Links are resolved after sanitizing, not in a callback of nh3's, so a long post pays
# only for the links of the summary it is cut to.
_HREF = re.compile(r' href="([^"]*)"')
_A_TAG = re.compile(r'<a\s(?:[^>"]|"[^"]*")*>')


def _resolved(match: re.Match[str], base_url: str) -> str:
    """The href joined to ``base_url``, gone if the result has no allowed scheme."""
    absolute = urljoin(base_url, html.unescape(match.group(1)).strip())
    if urlsplit(absolute).scheme not in URL_SCHEMES:
        return ""
    escaped = absolute.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")
    return f' href="{escaped}"'


def plain_text(value: str) -> str:
    """Text of a field that must hold no markup (a title, an author)."""
    text = value[:MAX_FIELD]
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    else:  # nh3 and unescaping would give it back as is, but for HTML's CR → LF
        text = text.replace("\r", "\n")
    text = text.translate(_C1_AS_CP1252)
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


# nh3 writes well-formed HTML: tags (attribute values quoted with "), the entity refs
# &amp; &lt; &gt; &nbsp;, and text holding neither "<" nor "&".
_TOKEN = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)(?:[^>"]|"[^"]*")*>|&#?\w+;')
_WORD_SPLIT = re.compile(r"(\s+)")
_VERBATIM = frozenset({"code", "pre"})  # text inside is not escaped in Markdown
# While converting, a "<" of the text outside code is marked with two noncharacters
# (never in exchanged text); one already in the text is written with two others.
_MARK, _LT, _KEPT_MARK = "\ufdd0", "\ufdd0\ufdd2", "\ufdd0\ufdd1"


def truncate_html(fragment: str, words: int | None, base_url: str = "") -> str:
    """Sanitized HTML (nh3's) cut after ``words`` words, closing what is open, with
    each ``&lt;`` outside code marked :data:`_LT` for :func:`html_to_markdown` and
    links resolved against ``base_url`` (see :func:`clean_html`).

    A word is a run of non-space characters in one piece of text, an entity counting as
    one; the rest of the document is not even read once the limit is reached."""
    out: list[str] = []
    opened: list[str] = []
    count = verbatim = position = 0
    for match in _TOKEN.finditer(fragment):
        text = fragment[position : match.start()]
        position = match.end()
        if text and (count := _count_words(text, out, count, words)) < 0:
            break
        token = match.group()
        name = match.group(2)
        if name is None:  # an entity
            if words is not None and count >= words:
                out.append(" …")
                break
            count += 1
            out.append(_LT if token == "&lt;" and not verbatim else token)
        elif not match.group(1):  # a start tag
            if base_url and name == "a":
                token = _HREF.sub(lambda m: _resolved(m, base_url), token)
            out.append(token)
            if name != "br":
                opened.append(name)
                verbatim += name in _VERBATIM
        elif name in opened:
            while opened:
                closing = opened.pop()
                verbatim -= closing in _VERBATIM
                out.append(f"</{closing}>")
                if closing == name:
                    break
    else:
        text = fragment[position:]
        if text:
            _count_words(text, out, count, words)
    return "".join(out) + "".join(f"</{tag}>" for tag in reversed(opened))


def _count_words(text: str, out: list[str], count: int, limit: int | None) -> int:
    """Append ``text`` to ``out`` up to the word ``limit``; the words counted so far,
    or -1 when the limit cut the text (" …" appended)."""
    if limit is None:
        out.append(text)
        return count
    for token in _WORD_SPLIT.split(text):
        if token and not token.isspace():
            if count >= limit:
                out.append(" …")
                return -1
            count += 1
        out.append(token)
    return count


@functools.cache
def _markdownify() -> Callable[..., str]:
    # Imported on first use: only gathering converts HTML.
    from markdownify_rs import markdownify

    return functools.partial(
        markdownify, heading_style="ATX", bullets="-", strip=["img"], escape_misc=False
    )


def html_to_markdown(fragment: str, words: int | None = None, base_url: str = "") -> str:
    """Sanitize, cut to ``words`` (if given) and convert ``fragment`` to Markdown.

    Relative links are resolved against ``base_url`` when one is given. A ``<`` of the
    text (``&lt;mj-include …&gt;`` in a feed) is escaped, ``\\<``, so a Markdown
    reader keeps it text rather than raw HTML; inside code it stays as it is.

    markdownify-rs gives markdownify's output (bench/bench_parse.py compares them on
    a corpus) 30–50× faster; the escaping of ``<`` it lacks is done around it."""
    text = _CONTROL.sub("", fragment.translate(_C1_AS_CP1252))
    cleaned = clean_html(text).replace(_MARK, _KEPT_MARK)
    markdown = _markdownify()(truncate_html(cleaned, words, base_url))
    markdown = markdown.replace(_LT, "\\<").replace(_KEPT_MARK, _MARK)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown)
    return "\n".join(line.rstrip() for line in markdown.strip().splitlines())


def markdown_escape(text: str) -> str:
    """Escape a plain-text value (a title, an author) for use inside Markdown; ``{%``
    is broken up too, so Jekyll's Liquid reads no tag in it."""
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))
    return escaped.replace("\\{%", "\\{\\%")


# ---------------------------------------------------------------- text from anywhere

_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, line feed and CR; DEL; C1
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ud800-\udfff\ufffe\uffff]"  # lone surrogates, non-characters
)


def clean_text(value: str) -> str:
    """``value`` without what no format can carry or should show: C0 and C1 control
    characters (but tab and line breaks, which become ``\\n``, as do U+2028 and
    U+2029), bidi overrides and isolates (text that reads differently from what it
    is), lone surrogates.

    MJML refuses a document with an ESC or NUL in it, and a lone surrogate cannot be
    written as UTF-8: one such character in a feed would stop the whole issue."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in value or "\u2029" in value:  # line and paragraph separators
        value = value.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _UNWANTED.sub("", value)


def clean_data(value: Any, clean: Callable[[str], str] = clean_text) -> Any:
    """``value`` (a provider's ``details``: dicts, lists, strings, numbers…) with every
    string, keys too, passed through ``clean``."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_data(key, clean): clean_data(inner, clean) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_data(inner, clean) for inner in value)
    return value


# ---------------------------------------------------------------- Markdown made safe

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
    """What :func:`inert_draft` dropped, and where: the section and item (empty for the
    issue's intro, and the item for a section's intro) and the field."""

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


def inert_draft(draft: Draft, no_images: Iterable[str] = ()) -> tuple[Draft, list[DroppedFrom]]:
    """A copy of ``draft`` that every renderer can show as it is, and what was dropped.

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
    return safe, dropped_urls(draft, off)


def dropped_urls(draft: Draft | Mapping[str, Any], no_images: Iterable[str] = ()) -> list[DroppedFrom]:
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
