"""Send backends: how an issue's messages leave, as plugins.

A backend is a class registered under the entry-point group ``newsletter.send_backends``;
the built-in ``smtp`` (each recipient through a mail server) and ``mailman3`` (one post
to a Mailman 3 list, which mails its members) are registered in this package's
pyproject exactly like a third-party one::

    [project.entry-points."newsletter.send_backends"]
    ses = "my_package:SesBackend"

``[send] backend = "ses"`` chooses it, and its ``[send.ses]`` table is validated by its
``Options`` model (unknown keys are errors). The :class:`Sender` does everything else
for every backend: building and signing the messages, the journal and the records,
retries, pacing, stopping. A backend only delivers one message at a time and must:

* call ``commit()`` immediately before the point of no return (SMTP: the final dot; an
  HTTP API: sending the request) and never after it; if ``commit`` raises, abandon the
  message without completing it;
* return ``"sent"`` once the server has accepted the message, or ``"held"`` when it
  waits for a moderator;
* otherwise raise :class:`DeliveryError`: ``temporary`` or ``permanent`` before the
  point of no return, ``unknown`` after it (no answer was read), with
  ``sender_wide=True`` when the refusal is about the sender, not this recipient (a
  quota, a policy, the server going away), which stops the round and leaves everyone
  not yet tried pending.
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..config import SendSettings
from ..errors import ConfigError
from ..registry import BrokenPlugin
from ..workspace import CONFIG_NAME
from .journal import Recipient

SEND_BACKEND_GROUP = "newsletter.send_backends"
Failure = Literal["temporary", "permanent", "unknown"]
Accepted = Literal["sent", "held"]


class DeliveryError(Exception):
    """One message was not (or may not have been) accepted; ``reason`` says why."""

    def __init__(self, reason: str, kind: Failure, sender_wide: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: Failure = kind
        self.sender_wide = sender_wide

    @property
    def permanent(self) -> bool:
        return self.kind == "permanent"


class BackendOptions(BaseModel):
    """Base of a backend's ``[send.<name>]`` options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Envelope:
    sender: str
    """The envelope sender: the address of ``[send] from``."""
    recipient: Recipient
    message_id: str


@dataclass(frozen=True)
class BackendContext:
    workspace: Path
    settings: SendSettings
    allow_plain: bool = False
    """``--allow-plain``: the user accepts a clear-text connection to a remote server."""


OptionsT = TypeVar("OptionsT", bound=BackendOptions)


class SendBackend(ABC, Generic[OptionsT]):
    """The contract of a send backend (see the module's docstring)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Options: ClassVar[type[BackendOptions]]

    def __init__(self, options: OptionsT, context: BackendContext) -> None:
        self.options = options
        self.context = context

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the messages go, for the confirmation question (``host:port``, a URL)."""

    def recipients(self, configured: list[Recipient]) -> list[Recipient]:
        """Who gets a message, given ``[send] to`` and the subscribers; a list backend
        answers with its list."""
        return configured

    def open(self) -> None:
        """Connect and log in before the first message (errors here stop the round)."""

    @abstractmethod
    def deliver(self, envelope: Envelope, message: bytes, commit: Callable[[], None]) -> Accepted:
        """Deliver one message, following the rules in the module's docstring."""

    def still_held(self, envelope: Envelope) -> bool:
        """Whether a post reported ``held`` still waits for a moderator."""
        return True

    def close(self) -> None:
        """Let go of connections; called once the run ends, however it ends."""


Backend = type[SendBackend[Any]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine, where clear text never leaves it."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context(context: BackendContext, option: str, ca_file: str) -> ssl.SSLContext:
    """A verifying TLS context: trusting the PEM file ``ca_file`` (workspace-relative) when
    given, else the system's CAs; a file that cannot be used is an error naming ``option``."""
    cafile = str(context.workspace / ca_file) if ca_file else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(
            str(context.workspace / CONFIG_NAME),
            [f"{option}: {ca_file!r} cannot be used: {error}"],
        ) from None


def installed_backends() -> tuple[dict[str, Backend], dict[str, BrokenPlugin]]:
    """Every backend registered under the entry-point group, and those that fail to load."""
    found: dict[str, Backend] = {}
    broken: dict[str, BrokenPlugin] = {}
    for entry in importlib.metadata.entry_points(group=SEND_BACKEND_GROUP):
        try:
            backend = entry.load()
            if not (isinstance(backend, type) and issubclass(backend, SendBackend)):
                raise TypeError(f"{entry.value} is not a SendBackend subclass")
        except Exception as error:  # a broken plugin must not break the tool
            dist = entry.dist.name if entry.dist else "an unknown distribution"
            reason = f"{type(error).__name__}: {error}" if str(error) else repr(error)
            broken[entry.name] = BrokenPlugin(entry.name, dist, reason, kind="send backend")
            continue
        found[entry.name] = backend
    return found, broken


def make_backend(
    settings: SendSettings, config_path: Path, workspace: Path, allow_plain: bool = False
) -> SendBackend[Any]:
    """The configured backend with its validated ``[send.<name>]`` options."""
    name = settings.backend
    found, broken = installed_backends()
    if name in broken:
        raise ConfigError(str(config_path), [f"send.backend: {broken[name].describe()}"])
    installed = ", ".join(sorted(found))
    unknown = [
        f"{'send.backend' if table == name else f'send.{table}'}: no send backend named "
        f"{table!r}; installed: {installed}"
        for table in sorted({name, *settings.backends})
        if table not in found and table not in broken
    ]
    if unknown:
        raise ConfigError(str(config_path), unknown)
    backend = found[name]
    try:
        options = backend.Options.model_validate(settings.backends.get(name, {}))
    except ValidationError as error:
        raise ConfigError(
            str(config_path),
            [
                f"send.{name}.{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                if problem["loc"]
                else f"send.{name}: {problem['msg']}"
                for problem in error.errors()
            ],
        ) from None
    return backend(options, BackendContext(workspace, settings, allow_plain))
