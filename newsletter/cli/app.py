"""The command line: options and hand-offs only. Each command's work lives in
``newsletter.cli.commands.*``, imported inside the command so ``--help`` stays fast;
:func:`_run` hands it the run's :class:`Environment` and maps whatever it raises to an
exit status (:mod:`.exits`).

Plain click: typer 0.29 validates every option value through a pydantic
``TypeAdapter``, which costs every command ~70 ms of start-up before it runs
(bench/bench_startup.py); click is what typer wraps, without that layer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from .. import __version__
from .environment import Environment
from .exits import ExitStatus

FORMATS = ("html", "md", "txt")
_F = TypeVar("_F", bound=Callable[..., Any])


class _Group(click.Group):
    """Lists its commands in the order of a week's work (init, draft, … send), not A–Z."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"newsletter {__version__}")
        ctx.exit()


@click.group(
    cls=_Group,
    name="newsletter",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-C",
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=".",
    metavar="DIR",
    help="Run as if started in DIR (like git -C).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and the final result.")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an error.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version.",
)
@click.pass_context
def app(ctx: click.Context, workspace: Path, quiet: bool, traceback: bool) -> None:
    """Compose a community's weekly newsletter: gather, curate, render, send."""
    ctx.obj = Environment(workspace=workspace, quiet=quiet, traceback=traceback)


def _draft_argument(help: str = "Draft YAML. Default: the newest.") -> Callable[[_F], _F]:
    return click.argument(
        "draft_file",
        required=False,
        metavar="[DRAFT]",
        type=click.Path(path_type=Path),
        help=help,
    )


@app.command()
@click.argument(
    "directory", type=click.Path(path_type=Path),
    help="Where to create the workspace.",
)  # fmt: skip
@click.option("--title", default="", help="The newsletter's title.")
@click.pass_context
def init(ctx: click.Context, directory: Path, title: str) -> None:
    """Create a workspace: a commented newsletter.toml, templates/, drafts/ and out/."""
    from .commands.init import run

    _run(ctx, run, directory=directory, title=title)


@app.command()
@click.option(
    "--week", metavar="WEEK",
    help="ISO week of the issue, e.g. 2026-W47. Default: the last complete one.",
)  # fmt: skip
@click.option("--since", metavar="DATE", help="First day of a custom window (YYYY-MM-DD).")
@click.option(
    "--until", metavar="DATE", help="Last day of a custom window (YYYY-MM-DD), inclusive."
)
@click.option(
    "--strict/--no-strict", default=False, help="Exit with status 4 if any source had a problem."
)
@click.option(
    "--force", is_flag=True, help="Gather a week that was already sent or marked published."
)
@click.pass_context
def draft(
    ctx: click.Context,
    week: str | None,
    since: str | None,
    until: str | None,
    strict: bool,
    force: bool,
) -> None:
    """Gather every section for a week and write (or update) drafts/<week>.yaml.

    Running it again for the same week keeps every hand edit and adds only new items.
    A week that was sent or marked published is left as it went out unless --force.
    """
    from .commands.draft import run

    _run(
        ctx,
        run,
        week=week,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        strict=strict,
        force=force,
    )


@app.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate newsletter.toml and probe every source: status, time, size, last modified.

    Exits 3 if the config is invalid, 4 if a source did not answer.
    """
    from .commands.check import run

    _run(ctx, run)


@app.command()
@click.pass_context
def providers(ctx: click.Context) -> None:
    """List the installed section providers and what each one gathers."""
    from .commands.providers import run

    _run(ctx, run)


@app.command()
@_draft_argument()
@click.pass_context
def edit(ctx: click.Context, draft_file: Path | None) -> None:
    """Open the draft in $VISUAL/$EDITOR; an invalid save is reopened with its errors."""
    from .commands.edit import run

    _run(ctx, run, draft_file=draft_file)


@app.command()
@_draft_argument()
@click.pass_context
def curate(ctx: click.Context, draft_file: Path | None) -> None:
    """Curate the draft section by section in a terminal UI (keyboard only)."""
    from .commands.curate import run

    _run(ctx, run, draft_file=draft_file)


@app.command()
@_draft_argument()
@click.option(
    "--max-words", type=click.IntRange(min=1), default=120, show_default=True,
    help="Warn about summaries longer than this many words.",
)  # fmt: skip
@click.pass_context
def status(ctx: click.Context, draft_file: Path | None, max_words: int) -> None:
    """Per section: items included / offered, problems, warnings; and the approval."""
    from .commands.status import run

    _run(ctx, run, draft_file=draft_file, max_words=max_words)


@app.command()
@_draft_argument()
@click.option("--by", help="Who approves. Default: your login.")
@click.pass_context
def approve(ctx: click.Context, draft_file: Path | None, by: str | None) -> None:
    """Approve the draft for sending; any later change to its content withdraws it."""
    from .commands.approve import run

    _run(ctx, run, draft_file=draft_file, by=by)


@app.command()
@_draft_argument("Draft YAML to render. Default: the newest.")
@click.option(
    "--format", "-f", "formats", multiple=True, type=click.Choice(FORMATS),
    help="Output format; repeat for several. Default: all.",
)  # fmt: skip
@click.option(
    "--out", "-o", metavar="PATH",
    help="Output file, directory, or '-' for stdout (one format). Default: out/.",
)  # fmt: skip
@click.pass_context
def render(
    ctx: click.Context, draft_file: Path | None, formats: tuple[str, ...], out: str | None
) -> None:
    """Render a draft's included items as email HTML, Markdown and plain text."""
    from .commands.render import run

    _run(ctx, run, draft_file=draft_file, formats=list(formats or FORMATS), out=out)


