"""The ``smtp`` backend: each message through a mail server, one connection reused.

TLS is verified and never silently dropped: ``starttls`` requires the server to offer
STARTTLS (a server that does not is an error raised before AUTH: CVE-2016-0772 was such
a silent downgrade), ``ssl`` is implicit TLS, ``plain`` is for a relay on the loopback
interface. Certificates and host names are always verified (``smtplib.starttls()``
without a context does not verify).

The transaction is driven step by step rather than with ``sendmail``, because what a
failure means depends on where it happens: before the final dot the server cannot have
the message (a retry is safe); after it, a lost answer leaves the message with the
server or not — the journal calls that ``unknown``. So the message is sent up to the
final dot, ``commit()`` records ``unknown``, and only then is the dot sent.
"""

from __future__ import annotations

import importlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ..errors import ConfigError, SendError
from ..workspace import CONFIG_NAME
from .backend import (
    Accepted,
    BackendContext,
    BackendOptions,
    DeliveryError,
    Envelope,
    SendBackend,
    is_loopback,
    tls_context,
)

_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.\d{1,3}\b")


class SmtpOptions(BackendOptions):
    """``[send.smtp]``: how to reach the mail server. The password is never stored here."""

    host: str = Field("", description="the mail server; a dry run needs none")
    port: int | None = Field(None, ge=1, le=65535, description="default: 587, 465 or 25")
    security: Literal["starttls", "ssl", "plain"] = "starttls"
    username: str = ""
    password_env: str = Field("", description="environment variable holding the password")
    keyring_service: str = Field("", description="system keyring service; default smtp://HOST")
    ca_file: str = Field("", description="PEM file of a private CA to trust (workspace-relative)")
    timeout: float = Field(30.0, gt=0, description="seconds for the connection and each command")

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "never put the password in newsletter.toml: name an environment variable "
                "with password_env, or store it in the system keyring"
            )
        return data

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "plain": 25}[self.security]


def password_for(options: SmtpOptions, config: Path) -> str | None:
    """The AUTH password, from the environment or the system keyring; never logged.
    None there is a ConfigError (``config`` names the file): retrying cannot help."""
    if not options.username:
        return None
    if options.password_env:
        value = os.environ.get(options.password_env)
        if value:
            return value
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        keyring = None
    if keyring is not None:
        service = options.keyring_service or f"smtp://{options.host}"
        try:
            value = keyring.get_password(service, options.username)
        except Exception as error:  # any keyring backend failure
            raise SendError(f"the system keyring could not be read: {error}") from None
        if value:
            return str(value)
    where = f"the environment variable {options.password_env}" if options.password_env else ""
    hint = (
        f"set {where}"
        if where
        else "set send.smtp.password_env, or store it with 'keyring set "
        f"{options.keyring_service or 'smtp://' + options.host} {options.username}'"
    )
    raise ConfigError(
        str(config), [f"send.smtp.username: no SMTP password for {options.username!r}: {hint}"]
    )


