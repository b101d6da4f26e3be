"""Send records beside an issue's outputs: ``out/<issue>/sent.log``.

The journal lives in ``.newsletter/state.db``, which a fresh clone, a new machine or a
lost disk does not have. So every step the journal records is also appended here, one
JSON object a line, fsynced before the send goes on, in a file that belongs to the
workspace like the issue's outputs (keep it with the workspace: commit it, back it up).
``send`` compares the two before it starts, and ``newsletter log --rebuild`` restores
the journal from them.

Events: ``round`` (a round starts: its backend, recipients and Message-IDs),
``delivery`` (one recipient's new state), ``complete`` and ``reopen`` (a finished
round opened again by ``--retry-failed``/``--retry-unknown``). A line cut short by a
crash or a full disk is skipped when reading and closed off before the next append.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import JournalError
from ..fileio import room_note
from .journal import Delivery, Recipient, Round, tally

NAME = "sent.log"


def records_name(issue: str) -> str:
    """The records' path inside the workspace, as messages name it."""
    return f"out/{issue}/{NAME}"


def records_path(workspace: Path, issue: str) -> Path:
    return workspace / "out" / issue / NAME


@dataclass
class Replayed:
    """What a records file says about one issue."""

    rounds: dict[int, Round] = field(default_factory=dict)
    deliveries: dict[int, dict[str, Delivery]] = field(default_factory=dict)
    damaged: list[int] = field(default_factory=list)
    """Numbers of lines that could not be read (cut short by a crash or a full disk)."""


class Records:
    """The append-only records of one issue."""

    def __init__(self, workspace: Path, issue: str) -> None:
        self.issue = issue
        self.path = records_path(workspace, issue)
        self._fd: int | None = None

    def append(self, event: dict[str, Any], sync: bool = True) -> None:
        """Add one event and sync it to disk (with ``sync=False``, the next synced
        event takes it along); JournalError if that fails."""
        line = json.dumps({"issue": self.issue, **event}, ensure_ascii=False) + "\n"
        try:
            fd = self._open()
            _write_all(fd, line.encode("utf-8"))
            if sync:
                os.fsync(fd)
        except OSError as error:
            self.close()  # the next append starts on a fresh line
            named = OSError(error.errno, error.strerror or str(error), str(self.path))
            raise JournalError(f"{self.path}: {named.strerror}{room_note(named)}") from None

    def delivery(
        self, at: str, number: int, recipient: str, status: str, error: str, sync: bool = True
    ) -> None:
        """Append a ``delivery`` event: one recipient's new state in round ``number``."""
        self.append(
            {
                "at": at,
                "event": "delivery",
                "round": number,
                "recipient": recipient,
                "status": status,
                "error": error,
            },
            sync=sync,
        )

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            # Private, like the journal: it names every subscriber.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size:
                    with self.path.open("rb") as handle:
                        handle.seek(size - 1)
                        if handle.read(1) != b"\n":  # a line cut short: close it off
                            _write_all(fd, b"\n")
                if created:
                    _sync_dir(self.path.parent)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def exists(self) -> bool:
        return self.path.is_file()

    def events(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(line number, event) for each line; the event is None for a damaged line."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    event = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    yield number, None
                    continue
                yield number, event if isinstance(event, dict) else None

    def replay(self) -> Replayed:
        """The rounds and deliveries the records describe, as the journal would hold them."""
        found = Replayed()
        for number, event in self.events():
            try:
                if event is None or not _apply(found, event):
                    found.damaged.append(number)
            except (KeyError, TypeError, ValueError):
                found.damaged.append(number)
        return found


def _apply(found: Replayed, event: dict[str, Any]) -> bool:
    kind, at = event["event"], str(event["at"])
    number = int(event["round"])
    if kind == "round":
        recipients = [Recipient(*entry) for entry in event["recipients"]]
        ids = [str(i) for i in event["message_ids"]]
        found.rounds[number] = Round(
            str(event["issue"]), number, recipients, at, None, str(event["backend"])
        )
        found.deliveries[number] = {
            r.address: Delivery(r.address, i, "pending", "", 0, None, at, None)
            for r, i in zip(recipients, ids, strict=True)
        }
        return True
    if number not in found.rounds:
        return False
    if kind == "complete":
        found.rounds[number] = replace(found.rounds[number], completed_at=at)
    elif kind == "reopen":
        found.rounds[number] = replace(found.rounds[number], completed_at=None)
    elif kind == "delivery":
        old = found.deliveries[number][str(event["recipient"])]
        status = str(event["status"])
        attempting = status == "attempting"
        found.deliveries[number][old.recipient] = replace(
            old,
            status=status,
            error=str(event.get("error", "")),
            attempts=old.attempts + attempting,
            first_attempt_at=old.first_attempt_at or (at if attempting else None),
            updated_at=at,
            sent_at=at if status == "sent" else old.sent_at,
        )
    else:
        return False
    return True


def later_than(recorded: dict[str, Delivery], known: dict[str, Delivery]) -> list[Delivery]:
    """The recorded deliveries of a round that the journal's ``known`` ones lack, or
    hold an older state of."""
    return [
        delivery
        for address, delivery in recorded.items()
        if address not in known or delivery.updated_at > known[address].updated_at
    ]


def recorded_send(workspace: Path, issue: str) -> str:
    """What ``out/<issue>/sent.log`` says of the issue's latest round, in words, for a
    journal that knows no send of it (a lost or replaced state.db); "" if nothing."""
    found = Records(workspace, issue).replay()
    if not found.rounds:
        return ""
    number = max(found.rounds)
    started = found.rounds[number].started_at[:19]
    done = tally(found.deliveries[number].values())
    return (
        f"{records_name(issue)} records a send of {issue} (round {number}, started {started}: "
        f"{done}) that the journal (.newsletter/state.db) does not know; "
        "'newsletter log --rebuild' restores it"
    )


def all_records(workspace: Path) -> list[Records]:
    """The records of every issue in the workspace's ``out/``."""
    return [
        Records(workspace, path.parent.name)
        for path in sorted((workspace / "out").glob(f"*/{NAME}"))
        if path.is_file()
    ]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
