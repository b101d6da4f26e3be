"""Load ``newsletter.toml`` into typed models, reporting every mistake at once.

Each ``[[section]]`` table holds the section's own keys (``id``, ``title``,
``provider``, ``intro``, ``preselect``, ``repeats``, ``images``) next to its provider's
options, as mkdocs does for plugins; the provider's ``Options`` model validates the rest.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .model import REPEATS, Repeats
from .providers import ProviderOptions
from .registry import ProviderRegistry
from .theme import Theme
from .window import WEEKDAYS
from .workspace import CONFIG_NAME

M = TypeVar("M", bound=BaseModel)

SECTION_KEYS = frozenset({"id", "title", "provider", "intro", "preselect", "repeats", "images"})
IMAGES = ("remote", "none")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
assert set(WEEKDAYS) == set(Weekday.__args__)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewsletterSettings(_Strict):
    title: str
    timezone: str = "UTC"
    closes_on: Weekday = "sunday"
    language: str = "en"
    url: str = Field("", description="public address of the newsletter's web archive")
    description: str = ""
    editor: str = Field("", description="who approves issues; default: git's user.name")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. 'Europe/Paris')") from None
        return value


class HttpSettings(_Strict):
    timeout: float = Field(20.0, gt=0, description="seconds without data before giving up")
    deadline: float = Field(60.0, gt=0, description="seconds for one whole source")
    max_mb: float = Field(20.0, gt=0, description="largest source body, decoded")
    max_stream_mb: float = Field(
        1024.0, gt=0, description="largest body read as a stream (mail archives), on disk"
    )
    max_redirects: int = Field(5, ge=0)
    # One connection to each of 100 hosts is polite (browsers keep hundreds open, aiohttp
    # allows 100); the politeness that matters is per host.
    connections: int = Field(100, ge=1, description="requests in flight in all")
    connections_per_host: int = Field(6, ge=1, description="requests in flight per host")
    retries: int = Field(2, ge=0, description="retries of a 429/502/503/504 answer")
    retry_wait: float = Field(30.0, ge=0, description="most seconds waited for retries")
    cache: bool = Field(True, description="revalidate with ETag/Last-Modified")
    paths_outside_workspace: bool = Field(
        False, description="allow local sources outside the workspace"
    )
    private_links: bool = Field(
        False,
        description="let 'lint' request the draft's links to private, loopback or "
        "link-local addresses (an intranet wiki); they come from strangers' feeds",
    )


class RenderOptions(_Strict):
    front_matter: Literal["none", "hugo", "jekyll"] = Field(
        "none", description="front matter on the Markdown output: Hugo (TOML) or Jekyll (YAML)"
    )


class ListAddress(_Strict):
    """A list address in ``[send] to`` written as a table, to name its own unsubscribe."""

    address: str = Field(description="'Name <list@example.org>' or 'list@example.org'")
    unsubscribe: list[str] = Field(
        default_factory=list,
        description="the list's own unsubscribe URLs (mailto: or https:), for List-Unsubscribe",
    )

    @field_validator("unsubscribe", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DkimSettings(_Strict):
    """``[send.dkim]``: sign every message (dkimpy). The private key is never stored here."""

    domain: str = Field(description="the d= domain, e.g. example.org")
    selector: str = Field(description="the s= selector: the key is at SELECTOR._domainkey.DOMAIN")
    key_file: str = Field("", description="PEM private key, relative to the workspace")
    key_env: str = Field("", description="environment variable holding the PEM private key")

    @model_validator(mode="after")
    def _one_key(self) -> DkimSettings:
        if bool(self.key_file) == bool(self.key_env):
            raise ValueError("name the private key with exactly one of key_file or key_env")
        return self


class SendSettings(_Strict):
    """``[send]``: who the issue comes from and goes to, its list headers, how it is paced
    and signed, and the backend that delivers it. Each backend's options are its own
    ``[send.<backend>]`` table, validated by the backend (``newsletter.send.backend``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="e.g. 'Community <community@example.org>'")
    to: list[str | ListAddress] = Field(
        default_factory=list, description="list addresses to post to"
    )
    subscribers: str = Field("", description="CSV (email,name) of individual recipients")
    subject: str = "{title} ({window})"
    reply_to: str = ""
    list_id: str = Field("", description="RFC 2919 list identifier, e.g. weekly.example.org")
    archive_url: str = Field("", description="List-Archive; default: [newsletter] url")
    unsubscribe_url: str = Field("", description="https URL; '{email}' is replaced")
    unsubscribe_mailto: str = Field("", description="address that unsubscribes by mail")
    embed: list[str] = Field(
        default_factory=list,
        description="workspace images the templates show, attached by Content-ID "
        "(besides those in templates/)",
    )
    backend: str = Field("smtp", description="how messages leave: smtp, mailman3, or a plugin")
    max_per_second: float = Field(0.0, ge=0, description="most messages a second; 0: no limit")
    retries: int = Field(3, ge=0, description="retries of a temporary failure per recipient")
    retry_delay: float = Field(5.0, ge=0, description="seconds before the first retry; doubles")
    dkim: DkimSettings | None = None
    backends: dict[str, dict[str, Any]] = Field(default_factory=dict, exclude=True)
    """The ``[send.<name>]`` tables other than ``dkim``, for the backends to validate."""

    @model_validator(mode="before")
    @classmethod
    def _backend_tables(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        own = {name for name in cls.model_fields} | {"from"}
        tables = {k: v for k, v in data.items() if isinstance(v, dict) and k not in own}
        rest = {k: v for k, v in data.items() if k not in tables and k != "backends"}
        return {**rest, "backends": tables}


@dataclass
class SectionConfig:
    id: str
    title: str
    provider: str
    options: ProviderOptions
    intro: str = ""
    preselect: int | None = None
    repeats: Repeats | None = None
    """What may come back once an earlier issue featured it (see ``newsletter.model.
    Repeats``); None: the provider's own policy."""
    images: Literal["remote", "none"] = "remote"
    """Whether the section's summaries and notes may show (remote, http(s)) images."""


@dataclass
class Config:
    path: Path
    newsletter: NewsletterSettings
    http: HttpSettings = field(default_factory=HttpSettings)
    sections: list[SectionConfig] = field(default_factory=list)
    theme: Theme = field(default_factory=Theme)
    render: RenderOptions = field(default_factory=RenderOptions)

    send: SendSettings | None = None

    @property
    def workspace(self) -> Path:
        return self.path.parent

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.newsletter.timezone)

    def section(self, section_id: str) -> SectionConfig | None:
        return next((s for s in self.sections if s.id == section_id), None)


