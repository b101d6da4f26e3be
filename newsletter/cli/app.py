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
from click.core import ParameterSource

from .. import __version__
from .environment import Environment
from .exits import ExitStatus

FORMATS = ("html", "md", "txt")
GLOBAL_OPTIONS = ("workspace", "quiet", "traceback")
_F = TypeVar("_F", bound=Callable[..., Any])


class _Command(click.Command):
    """A command that also takes the global options after its name, as git and gh do
    (``newsletter draft -q``, ``newsletter status -C ws``): the group's own ``-C``,
    ``-q`` and ``--traceback`` are parsed here too, applied to the run's
    :class:`Environment`, and listed apart in ``--help``."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        group = ctx.parent.command if ctx.parent is not None else None
        if isinstance(group, click.Group):
            params += [p for p in group.params if p.name in GLOBAL_OPTIONS]
        return params

    def invoke(self, ctx: click.Context) -> Any:
        env = ctx.obj
        for name in GLOBAL_OPTIONS:
            value = ctx.params.pop(name, None)
            given = ctx.get_parameter_source(name) not in {None, ParameterSource.DEFAULT}
            if isinstance(env, Environment) and given:
                setattr(env, name, value)
        return super().invoke(ctx)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        own: list[tuple[str, str]] = []
        shared: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
            if record is not None:
                (shared if param.name in GLOBAL_OPTIONS else own).append(record)
        for title, rows in (("Options", own), ("Global options", shared)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _Group(click.Group):
    """Lists its commands in the order of a week's work (init, draft, … send), not A–Z."""

    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def _examples(*lines: str) -> str:
    # \b keeps click from re-wrapping the lines into one paragraph.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"newsletter {__version__}")
        ctx.exit()


