"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose misbehaviour tests can script."""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailServer:
    """Records every accepted message. Knobs, changeable while it runs:

    ``refuse``: address -> reply for RCPT (e.g. ``"550 5.1.1 no such user"``);
    ``defer``: address -> how many times to answer RCPT with a 451 first;
    ``drop_after``: after this many accepted messages, hang up on every DATA;
    ``hang_after``: after this many, never answer DATA (until stopped).
    """

    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False
    users: dict[str, str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    defer: dict[str, int] = field(default_factory=dict)
    drop_after: int | None = None
    hang_after: int | None = None
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    rcpt_attempts: list[str] = field(default_factory=list)
    port: int = 0

    def start(self) -> MailServer:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options: dict[str, Any] = {}
        if self.tls is not None and self.implicit_tls:
            options["ssl_context"] = self.tls
        elif self.tls is not None:
            options.update(tls_context=self.tls, require_starttls=True)
        if self.users is not None:
            options.update(authenticator=self._authenticate, auth_require_tls=False)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append(login)
        ok = self.users is not None and self.users.get(login) == password
        return AuthResult(success=ok, handled=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_attempts.append(address)
        if address in self.refuse:
            return self.refuse[address]
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            server.transport.close()
            return "421 4.3.0 gone"
        if self.hang_after is not None and len(self.received) >= self.hang_after:
            await asyncio.sleep(3600)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 accepted"
