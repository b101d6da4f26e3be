"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose misbehaviour tests can script."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
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
    at: float = 0.0
    """time.monotonic() when the message was complete."""

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
    ``hang_after``: after this many, never answer DATA (until stopped);
    ``lose_ack``: addresses whose message is kept, then the connection is closed
    before the 250 is sent (the sender cannot know it arrived);
    ``quota_after``: after this many accepted messages, refuse MAIL FROM with
    ``quota_reply`` (a relay's daily quota);
    ``refuse_all_after``: after this many accepted messages, refuse every RCPT with
    ``refuse_all_reply`` (a policy about the sender);
    ``garble_ack``: addresses whose message is kept, then answered with a line that
    is not an SMTP reply;
    ``data_delay``: seconds between keeping a message and answering 250;
    ``smtputf8``: offer SMTPUTF8.
    """

    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False
    users: dict[str, str] | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    defer: dict[str, int] = field(default_factory=dict)
    drop_after: int | None = None
    hang_after: int | None = None
    lose_ack: set[str] = field(default_factory=set)
    garble_ack: set[str] = field(default_factory=set)
    quota_after: int | None = None
    quota_reply: str = "550 5.4.5 Daily sending quota exceeded"
    refuse_all_after: int | None = None
    refuse_all_reply: str = "554 5.7.1 Service unavailable; client host blocked"
    data_delay: float = 0.0
    smtputf8: bool = False
    received: list[Received] = field(default_factory=list)
    connections: list[object] = field(default_factory=list)
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
        # aiosmtpd's Controller offers SMTPUTF8 unless told otherwise.
        options.update(enable_SMTPUTF8=self.smtputf8)
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

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if not any(known is server for known in self.connections):
            self.connections.append(server)
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.quota_after is not None and len(self.received) >= self.quota_after:
            return self.quota_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_attempts.append(address)
        if self.refuse_all_after is not None and len(self.received) >= self.refuse_all_after:
            return self.refuse_all_reply
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
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                time.monotonic(),
            )
        )
        if set(envelope.rcpt_tos) & self.lose_ack:
            server.transport.close()
            return "421 4.3.0 gone"  # never reaches the sender: the connection is closed
        if set(envelope.rcpt_tos) & self.garble_ack:
            return "OK, got it"
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 2.0.0 accepted"
