"""The command line: options and hand-offs only. Each command's work lives in
``newsletter.commands.*``, imported inside the command so ``--help`` stays fast."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import __version__
from .status import ExitStatus

app = typer.Typer(
    name="newsletter",
    help="Compose a community's weekly newsletter: gather, curate, render, send.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    # Plain click help: rich's help formatter alone costs more start-up than the rest.
    rich_markup_mode=None,
)


@dataclass
class Globals:
    workspace: Path
    quiet: bool
    traceback: bool


class OutputFormat(StrEnum):
    html = "html"
    md = "md"
    txt = "txt"


def _version(value: bool) -> None:
    if value:
        print(f"newsletter {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    workspace: Annotated[
        Path,
        typer.Option(
            "-C",
            "--workspace",
            help="Run as if started in DIR (like git -C).",
            metavar="DIR",
            file_okay=False,
        ),
    ] = Path(),
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Print only errors and the final result.")
    ] = False,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python traceback of an error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = Globals(workspace=workspace, quiet=quiet, traceback=traceback)


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Where to create the workspace.")],
    title: Annotated[str, typer.Option(help="The newsletter's title.")] = "",
) -> None:
    """Create a workspace: a commented newsletter.toml, templates/, drafts/ and out/."""
    from .commands.init import run

    _run(ctx, run, directory=directory, title=title)


@app.command()
def draft(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(help="ISO week of the issue, e.g. 2026-W47. Default: the last complete one."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="First day of a custom window (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day of a custom window (YYYY-MM-DD), inclusive.")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit with status 4 if any source had a problem.")
    ] = False,
) -> None:
    """Gather every section for a week and write (or update) drafts/<week>.yaml.

    Running it again for the same week keeps every hand edit and adds only new items.
    """
    from .commands.draft import run

    _run(
        ctx,
        run,
        week=week,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        strict=strict,
    )


@app.command()
def render(
    ctx: typer.Context,
    draft_file: Annotated[
        Path | None,
        typer.Argument(metavar="[DRAFT]", help="Draft YAML to render. Default: the newest."),
    ] = None,
    formats: Annotated[
        list[OutputFormat] | None,
        typer.Option("--format", "-f", help="Output format; repeat for several. Default: all."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            help="Output file, directory, or '-' for stdout (one format). Default: out/.",
        ),
    ] = None,
) -> None:
    """Render a draft's included items as email HTML, Markdown and plain text."""
    from .commands.render import run

    chosen = [str(fmt) for fmt in formats] if formats else ["html", "md", "txt"]
    _run(ctx, run, draft_file=draft_file, formats=chosen, out=out)


@app.command()
def providers(ctx: typer.Context) -> None:
    """List the installed section providers and what each one gathers."""
    from .commands.providers import run

    _run(ctx, run)


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2026-11-16", param_hint=flag
        ) from None


def _run(ctx: typer.Context, command: object, **kwargs: object) -> None:
    """Call a command, turning the errors we raise on purpose into messages and exit codes."""
    from .console import exit_status_for, make_console, show_error
    from .errors import NewsletterError

    options: Globals = ctx.obj
    console = make_console(quiet=False)
    try:
        status = command(options, **kwargs)  # type: ignore[operator]
    except NewsletterError as error:
        if options.traceback:
            raise
        show_error(console, error)
        _exit(exit_status_for(error))
    except KeyboardInterrupt:
        console.print("Interrupted.")
        _exit(ExitStatus.ERROR)
    _exit(ExitStatus(status or ExitStatus.OK))


def _exit(status: ExitStatus) -> NoReturn:
    raise typer.Exit(int(status))


def main() -> None:
    try:
        app()
    except SystemExit as done:
        sys.exit(done.code)