def find_config(workspace: Path) -> Path:
    path = workspace / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            str(path), [f"no {CONFIG_NAME} here; run 'newsletter init DIR' to make a workspace"]
        )
    return path


def load_config(path: Path, registry: ProviderRegistry) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), [f"not valid TOML: {error}"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), [f"cannot read: {error}"]) from None
    return parse_config(raw, path, registry)


def parse_config(raw: dict[str, Any], path: Path, registry: ProviderRegistry) -> Config:
    problems: list[str] = []
    known = {"newsletter", "section", "http", "theme", "render", "send"}
    problems += [f"{key}: unknown table or key" for key in raw if key not in known]

    settings = _validate(NewsletterSettings, raw.get("newsletter"), "newsletter", problems)
    http = _validate(HttpSettings, raw.get("http", {}), "http", problems)
    sections = _parse_sections(raw.get("section", []), registry, problems)
    theme = _validate(Theme, raw.get("theme", {}), "theme", problems)
    render = _validate(RenderOptions, raw.get("render", {}), "render", problems)
    send = _validate(SendSettings, raw["send"], "send", problems) if "send" in raw else None
    if problems or settings is None or http is None or theme is None or render is None:
        raise ConfigError(str(path), problems)
    return Config(
        path=path,
        newsletter=settings,
        http=http,
        sections=sections,
        theme=theme,
        render=render,
        send=send,
    )


def _parse_sections(
    tables: Any, registry: ProviderRegistry, problems: list[str]
) -> list[SectionConfig]:
    if not isinstance(tables, list):
        problems.append("section: use [[section]] tables, one per section")
        return []
    sections: list[SectionConfig] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        where = f"section[{index}]"
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        section = _parse_section(table, where, registry, problems)
        if section is None:
            continue
        if section.id in seen:
            problems.append(f"{where}.id: {section.id!r} is used by another section")
        seen.add(section.id)
        sections.append(section)
    return sections


def _parse_section(
    table: dict[str, Any], where: str, registry: ProviderRegistry, problems: list[str]
) -> SectionConfig | None:
    before = len(problems)
    section_id = table.get("id")
    if not isinstance(section_id, str) or not _ID.match(section_id):
        problems.append(f"{where}.id: required, lowercase letters, digits, '-' or '_'")
    else:
        where = f"{where} ({section_id})"
    provider_name = table.get("provider")
    if not isinstance(provider_name, str):
        problems.append(f"{where}.provider: required; installed: {_installed(registry)}")
        return None
    provider = registry.get(provider_name)
    broken = registry.broken.get(provider_name)
    if broken is not None:
        problems.append(f"{where}.provider: {broken.describe()}")
        return None
    if provider is None:
        problems.append(
            f"{where}.provider: unknown provider {provider_name!r}; "
            f"installed: {_installed(registry)}"
        )
        return None
    for key, kind in (("title", str), ("intro", str), ("preselect", int)):
        if key in table and not isinstance(table[key], kind):
            problems.append(f"{where}.{key}: must be {'a string' if kind is str else 'a number'}")
    if "repeats" in table and table["repeats"] not in REPEATS:
        problems.append(f"{where}.repeats: must be one of {', '.join(map(repr, REPEATS))}")
    if "images" in table and table["images"] not in IMAGES:
        problems.append(f"{where}.images: must be one of {', '.join(map(repr, IMAGES))}")
    options_raw = {k: v for k, v in table.items() if k not in SECTION_KEYS}
    options = _validate(provider.Options, options_raw, where, problems)
    if options is None or len(problems) > before:
        return None
    assert isinstance(section_id, str)
    return SectionConfig(
        id=section_id,
        title=table.get("title", section_id.replace("_", " ").title()),
        provider=provider_name,
        options=options,
        intro=table.get("intro", ""),
        preselect=table.get("preselect"),
        repeats=table.get("repeats"),
        images=table.get("images", "remote"),
    )


def _validate(model: type[M], raw: Any, where: str, problems: list[str]) -> M | None:
    if raw is None:
        problems.append(f"{where}: required table is missing")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for detail in error.errors():
            path = ".".join(str(part) for part in (where, *detail["loc"]))
            message = detail["msg"]
            if detail["type"] == "extra_forbidden":
                message = "unknown key"
                fields = sorted(f.alias or name for name, f in model.model_fields.items())
                if fields:
                    message += f" (allowed here: {', '.join(fields)})"
            problems.append(f"{path}: {message}")
        return None


def _installed(registry: ProviderRegistry) -> str:
    return ", ".join(registry.names()) or "none"
