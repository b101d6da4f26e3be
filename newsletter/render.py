"""Turn a curated Draft into email HTML (Jinja2 → MJML → HTML), Markdown and plain text.

Templates are looked up in the workspace's ``templates/`` first, then the built-ins,
so a community restyles one file without forking. Each section's partial is chosen by
its provider (``sections/<provider>.*.j2``) with ``sections/_generic.*.j2`` as fallback.
Only included items are rendered. Text from sources reaches every format escaped:
titles and authors are text; summaries and notes are Markdown whose raw HTML is shown
literally, never interpreted.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

import jinja2
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .errors import RenderError
from .model import Draft, Section
from .theme import Theme
from .window import describe

Format = Literal["html", "md", "txt"]
FORMATS: tuple[Format, ...] = ("html", "md", "txt")
ENTRY = {"html": "email/issue.mjml.j2", "md": "markdown/issue.md.j2", "txt": "text/issue.txt.j2"}
WIDTH = 72
RECIPIENT = "{email}"
"""Stands for the recipient's address in ``[send] unsubscribe_url``."""
PREHEADER = 140  # characters; inbox previews show fewer, and it is cut at a word
FrontMatter = Literal["none", "hugo", "jekyll"]

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


@dataclass
class RenderSettings:
    """What the templates know beyond the draft."""

    timezone: str = "UTC"
    language: str = "en"
    archive_url: str = ""
    theme: Theme = field(default_factory=Theme)
    front_matter: FrontMatter = "none"
    extra: dict[str, Any] = field(default_factory=dict)
    """Settings other parts add (e.g. ``unsubscribe_url``); templates read them with .get."""

    def issue_url(self, issue: str) -> str:
        """Where the web archive keeps ``issue`` (see newsletter.archive); '' without one."""
        if not self.archive_url:
            return ""
        return urljoin(self.archive_url.rstrip("/") + "/", f"{issue}/")


class LinkRefs:
    """Numbered link references for plain text: ``[1]`` in the text, URLs at the end."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> str:
        if url not in self.urls:
            self.urls.append(url)
        return f"[{self.urls.index(url) + 1}]"


def _loader(workspace: Path | None) -> jinja2.BaseLoader:
    loaders: list[jinja2.BaseLoader] = []
    if workspace is not None and (workspace / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(workspace / "templates"))
    loaders.append(jinja2.FileSystemLoader(str(files("newsletter.templates"))))
    return jinja2.ChoiceLoader(loaders)


def search_path(workspace: Path | None) -> list[str]:
    places = []
    if workspace is not None:
        places.append(str(workspace / "templates"))
    places.append("built-in newsletter/templates")
    return places


class Renderer:
    def __init__(self, workspace: Path | None = None, settings: RenderSettings | None = None):
        self.workspace = workspace
        self.settings = settings or RenderSettings()
        self.env = jinja2.Environment(
            loader=_loader(workspace),
            autoescape=jinja2.select_autoescape(enabled_extensions=("mjml.j2", "html.j2")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        tz = ZoneInfo(self.settings.timezone)
        self.env.filters.update(
            md_html=markdown_to_html,
            md_escape=markdown_escape,
            wrap=wrap,
            day=lambda moment: _local(moment, tz).strftime("%b %-d"),
            local=lambda moment, fmt="%Y-%m-%d %H:%M": _local(moment, tz).strftime(fmt),
        )
        self.env.globals.update(describe=describe, WIDTH=WIDTH)

    def unsubscribe_url(self, recipient: str | None = None) -> str:
        """The unsubscribe link: ``{email}`` in the configured URL becomes ``recipient``
        (URL-quoted); with no recipient (a rendering not addressed to one person) it is
        left out, so the link leads to the page that asks for the address."""
        template = str(self.settings.extra.get("unsubscribe_url") or "")
        return template.replace(RECIPIENT, quote(recipient or ""))

    def render(self, draft: Draft, fmt: Format, *, web: bool = False) -> str:
        """``draft`` in ``fmt``; ``web`` renders the archive's page rather than the email
        (no preheader, no "view in browser" or unsubscribe links)."""
        sections = [s for s in draft.sections if s.included or s.intro.strip()]
        refs = LinkRefs()
        context = {
            "draft": draft,
            "sections": sections,
            "dates": describe(draft.window),
            "settings": self.settings,
            "theme": self.settings.theme,
            "web": web,
            "issue_url": self.settings.issue_url(draft.issue),
            "unsubscribe_url": self.unsubscribe_url(),
            "ref": refs,
            "refs": refs.urls,
            "md_text": lambda text, indent=0: markdown_to_text(text, refs, indent),
            "preheader": _preheader(draft, sections),
        }
        text = self._template(ENTRY[fmt]).render(context)
        if fmt == "html":
            return mjml_to_html(text)
        if fmt == "md" and self.settings.front_matter != "none":
            return front_matter(self.settings.front_matter, self._fields(draft, sections)) + tidy(
                text
            )
        return tidy(text)

    def preheader(self, draft: Draft) -> str:
        """The issue's one-line summary: the start of its intro (or its section titles)."""
        return _preheader(draft, [s for s in draft.sections if s.included or s.intro.strip()])

    def render_template(self, name: str, **context: Any) -> str:
        """Any other template (e.g. the archive's index) with the settings and theme."""
        context.update(settings=self.settings, theme=self.settings.theme)
        return self._template(name).render(context)

    def _fields(self, draft: Draft, sections: list[Section]) -> dict[str, str]:
        last_day = _local(draft.window.end - timedelta(microseconds=1), self.tz)
        fields = {
            "title": f"{draft.title} — {describe(draft.window)}",
            "date": last_day.date().isoformat(),
            "issue": draft.issue,
            "description": _preheader(draft, sections),
        }
        if url := self.settings.issue_url(draft.issue):
            fields["url"] = url
        return fields

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    def render_all(self, draft: Draft, formats: Iterable[Format] = FORMATS) -> dict[str, str]:
        return {fmt: self.render(draft, fmt) for fmt in formats}

    def _template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateNotFound as error:
            wanted = getattr(error, "templates", None) or [error.name]
            raise RenderError(
                f"template {', '.join(str(t) for t in wanted)} not found; looked in: "
                + "; ".join(search_path(self.workspace))
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(
                f"{error.filename or error.name}:{error.lineno}: {error.message}"
            ) from None


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz) if moment.tzinfo else moment


