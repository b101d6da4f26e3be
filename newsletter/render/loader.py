"""Where templates come from: the workspace, then each provider's own, then the built-ins.

Like pelican's theme lookup, the first place that has a name wins:

1. the workspace's ``templates/`` — a community's overrides, file by file;
2. each provider's folder of partials (:meth:`SectionProvider.template_folder`),
   answered under the names the issue templates include: ``email/sections/<name>.mjml.j2``
   is the folder's ``email.mjml.j2`` (likewise ``markdown/…md.j2`` and ``text/…txt.j2``),
   and ``sections/<name>/<file>`` any other file of it (macros). A provider answers only
   for its own name, so a plugin cannot replace another's partials or the issue's;
3. the built-in ``newsletter/templates``.

``builtin:<name>`` skips the workspace, so an override can extend the original it
replaces: ``{% extends "builtin:email/issue.mjml.j2" %}`` and one ``{% block %}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path

import jinja2

from ..errors import RenderError

BUILTIN = "builtin"
PARTIALS = {
    "email": "email.mjml.j2",
    "markdown": "markdown.md.j2",
    "text": "text.txt.j2",
}
"""The issue format's folder, and the file a provider's partial for it is named."""


def builtin_folder() -> Path:
    return Path(str(files("newsletter.templates")))


class ProviderTemplates(jinja2.BaseLoader):
    """Each provider's partials, under the names the issue templates include."""

    def __init__(self, folders: Mapping[str, Path]) -> None:
        self.folders = folders  # may load providers lazily: looked up, never listed

    def locate(self, template: str) -> Path | None:
        """The file that would answer ``template``, if a provider's name is in it."""
        parts = template.split("/")
        if len(parts) == 3 and parts[1] == "sections" and parts[0] in PARTIALS:
            name, dot, _ = parts[2].partition(".")
            folder = self.folders.get(name)
            return folder / PARTIALS[parts[0]] if folder and dot else None
        if len(parts) >= 3 and parts[0] == "sections" and ".." not in parts:
            folder = self.folders.get(parts[1])
            return folder.joinpath(*parts[2:]) if folder else None
        return None

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.locate(template)
        if path is None or not path.is_file():
            raise jinja2.TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return _read(path), str(path), lambda: path.stat().st_mtime == mtime


class _WorkspaceTemplates(jinja2.FileSystemLoader):
    """The workspace's ``templates/``: a file that is not UTF-8 is named, not a bug."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as error:
            path = Path(str(self.searchpath[0])) / template
            raise RenderError(
                f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
            ) from None


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise RenderError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None


class TemplateLoader(jinja2.ChoiceLoader):
    """The three places in order, plus ``builtin:`` for the providers' and built-ins."""

    def __init__(self, workspace: Path | None, provider_folders: Mapping[str, Path]) -> None:
        self.workspace_folder = workspace / "templates" if workspace is not None else None
        self.providers = ProviderTemplates(provider_folders)
        self.builtin = jinja2.FileSystemLoader(builtin_folder())
        original = jinja2.ChoiceLoader([self.providers, self.builtin])
        loaders: list[jinja2.BaseLoader] = [jinja2.PrefixLoader({BUILTIN: original}, delimiter=":")]
        if self.workspace_folder is not None and self.workspace_folder.is_dir():
            loaders.append(_WorkspaceTemplates(self.workspace_folder))
        super().__init__([*loaders, self.providers, self.builtin])

    def places(self, template: str) -> list[str]:
        """Every file that was tried for ``template``, in order."""
        name = template.removeprefix(f"{BUILTIN}:")
        tried = []
        if self.workspace_folder is not None and name == template:
            tried.append(str(self.workspace_folder / name))
        provider_file = self.providers.locate(name)
        if provider_file is not None:
            tried.append(str(provider_file))
        tried.append(str(builtin_folder() / name))
        return tried
