from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from ...config import Config
from ...draft.file import dump, read_node, validate_node
from ...draft.lint import (
    Finding,
    LinkCache,
    Subject,
    check_links,
    draft_links,
    fix_tracking,
    preflight,
)
from ...fileio import write_atomic
from ...gather import Fetcher, fetcher_for
from ...model import Draft
from ...render import renderer_for
from ..exits import ExitStatus
from ..findings import show_findings
from ._choose import choose_draft, optional_config

if TYPE_CHECKING:
    from ..environment import Environment


def run(
    env: Environment, draft_file: Path | None, links: bool, strict: bool, fix: bool = False
) -> ExitStatus:
    workspace = env.workspace
    path, draft = choose_draft(workspace, draft_file, env.err.print)
    config = optional_config(workspace)
    renderer = renderer_for(workspace, config)
    console = env.err
    if fix:
        draft = _fix(env, path, draft)

    found = draft_links(draft)
    html = renderer.render(draft, "html")
    settings = config.send if config is not None else None
    subject = Subject(
        draft,
        html,
        renderer.render(draft, "txt"),
        settings,
        mails_subscribers=settings is not None and bool(settings.subscribers),
        no_images=renderer.settings.no_images,
    )
    findings = preflight(subject)
    if links:
        cache = LinkCache(workspace)
        to_check = [url for url in found if not cache.fresh(url)]
        console.print(
            f"Checking {len(to_check)} link(s) ({len(found) - len(to_check)} checked today)…"
        )
        broken = asyncio.run(_check(workspace, config, to_check))
        cache.save(url for url in to_check if url not in broken)
        for url, why in broken.items():
            findings.append(Finding("error", url, f"{why} (in {', '.join(found[url])})"))

    out = env.final
    show_findings(out, findings)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    out.print(f"{path.name}: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        return ExitStatus.LINT
    return ExitStatus.OK


async def _check(workspace: Path, config: Config | None, urls: list[str]) -> dict[str, str]:
    """Ask each link through the fetcher: the links come from untrusted sources."""
    fetcher = fetcher_for(config) if config is not None else Fetcher(workspace)
    private = config is not None and config.http.private_links
    async with fetcher:
        return await check_links(urls, functools.partial(fetcher.check, private=private))


def _fix(env: Environment, path: Path, draft: Draft) -> Draft:
    """Remove tracking parameters from the draft's links, in the file itself."""
    node = read_node(path)
    changed = fix_tracking(node)
    if not changed:
        return draft
    fixed = validate_node(node, str(path))
    write_atomic(path, dump(node))
    withdrawn = " (this withdraws its approval)" if draft.approved is not None else ""
    env.final.print(
        f"Removed tracking parameters from {changed} link(s) in {path.name}{withdrawn}.",
        markup=False,
    )
    return fixed
