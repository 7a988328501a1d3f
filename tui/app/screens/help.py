"""Every key binding, grouped, plus notes for SSH and tmux users (OSC 52 clipboard)."""

from __future__ import annotations

from typing import Iterable

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

NOTES = """\
## Notes

- **Copying** uses OSC 52: the text travels through the terminal to your local clipboard, so it works over SSH.
  In tmux, run `set -g set-clipboard on`. macOS Terminal.app ignores OSC 52 (iTerm2, kitty, WezTerm work).
- **Small terminals**: below 100 columns the side panels hide; ctrl+b shows the chats, ctrl+t the tools.
- **Colours**: F2 → theme `ansi-dark`/`ansi-light` uses your terminal's own 16 colours.
- **Newlines**: ctrl+j works in every terminal (Shift+Enter is not distinguishable over SSH).
"""


def binding_table(title: str, bindings: Iterable[Binding], describe_key) -> str:
    """A Markdown table of keys and what they do."""
    rows = [f"## {title}", "", "| Key | Action |", "|---|---|"]
    for binding in bindings:
        if not binding.description:
            continue
        keys = " / ".join(describe_key(key) for key in binding.key.split(","))
        rows.append(f"| {keys} | {binding.description} |")
    return "\n".join(rows) + "\n"


class HelpScreen(ModalScreen[None]):
    """Help: tables built from the live `BINDINGS`, so they never drift from the real keys."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close help")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__(classes="dialog")
        self.groups = groups

    def compose(self):
        def describe_key(key: str) -> str:
            return self.app.get_key_display(Binding(key.strip(), ""))

        text = "# Keys\n\n" + "\n".join(binding_table(title, bindings, describe_key) for title, bindings in self.groups)
        with VerticalScroll(id="help-scroll", classes="dialog-box"):
            yield Markdown(text + "\n" + NOTES, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