@click.group(
    cls=_Group,
    name="newsletter",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Run 'newsletter COMMAND --help' for a command's options and examples.",
)
@click.option(
    "-C",
    "--workspace",
    type=click.Path(path_type=Path),
    default=Path(),
    metavar="DIR",
    help="Run as if started in DIR (like git -C); the workspace is the nearest folder "
    "up from there holding newsletter.toml.",
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


@app.command(
    epilog=_examples(
        "newsletter init myweekly",
        "newsletter init myweekly --title 'Bar Weekly'",
        "newsletter init --example openstack demo   # the bundled 2011 example",
    )
)
@click.argument(
    "directory", metavar="DIR", type=click.Path(path_type=Path),
    help="Where to create the workspace.",
)  # fmt: skip
@click.option(
    "--title", default="", metavar="TITLE", help="The newsletter's title. Default: from DIR."
)
@click.option(
    "--example", metavar="NAME", help="Copy a bundled example workspace instead (openstack)."
)
@click.pass_context
def init(ctx: click.Context, directory: Path, title: str, example: str | None) -> None:
    """Create a workspace: newsletter.toml with an example of every section (commented),
    .gitignore, templates/, drafts/ and out/."""
    from .commands.init import run

    _run(ctx, run, find_workspace=False, directory=directory, title=title, example=example)


@app.command(
    epilog=_examples(
        "newsletter draft                       # the last complete week",
        "newsletter draft --week 2026-W46",
        "newsletter draft --since 2026-11-01 --until 2026-11-14",
        "newsletter -q draft --strict           # from cron: status 4 if a source failed",
    )
)
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
    "--force",
    is_flag=True,
    help="Draft a week that has not ended yet, or gather again one already sent or "
    "marked published.",
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


@app.command(
    epilog=_examples(
        "newsletter check", "newsletter -C ~/weekly check", "newsletter check --history"
    )
)
@click.option(
    "--history", is_flag=True,
    help="Instead of probing, list the sources that failed or came back empty in each "
    "of the last drafts (--weeks).",
)  # fmt: skip
@click.option(
    "--weeks", type=click.IntRange(min=1), default=3, show_default=True, metavar="N",
    help="With --history: how many drafts in a row.",
)  # fmt: skip
@click.pass_context
def check(ctx: click.Context, history: bool, weeks: int) -> None:
    """Validate newsletter.toml and probe every source of every section: status, time,
    size, last modified.

    Exits 3 if the config is invalid, 4 if a source did not answer (with --history: if
    a source failed or came back empty in each of the last N drafts).
    """
    from .commands.check import run

    _run(ctx, run, history=history, weeks=weeks)


@app.command(epilog=_examples("newsletter providers"))
@click.pass_context
def providers(ctx: click.Context) -> None:
    """List the installed section providers and what each one gathers."""
    from .commands.providers import run

    _run(ctx, run, find_workspace=False)


@app.command(
    epilog=_examples("newsletter edit", "EDITOR=nano newsletter edit drafts/2026-W47.yaml")
)
@_draft_argument()
@click.pass_context
def edit(ctx: click.Context, draft_file: Path | None) -> None:
    """Open the draft in $VISUAL/$EDITOR; an invalid save is reopened with its errors."""
    from .commands.edit import run

    _run(ctx, run, draft_file=draft_file)


@app.command(epilog=_examples("newsletter curate", "newsletter curate drafts/2026-W47.yaml"))
@_draft_argument()
@click.pass_context
def curate(ctx: click.Context, draft_file: Path | None) -> None:
    """Curate the draft section by section in a terminal UI (keyboard only; ? lists the
    keys)."""
    from .commands.curate import run

    _run(ctx, run, draft_file=draft_file)


@app.command(epilog=_examples("newsletter status", "newsletter status --max-words 80"))
@_draft_argument()
@click.option(
    "--max-words", type=click.IntRange(min=1), default=120, metavar="N",
    help="Warn about summaries longer than N words. Default: 120.",
)  # fmt: skip
@click.pass_context
def status(ctx: click.Context, draft_file: Path | None, max_words: int) -> None:
    """Per section: items included / offered, problems, warnings; and the approval."""
    from .commands.status import run

    _run(ctx, run, draft_file=draft_file, max_words=max_words)


@app.command(epilog=_examples("newsletter approve", "newsletter approve --by 'Jane Doe'"))
@_draft_argument()
@click.option(
    "--by", metavar="NAME",
    help="Who approves. Default: [newsletter] editor, else git's user.name.",
)  # fmt: skip
@click.pass_context
def approve(ctx: click.Context, draft_file: Path | None, by: str | None) -> None:
    """Approve the draft for sending; any later change to its content withdraws it."""
    from .commands.approve import run

    _run(ctx, run, draft_file=draft_file, by=by)


@app.command(
    epilog=_examples(
        "newsletter render                        # the newest draft -> out/",
        "newsletter render drafts/2026-W47.yaml -f md,txt",
        "newsletter render -f md -o - | less      # one format to stdout",
    )
)
@_draft_argument("Draft YAML to render. Default: the newest.")
@click.option(
    "--format", "-f", "formats", multiple=True, metavar="FORMAT",
    help="html, md or txt; several with commas (-f md,txt) or repeated. Default: all.",
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

    _run(ctx, run, draft_file=draft_file, formats=_formats(formats), out=out)


@app.command(epilog=_examples("newsletter preview", "newsletter preview --port 9000 --no-open"))
@_draft_argument("Draft YAML to preview. Default: the newest.")
@click.option(
    "--port", type=click.IntRange(0, 65535), metavar="PORT",
    help="Port on 127.0.0.1. Default: 8025, or a free one when that is taken.",
)  # fmt: skip
@click.option(
    "--open/--no-open", "open_browser", default=True,
    help="Open the preview in a web browser (the default, when there is a display).",
)  # fmt: skip
@click.pass_context
def preview(
    ctx: click.Context, draft_file: Path | None, port: int | None, open_browser: bool
) -> None:
    """Serve the email, Markdown and text of a draft on 127.0.0.1, reloading as you edit."""
    from .commands.preview import run

    _run(ctx, run, draft_file=draft_file, port=port, open_browser=open_browser)


@app.command(epilog=_examples("newsletter lint", "newsletter lint --no-links --fix"))
@_draft_argument("Draft YAML to check. Default: the newest.")
@click.option(
    "--links/--no-links", default=True,
    help="Check that every link answers (HEAD, then GET). Default: on.",
)  # fmt: skip
@click.option("--strict/--no-strict", default=False, help="Exit with status 9 on warnings too.")
@click.option("--fix", is_flag=True, help="Remove the tracking parameters it finds from the draft.")
@click.pass_context
def lint(ctx: click.Context, draft_file: Path | None, links: bool, strict: bool, fix: bool) -> None:
    """Check a draft before sending: dead links, tracking parameters, empty sections,
    an email over Gmail's 102 KB clip. Exits with status 9 on errors."""
    from .commands.lint import run

    _run(ctx, run, draft_file=draft_file, links=links, strict=strict, fix=fix)


@app.command(
    epilog=_examples(
        "newsletter publish",
        "newsletter publish --mark          # sent another way: never repeat its items",
        "newsletter publish --site /var/www/weekly",
    )
)
@_draft_argument("Draft YAML to publish. Default: the newest.")
@click.option(
    "--site", type=click.Path(path_type=Path), metavar="DIR",
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


@app.command(
    epilog=_examples(
        "newsletter send --dry-run                 # the .eml files in out/<issue>/",
        "newsletter send --test-to me@example.org",
        "newsletter send                           # asks first; re-run to resume",
        "newsletter send --yes                     # from cron",
    )
)
@_draft_argument("The approved draft to send. Default: the newest.")
@click.option(
    "--dry-run", is_flag=True,
    help="Write to out/ISSUE/ the exact .eml files the same command would send (replacing "
    "an earlier dry run's); send nothing.",
)  # fmt: skip
@click.option("--test-to", metavar="ADDR", help="Send one copy to ADDR, subject '[TEST] …'.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed without a TTY)."
)
@click.option("--force/--no-force", default=False, help="Send a draft that is not approved.")
@click.option(
    "--resend/--no-resend", default=False,
    help="Send an issue already sent to everyone again (new Message-IDs); asks first.",
)  # fmt: skip
@click.option("--retry-failed", is_flag=True, help="Try again the recipients that were refused.")
@click.option(
    "--retry-unknown", is_flag=True,
    help="Send again to those who may already have it (the answer was lost).",
)  # fmt: skip
@click.option(
    "--allow-plain", is_flag=True,
    help="Allow a clear-text connection to a non-loopback server.",
)  # fmt: skip
@click.option("--skip-lint", is_flag=True, help="Send even if the lint checks find errors.")
@click.pass_context
def send(
    ctx: click.Context,
    draft_file: Path | None,
    dry_run: bool,
    test_to: str | None,
    yes: bool,
    force: bool,
    resend: bool,
    retry_failed: bool,
    retry_unknown: bool,
    allow_plain: bool,
    skip_lint: bool,
) -> None:
    """Send a draft through the configured backend (SMTP to each recipient, or a post to
    a Mailman 3 list), once each; re-run to resume.

    The offline checks of 'newsletter lint' run first; an error stops the send unless
    --skip-lint. Every delivery is journaled in .newsletter/state.db and recorded in
    out/ISSUE/sent.log: after a crash or a failure the same command goes on, skips
    whoever got the issue, and never mails again those who may have it unless asked.
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
        retry_failed=retry_failed,
        retry_unknown=retry_unknown,
        allow_plain=allow_plain,
        skip_lint=skip_lint,
    )


@app.command(epilog=_examples("newsletter log", "newsletter log 2026-W47"))
@click.argument(
    "issue", required=False, metavar="[ISSUE]",
    help="e.g. 2026-W47. Default: every issue.",
)  # fmt: skip
@click.option(
    "--rebuild", is_flag=True, help="Restore the journal from the records in out/*/sent.log."
)
@click.pass_context
def log(ctx: click.Context, issue: str | None, rebuild: bool) -> None:
    """Show what was sent to whom and when, every failure, and who may already have it."""
    from .commands.log import run

    _run(ctx, run, issue=issue, rebuild=rebuild)


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-16", param_hint=flag
        ) from None


def _formats(values: tuple[str, ...]) -> list[str]:
    """``-f md,txt`` and ``-f md -f txt`` alike; every format once, in the given order."""
    chosen = [part.strip() for value in values for part in value.split(",")]
    unknown = [part for part in chosen if part not in FORMATS]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r} is not a format; choose from {', '.join(FORMATS)}",
            param_hint="'--format' / '-f'",
        )
    return list(dict.fromkeys(chosen)) or list(FORMATS)


def _run(
    ctx: click.Context,
    command: Callable[..., ExitStatus | None],
    find_workspace: bool = True,
    **kwargs: Any,
) -> None:
    """Call a command; every exception becomes a message and the README's exit status."""
    env: Environment = ctx.obj
    try:
        env.workspace = _workspace(env.workspace, find_workspace)
        status = command(env, **kwargs)
    except (click.exceptions.Exit, click.Abort, click.ClickException):
        raise  # click's own: usage errors (2) and deliberate exits
    except BaseException as error:
        if isinstance(error, SystemExit | GeneratorExit):
            raise
        from .exits import exit_status_for, show_error

        if env.traceback and not isinstance(error, KeyboardInterrupt):
            raise
        show_error(env.final, error, env.workspace)
        _exit(ctx, exit_status_for(error))
    _exit(ctx, ExitStatus(status or ExitStatus.OK))


def _workspace(start: Path, walk_up: bool) -> Path:
    """``-C``'s folder (which must exist), or the workspace found up from it."""
    from ..errors import UsageError

    if not start.exists():
        raise UsageError(f"-C {start}: no such folder")
    if not start.is_dir():
        raise UsageError(f"-C {start}: not a folder")
    if not walk_up:
        return start
    from ..workspace import find_workspace

    return find_workspace(start)


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
