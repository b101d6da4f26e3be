"""Exceptions raised by the core; only the CLI turns them into messages and exit codes.

NewsletterError
├── UsageError       the command line asks for something that cannot be done
├── ConfigError      newsletter.toml is missing or invalid (carries every problem found)
├── DraftError       a draft YAML file is missing or invalid (carries line/field of each)
├── SourceError      one source (feed, calendar, archive…) could not be read
├── RenderError      a template is missing or failed, or MJML could not be compiled
├── SendError        sending failed
├── LockedError      another run holds the workspace lock
├── ConflictError    a draft changed on disk while a command worked on it; not overwritten
└── WriteError       a file could not be written; what it would replace is unchanged
    └── JournalError a delivery could not be recorded: the send stopped at once
"""

from __future__ import annotations

from collections.abc import Sequence


class NewsletterError(Exception):
    """Base of every error this package raises on purpose."""


class UsageError(NewsletterError):
    """A command-line argument is wrong (a week that does not exist, options that
    exclude each other), found after the arguments were parsed."""


class _ManyProblems(NewsletterError):
    """An error that lists every problem found, not just the first."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s)\n{lines}")


class ConfigError(_ManyProblems):
    """The configuration could not be loaded; ``problems`` holds one line per mistake."""


class DraftError(_ManyProblems):
    """A draft file could not be loaded; ``problems`` holds one line per mistake."""


class SourceError(NewsletterError):
    """A source could not be fetched or parsed; becomes a problem on its section."""

    def __init__(
        self,
        source: str,
        reason: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.source = source
        self.reason = reason
        self.status = status
        """The HTTP status, when the server answered with an error."""
        self.headers = headers or {}
        """The error response's headers (``retry-after``, rate-limit resets…)."""
        super().__init__(f"{source}: {reason}")


class RenderError(NewsletterError):
    """Rendering an issue failed."""


class SendError(NewsletterError):
    """Sending an issue failed."""


class LockedError(NewsletterError):
    """Another run holds the workspace lock."""


class ConflictError(NewsletterError):
    """The draft changed on disk while a command worked on it, and the command would
    not overwrite it: the message says where the command's own version was kept."""


class WriteError(NewsletterError):
    """A file could not be written (a full disk, a size limit, permissions); the files
    the write would have replaced were left as they were."""


class JournalError(WriteError):
    """A delivery could not be recorded in the journal or the send records (a full disk,
    a read-only file): the send stops at once, because going on would send without a
    record; the message says what the recipient in flight may have."""
