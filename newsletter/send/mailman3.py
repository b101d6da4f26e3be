"""The ``mailman3`` backend: the issue posted once to a Mailman 3 list, which mails its
members and handles subscriptions, bounces, unsubscribes and archives.

The post goes through Mailman's REST API, ``POST /queues/in`` with the list's id and the
message text: the same path as mail arriving for the list, so the list's moderation
applies. Once Mailman has taken the post from its incoming queue, a post that waits in
the list's moderation queue is reported ``held``, not sent (the next run checks again,
and counts it sent once it has left the moderation queue, accepted or discarded: the
REST API does not tell which); a post Mailman has not taken yet (its runners stopped),
or whose fate its REST API failed to tell, is reported held too.
Mailman keeps no record of an accepted post that its REST API shows, so a post not held
is taken as accepted.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import Field, field_validator

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
from .journal import Recipient

HOLD_NOTICED = 2.0
"""Seconds after Mailman takes a post from its incoming queue by which a hold shows in
the list's held messages (its moderation runs right after, in the same runner)."""


class Mailman3Options(BackendOptions):
    """``[send.mailman3]``: the list and Mailman's REST API. The password is never here."""

    rest_url: str = Field(description="e.g. http://127.0.0.1:8001/3.1")
    user: str = Field("restadmin", description="REST API user")
    password_env: str = Field(
        min_length=1, description="environment variable holding the REST password"
    )
    list: str = Field(description="the list's posting address, e.g. announce@lists.example.org")
    ca_file: str = Field("", description="PEM file of a private CA to trust (workspace-relative)")
    timeout: float = Field(30.0, gt=0, description="seconds for each request")
    queue_wait: float = Field(
        30.0, ge=0, description="seconds to wait for Mailman to take the post from its queue"
    )

    @field_validator("rest_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).hostname:
            raise ValueError("must be an http(s) URL like http://127.0.0.1:8001/3.1")
        return value.rstrip("/")


class Mailman3Backend(SendBackend[Mailman3Options]):
    name = "mailman3"
    description = "one post to a Mailman 3 list through its REST API; the list mails its members"
    Options = Mailman3Options

    def __init__(self, options: Mailman3Options, context: BackendContext) -> None:
        super().__init__(options, context)
        host = urlsplit(options.rest_url).hostname or ""
        plain = options.rest_url.startswith("http://") and not is_loopback(host)
        if plain and not context.allow_plain:
            raise SendError(
                f"send.mailman3.rest_url {options.rest_url!r} sends the REST password in "
                "clear text; use https://, or pass --allow-plain"
            )
        self.verify: ssl.SSLContext | bool = True
        if options.ca_file:
            self.verify = tls_context(context, "send.mailman3.ca_file", options.ca_file)
        self._client: httpx.Client | None = None
        self.list_id = ""

    @property
    def client(self) -> httpx.Client:
        """The REST client, made on first use: a dry run needs no password."""
        if self._client is None:
            password = os.environ.get(self.options.password_env)
            if not password:
                raise ConfigError(
                    str(self.context.workspace / CONFIG_NAME),
                    [
                        f"send.mailman3.password_env: the environment variable "
                        f"{self.options.password_env} holding the REST password is not set"
                    ],
                )
            self._client = httpx.Client(
                auth=(self.options.user, password),
                timeout=self.options.timeout,
                verify=self.verify,
            )
        return self._client

    @property
    def where(self) -> str:
        return f"the Mailman 3 list {self.options.list} ({self.options.rest_url})"

    def recipients(self, configured: list[Recipient]) -> list[Recipient]:
        if configured:
            raise SendError(
                "send.to and send.subscribers are not used with backend = 'mailman3': the list "
                f"{self.options.list} mails its own members; remove them, or use the smtp backend"
            )
        return [Recipient(self.options.list, "", "list")]

    def open(self) -> None:
        if self.list_id:
            return
        answer = self._request("GET", f"/lists/{quote(self.options.list, safe='@')}")
        if answer.status_code == 404:
            raise SendError(f"Mailman at {self.options.rest_url} has no list {self.options.list}")
        self._check(answer, "reading the list")
        try:
            self.list_id = str(answer.json()["list_id"])
        except (ValueError, TypeError, KeyError):  # a web page, not the REST API
            raise SendError(
                f"{self.options.rest_url} answered the request for the list "
                f"{self.options.list} with something other than Mailman's REST API "
                f"({answer.headers.get('content-type', 'no content type')}): check "
                "send.mailman3.rest_url (e.g. http://127.0.0.1:8001/3.1)"
            ) from None

    def deliver(self, envelope: Envelope, message: bytes, commit: Callable[[], None]) -> Accepted:
        self.open()
        text = message.decode("utf-8").replace("\r\n", "\n")
        commit()
        try:
            answer = self.client.post(
                self._url("/queues/in"), data={"list_id": self.list_id, "text": text}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.WriteError) as error:
            # The request never arrived whole: Mailman cannot have queued it.
            raise DeliveryError(
                f"{self.options.rest_url}: {error}", "temporary", sender_wide=True
            ) from None
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"no answer from {self.options.rest_url} after posting ({error}): the list "
                "may have the post",
                "unknown",
            ) from None
        if answer.status_code >= 500 and answer.status_code != 503:
            raise DeliveryError(
                f"Mailman answered {answer.status_code} to the post: the list may have it",
                "unknown",
            )
        if answer.status_code >= 400:  # refused: nothing was queued
            raise DeliveryError(
                f"Mailman refused the post ({answer.status_code}): {answer.text[:200]}",
                "temporary" if answer.status_code >= 500 else "permanent",
                sender_wide=True,
            )
        queued = answer.headers.get("location", "").rpartition("/")[2]
        try:
            if not self._taken(queued):
                return "held"
            # Mailman lists the post as held moments after taking it from the queue.
            deadline = time.monotonic() + HOLD_NOTICED
            while not self._held(envelope.message_id):
                if time.monotonic() > deadline:
                    return "sent"
                time.sleep(0.2)
        except (DeliveryError, SendError, httpx.HTTPError, ValueError):
            # The list has the post; only its fate is unknown. A refusal raised now
            # would leave it to be posted again: held, the next run asks Mailman again.
            return "held"
        return "held"

    def still_held(self, envelope: Envelope) -> bool:
        try:
            self.open()
            return self._held(envelope.message_id) or self._queued(envelope.message_id)
        except (DeliveryError, SendError, httpx.HTTPError, ValueError):
            return True  # cannot tell: keep it held, the next run asks again

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ REST

    def _url(self, path: str) -> str:
        return self.options.rest_url + path

    def _request(self, method: str, path: str) -> httpx.Response:
        try:
            return self.client.request(method, self._url(path))
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"{self.options.rest_url}: {error}", "temporary", sender_wide=True
            ) from None

    def _check(self, answer: httpx.Response, doing: str) -> None:
        if answer.status_code in (401, 403):
            raise SendError(
                f"Mailman refused the REST user {self.options.user!r} while {doing} "
                f"({answer.status_code}): check send.mailman3.user and "
                f"${self.options.password_env}"
            )
        if answer.status_code >= 400:
            raise DeliveryError(
                f"Mailman answered {answer.status_code} while {doing}: {answer.text[:200]}",
                "temporary" if answer.status_code >= 500 else "permanent",
                sender_wide=True,
            )

    def _taken(self, queued: str) -> bool:
        """Wait until Mailman's incoming runner has taken ``queued`` (moderation runs
        there); False if it has not within ``queue_wait`` seconds."""
        deadline = time.monotonic() + self.options.queue_wait
        while True:
            answer = self._request("GET", "/queues/in")
            self._check(answer, "reading its incoming queue")
            if queued not in answer.json().get("files", []):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def _held(self, message_id: str) -> bool:
        answer = self._request("GET", f"/lists/{self.list_id}/held")
        self._check(answer, "reading the held messages")
        entries: list[dict[str, Any]] = answer.json().get("entries", [])
        return any(entry.get("message_id") == message_id for entry in entries)

    def _queued(self, message_id: str) -> bool:
        answer = self._request("GET", "/queues/in")
        self._check(answer, "reading its incoming queue")
        for name in answer.json().get("files", []):
            entry = self._request("GET", f"/queues/in/{name}")
            text = str(entry.json().get("text", "")) if entry.status_code == 200 else ""
            if f"Message-ID: {message_id}" in text:
                return True
        return False
