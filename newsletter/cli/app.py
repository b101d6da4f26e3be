"""The command line: options and hand-offs only. Each command's work lives in
``newsletter.cli.commands.*``, imported inside the command so ``--help`` stays fast;
:func:`_run` hands it the run's :class:`Environment` and maps whatever it raises to an
exit status (:mod:`.exits`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer

from .. import __version__
from .environment import Environment
from .exits import ExitStatus

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
    ctx.obj = Environment(workspace=workspace, quiet=quiet, traceback=traceback)


DraftArgument = Annotated[
    Path | None, typer.Argument(metavar="[DRAFT]", help="Draft YAML. Default: the newest.")
]


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
def check(ctx: typer.Context) -> None:
    """Validate newsletter.toml and probe every source: status, time, size, last modified.

    Exits 3 if the config is invalid, 4 if a source did not answer.
    """
    from .commands.check import run

    _run(ctx, run)


@app.command()
def providers(ctx: typer.Context) -> None:
    """List the installed section providers and what each one gathers."""
    from .commands.providers import run

    _run(ctx, run)


@app.command()
def edit(ctx: typer.Context, draft_file: DraftArgument = None) -> None:
    """Open the draft in $VISUAL/$EDITOR; an invalid save is reopened with its errors."""
    from .commands.edit import run

    _run(ctx, run, draft_file=draft_file)


@app.command()
def curate(ctx: typer.Context, draft_file: DraftArgument = None) -> None:
    """Curate the draft section by section in a terminal UI (keyboard only)."""
    from .commands.curate import run

    _run(ctx, run, draft_file=draft_file)


@app.command()
def status(
    ctx: typer.Context,
    draft_file: DraftArgument = None,
    max_words: Annotated[
        int, typer.Option(help="Warn about summaries longer than this many words.", min=1)
    ] = 120,
) -> None:
    """Per section: items included / offered, problems, warnings; and the approval."""
    from .commands.status import run

    _run(ctx, run, draft_file=draft_file, max_words=max_words)


@app.command()
def approve(
    ctx: typer.Context,
    draft_file: DraftArgument = None,
    by: Annotated[str | None, typer.Option(help="Who approves. Default: your login.")] = None,
) -> None:
    """Approve the draft for sending; any later change to its content withdraws it."""
    from .commands.approve import run

    _run(ctx, run, draft_file=draft_file, by=by)


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
def preview(
    ctx: typer.Context,
    draft_file: Annotated[
        Path | None,
        typer.Argument(metavar="[DRAFT]", help="Draft YAML to preview. Default: the newest."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free one).")] = 8025,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the preview in a web browser.")
    ] = True,
) -> None:
    """Serve the email, Markdown and text of a draft on 127.0.0.1, reloading as you edit."""
    from .commands.preview import run

    _run(ctx, run, draft_file=draft_file, port=port, open_browser=open_browser)


@app.command()
def lint(
    ctx: typer.Context,
    draft_file: Annotated[
        Path | None,
        typer.Argument(metavar="[DRAFT]", help="Draft YAML to check. Default: the newest."),
    ] = None,
    links: Annotated[
        bool, typer.Option(help="Check that every link answers (HEAD, then GET).")
    ] = True,
    strict: Annotated[bool, typer.Option(help="Exit with status 9 on warnings too.")] = False,
) -> None:
    """Check a draft before sending: dead links, tracking parameters, empty sections,
    an email over Gmail's 102 KB clip. Exits with status 9 on errors."""
    from .commands.lint import run

    _run(ctx, run, draft_file=draft_file, links=links, strict=strict)


@app.command()
def publish(
    ctx: typer.Context,
    draft_file: Annotated[
        Path | None,
        typer.Argument(metavar="[DRAFT]", help="Draft YAML to publish. Default: the newest."),
    ] = None,
    site: Annotated[
        Path | None, typer.Option(help="Archive directory. Default: site/ in the workspace.")
    ] = None,
    mark: Annotated[
        bool,
        typer.Option(
            "--mark", help="Also record the included items as published so they never repeat."
        ),
    ] = False,
) -> None:
    """Add an issue to the static web archive: site/<issue>/, an index and an Atom feed.

    Serve site/ at [newsletter] url: the emails' "view in browser" links point there.
    `send` marks an issue published by itself; use --mark for an issue you publish
    another way, so later drafts leave its items out.
    """
    from .commands.publish import run

    _run(ctx, run, draft_file=draft_file, site=site, mark=mark)


@app.command()
def send(
    ctx: typer.Context,
    draft_file: Annotated[
        Path | None,
        typer.Argument(metavar="[DRAFT]", help="The approved draft to send. Default: the newest."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Write the exact .eml files to out/ISSUE/; send nothing."),
    ] = False,
    test_to: Annotated[
        str | None,
        typer.Option(
            "--test-to", metavar="ADDR", help="Send one copy to ADDR, subject '[TEST] …'."
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask for confirmation (needed without a TTY)."),
    ] = False,
    force: Annotated[bool, typer.Option(help="Send a draft that is not approved.")] = False,
    resend: Annotated[
        bool, typer.Option(help="Send an issue that was already sent, to everyone, again.")
    ] = False,
    allow_plain: Annotated[
        bool,
        typer.Option("--allow-plain", help="Allow security = 'plain' to a non-loopback server."),
    ] = False,
) -> None:
    """Send a draft by SMTP to the list and subscribers, once each; re-run to resume.

    Every delivery is journaled in .newsletter/state.db: a crash or a failure can be
    followed by the same command, which skips whoever already got the issue.
    """
    from .commands.send import run

    _run(
        ctx,
        run,
        draft_file=draft_file,
        dry_run=dry_run,
        test_to=test_to,
        yes=yes,
        force=force,
        resend=resend,
        allow_plain=allow_plain,
    )


@app.command()
def log(
    ctx: typer.Context,
    issue: Annotated[
        str | None, typer.Argument(metavar="[ISSUE]", help="e.g. 2026-W47. Default: every issue.")
    ] = None,
) -> None:
    """Show what was sent to whom and when, and every failure."""
    from .commands.log import run

    _run(ctx, run, issue=issue)


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2026-11-16", param_hint=flag
        ) from None


def _run(ctx: typer.Context, command: Callable[..., ExitStatus | None], **kwargs: Any) -> None:
    """Call a command; every exception becomes a message and the README's exit status."""
    env: Environment = ctx.obj
    try:
        status = command(env, **kwargs)
    except (typer.Exit, typer.Abort, click.ClickException):
        raise  # click's own: usage errors (2) and deliberate exits
    except BaseException as error:
        if isinstance(error, SystemExit | GeneratorExit):
            raise
        from .exits import exit_status_for, show_error

        if env.traceback and not isinstance(error, KeyboardInterrupt):
            raise
        show_error(env.final, error)
        _exit(exit_status_for(error))
    _exit(ExitStatus(status or ExitStatus.OK))


def _exit(status: ExitStatus) -> NoReturn:
    raise typer.Exit(int(status))


def main() -> None:
    try:
        app()
    except SystemExit as done:
        sys.exit(done.code)
    except KeyboardInterrupt:  # before or after a command ran (e.g. while importing)
        sys.stderr.write("Interrupted.\n")
        sys.exit(int(ExitStatus.INTERRUPTED))
