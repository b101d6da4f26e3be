"""SMTP delivery with TLS that is verified and never silently dropped.

``starttls`` requires the server to offer STARTTLS (a server that does not is an error
raised before AUTH: CVE-2016-0772 was such a silent downgrade), ``ssl`` is implicit
TLS, ``plain`` is for a relay on the loopback interface. Certificates and host names
are always verified (``smtplib.starttls()`` without a context does not verify).
"""

from __future__ import annotations

import importlib
import ipaddress
import os
import smtplib
import ssl
from pathlib import Path

from ..config import SmtpSettings
from ..errors import SendError


class DeliveryError(Exception):
    """One message was not accepted. ``permanent`` for a 5xx; otherwise worth retrying."""

    def __init__(self, reason: str, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def password_for(settings: SmtpSettings) -> str | None:
    """The AUTH password, from the environment or the system keyring; never logged."""
    if not settings.username:
        return None
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if value:
            return value
    try:
        keyring = importlib.import_module("keyring")
    except ImportError:
        keyring = None
    if keyring is not None:
        service = settings.keyring_service or f"smtp://{settings.host}"
        try:
            value = keyring.get_password(service, settings.username)
        except Exception as error:  # any keyring backend failure
            raise SendError(f"the system keyring could not be read: {error}") from None
        if value:
            return str(value)
    where = f"the environment variable {settings.password_env}" if settings.password_env else ""
    hint = (
        f"set {where}"
        if where
        else "set send.smtp.password_env, or store it with 'keyring set "
        f"{settings.keyring_service or 'smtp://' + settings.host} {settings.username}'"
    )
    raise SendError(f"no SMTP password for {settings.username!r}: {hint}")


class Transport:
    """One SMTP connection, opened on first use and re-opened after a drop."""

    def __init__(self, settings: SmtpSettings, workspace: Path, allow_plain: bool = False) -> None:
        self.settings = settings
        self.password = password_for(settings)
        if settings.security == "plain" and not is_loopback(settings.host) and not allow_plain:
            raise SendError(
                f"send.smtp.security = 'plain' sends in clear text to {settings.host}; "
                "use starttls or ssl, or pass --allow-plain"
            )
        self.context: ssl.SSLContext | None = None
        if settings.security != "plain":
            cafile = str(workspace / settings.ca_file) if settings.ca_file else None
            try:
                self.context = ssl.create_default_context(cafile=cafile)
            except (OSError, ssl.SSLError) as error:
                raise SendError(f"send.smtp.ca_file {settings.ca_file!r}: {error}") from None
        self.smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.effective_port}"

    def connect(self) -> smtplib.SMTP:
        """Connect, secure and log in; SendError for what retrying cannot fix."""
        if self.smtp is not None:
            return self.smtp
        host, port, timeout = (
            self.settings.host,
            self.settings.effective_port,
            self.settings.timeout,
        )
        try:
            if self.settings.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=self.context
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
        except ssl.SSLError as error:
            raise SendError(f"{self.where}: TLS failed: {error}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{self.where}: cannot connect: {error}", False) from None
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
            if self.settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SendError(
                        f"{self.where} does not offer STARTTLS; refusing to go on without "
                        "TLS (send.smtp.security = 'starttls')"
                    )
                smtp.starttls(context=self.context)
                smtp.ehlo()
            if self.settings.username:
                assert self.password is not None
                smtp.login(self.settings.username, self.password)
        except ssl.SSLError as error:
            raise SendError(f"{self.where}: TLS failed: {error}") from None
        except smtplib.SMTPAuthenticationError as error:
            raise SendError(
                f"{self.where}: authentication as {self.settings.username!r} failed: "
                f"{error.smtp_code} {_text(error.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendError(f"{self.where}: {error}") from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"{self.where}: {error.smtp_code} {_text(error.smtp_error)}",
                500 <= error.smtp_code < 600,
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"{self.where}: connection lost: {error}", False) from None

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver ``data`` to one recipient; returns only after the server's 250."""
        smtp = self.connect()
        try:
            refused = smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = error.recipients.get(recipient, (550, b"refused"))
            self._after_refusal(smtp)
            raise DeliveryError(f"{code} {_text(reason)}", 500 <= code < 600) from None
        except smtplib.SMTPResponseException as error:
            self._after_refusal(smtp)
            raise DeliveryError(
                f"{error.smtp_code} {_text(error.smtp_error)}", 500 <= error.smtp_code < 600
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise DeliveryError(
                f"connection lost: {error or type(error).__name__}", False
            ) from None
        if refused:  # only possible with several recipients; kept for safety
            code, reason = refused[recipient]
            raise DeliveryError(f"{code} {_text(reason)}", 500 <= code < 600)

    def _after_refusal(self, smtp: smtplib.SMTP) -> None:
        # smtplib sends RSET itself; a server that hung up is reconnected next time.
        try:
            smtp.noop()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _text(reason: bytes | str) -> str:
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
