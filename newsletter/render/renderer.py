"""Turn a curated Draft into email HTML (Jinja2 → MJML → HTML), Markdown and plain text.

Templates are looked up in the workspace's ``templates/`` first, then each provider's
own, then the built-ins (:mod:`.loader`), so a community restyles one file, or one
block of one, without forking. Each section's partial is chosen by its provider
(``email/sections/<provider>.mjml.j2``…) with ``_generic`` as fallback.
Only included items are rendered. Text from sources reaches every format inert:
titles and authors are text, escaped; summaries and notes are Markdown made safe by
:func:`newsletter.inert.safe_markdown` (raw HTML shown literally, links only
http(s)/mailto, images only remote http(s)), whatever reads the Markdown output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

import jinja2

from ..config import Config
from ..errors import RenderError
from ..inert import inert_draft
from ..model import Draft, Section
from ..registry import ProviderRegistry
from ..sanitize import markdown_escape
from ..theme import Theme
from ..window import describe
from .loader import TemplateLoader
from .markdown import (
    WIDTH,
    FrontMatter,
    LinkRefs,
    front_matter,
    markdown_to_html,
    markdown_to_text,
    tidy,
    wrap,
)

Format = Literal["html", "md", "txt"]
FORMATS: tuple[Format, ...] = ("html", "md", "txt")
ENTRY = {"html": "email/issue.mjml.j2", "md": "markdown/issue.md.j2", "txt": "text/issue.txt.j2"}
RECIPIENT = "{email}"
"""Stands for the recipient's address in ``[send] unsubscribe_url``."""
PREHEADER = 140  # characters; inbox previews show fewer, and it is cut at a word


@dataclass
class RenderSettings:
    """What the templates know beyond the draft."""

    timezone: str = "UTC"
    language: str = "en"
    archive_url: str = ""
    theme: Theme = field(default_factory=Theme)
    front_matter: FrontMatter = "none"
    no_images: frozenset[str] = frozenset()
    """Sections (by id) whose summaries and notes show no images (``images = "none"``)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Settings other parts add (e.g. ``unsubscribe_url``); templates read them with .get."""

    def issue_url(self, issue: str) -> str:
        """Where the web archive keeps ``issue`` (see newsletter.archive); '' without one."""
        if not self.archive_url:
            return ""
        return urljoin(self.archive_url.rstrip("/") + "/", f"{issue}/")


