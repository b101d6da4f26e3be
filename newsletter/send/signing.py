"""DKIM signatures (dkimpy), required by Gmail's and Yahoo's 2024 bulk-sender rules.

RFC 8058 wants the signature to cover ``List-Unsubscribe`` and ``List-Unsubscribe-Post``
(dkimpy's default list misses the latter), so the signed headers are named here. Only
headers the message has are signed: a list's copy, which lacks the one-click headers,
stays valid when the list adds its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dkim

from ..config import DkimSettings
from ..errors import ConfigError, SendError

SIGNED = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Id",
    "List-Post",
    "List-Archive",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
_HEADER_NAME = re.compile(rb"^([!-9;-~]+):", re.MULTILINE)


class Signer:
    """Signs messages with the key and selector of ``[send.dkim]``."""

    def __init__(self, settings: DkimSettings, workspace: Path, config_path: Path) -> None:
        self.domain = settings.domain.encode("ascii", "replace")
        self.selector = settings.selector.encode("ascii", "replace")
        self.key = _read_key(settings, workspace, config_path)
        try:  # a wrong key is a configuration error, found before anything is sent
            dkim.sign(
                b"From: a@example.org\r\nSubject: probe\r\n\r\nprobe\r\n",
                self.selector,
                self.domain,
                self.key,
                include_headers=[b"from"],
            )
        except dkim.DKIMException as error:
            where = settings.key_file or f"${settings.key_env}"
            raise ConfigError(
                str(config_path), [f"send.dkim: the key in {where} cannot sign: {error}"]
            ) from None

    def sign(self, message: bytes) -> bytes:
        """``message`` with its ``DKIM-Signature`` header on top."""
        head = message.split(b"\r\n\r\n", 1)[0]
        present = {name.lower() for name in _HEADER_NAME.findall(head)}
        headers = [h.lower().encode() for h in SIGNED if h.lower().encode() in present]
        try:
            signature = dkim.sign(
                message,
                self.selector,
                self.domain,
                self.key,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=headers,
            )
        except dkim.DKIMException as error:
            raise SendError(f"DKIM signing failed: {error}") from None
        return bytes(signature) + message


def _read_key(settings: DkimSettings, workspace: Path, config_path: Path) -> bytes:
    if settings.key_env:
        value = os.environ.get(settings.key_env, "")
        if not value.strip():
            # Like a key_file that is not there: the configuration to fix before sending.
            raise ConfigError(
                str(config_path),
                [
                    f"send.dkim.key_env: the environment variable {settings.key_env} is not "
                    "set; set it to the PEM private key"
                ],
            )
        # A PEM squeezed onto one line (as some secret stores keep it) has '\n' escapes.
        return value.replace("\\n", "\n").encode("ascii", "replace")
    path = workspace / settings.key_file
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(
            str(config_path), [f"send.dkim.key_file: cannot read {path}: {error.strerror}"]
        ) from None