class SmtpBackend(SendBackend[SmtpOptions]):
    """One SMTP connection, opened on first use and re-opened after a drop."""

    name = "smtp"
    description = "each recipient through an SMTP server (STARTTLS or TLS, AUTH)"
    Options = SmtpOptions

    def __init__(self, options: SmtpOptions, context: BackendContext) -> None:
        super().__init__(options, context)
        self.password: str | None = None
        """Read when connecting: a dry run needs none."""
        plain = options.security == "plain" and not is_loopback(options.host)
        if plain and not context.allow_plain:
            raise SendError(
                f"send.smtp.security = 'plain' sends in clear text to {options.host}; "
                "use starttls or ssl, or pass --allow-plain"
            )
        self.tls: ssl.SSLContext | None = None
        if options.security != "plain":
            self.tls = tls_context(context, "send.smtp.ca_file", options.ca_file)
        self.smtp: smtplib.SMTP | None = None
        self._midway = False
        """Inside a transaction (after MAIL FROM, before the reply to the final dot)."""

    @property
    def where(self) -> str:
        return f"{self.options.host}:{self.options.effective_port}"

    def open(self) -> None:
        self._connect()

    def _connect(self) -> smtplib.SMTP:
        """Connect, secure and log in. SendError for what retrying cannot fix; a
        sender-wide DeliveryError for a server that cannot be reached or refuses us."""
        if self.smtp is not None:
            return self.smtp
        if not self.options.host:
            raise SendError(
                "send.smtp.host: no mail server to send through; add a [send.smtp] table "
                "with its host (see 'Sending' in the README)"
            )
        if self.password is None:
            self.password = password_for(self.options, self.context.workspace / CONFIG_NAME)
        host, port, timeout = self.options.host, self.options.effective_port, self.options.timeout
        try:
            if self.options.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self.tls)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
        except ssl.SSLError as error:
            raise SendError(f"{self.where}: TLS failed: {error}") from None
        except smtplib.SMTPConnectError as error:
            raise _refusal(error.smtp_code, error.smtp_error, "connecting", True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"{self.where}: cannot connect: {error}", "temporary", sender_wide=True
            ) from None
        try:
            self._secure_and_login(smtp)
        except BaseException:
            _quietly_close(smtp)
            raise
        self.smtp = smtp
        return smtp

    def _secure_and_login(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.ehlo()
            if self.options.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendError(
                        f"{self.where} does not offer STARTTLS; refusing to go on without "
                        "TLS (send.smtp.security = 'starttls')"
                    )
                smtp.starttls(context=self.tls)
                smtp.ehlo()
            if self.options.username:
                assert self.password is not None
                smtp.login(self.options.username, self.password)
        except ssl.SSLError as error:
            raise SendError(f"{self.where}: TLS failed: {error}") from None
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(
                f"{self.where}: authentication as {self.options.username!r} failed: "
                f"{error.smtp_code} {_text(error.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendError(f"{self.where}: {error}") from None
        except smtplib.SMTPResponseException as error:
            raise _refusal(error.smtp_code, error.smtp_error, "logging in", True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"{self.where}: connection lost: {error}", "temporary", sender_wide=True
            ) from None

    def deliver(self, envelope: Envelope, message: bytes, commit: Callable[[], None]) -> Accepted:
        smtp = self._connect()
        address = envelope.recipient.address
        options = []
        if not (envelope.sender.isascii() and address.isascii()):
            if not smtp.has_extn("smtputf8"):
                raise DeliveryError(
                    f"{address} is an internationalized address and {self.where} does not "
                    "offer SMTPUTF8",
                    "permanent",
                )
            options.append("SMTPUTF8")
        if smtp.has_extn("8bitmime") and not message.isascii():
            options.append("BODY=8BITMIME")
        self._midway = True
        try:
            code, reply = smtp.mail(envelope.sender, options)
            if code != 250:
                self._reset()
                raise _refusal(code, reply, "MAIL FROM", sender_wide=True)
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                self._reset()
                raise _refusal(code, reply, "RCPT TO", sender_wide=code == 421)
            code, reply = smtp.docmd("DATA")
            if code != 354:
                self._reset()
                raise _refusal(code, reply, "DATA", sender_wide=code == 421)
            smtp.send(_dot_stuffed(message))
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            raise DeliveryError(
                f"connection lost before the message was complete: {_why(error)}", "temporary"
            ) from None
        finally:
            smtp.command_encoding = "ascii"
        try:
            commit()
        except BaseException:
            self._drop()  # the server discards a message that never got its final dot
            raise
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            raise DeliveryError(
                f"no answer after the message was sent ({_why(error)}): it may have been accepted",
                "unknown",
            ) from None
        self._midway = False
        if code // 100 == 2:
            return "sent"
        if code // 100 not in (4, 5):
            # No reply code (smtplib says -1) or one a reply to the dot cannot have:
            # the server was given the message, and what it did with it is unknown.
            self._drop()
            raise DeliveryError(
                f"an answer that is not SMTP after the message was sent ({code} "
                f"{_text(reply)}): it may have been accepted",
                "unknown",
            )
        raise _refusal(code, reply, "end of data", sender_wide=code == 421)

    def _reset(self) -> None:
        # A refused transaction is reset; a server that hung up is reconnected next time.
        self._midway = False
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._midway:  # stopped mid-transaction (a second Ctrl-C): no QUIT
            self._drop()
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None

    def _drop(self) -> None:
        """Hang up mid-transaction without QUIT, which the server would read as more of
        the message (and a silent server would make us wait out the timeout again)."""
        self._midway = False
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None


def _refusal(code: int, reply: bytes | str, stage: str, sender_wide: bool) -> DeliveryError:
    """A server's refusal: 5xx is permanent, anything else temporary; a 421 means the
    server is closing the connection, which is about every recipient."""
    text = _text(reply)
    permanent = 500 <= code < 600
    return DeliveryError(
        f"{code} {text} ({stage})",
        "permanent" if permanent else "temporary",
        sender_wide=sender_wide or code == 421,
    )


def enhanced_class(reason: str) -> tuple[str, str] | None:
    """The class and subject of an RFC 3463 enhanced status code in a reply, e.g.
    ``('5', '1')`` for ``550 5.1.1 no such user``."""
    match = _ENHANCED.match(reason.partition(" ")[2])
    return (match.group(1), match.group(2)) if match else None


def _dot_stuffed(message: bytes) -> bytes:
    """The DATA payload without its final dot: CRLF line ends, leading dots doubled."""
    data = message
    if data.count(b"\n") != data.count(b"\r\n") or data.count(b"\r") != data.count(b"\r\n"):
        data = _LINE_END.sub(b"\r\n", data)  # messages we build are CRLF already
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _why(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
