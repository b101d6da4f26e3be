"""The curation UI: a Textual app that edits the draft's round-trip YAML node in place.

Every change goes straight into the ruamel node read from the file, so the editor's
comments, order and untouched fields survive; ``w`` validates the whole draft with
the core models and writes it atomically — only if the file is still what curate read
(:mod:`newsletter.draft.save`). If it was saved meanwhile (a re-draft, another curate,
an editor), curate asks: reload it, merge your changes into it, or save yours as a
copy. Keyboard only; laid out for 80×24: the footer shows the keys used most, ``?``
lists them all.

Text from the draft (titles, sources, problems) is shown literally: never as Textual
markup (``[RFC]`` and the ``[x]`` checkbox would vanish) nor as Markdown in the preview.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Markdown, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..draft.combine import combine
from ..draft.file import dump, item_node, parse_text, validate_node
from ..draft.paths import DRAFTS_DIR
from ..draft.record import digest
from ..draft.save import backup_path, read_current, save_draft
from ..errors import DraftError, NewsletterError
from ..fileio import write_atomic
from ..inert import safe_markdown
from ..model import Item
from ..sanitize import markdown_escape
from ..urls import safe_url
from .exits import describe


def _text(value: str) -> str | LiteralScalarString:
    """A YAML scalar for ``value``: block style when it spans lines, as draft.py writes."""
    value = value.strip("\n")
    return LiteralScalarString(value + "\n") if "\n" in value else value


KEYS = """\
↑ ↓             select an item (its preview is on the right)
space           include it in the issue, or leave it out
K J             move it up / down (also ctrl+↑ ctrl+↓)
t s o           edit its title / summary / note
a               add a hand-written item after it
i               edit the issue's intro
n p             next / previous section
w               write the draft (validated first)
q ctrl+q        quit; asks first when there are unsaved changes
?               this list

In the edit boxes, ctrl+s keeps and escape cancels."""


def preview_markdown(item: CommentedMap) -> str:
    """The selected item as the reader would see it, plus what the editor needs to know."""
    title = markdown_escape(str(item.get("title") or item.get("id")))
    # Only a link the issue would show: http(s) or mailto, nothing that ends it early.
    url = (safe_url(str(item.get("url") or "")) or "").replace("(", "%28").replace(")", "%29")
    heading = f"## [{title}]({url})" if url else f"## {title}"
    byline = " · ".join(
        markdown_escape(str(item.get(key))) for key in ("author", "source") if item.get(key)
    )
    parts = [
        "*Included.*" if item.get("include") else "*Offered, not included.*",
        heading,
        f"*{byline}*" if byline else "",
        safe_markdown(str(item.get("summary") or ""))[0].strip(),
    ]
    note = safe_markdown(str(item.get("note") or ""))[0].strip()
    if note:
        parts.append("\n".join(f"> {line}" for line in note.splitlines()))
    details = item.get("details") or {}
    if isinstance(details, dict) and details.get("seen_in"):
        parts.append(f"*Already featured in {markdown_escape(str(details['seen_in']))}.*")
    return "\n\n".join(part for part in parts if part)


class KeysScreen(ModalScreen[None]):
    """Every key of the curation screen (the footer has room for the main ones)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Keys — escape or ? closes this list\n\n" + KEYS), id="keys")

    def action_close(self) -> None:
        self.dismiss(None)


