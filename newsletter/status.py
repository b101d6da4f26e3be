"""Exit statuses of the ``newsletter`` command; documented in the README."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    """Unexpected failure (a bug): run again with --traceback and report it."""
    USAGE = 2
    """Wrong command-line arguments."""
    CONFIG = 3
    """newsletter.toml is missing or invalid."""
    PROBLEMS = 4
    """Some sources failed and --strict was given (the draft was still written)."""
    LOCKED = 5
    """Another newsletter run holds the workspace lock."""
    SEND = 6
    """Sending failed for at least one recipient."""
    DRAFT = 7
    """The draft file is missing or invalid."""
    RENDER = 8
    """A template is missing or broken."""
    LINT = 9
    """`newsletter lint` found errors (or warnings, with --strict)."""
