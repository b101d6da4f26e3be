"""Markdown for every format: to HTML for the email, to wrapped plain text with numbered
link references, and the front matter static-site generators read.

Raw HTML inside Markdown is escaped, never passed through: summaries come from sources.
"""

from __future__ import annotations

import functools
import json
import re
import textwrap
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

WIDTH = 72
FrontMatter = Literal["none", "hugo", "jekyll"]
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class LinkRefs:
    """Numbered link references for plain text: ``[1]`` in the text, URLs at the end."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> str:
        if not url:  # an item without a link (or whose link was left out)
            return ""
        if url not in self.urls:
            self.urls.append(url)
        return f"[{self.urls.index(url) + 1}]"


def front_matter(style: FrontMatter, fields: dict[str, str]) -> str:
    """Hugo's TOML (``+++``) or Jekyll's YAML (``---``) front matter of string ``fields``.

    A JSON string is also a valid TOML basic string and YAML double-quoted scalar, so
    any title is quoted safely, and the same draft always gives the same bytes.
    """
    fence, sep = ("+++", " = ") if style == "hugo" else ("---", ": ")
    lines = [f"{key}{sep}{json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join([fence, *lines, fence]) + "\n\n"


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[Token, ...]:
    """``text`` parsed once, whichever formats it is rendered in (HTML and plain text
    both start from the tokens); the tokens are only read, never changed."""
    return tuple(_markdown.parse(text))


def markdown_to_html(text: str) -> str:
    """CommonMark to HTML; raw HTML in the text is escaped, not passed through."""
    html = _markdown.renderer.render(list(_tokens(text or "")), _markdown.options, {})
    return str(html).strip()


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
    for token in _tokens(text or ""):
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