def _preheader(draft: Draft, sections: list[Section]) -> str:
    source = draft.intro or " · ".join(s.title for s in sections)
    text = " ".join(markdown_to_text(source, LinkRefs(), 0, links=False).split())
    if len(text) <= PREHEADER:
        return text
    return text[: PREHEADER - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def front_matter(style: FrontMatter, fields: dict[str, str]) -> str:
    """Hugo's TOML (``+++``) or Jekyll's YAML (``---``) front matter of string ``fields``.

    A JSON string is also a valid TOML basic string and YAML double-quoted scalar, so
    any title is quoted safely, and the same draft always gives the same bytes.
    """
    fence, sep = ("+++", " = ") if style == "hugo" else ("---", ": ")
    lines = [f"{key}{sep}{json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join([fence, *lines, fence]) + "\n\n"


def mjml_to_html(source: str) -> str:
    from mjml import mjml2html  # the Rust core loads only when HTML is wanted

    try:
        return str(mjml2html(source, disable_comments=True, fonts={}))
    except Exception as error:
        raise RenderError(f"MJML could not be compiled: {error}") from None


def markdown_to_html(text: str) -> str:
    """CommonMark to HTML; raw HTML in the text is escaped, not passed through."""
    return str(_markdown.render(text or "")).strip()


def markdown_escape(text: str) -> str:
    """Escape a plain-text value (a title, an author) for use inside Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def wrap(text: str, indent: int = 0, first: str | None = None, width: int = WIDTH) -> str:
    """Wrap each paragraph of ``text`` at ``width`` columns, never breaking a URL."""
    pad = " " * indent
    paragraphs = []
    for number, paragraph in enumerate((text or "").split("\n\n")):
        initial = first if (first is not None and number == 0) else pad
        lines = textwrap.wrap(
            " ".join(paragraph.split()) if not paragraph.startswith(("  ", "> ")) else paragraph,
            width=width,
            initial_indent=initial,
            subsequent_indent=pad,
            break_long_words=False,
            break_on_hyphens=False,
        )
        paragraphs.append("\n".join(lines) if lines else "")
    return "\n\n".join(p for p in paragraphs if p)


def markdown_to_text(text: str, refs: LinkRefs, indent: int = 0, links: bool = True) -> str:
    """Markdown to wrapped plain text; links become ``text [n]`` with ``n`` in ``refs``."""
    blocks: list[tuple[bool, str]] = []  # (inside a tight list, text)
    prefix: list[str] = []
    tight = False
    for token in _markdown.parse(text or ""):
        if token.type in {"bullet_list_open", "ordered_list_open"}:
            prefix.append("- " if token.type == "bullet_list_open" else "1. ")
        elif token.type in {"bullet_list_close", "ordered_list_close"}:
            prefix.pop()
        elif token.type == "blockquote_open":
            prefix.append("> ")
        elif token.type == "blockquote_close":
            prefix.pop()
        elif token.type == "paragraph_open":
            tight = token.hidden
        elif token.type == "inline":
            line = _inline_text(token, refs, links)
            marker = prefix[-1] if prefix else ""
            lead = " " * indent + ("  " * (len(prefix) - 1) if prefix else "")
            if line:
                blocks.append(
                    (tight, wrap(line, indent=len(lead) + len(marker), first=lead + marker))
                )
        elif token.type in {"fence", "code_block"}:
            code = token.content.rstrip("\n")
            blocks.append(
                (False, "\n".join(" " * (indent + 4) + line for line in code.splitlines()))
            )
    out = ""
    for index, (in_list, block) in enumerate(blocks):
        if index:
            out += "\n" if in_list and blocks[index - 1][0] else "\n\n"
        out += block
    return out


def _inline_text(token: Token, refs: LinkRefs, links: bool) -> str:
    parts: list[str] = []
    href = ""
    for child in token.children or []:
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close":
            if links and href and href.startswith(("http://", "https://", "mailto:")):
                parts.append(" " + refs(href))
            href = ""
        elif child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
    return "".join(parts)


def tidy(text: str) -> str:
    """Stable output: no trailing spaces, at most one blank line, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return joined.strip("\n") + "\n"