class QuitScreen(ModalScreen[str | None]):
    """Unsaved changes: write and quit, quit without saving, or go on curating."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "answer('write')", "Write and quit"),
        Binding("q,ctrl+q", "answer('discard')", "Quit without saving"),
        Binding("escape", "answer(None)", "Keep curating"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.draft_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text(
                    f"{self.draft_name} has unsaved changes.\n\n"
                    "  w       write them, then quit\n"
                    "  q       quit without saving\n"
                    "  escape  keep curating"
                ),
                id="question",
            )

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class TextScreen(ModalScreen[str | None]):
    """Edit one field: a single line (title) or Markdown text (summary, note, intro)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "Keep"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, prompt: str, value: str, multiline: bool) -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value
        self.multiline = multiline

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"{self.prompt} — ctrl+s keeps, escape cancels")
            if self.multiline:
                yield TextArea(self.value, id="field")
            else:
                yield Input(self.value, id="field")

    def on_input_submitted(self) -> None:
        self.action_done()

    def action_done(self) -> None:
        field = self.query_one("#field")
        if isinstance(field, TextArea):
            self.dismiss(field.text)
        elif isinstance(field, Input):
            self.dismiss(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AddItemScreen(ModalScreen[dict[str, str] | None]):
    """A hand-written item: title, URL and text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", "Add"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New item — tab moves, ctrl+s adds, escape cancels")
            yield Input(placeholder="Title", id="title")
            yield Input(placeholder="https://… (optional)", id="url")
            yield TextArea(id="text")

    def action_done(self) -> None:
        title = self.query_one("#title", Input).value.strip()
        url = self.query_one("#url", Input).value.strip()
        if not title:
            self.notify("An item needs a title.", severity="error")
            return
        if url and not url.startswith(("http://", "https://")):
            self.notify("The URL must start with http:// or https://", severity="error")
            return
        self.dismiss({"title": title, "url": url, "text": self.query_one("#text", TextArea).text})

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChangedScreen(ModalScreen[str | None]):
    """The draft was saved by someone else since curate read it: what now?"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "choose('merge')", "Merge"),
        Binding("r", "choose('reload')", "Reload"),
        Binding("c", "choose('copy')", "Save a copy"),
        Binding("escape", "choose(None)", "Cancel"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.draft_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                f"{self.draft_name} was saved by another program since curate read it; "
                "it was not overwritten.\n\n"
                "  m  merge your changes into the saved version, and write that\n"
                "  r  reload the saved version (your unsaved changes are dropped)\n"
                f"  c  save yours as {self.draft_name}.curate, then reload\n"
                "  escape  go back"
            )

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


def copy_path(path: Path) -> Path:
    """Where curate saves your version when you choose not to merge it."""
    return path.with_name(path.name + ".curate")


class CurateApp(App[bool]):
    """Section by section: include, order, words. Returns True when the draft was saved."""

    TITLE = "newsletter curate"
    CSS = """
    #heading { height: 1; background: $boost; padding: 0 1; }
    #items { width: 40%; }
    #preview { width: 60%; padding: 0 1; }
    #dialog { width: 76; height: auto; max-height: 20; border: round $accent;
              background: $surface; padding: 0 1; }
    #dialog TextArea { height: 12; }
    TextScreen, AddItemScreen, ChangedScreen, KeysScreen, QuitScreen {
        align: center middle;
    }
    """
    # No command palette: its ctrl+p would take footer room for nothing a curator needs.
    ENABLE_COMMAND_PALETTE = False
    # The footer shows the keys of every session; ? lists the rest (KEYS). At 80
    # columns it holds these six.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "include", "Include"),
        Binding("n", "section(1)", "Next section"),
        Binding("p", "section(-1)", "Prev", show=False),
        Binding("K,ctrl+up", "move(-1)", "Up", show=False),
        Binding("J,ctrl+down", "move(1)", "Down", show=False),
        Binding("t", "edit('title')", "Title", show=False),
        Binding("s", "edit('summary')", "Summary", show=False),
        Binding("o", "edit('note')", "Note"),
        Binding("a", "add", "Add", show=False),
        Binding("i", "intro", "Intro", show=False),
        Binding("w", "write", "Write"),
        Binding("q", "quit_curate", "Quit"),
        # Textual's own ctrl+q would quit at once, unsaved changes and all.
        Binding("ctrl+q", "quit_curate", "Quit", show=False, priority=True),
        Binding("question_mark", "keys", "Keys"),
    ]

    def __init__(self, path: Path, workspace: Path | None = None) -> None:
        super().__init__()
        self.path = path
        self.workspace = workspace or (
            path.parent.parent if path.parent.name == DRAFTS_DIR else path.parent
        )
        self.read()
        self.section_index = 0
        self.dirty = False
        self.saved = False

    def read(self) -> None:
        """(Re)load the draft; what a save compares with is what was read here."""
        current = read_current(self.path)
        node = parse_text(current.text, str(self.path))
        validate_node(node, str(self.path))  # curate only a draft the models accept
        self.node, self.original, self.read_digest = node, current.text, current.digest

    # ------------------------------------------------------------ layout and refresh

    def compose(self) -> ComposeResult:
        # The draft's text is from strangers: never read as Textual markup.
        yield Static(id="heading", markup=False)
        with Horizontal():
            yield OptionList(id="items", markup=False)
            yield Markdown(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        self.show_section(select=0)

    @property
    def sections(self) -> CommentedSeq:
        sections = self.node.get("sections")
        return sections if isinstance(sections, CommentedSeq) else CommentedSeq()

    @property
    def section(self) -> CommentedMap | None:
        sections = self.sections
        return sections[self.section_index] if sections else None

    @property
    def items(self) -> CommentedSeq:
        section = self.section
        if section is None:
            return CommentedSeq()
        return section.setdefault("items", CommentedSeq())  # type: ignore[no-any-return]

    @property
    def selected(self) -> int | None:
        index = self.query_one("#items", OptionList).highlighted
        return index if index is not None and index < len(self.items) else None

    def show_section(self, select: int | None = None) -> None:
        section, items = self.section, self.items
        heading = self.query_one("#heading", Static)
        if section is None:
            heading.update("This draft has no sections.")
            return
        included = sum(1 for item in items if item.get("include"))
        problems = len(section.get("problems") or [])
        text = (
            f"{self.section_index + 1}/{len(self.sections)} {section.get('title') or section['id']}"
            f" · {included} of {len(items)} included"
        )
        if problems:
            text += f" · {problems} problem(s)"
        heading.update(Text(text + (" · unsaved" if self.dirty else "")))
        listing = self.query_one("#items", OptionList)
        keep = self.selected if select is None else select
        listing.clear_options()
        listing.add_options(
            Option(Text(f"[{'x' if item.get('include') else ' '}] {_title(item)}"))
            for item in items
        )
        if items:
            listing.highlighted = max(0, min(keep or 0, len(items) - 1))
        listing.focus()
        self.show_preview()

    def show_preview(self) -> None:
        index = self.selected
        section = self.section
        if index is not None:
            text = preview_markdown(self.items[index])
        elif section is not None:
            name = markdown_escape(str(section.get("title") or section.get("id")))
            text = f"*No items.* Press **a** to add one to {name}."
        else:
            text = ""
        self.query_one("#preview", Markdown).update(text)

    def on_option_list_option_highlighted(self) -> None:
        self.show_preview()

    def changed(self, select: int | None = None) -> None:
        self.dirty = True
        self.show_section(select)

    # ------------------------------------------------------------ actions

    def action_section(self, step: int) -> None:
        if self.sections:
            self.section_index = (self.section_index + step) % len(self.sections)
            self.show_section(select=0)

    def action_include(self) -> None:
        index = self.selected
        if index is not None:
            item = self.items[index]
            item["include"] = not bool(item.get("include"))
            self.changed()

    def action_move(self, step: int) -> None:
        index, items = self.selected, self.items
        if index is None or not 0 <= index + step < len(items):
            return
        item = items.pop(index)
        items.insert(index + step, item)
        self.changed(select=index + step)

    def action_edit(self, key: str) -> None:
        index = self.selected
        if index is None:
            return
        item = self.items[index]

        def keep(value: str | None) -> None:
            if value is not None and value != str(item.get(key) or ""):
                item[key] = " ".join(value.split()) if key == "title" else _text(value)
                self.changed()

        self.push_screen(
            TextScreen(key.capitalize(), str(item.get(key) or ""), key != "title"), keep
        )

    def action_intro(self) -> None:
        def keep(value: str | None) -> None:
            if value is not None and value != str(self.node.get("intro") or ""):
                self.node["intro"] = _text(value)
                self.changed()

        self.push_screen(TextScreen("Issue intro", str(self.node.get("intro") or ""), True), keep)

    def action_add(self) -> None:
        if self.section is None:
            return

        def add(fields: dict[str, str] | None) -> None:
            if fields is None:
                return
            taken = {str(item.get("id")) for item in self.items}
            digest = hashlib.sha1(f"{fields['title']}\n{fields['url']}".encode()).hexdigest()
            item_id = f"hand-{digest[:10]}"
            while item_id in taken:
                item_id += "x"
            node = item_node(Item(id=item_id, title=fields["title"], url=fields["url"]))
            node["summary"] = _text(fields["text"])
            position = (self.selected + 1) if self.selected is not None else len(self.items)
            self.items.insert(position, node)
            self.changed(select=position)

        self.push_screen(AddItemScreen(), add)

    def action_write(self) -> bool:
        """Write the draft; False when it was not written now (the reason is shown, or
        curate asks what to do about a version saved meanwhile)."""
        try:
            validate_node(self.node, str(self.path))
        except DraftError as error:
            self.notify(
                "\n".join(error.problems[:5]), title="Not saved", severity="error", markup=False
            )
            return False
        text = dump(self.node)
        try:
            saved = save_draft(self.workspace, self.path, text, self.read_digest, "curate")
        except (NewsletterError, OSError) as error:  # no room, or a writer that hangs on
            self.not_saved(error)
            return False
        if not saved:
            self.push_screen(ChangedScreen(self.path.name), self.resolve)
            return False
        self.written(text, f"Saved {self.path.name}.")
        return True

    def not_saved(self, error: NewsletterError | OSError) -> None:
        text = "\n".join(error.problems[:5]) if isinstance(error, DraftError) else describe(error)
        self.notify(text, title="Not saved", severity="error", markup=False)

    def written(self, text: str, message: str) -> None:
        self.original, self.read_digest = text, digest(text.encode("utf-8"))
        self.dirty = False
        self.saved = True
        self.notify(message, markup=False)
        self.show_section()

    def resolve(self, choice: str | None) -> None:
        """Act on the answer to :class:`ChangedScreen`."""
        try:
            if choice == "merge":
                self.merge_saved()
            elif choice == "copy":
                write_atomic(copy_path(self.path), dump(self.node))
                self.reload(f"Your version is saved as {copy_path(self.path).name}; ")
            elif choice == "reload":
                self.reload("Your unsaved changes were dropped; ")
        except (NewsletterError, OSError) as error:
            self.not_saved(error)

    def reload(self, before: str) -> None:
        self.read()
        self.dirty = False
        self.section_index = min(self.section_index, max(len(self.sections) - 1, 0))
        self.show_section()
        self.notify(f"{before}showing {self.path.name} as saved on disk.", markup=False)

    def merge_saved(self) -> None:
        """Your changes since curate read the draft, applied to the version saved since."""
        saved = read_current(self.path)
        theirs = parse_text(saved.text, f"{self.path} (the saved version)")
        combined = combine(parse_text(self.original, str(self.path)), self.node, theirs)
        validate_node(combined.node, f"{self.path} (merged)")
        text = dump(combined.node)
        if not save_draft(self.workspace, self.path, text, saved.digest, "curate"):
            self.push_screen(ChangedScreen(self.path.name), self.resolve)  # saved again
            return
        self.node = combined.node
        message = f"Merged your changes into the saved {self.path.name} and wrote it."
        if combined.conflicts:
            shown = ", ".join(combined.conflicts[:3])
            more = f" and {len(combined.conflicts) - 3} more" if len(combined.conflicts) > 3 else ""
            message += (
                f" Changed on both sides, yours kept: {shown}{more}"
                f" (the saved version is in {backup_path(self.path).name})."
            )
        self.written(text, message)

    def action_quit_curate(self) -> None:
        if isinstance(self.screen, QuitScreen):  # ctrl+q again while asked: quit
            self.exit(self.saved)
            return
        if not self.dirty:
            self.exit(self.saved)
            return

        def answered(answer: str | None) -> None:
            if answer == "discard" or (answer == "write" and self.action_write()):
                self.exit(self.saved)

        self.push_screen(QuitScreen(self.path.name), answered)

    def action_keys(self) -> None:
        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen())


def _title(item: CommentedMap) -> str:
    return " ".join(str(item.get("title") or item.get("id")).split())


def curate(path: Path, workspace: Path, **run_options: Any) -> bool:
    """Run the UI on ``path``; True when the draft was written."""
    return bool(CurateApp(path, workspace).run(**run_options))