@app.command()
@_draft_argument("Draft YAML to preview. Default: the newest.")
@click.option(
    "--port", type=int, default=8025, show_default=True,
    help="Port on 127.0.0.1 (0: any free one).",
)  # fmt: skip
@click.option(
    "--open/--no-open", "open_browser", default=True, show_default=True,
    help="Open the preview in a web browser.",
)  # fmt: skip
@click.pass_context
def preview(ctx: click.Context, draft_file: Path | None, port: int, open_browser: bool) -> None:
    """Serve the email, Markdown and text of a draft on 127.0.0.1, reloading as you edit."""
    from .commands.preview import run

    _run(ctx, run, draft_file=draft_file, port=port, open_browser=open_browser)


@app.command()
@_draft_argument("Draft YAML to check. Default: the newest.")
@click.option(
    "--links/--no-links", default=True, show_default=True,
    help="Check that every link answers (HEAD, then GET).",
)  # fmt: skip
@click.option("--strict/--no-strict", default=False, help="Exit with status 9 on warnings too.")
@click.pass_context
def lint(ctx: click.Context, draft_file: Path | None, links: bool, strict: bool) -> None:
    """Check a draft before sending: dead links, tracking parameters, empty sections,
    an email over Gmail's 102 KB clip. Exits with status 9 on errors."""
    from .commands.lint import run

    _run(ctx, run, draft_file=draft_file, links=links, strict=strict)


@app.command()
@_draft_argument("Draft YAML to publish. Default: the newest.")
@click.option(
    "--site", type=click.Path(path_type=Path),
    help="Archive directory. Default: site/ in the workspace.",
)  # fmt: skip
@click.option(
    "--mark", is_flag=True,
    help="Also record the included items as published so they never repeat.",
)  # fmt: skip
@click.pass_context
def publish(ctx: click.Context, draft_file: Path | None, site: Path | None, mark: bool) -> None:
    """Add an issue to the static web archive: site/<issue>/, an index and an Atom feed.

    Serve site/ at [newsletter] url: the emails' "view in browser" links point there.
    `send` marks an issue published by itself; use --mark for an issue you publish
    another way, so later drafts leave its items out.
    """
    from .commands.publish import run

    _run(ctx, run, draft_file=draft_file, site=site, mark=mark)


@app.command()
@_draft_argument("The approved draft to send. Default: the newest.")
@click.option(
    "--dry-run", is_flag=True, help="Write the exact .eml files to out/ISSUE/; send nothing."
)
@click.option("--test-to", metavar="ADDR", help="Send one copy to ADDR, subject '[TEST] …'.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a TTY)."
)
@click.option("--force/--no-force", default=False, help="Send a draft that is not approved.")
@click.option(
    "--resend/--no-resend", default=False,
    help="Send an issue that was already sent, to everyone, again.",
)  # fmt: skip
@click.option(
    "--allow-plain", is_flag=True, help="Allow security = 'plain' to a non-loopback server."
)
@click.pass_context
def send(
    ctx: click.Context,
    draft_file: Path | None,
    dry_run: bool,
    test_to: str | None,
    yes: bool,
    force: bool,
    resend: bool,
    allow_plain: bool,
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
@click.argument(
    "issue", required=False, metavar="[ISSUE]",
    help="e.g. 2026-W47. Default: every issue.",
)  # fmt: skip
@click.pass_context
def log(ctx: click.Context, issue: str | None) -> None:
    """Show what was sent to whom and when, and every failure."""
    from .commands.log import run

    _run(ctx, run, issue=issue)


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-16", param_hint=flag
        ) from None


def _run(ctx: click.Context, command: Callable[..., ExitStatus | None], **kwargs: Any) -> None:
    """Call a command; every exception becomes a message and the README's exit status."""
    env: Environment = ctx.obj
    try:
        status = command(env, **kwargs)
    except (click.exceptions.Exit, click.Abort, click.ClickException):
        raise  # click's own: usage errors (2) and deliberate exits
    except BaseException as error:
        if isinstance(error, SystemExit | GeneratorExit):
            raise
        from .exits import exit_status_for, show_error

        if env.traceback and not isinstance(error, KeyboardInterrupt):
            raise
        show_error(env.final, error)
        _exit(ctx, exit_status_for(error))
    _exit(ctx, ExitStatus(status or ExitStatus.OK))


def _exit(ctx: click.Context, status: ExitStatus) -> NoReturn:
    ctx.exit(int(status))


def main() -> None:
    # Not click's standalone mode: it would turn a Ctrl-C (while importing, or in a
    # prompt) into "Aborted!" and status 1 instead of 130.
    try:
        status = app.main(prog_name="newsletter", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write("Interrupted.\n")
        sys.exit(int(ExitStatus.INTERRUPTED))
    sys.exit(status if isinstance(status, int) else 0)
