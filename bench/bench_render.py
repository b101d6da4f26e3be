"""Render: email HTML, Markdown and plain text of a 100-item issue (goal < 50 ms for the
three, each Markdown fragment parsed once), and the MJML step through mjml-python
against Node's mjml on the same MJML.

Every timed run renders a draft whose texts it has not seen (a run number in each
summary), so parsing is measured, not a cache. "before" renders each format as if
alone, parsing every fragment again; "ours" renders the three from one parse."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import median_seconds, node_mjml, note, options, ratio, seconds, table

GOAL = 0.050
# Node's mjml without its start-up: compile once to warm up, then time N compilations.
WARM_NODE = """
const [mjml, file, n] = process.argv.slice(1);
const compile = require(mjml);
const source = require("fs").readFileSync(file, "utf8");
(async () => {
  await Promise.resolve(compile(source));
  const times = [];
  for (let i = 0; i < Number(n); i++) {
    const started = process.hrtime.bigint();
    await Promise.resolve(compile(source));
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  times.sort((a, b) => a - b);
  console.log(times[Math.floor(times.length / 2)]);
})();
"""


def issue(items: int, run: int = 0) -> object:
    from newsletter.model import Draft, Item, Section, Window

    start = datetime(2026, 3, 2, tzinfo=UTC)
    per_section = max(items // 4, 1)
    sections = [
        Section(
            id=f"section{s}",
            title=f"Section {s}",
            provider="blogs" if s % 2 == 0 else "other",
            intro="What happened this week.",
            items=[
                Item(
                    id=f"item-{s}-{i}",
                    title=f"Post {i} of section {s}: a <title> & more",
                    url=f"https://blog{i}.example.org/posts/{s}/{i}",
                    summary=(
                        f"Run {run}: we **released** version 1.{i} with "
                        f"[notes](https://e.example/{i}) "
                        "and a list:\n\n- faster\n- smaller\n\n"
                        + " ".join(f"word{n}" for n in range(50))
                    ),
                    author=f"Author {i}",
                    published=start + timedelta(hours=i),
                    source=f"Blog {i}",
                    note=f"Worth a read ({run})." if i % 3 == 0 else "",
                )
                for i in range(per_section)
            ],
        )
        for s in range(4)
    ]
    return Draft(
        issue="2026-W10",
        title="Bench Weekly",
        window=Window(start=start, end=start + timedelta(days=7)),
        intro="Welcome to this week's issue.",
        sections=sections,
    )


def main() -> None:
    args = options(__doc__.splitlines()[0])
    items, repeat = (8, 2) if args.quick else (100, 20)
    from newsletter.render import renderer as render
    from newsletter.render.renderer import Renderer

    draft = issue(items)
    renderer = Renderer()
    compile_mjml = render.mjml_to_html
    sources: list[str] = []

    def capturing(source: str) -> str:
        sources.append(source)
        return compile_mjml(source)

    render.mjml_to_html = capturing  # keep the MJML the HTML is compiled from
    renderer.render(draft, "html")
    render.mjml_to_html = compile_mjml
    mjml_source = sources[-1]

    runs = iter(range(1, 10**6))
    times = {
        fmt: median_seconds(lambda fmt=fmt: renderer.render(issue(items, next(runs)), fmt),
                            repeat)
        for fmt in ("html", "md", "txt")
    }  # fmt: skip
    before = sum(times.values())
    ours = median_seconds(lambda: renderer.render_all(issue(items, next(runs))), repeat)
    drafting = median_seconds(lambda: issue(items, next(runs)), repeat)  # not rendering
    before, ours = before - 3 * drafting, ours - drafting
    mjml_python = median_seconds(lambda: compile_mjml(mjml_source), repeat)
    rows = [[f"  {fmt} alone (Jinja2{' + MJML' if fmt == 'html' else ''})",
             seconds(took - drafting), ""]
            for fmt, took in times.items()]  # fmt: skip
    rows.insert(0, ["the three, each parsing every fragment (before)", seconds(before), ""])
    rows.append(
        ["the three from one parse of each fragment (ours)", seconds(ours),
         f"{before / ours:.1f}× faster; goal < {seconds(GOAL)}: "
         f"{'met' if ours < GOAL else '**missed**'}"]
    )  # fmt: skip
    table(
        f"Rendering a {items}-item issue, median of {repeat}",
        ["format", "time", "goal"],
        rows,
    )

    node = node_mjml()
    mjml_rows = [["mjml-python (MRML, Rust), in process", seconds(mjml_python), "1.0×"]]
    if node is None:
        note("Node's mjml: n/a (npm not found): the comparison is skipped.")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "issue.mjml"
            path.write_text(mjml_source, "utf-8")

            def node_run() -> None:
                subprocess.run([str(node), str(path), "-s"], check=True, capture_output=True)

            node_took = median_seconds(node_run, max(repeat // 4, 2))
            node_warm = float(
                subprocess.run(
                    ["node", "-e", WARM_NODE, str(node.parent.parent / "mjml"), str(path),
                     str(repeat)],
                    check=True, capture_output=True, text=True,
                ).stdout
            )  # fmt: skip
        version = subprocess.run(
            [str(node), "--version"], check=True, capture_output=True, text=True
        ).stdout.split()
        mjml_rows.append(
            [f"Node mjml {version[-1] if version else ''} CLI (what a user runs)",
             seconds(node_took), ratio(mjml_python, node_took)]
        )  # fmt: skip
        mjml_rows.append(
            ["Node mjml, warm, in one process (median)", seconds(node_warm),
             ratio(mjml_python, node_warm)]
        )  # fmt: skip
    table(
        f"MJML → HTML for the same {len(mjml_source) / 1024:.0f} KiB of MJML",
        ["compiler", "time", "mjml-python vs it"],
        mjml_rows,
    )


if __name__ == "__main__":
    main()