class Renderer:
    def __init__(
        self,
        workspace: Path | None = None,
        settings: RenderSettings | None = None,
        template_folders: Mapping[str, Path] | None = None,
    ) -> None:
        """``template_folders``: each provider's partials, by provider name."""
        self.workspace = workspace
        self.settings = settings or RenderSettings()
        self.loader = TemplateLoader(workspace, template_folders or {})
        self.env = jinja2.Environment(
            loader=self.loader,
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
        (no preheader, no "view in browser" or unsubscribe links).

        What is rendered is the draft made inert (:func:`newsletter.inert.inert_draft`):
        however its text got into the file, no link but http(s)/mailto, no image from
        content but remote http(s) ones, no raw HTML, no control character."""
        draft = inert_draft(draft, self.settings.no_images)
        try:
            return self._render(draft, fmt, web)
        except RenderError as error:
            culprit = self._culprit(draft, fmt, web)
            if not culprit:
                raise
            raise RenderError(f"{culprit}: {error}") from None

    def _culprit(self, draft: Draft, fmt: Format, web: bool) -> str:
        """The section, and the item in it, whose rendering alone fails: the issue is
        rendered again with one section, then one item, kept (only after a failure)."""

        def fails(sections: list[Section]) -> bool:
            try:
                self._render(draft.model_copy(update={"sections": sections}), fmt, web)
            except RenderError:
                return True
            return False

        for section in draft.sections:
            if not fails([section]):
                continue
            items = section.included
            failing = [i for i in items if fails([section.model_copy(update={"items": [i]})])]
            # Every item failing alone is the partial's fault, not the first item's.
            if failing and (len(failing) < len(items) or len(items) == 1):
                named = ", ".join(f"{i.id!r} ({i.title[:60]!r})" for i in failing[:3])
                more = f" and {len(failing) - 3} more" if len(failing) > 3 else ""
                return f"section {section.id!r}, item {named}{more}"
            return f"section {section.id!r}"
        return ""

    def _render(self, draft: Draft, fmt: Format, web: bool) -> str:
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
        template = self._template(ENTRY[fmt])
        with self._errors():
            text = template.render(context)
        if fmt == "html":
            return mjml_to_html(text)
        if fmt == "md" and self.settings.front_matter != "none" and not web:
            return front_matter(self.settings.front_matter, self._fields(draft, sections)) + tidy(
                text
            )
        return tidy(text)

    def preheader(self, draft: Draft) -> str:
        """The issue's one-line summary: the start of its intro (or its section titles)."""
        draft = inert_draft(draft, self.settings.no_images)
        return _preheader(draft, [s for s in draft.sections if s.included or s.intro.strip()])

    def render_template(self, name: str, **context: Any) -> str:
        """Any other template (e.g. the archive's index) with the settings and theme."""
        context.update(settings=self.settings, theme=self.settings.theme)
        template = self._template(name)
        with self._errors():
            return template.render(context)

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
        with self._errors():
            return self.env.get_template(name)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Template errors as a RenderError naming the template, its line, and for a
        missing one every place it was looked for."""
        try:
            yield
        except jinja2.TemplateNotFound as error:
            wanted = [str(t) for t in getattr(error, "templates", None) or [error.name]]
            places = [place for name in wanted for place in self.loader.places(name)]
            raise RenderError(
                f"template {' or '.join(wanted)} not found; looked for: " + "; ".join(places)
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(
                f"{error.filename or error.name}:{error.lineno}: {error.message}"
            ) from None
        except jinja2.TemplateError as error:
            raise RenderError(f"{_template_line(error)}{error.message or error}") from None
        except RenderError:
            raise
        except Exception as error:
            where = _template_line(error)
            if not where:  # not the template's doing: a bug of ours, shown as one
                raise
            raise RenderError(f"{where}{type(error).__name__}: {error}") from None


def _template_line(error: Exception) -> str:
    """``file:line: `` of the template frame where ``error`` was raised, if any."""
    where = ""
    frame = error.__traceback__
    while frame is not None:
        filename = frame.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            where = f"{filename}:{frame.tb_lineno}: "
        frame = frame.tb_next
    return where


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz) if moment.tzinfo else moment


def _preheader(draft: Draft, sections: list[Section]) -> str:
    source = draft.intro or " · ".join(s.title for s in sections)
    text = " ".join(markdown_to_text(source, LinkRefs(), 0, links=False).split())
    if len(text) <= PREHEADER:
        return text
    return text[: PREHEADER - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


_INLINE_STYLE = re.compile(
    r"<mj-style\s+inline\s*=\s*[\"']inline[\"']\s*>(.*?)</mj-style\s*>", re.DOTALL
)


def mjml_to_html(source: str) -> str:
    """Compile MJML, honouring ``<mj-style inline="inline">`` as MJML does: its CSS goes
    into each element's ``style`` attribute (css-inline), not into ``<style>``.

    mjml-python emits such a block as an ordinary ``<style>``; the Gmail app with a
    non-Google account strips ``<style>`` and classes, so colours and alignment must
    be inline. The other ``<mj-style>`` blocks (dark mode, hover: what cannot be
    inlined) and MJML's own responsive styles stay in ``<style>``, and only the inline
    block's rules are inlined: MJML's reset rules on every table would double the size.
    """
    from mjml import mjml2html  # the Rust core loads only when HTML is wanted

    inline_css = "\n".join(match.group(1) for match in _INLINE_STYLE.finditer(source))
    source = _INLINE_STYLE.sub("", source)
    try:
        html = str(mjml2html(source, disable_comments=True, fonts={}))
    except Exception as error:
        raise RenderError(f"MJML could not be compiled: {error}") from None
    if not inline_css.strip():
        return html
    from css_inline import CSSInliner

    inliner = CSSInliner(
        inline_style_tags=False,
        keep_style_tags=True,
        load_remote_stylesheets=False,
        extra_css=inline_css,
    )
    try:
        return str(inliner.inline(html))
    except ValueError as error:  # css-inline's error for CSS it cannot parse
        raise RenderError(f"the email's inline CSS could not be applied: {error}") from None


def renderer_for(
    workspace: Path, config: Config | None, registry: ProviderRegistry | None = None
) -> Renderer:
    """The renderer for a workspace, with the installed providers' partials; without a
    config the defaults apply."""
    folders = (registry or ProviderRegistry.from_entry_points()).template_folders()
    if config is None:
        return Renderer(workspace, template_folders=folders)
    settings = RenderSettings(
        timezone=config.newsletter.timezone,
        language=config.newsletter.language,
        archive_url=config.newsletter.url,
        theme=config.theme,
        front_matter=config.render.front_matter,
        no_images=frozenset(s.id for s in config.sections if s.images == "none"),
        extra=_extra(config),
    )
    return Renderer(workspace, settings, folders)


def _extra(config: Config) -> dict[str, Any]:
    if config.send is None or not config.send.unsubscribe_url:
        return {}
    return {"unsubscribe_url": config.send.unsubscribe_url}
